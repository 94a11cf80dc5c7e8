package main

import (
	"context"
	"crypto/ed25519"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"emergence/bank"
	"emergence/client"
	"emergence/keys"
	"emergence/tx"
)

// TestKillUnderLoad SIGKILLs a devnet process while transfers stream in,
// twice, and checks after each restart that every transaction the node
// reported committed is still there at the same height, that every block's
// app hash is unchanged, and that the recipient's balance equals the
// number of committed transfers (no block lost, none applied twice).
func TestKillUnderLoad(t *testing.T) {
	home := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	api := l.Addr().String()
	l.Close()
	start := func() *nodeProc {
		logf, err := os.OpenFile(filepath.Join(home, "process.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		p := &nodeProc{home: home, log: logf}
		p.cmd = newSelfCmd("devnet", "--home", home, "--api", api, "--block-time", "50ms")
		p.cmd.Stdout, p.cmd.Stderr = logf, logf
		if err := p.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return p
	}
	p := start()
	defer func() {
		if p.cmd.ProcessState == nil {
			p.stop()
		}
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(home, "process.log"))
			t.Logf("node output:\n%s", b)
			b, _ = os.ReadFile(filepath.Join(home, "logs", "cometbft.log"))
			if len(b) > 6000 {
				b = b[len(b)-6000:]
			}
			t.Logf("consensus log tail:\n%s", b)
		}
	}()
	c := client.New(api)
	waitHeight(t, c, 2, 60*time.Second)
	kr, err := keys.Open(home, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	alice, err := kr.PrivKey("alice")
	if err != nil {
		t.Fatal(err)
	}
	sink := tx.AddressFromPubKey(ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey))
	st, _ := c.Status(context.Background())

	committed := map[string]int64{} // tx hash -> height reported by the node
	appHashes := map[int64]string{}
	var nonce uint64
	for round := 0; round < 2; round++ {
		// Stream transfers; kill the node while they are in flight.
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		var hashes []string
		for i := 0; i < 120; i++ {
			n := nonce
			m, _ := tx.NewMsg("bank/send", bank.SendMsg{To: sink, Amount: 1})
			raw, err := c.BuildTx(ctx, alice, client.TxOptions{Nonce: &n, GasLimit: 20_000}, m)
			if err != nil {
				t.Fatal(err)
			}
			r, err := c.BroadcastSync(ctx, raw)
			if err != nil || r.Code != 0 {
				t.Fatalf("submit %d: %+v %v", n, r, err)
			}
			nonce++
			hashes = append(hashes, r.Hash)
			if i == 59 {
				// Make sure part of the stream is committed before the crash.
				waitTx(t, c, hashes[29])
			}
			if i == 90 {
				p.kill()
				break
			}
		}
		cancel()
		p = start()
		waitHeight(t, c, 1, 60*time.Second)
		// What survived is a prefix of the stream (nonces are sequential):
		// take the node's word for it, then resubmit nothing.
		for _, h := range hashes {
			r, err := c.Tx(context.Background(), h)
			if err == nil {
				if r.Code != 0 {
					t.Fatalf("tx %s failed after restart: %+v", h, r)
				}
				committed[h] = r.Height
			}
		}
		acc, err := c.Account(context.Background(), tx.AddressFromPubKey(alice.Public().(ed25519.PublicKey)))
		if err != nil {
			t.Fatal(err)
		}
		nonce = acc.Nonce
		for h, height := range committed {
			r, err := c.Tx(context.Background(), h)
			if err != nil || r.Height != height {
				t.Fatalf("round %d: tx %s was at height %d, now %+v %v", round, h, height, r, err)
			}
		}
		latest, err := c.Status(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for h := st.Height; h <= latest.Height; h++ {
			b, err := c.Block(context.Background(), h)
			if err != nil {
				continue // the newest block's app hash may not be indexed yet
			}
			if old, ok := appHashes[h]; ok && old != b.AppHash {
				t.Fatalf("app hash of block %d changed across a crash: %s -> %s", h, old, b.AppHash)
			}
			appHashes[h] = b.AppHash
		}
		bal, err := c.Account(context.Background(), sink)
		if err != nil && !isNotFound(err) {
			t.Fatal(err)
		}
		if bal.Balance != uint64(len(committed)) {
			t.Fatalf("round %d: sink holds %d, but %d transfers committed", round, bal.Balance, len(committed))
		}
		if nonce != uint64(len(committed)) {
			t.Fatalf("round %d: alice's nonce %d, but %d transfers committed", round, nonce, len(committed))
		}
		t.Logf("round %d: %d transfers committed in total, chain at height %d", round, len(committed), latest.Height)
	}
}

func waitTx(t *testing.T, c *client.Client, hash string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := c.AwaitTx(ctx, hash); err != nil {
		t.Fatalf("tx %s not committed: %v", hash, err)
	}
}
