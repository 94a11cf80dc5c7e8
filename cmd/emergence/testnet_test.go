package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"emergence/bank"
	"emergence/client"
	"emergence/keys"
	"emergence/node/genesis"
	"emergence/tx"
)

// newSelfCmd runs this test binary as the emergence command (see TestMain).
func newSelfCmd(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "EMERGENCE_RUN_MAIN=1")
	return cmd
}

// nodeProc is one validator running as its own OS process.
type nodeProc struct {
	home string
	cmd  *exec.Cmd
	log  *os.File
}

func startProc(t *testing.T, home string) *nodeProc {
	t.Helper()
	logf, err := os.Create(filepath.Join(home, "process.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := newSelfCmd("start", "--home", home)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return &nodeProc{home: home, cmd: cmd, log: logf}
}

func (p *nodeProc) kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.cmd.Wait()
	p.log.Close()
}

func (p *nodeProc) stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
	p.log.Close()
}

func waitHeight(t *testing.T, c *client.Client, h int64, within time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	if err := c.WaitHeight(ctx, h); err != nil {
		t.Fatalf("%s: %v", c.Base(), err)
	}
}

func height(t *testing.T, c *client.Client) int64 {
	t.Helper()
	st, err := c.Status(context.Background())
	if err != nil {
		t.Fatalf("%s: %v", c.Base(), err)
	}
	return st.Height
}

// TestTestnetKillAndCatchUp runs a 4-validator loopback testnet as four OS
// processes, SIGKILLs one, checks the other three keep committing (with a
// transfer), restarts it, and checks it catches up and that all four agree
// on the app hash at a common height.
func TestTestnetKillAndCatchUp(t *testing.T) {
	dir := t.TempDir()
	mustCLI(t, "testnet", "init", "--validators", "4", "--dir", dir, "--block-time", "200ms")
	var tn genesis.Testnet
	raw, err := os.ReadFile(filepath.Join(dir, "nodes.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &tn); err != nil {
		t.Fatal(err)
	}
	if len(tn.Nodes) != 4 {
		t.Fatalf("nodes.json lists %d nodes", len(tn.Nodes))
	}
	seen := map[string]bool{}
	for _, n := range tn.Nodes {
		for _, a := range []string{n.API, n.RPC, n.P2P} {
			if seen[a] {
				t.Fatalf("address %s used twice", a)
			}
			seen[a] = true
		}
	}
	procs := make([]*nodeProc, 4)
	clients := make([]*client.Client, 4)
	for i, n := range tn.Nodes {
		procs[i] = startProc(t, n.Home)
		clients[i] = client.New(n.API)
	}
	defer func() {
		for _, p := range procs {
			if p != nil && p.cmd.ProcessState == nil {
				p.stop()
			}
		}
		if t.Failed() {
			for _, n := range tn.Nodes {
				if b, err := os.ReadFile(filepath.Join(n.Home, "process.log")); err == nil {
					t.Logf("%s log:\n%s", n.Name, b)
				}
			}
		}
	}()
	for _, c := range clients {
		waitHeight(t, c, 3, 90*time.Second)
	}

	kr, err := keys.Open(dir, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	alice, err := kr.PrivKey("alice")
	if err != nil {
		t.Fatal(err)
	}
	send := func(c *client.Client, amt uint64) int64 {
		t.Helper()
		m, _ := tx.NewMsg("bank/send", bank.SendMsg{To: mustAddr(t, tn.Keys["bob"]), Amount: amt})
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		res, err := c.SignAndBroadcast(ctx, alice, client.TxOptions{}, m)
		if err != nil || res.Code != 0 {
			t.Fatalf("transfer via %s: %+v %v", c.Base(), res, err)
		}
		return res.Height
	}
	send(clients[0], 1000)

	// Kill node3 hard; the other three (30 of 40 power > 2/3) keep going.
	procs[3].kill()
	h := height(t, clients[0])
	for _, c := range clients[:3] {
		waitHeight(t, c, h+5, 60*time.Second)
	}
	h2 := send(clients[1], 2000)

	// Restart node3: it replays and catches up.
	procs[3] = startProc(t, tn.Nodes[3].Home)
	// Catch up to (at least) the block holding the second transfer.
	target := max(height(t, clients[0]), h2)
	waitHeight(t, clients[3], target, 90*time.Second)

	// All four agree on the app hash at a common height.
	common := target
	for _, c := range clients {
		waitHeight(t, c, common, 30*time.Second)
	}
	var want string
	for i, c := range clients {
		b, err := c.Block(context.Background(), common)
		if err != nil {
			t.Fatalf("node%d block %d: %v", i, common, err)
		}
		if i == 0 {
			want = b.AppHash
		} else if b.AppHash != want {
			t.Fatalf("node%d app hash at %d is %s, node0 has %s", i, common, b.AppHash, want)
		}
	}
	acc, err := clients[3].Account(context.Background(), mustAddr(t, tn.Keys["bob"]))
	if err != nil || acc.Balance != genesis.DevFunds+3000 {
		t.Fatalf("bob on the restarted node: %+v %v", acc, err)
	}
	fmt.Fprintf(os.Stderr, "testnet: 4 validators agree on app hash %s at height %d\n", want, common)
}

func mustAddr(t *testing.T, s string) tx.Address {
	t.Helper()
	a, err := tx.ParseAddress(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
