package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"emergence/client"
)

// nofileEnv, in the environment of this binary run as the emergence command,
// sets its descriptor limit (soft and hard) before main runs, the way an
// operator's ulimit does.
const nofileEnv = "EMERGENCE_TEST_NOFILE"

func init() {
	if os.Getenv("EMERGENCE_RUN_MAIN") != "1" {
		return
	}
	if n, err := strconv.ParseUint(os.Getenv(nofileEnv), 10, 64); err == nil && n > 0 {
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: n, Max: n}); err != nil {
			fmt.Fprintf(os.Stderr, "set RLIMIT_NOFILE to %d: %v\n", n, err)
			os.Exit(1)
		}
	}
}

// The attack of issue 17.5: slow-body connections exhausted the node's file
// descriptors (320 of them against a limit of 300) and consensus stopped
// with "too many open files". Here a devnet process runs with a limit of
// 512 descriptors while 1,000 slow clients hold connections to its API: the
// chain keeps committing, and the API answers again once they stop.
func TestChainCommitsWhileSlowClientsHoldTheAPI(t *testing.T) {
	const (
		limit   = 512
		clients = 1000
	)
	home := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	logf, err := os.Create(filepath.Join(home, "process.log"))
	if err != nil {
		t.Fatal(err)
	}
	p := &nodeProc{home: home, log: logf}
	p.cmd = newSelfCmd("devnet", "--home", home, "--api", addr, "--block-time", "100ms")
	p.cmd.Env = append(p.cmd.Env, nofileEnv+"="+strconv.Itoa(limit))
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if p.cmd.ProcessState == nil {
			p.stop()
		}
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(home, "process.log"))
			t.Logf("node output:\n%s", b)
			b, _ = os.ReadFile(filepath.Join(home, "logs", "cometbft.log"))
			if len(b) > 4000 {
				b = b[len(b)-4000:]
			}
			t.Logf("consensus log tail:\n%s", b)
		}
	}()
	c := client.New(addr)
	waitHeight(t, c, 2, 60*time.Second)

	// A stream opened before the attack reports the blocks committed during it.
	streamCtx, stopStream := context.WithCancel(context.Background())
	defer stopStream()
	blocks, err := c.Blocks(streamCtx)
	if err != nil {
		t.Fatal(err)
	}

	// Each slow client sends headers announcing a large body, then one byte
	// every half second; when the node drops it, it dials again. All stop
	// when the test is done, and after two minutes at the latest.
	attack, stopAttack := context.WithTimeout(context.Background(), 2*time.Minute)
	defer stopAttack()
	var dialed, holding atomic.Int64
	var wg sync.WaitGroup
	head := []byte("POST /v1/txs HTTP/1.1\r\nHost: node\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{")
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			first := true
			for attack.Err() == nil {
				conn, err := (&net.Dialer{}).DialContext(attack, "tcp", addr)
				if err != nil {
					return
				}
				if first {
					dialed.Add(1)
					first = false
				}
				holding.Add(1)
				slowBody(attack, conn, head)
				holding.Add(-1)
				conn.Close()
			}
		}()
	}
	deadline := time.After(60 * time.Second)
	var during int
	for dialed.Load() < clients {
		select {
		case <-blocks:
			during++
		case <-deadline:
			t.Fatalf("%d of %d slow clients connected within a minute; %d blocks meanwhile", dialed.Load(), clients, during)
		}
	}
	t.Logf("%d slow clients connected (%d holding a connection now)", dialed.Load(), holding.Load())
	var first, last int64
	for n := 0; n < 20; {
		select {
		case b, ok := <-blocks:
			if !ok {
				t.Fatal("the event stream closed during the attack")
			}
			if first == 0 {
				first = b.Height
			}
			last = b.Height
			n++
		case <-deadline:
			t.Fatalf("the chain committed %d blocks in a minute under the attack (heights %d..%d), want 20", n, first, last)
		}
	}
	fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", p.cmd.Process.Pid))
	t.Logf("committed heights %d..%d while %d slow clients held connections; the node had %d descriptors open (limit %d)", first, last, holding.Load(), len(fds), limit)
	stopAttack()
	wg.Wait()
	stopStream()

	// The API serves again.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := c.WaitHeight(ctx, last+1); err != nil {
		t.Fatalf("API after the attack: %v", err)
	}
	for _, f := range []string{"process.log", filepath.Join("logs", "cometbft.log")} {
		b, _ := os.ReadFile(filepath.Join(home, f))
		for _, bad := range []string{"CONSENSUS FAILURE", "too many open files"} {
			if bytes.Contains(b, []byte(bad)) {
				t.Errorf("%s contains %q", f, bad)
			}
		}
	}
}

// slowBody writes head, then a byte every half second, until the node drops
// the connection or ctx ends.
func slowBody(ctx context.Context, conn net.Conn, head []byte) {
	if _, err := conn.Write(head); err != nil {
		return
	}
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if _, err := conn.Write([]byte(" ")); err != nil {
				return
			}
		}
	}
}
