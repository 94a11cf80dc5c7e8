package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"emergence/blob"
	"emergence/blob/s3/s3test"
	"emergence/client"
	"emergence/node"
	"emergence/node/genesis"
)

// TestTestnetBlobStore lays out a one-validator testnet with --blob-store on a real S3
// server (versitygw, its own process): the node's config names its own prefix of the
// bucket, the node started from that config alone (no flag) keeps a blob put through its
// API in the bucket under that prefix and not in its home, and a bad store is refused
// before anything is written.
func TestTestnetBlobStore(t *testing.T) {
	gw := s3test.Start(t)
	store := gw.Bucket(t, "testnet-blobs")
	spec := strings.Replace(store, "?", "/net?", 1) // s3://testnet-blobs/net?endpoint=...
	dir := t.TempDir()
	mustCLI(t, "testnet", "init", "--validators", "1", "--dir", dir, "--block-time", "100ms", "--blob-store", spec)
	var tn genesis.Testnet
	raw, err := os.ReadFile(filepath.Join(dir, "nodes.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &tn); err != nil {
		t.Fatal(err)
	}
	nd := tn.Nodes[0]
	s, err := node.LoadSettings(nd.Home)
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Replace(store, "?", "/net/node0?", 1); s.BlobStore != want {
		t.Fatalf("node0 blob_store %q, want %q", s.BlobStore, want)
	}

	// emergence start --home, no --blob-store: the store comes from the config.
	logf, err := os.Create(filepath.Join(nd.Home, "process.log"))
	if err != nil {
		t.Fatal(err)
	}
	p := &nodeProc{home: nd.Home, log: logf, cmd: newSelfCmd("start", "--home", nd.Home)}
	p.cmd.Env = append(p.cmd.Env, s3test.Env()...)
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		p.stop()
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("node0 output:\n%s", b)
		}
	}()
	waitHeight(t, client.New(nd.API), 2, 60*time.Second)

	data := bytes.Repeat([]byte("testnet blob over S3\n"), 1000)
	file := filepath.Join(t.TempDir(), "b.bin")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	hx := blob.FormatHash(sha256.Sum256(data))
	mustCLI(t, "blob", "put", file, "--from", "alice", "--home", dir, "--keyring-backend", "test", "--node", "http://"+nd.API)
	if b, err := os.ReadFile(filepath.Join(gw.Dir, "testnet-blobs", "net", "node0", hx[:2], hx)); err != nil || !bytes.Equal(b, data) {
		t.Fatalf("blob not under the node's prefix of the bucket: %v", err)
	}
	if _, err := os.Stat(filepath.Join(nd.Home, "blobs", hx[:2], hx)); err == nil {
		t.Fatal("blob also stored in the node's home")
	}

	// A bad store is refused with a hint, and no testnet is written.
	for _, bad := range []string{"ftp://x/y", "s3://?endpoint=127.0.0.1:1"} {
		other := t.TempDir()
		_, errs, err := runCLI(t, "testnet", "init", "--validators", "1", "--dir", other, "--blob-store", bad)
		if exitCode(err) != 2 || !strings.Contains(errs, "hint:") {
			t.Errorf("testnet init --blob-store %s: exit %d, stderr %q", bad, exitCode(err), errs)
		}
		if _, err := os.Stat(filepath.Join(other, "nodes.json")); err == nil {
			t.Errorf("testnet init --blob-store %s wrote a testnet", bad)
		}
	}
}
