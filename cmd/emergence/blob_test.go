package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"emergence/blob"
	"emergence/blob/s3/s3test"
	"emergence/client"
)

// TestDevnetOnS3 runs a devnet process whose blobs live in a bucket of a
// real S3 server (versitygw, its own process), with the keys in the
// environment as an operator would set them: a blob put through the node's
// API lands in the bucket, comes back byte for byte through blob get, and
// bad --blob-store values are refused with hints.
func TestDevnetOnS3(t *testing.T) {
	gw := s3test.Start(t)
	store := gw.Bucket(t, "node-blobs")

	home := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	api := l.Addr().String()
	l.Close()
	logf, err := os.Create(filepath.Join(t.TempDir(), "devnet.log"))
	if err != nil {
		t.Fatal(err)
	}
	p := &nodeProc{home: home, log: logf}
	p.cmd = newSelfCmd("devnet", "--home", home, "--api", api, "--block-time", "100ms", "--blob-store", store)
	p.cmd.Env = append(p.cmd.Env, s3test.Env()...)
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		p.stop()
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("devnet output:\n%s", b)
		}
	}()
	waitHeight(t, client.New(api), 2, 60*time.Second)
	common := []string{"--home", home, "--keyring-backend", "test", "--node", "http://" + api}

	data := bytes.Repeat([]byte("shard rows over S3\n"), 5000)
	file := filepath.Join(t.TempDir(), "shard.bin")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(data)
	hx := blob.FormatHash(h)
	out := mustCLI(t, append([]string{"blob", "put", file, "--from", "alice", "--output", "json"}, common...)...)
	var put struct {
		Hash string `json:"hash"`
		Size int64  `json:"size"`
	}
	if err := json.Unmarshal([]byte(out), &put); err != nil || put.Hash != hx || put.Size != int64(len(data)) {
		t.Fatalf("blob put printed %q (%v), want hash %s size %d", out, err, hx, len(data))
	}
	// The bytes are in the bucket, under the blob's key, not in --home.
	onDisk, err := os.ReadFile(filepath.Join(gw.Dir, "node-blobs", hx[:2], hx))
	if err != nil || !bytes.Equal(onDisk, data) {
		t.Fatalf("blob not in the bucket's directory: %v", err)
	}
	if _, err := os.Stat(filepath.Join(home, "blobs", hx[:2], hx)); err == nil {
		t.Fatal("blob also stored in --home/blobs")
	}
	got := filepath.Join(t.TempDir(), "got.bin")
	mustCLI(t, append([]string{"blob", "get", hx, "--out", got}, common...)...)
	if b, err := os.ReadFile(got); err != nil || !bytes.Equal(b, data) {
		t.Fatalf("blob get wrote %d bytes (%v), want the %d put", len(b), err, len(data))
	}
	missing := blob.FormatHash(sha256.Sum256([]byte("never put")))
	if _, errs, err := runCLI(t, append([]string{"blob", "get", missing}, common...)...); exitCode(err) != 2 || !strings.Contains(errs, "blob not found") || !strings.Contains(errs, "hint:") {
		t.Errorf("get of a missing blob: exit %d, stderr %q", exitCode(err), errs)
	}

	// Bad --blob-store values: refused at start, with a hint.
	other := t.TempDir()
	mustCLI(t, "init", "--home", other)
	for _, tc := range []struct{ Store, Want string }{
		{"s3://no-such-bucket?endpoint=http://" + gw.Endpoint, "s3 bucket does not exist"},
		{"s3://node-blobs?endpoit=x", "unknown parameter"},
		{"gs://bucket", "unknown blob store"},
	} {
		_, errs, err := runCLI(t, "start", "--home", other, "--api", "127.0.0.1:0", "--blob-store", tc.Store)
		if exitCode(err) != 2 || !strings.Contains(errs, tc.Want) || !strings.Contains(errs, "hint:") {
			t.Errorf("start --blob-store %s: exit %d, stderr %q; want %q and a hint", tc.Store, exitCode(err), errs, tc.Want)
		}
	}
}
