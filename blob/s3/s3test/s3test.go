// Package s3test starts a real S3 server for tests: Versity's S3 gateway
// (versitygw), serving a temporary directory over the S3 API on loopback.
// It is not a fake: blob/s3 talks to it as it would to any S3 service.
//
// The gateway is built from its Go module with `go install
// github.com/versity/versitygw/cmd/versitygw@Version` into the user cache
// directory (emergence/versitygw-Version), once per machine; later runs reuse
// the binary. The build runs outside this module, so versitygw's dependency
// tree never enters emergence's go.mod. A test that cannot build or start the
// gateway fails; it never skips.
package s3test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Version is the versitygw release the tests run.
const Version = "v1.8.0"

// Module is the package path of the gateway's command.
const Module = "github.com/versity/versitygw/cmd/versitygw"

// Keys of the gateway's root account, passed to it as ROOT_ACCESS_KEY and
// ROOT_SECRET_KEY.
const (
	AccessKey = "emergence-test"
	SecretKey = "emergence-test-secret"
)

// Gateway is a running versitygw.
type Gateway struct {
	// Endpoint is the gateway's host:port on loopback (plain HTTP).
	Endpoint string
	// Dir is the directory it serves; each bucket is a directory in it.
	Dir string

	cmd    *exec.Cmd
	exited chan struct{}
	log    *bytes.Buffer
}

// Binary returns the path of the versitygw binary, building it first if
// the cache does not hold it yet.
func Binary() (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("versitygw: user cache dir: %w", err)
	}
	dir := filepath.Join(cache, "emergence", "versitygw-"+Version)
	bin := filepath.Join(dir, "versitygw")
	if fi, err := os.Stat(bin); err == nil && fi.Mode().IsRegular() {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("versitygw: %w", err)
	}
	// One build per machine: other test processes wait on the lock.
	lock, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", fmt.Errorf("versitygw: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", fmt.Errorf("versitygw: lock %s: %w", lock.Name(), err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if _, err := os.Stat(bin); err == nil {
		return bin, nil // built by another process meanwhile
	}
	tmp, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return "", fmt.Errorf("versitygw: %w", err)
	}
	defer os.RemoveAll(tmp)
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		if gobin, err = exec.LookPath("go"); err != nil {
			return "", fmt.Errorf("versitygw: no go command to build it with: %w", err)
		}
	}
	cmd := exec.Command(gobin, "install", Module+"@"+Version)
	cmd.Dir = tmp // outside any module: the build uses versitygw's own go.mod
	cmd.Env = append(os.Environ(), "GOBIN="+tmp, "GOWORK=off", "GOFLAGS=-buildvcs=false", "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("versitygw: go install %s@%s: %w\n%s", Module, Version, err, out)
	}
	if err := os.Rename(filepath.Join(tmp, "versitygw"), bin); err != nil {
		return "", fmt.Errorf("versitygw: %w", err)
	}
	return bin, nil
}

// Start builds (if needed) and starts a gateway serving a fresh temporary
// directory, stopped when t ends. It fails t if the gateway cannot run.
func Start(t testing.TB) *Gateway {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var last error
	for range 3 { // a port taken between choosing and binding: try another
		g, err := start(bin, dir)
		if err == nil {
			t.Cleanup(g.stop)
			return g
		}
		last = err
	}
	t.Fatalf("start versitygw: %v", last)
	return nil
}

func start(bin, dir string) (*Gateway, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	g := &Gateway{Endpoint: addr, Dir: dir, exited: make(chan struct{}), log: &bytes.Buffer{}}
	g.cmd = exec.Command(bin, "--port", addr, "posix", dir)
	g.cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+AccessKey, "ROOT_SECRET_KEY="+SecretKey)
	g.cmd.Stdout, g.cmd.Stderr = g.log, g.log
	if err := g.cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", bin, err)
	}
	go func() { g.cmd.Wait(); close(g.exited) }()
	// Ready when it answers S3 requests: an unsigned ListBuckets gets an
	// S3 error (403), which shows the server is up.
	deadline := time.Now().Add(60 * time.Second)
	hc := &http.Client{Timeout: 2 * time.Second}
	for {
		resp, err := hc.Get("http://" + addr + "/")
		if err == nil {
			resp.Body.Close()
			return g, nil
		}
		select {
		case <-g.exited:
			return nil, fmt.Errorf("versitygw exited before serving: %s", strings.TrimSpace(g.log.String()))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			g.stop()
			return nil, fmt.Errorf("versitygw not serving %s after 60s: %v", addr, err)
		}
	}
}

func (g *Gateway) stop() {
	select {
	case <-g.exited:
		return
	default:
	}
	g.cmd.Process.Signal(os.Interrupt)
	select {
	case <-g.exited:
	case <-time.After(10 * time.Second):
		g.cmd.Process.Kill()
		<-g.exited
	}
}

// Client returns a minio client of the gateway's root account.
func (g *Gateway) Client(t testing.TB) *minio.Client {
	t.Helper()
	c, err := minio.New(g.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(AccessKey, SecretKey, ""), Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Bucket creates a bucket and returns its blob store URL,
// s3://NAME?endpoint=http://HOST:PORT.
func (g *Gateway) Bucket(t testing.TB, name string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := g.Client(t).MakeBucket(ctx, name, minio.MakeBucketOptions{}); err != nil {
		var resp minio.ErrorResponse
		if !errors.As(err, &resp) || resp.Code != "BucketAlreadyOwnedByYou" {
			t.Fatalf("make bucket %s: %v", name, err)
		}
	}
	return "s3://" + name + "?endpoint=http://" + g.Endpoint
}

// Env returns the environment variables that give blob/s3's default
// credential chain the gateway's root keys, for child processes.
func Env() []string {
	return []string{"AWS_ACCESS_KEY_ID=" + AccessKey, "AWS_SECRET_ACCESS_KEY=" + SecretKey}
}
