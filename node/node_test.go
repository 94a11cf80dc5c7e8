package node_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"emergence/app"
	"emergence/bank"
	"emergence/chain"
	"emergence/client"
	"emergence/node/nodetest"
	"emergence/tx"
)

func sendMsg(t *testing.T, to tx.Address, amt uint64) tx.Msg {
	t.Helper()
	m, err := tx.NewMsg("bank/send", bank.SendMsg{To: to, Amount: amt})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestNetwork drives a real single-validator node through the client:
// transfers, tx lookup, blocks, events, bad input over HTTP, and restart.
func TestNetwork(t *testing.T) {
	net := nodetest.Start(t, nodetest.Options{})
	ctx := ctxT(t)
	c := net.Client

	blocks, err := c.Blocks(ctx)
	if err != nil {
		t.Fatal(err)
	}

	res, err := c.SignAndBroadcast(ctx, net.Key("alice"), client.TxOptions{}, sendMsg(t, net.Addr("dave"), 1234))
	if err != nil {
		t.Fatal(err)
	}
	if res.Code != 0 || res.Height == 0 {
		t.Fatalf("transfer: %+v", res)
	}
	acc, err := c.Account(ctx, net.Addr("dave"))
	if err != nil || acc.Balance != 1234 {
		t.Fatalf("dave: %+v %v", acc, err)
	}
	got, err := c.Tx(ctx, res.Hash)
	if err != nil || got.Height != res.Height || got.Code != 0 {
		t.Fatalf("tx lookup: %+v %v", got, err)
	}
	blk, err := c.Block(ctx, res.Height)
	if err != nil {
		t.Fatal(err)
	}
	if blk.NumTxs != 1 || blk.TxHashes[0] != res.Hash || len(blk.AppHash) != 64 {
		t.Fatalf("block %+v", blk)
	}
	next, err := c.Block(ctx, res.Height+1)
	if err == nil && next.Header.AppHash != blk.AppHash {
		t.Fatalf("app hash after block %d is %s, header of %d says %s", res.Height, blk.AppHash, res.Height+1, next.Header.AppHash)
	}

	// The stream carries the block with the transfer.
	deadline := time.After(20 * time.Second)
	for seen := false; !seen; {
		select {
		case b := <-blocks:
			for _, r := range b.Txs {
				if r.Hash == res.Hash {
					seen = true
				}
			}
		case <-deadline:
			t.Fatal("event stream did not deliver the transfer's block")
		}
	}

	// A failing tx comes back with its code, and the node stays up.
	bad, err := c.SignAndBroadcast(ctx, net.Key("dave"), client.TxOptions{GasLimit: 100_000}, sendMsg(t, net.Addr("alice"), 1<<40))
	if err != nil {
		t.Fatal(err)
	}
	if bad.Code != bank.CodeInsufficientFunds.Num || bad.Codespace != "bank" {
		t.Fatalf("overspend: %+v", bad)
	}
	replay, err := c.Broadcast(ctx, mustBuild(t, c, net, "alice", 0))
	if err != nil {
		t.Fatal(err)
	}
	if replay.Code != app.CodeNonceTooLow.Num {
		t.Fatalf("replayed nonce: %+v", replay)
	}
	if _, err := c.Broadcast(ctx, []byte("garbage")); err != nil {
		t.Fatalf("garbage tx should get a result code, got error %v", err)
	}

	// HTTP-level bad input gets 4xx JSON.
	base := c.Base()
	for _, tc := range []struct {
		method, path, body string
		status             int
	}{
		{"GET", "/v1/accounts/notanaddress", "", 400},
		{"GET", "/v1/blocks/-1", "", 400},
		{"GET", "/v1/blocks/99999999", "", 404},
		{"GET", "/v1/txs/zz", "", 400},
		{"GET", "/v1/txs/" + strings.Repeat("00", 32), "", 404},
		{"POST", "/v1/txs", "{not json", 400},
		{"POST", "/v1/txs", `{"tx":"!!"}`, 400},
		{"POST", "/v1/txs?mode=fast", `{"tx":"AAAA"}`, 400},
		{"GET", "/v1/query/nosuchmodule/x", "", 404},
		{"GET", "/v1/query/bank/nosuchquery", "", 400},
		{"GET", "/v1/query/device/epoch/7", "", 404},
		{"GET", "/v1/query/device/dataset/7", "", 404},
		{"GET", "/v1/query/device/epoch/x", "", 400},
		{"GET", "/v1/nothing", "", 404},
		{"GET", "/v1/blobs/xyz", "", 400},
		{"GET", "/v1/events?detail=everything", "", 400},
	} {
		req, _ := http.NewRequest(tc.method, base+tc.path, strings.NewReader(tc.body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var eb struct{ Error, Code string }
		json.NewDecoder(resp.Body).Decode(&eb)
		resp.Body.Close()
		if resp.StatusCode != tc.status || eb.Error == "" {
			t.Errorf("%s %s: status %d body %+v, want %d with an error message", tc.method, tc.path, resp.StatusCode, eb, tc.status)
		}
	}

	// Blobs: upload, hash check, download.
	data := []byte("a page body")
	sum := sha256.Sum256(data)
	if err := c.PutBlob(ctx, hex.EncodeToString(sum[:]), data); !errors.Is(err, client.ErrNoBlobKey) {
		t.Fatalf("unsigned upload: %v, want ErrNoBlobKey", err)
	}
	if err := c.SignBlobsWith(net.Key("alice")).PutBlob(ctx, hex.EncodeToString(sum[:]), data); err != nil {
		t.Fatal(err)
	}
	if err := c.SignBlobsWith(net.Key("alice")).PutBlob(ctx, hex.EncodeToString(sum[:]), []byte("other bytes")); err == nil {
		t.Fatal("blob with the wrong hash was accepted")
	}
	back, err := c.GetBlob(ctx, hex.EncodeToString(sum[:]))
	if err != nil || !bytes.Equal(back, data) {
		t.Fatalf("blob back: %q %v", back, err)
	}

	// The code table lists the app's and every module's codes.
	resp, err := http.Get(base + "/v1/codes")
	if err != nil {
		t.Fatal(err)
	}
	var codes []struct {
		Codespace string `json:"codespace"`
		Code      uint32 `json:"code"`
	}
	json.NewDecoder(resp.Body).Decode(&codes)
	resp.Body.Close()
	want := len(app.Codes())
	for _, m := range chain.New().Modules() {
		want += len(m.Codes())
	}
	if len(codes) != want {
		t.Fatalf("/v1/codes lists %d codes, want %d", len(codes), want)
	}

	// Metrics.
	resp, err = http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(m, []byte("emergence_txs_committed_total")) || !bytes.Contains(m, []byte("cometbft_consensus_height")) {
		t.Fatal("/metrics lacks the app's or CometBFT's metrics")
	}
	net.CheckInvariants()

	// Restart: same height, app hash and balances; the chain continues.
	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	net.Restart()
	c = net.Client
	h, ah := net.Node.App().LastCommit()
	if h < st.Height {
		t.Fatalf("after restart height %d < %d", h, st.Height)
	}
	old, err := c.Block(ctx, st.Height)
	if err != nil || old.AppHash != st.AppHash {
		t.Fatalf("after restart block %d app hash %v, was %s (%v)", st.Height, old, st.AppHash, err)
	}
	_ = ah
	acc, err = c.Account(ctx, net.Addr("dave"))
	if err != nil || acc.Balance != 1234-client.MinFee(100_000) { // dave paid the fee of his failed tx
		t.Fatalf("dave after restart: %+v %v", acc, err)
	}
	res, err = c.SignAndBroadcast(ctx, net.Key("alice"), client.TxOptions{}, sendMsg(t, net.Addr("dave"), 1))
	if err != nil || res.Code != 0 || res.Height <= st.Height {
		t.Fatalf("transfer after restart: %+v %v", res, err)
	}
	net.CheckInvariants()
}

func mustBuild(t *testing.T, c *client.Client, net *nodetest.Net, from string, nonce uint64) []byte {
	t.Helper()
	raw, err := c.BuildTx(context.Background(), net.Key(from), client.TxOptions{Nonce: &nonce}, sendMsg(t, net.Addr("bob"), 1))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestManyTransfers submits a burst of transfers from several accounts
// without waiting, then checks every one committed exactly once.
func TestManyTransfers(t *testing.T) {
	net := nodetest.Start(t, nodetest.Options{ExtraKeys: []string{"s0", "s1", "s2", "s3"}})
	ctx := ctxT(t)
	c := net.Client
	const perAccount = 50
	var hashes []string
	for i := 0; i < 4; i++ {
		from := "s" + string(rune('0'+i))
		for n := uint64(0); n < perAccount; n++ {
			nonce := n
			raw, err := c.BuildTx(ctx, net.Key(from), client.TxOptions{Nonce: &nonce, GasLimit: 20_000}, sendMsg(t, net.Addr("sink"), 1))
			if err != nil {
				t.Fatal(err)
			}
			r, err := c.BroadcastSync(ctx, raw)
			if err != nil || r.Code != 0 {
				t.Fatalf("submit %s/%d: %+v %v", from, n, r, err)
			}
			hashes = append(hashes, r.Hash)
		}
	}
	for _, h := range hashes {
		r, err := c.AwaitTx(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		if r.Code != 0 {
			t.Fatalf("tx %s: %+v", h, r)
		}
	}
	acc, err := c.Account(ctx, net.Addr("sink"))
	if err != nil || acc.Balance != 4*perAccount {
		t.Fatalf("sink: %+v %v", acc, err)
	}
	net.CheckInvariants()
}

// TestRestartLeavesStderrQuiet: a normal restart replays the write-ahead
// logs of CometBFT's Pebble databases, and Pebble's default logger printed
// that ("[JOB 1] WAL ... stopped reading at offset") through Go's standard
// logger on every devnet restart, which reads like corruption. CometBFT's
// databases now log through the node's logger at debug level, as the
// app's store does, so nothing of Pebble's reaches the standard logger.
func TestRestartLeavesStderrQuiet(t *testing.T) {
	var buf syncBuffer
	log.SetOutput(&buf)
	t.Cleanup(func() { log.SetOutput(os.Stderr) })
	net := nodetest.Start(t, nodetest.Options{})
	ctx := ctxT(t)
	if err := net.Client.WaitHeight(ctx, 3); err != nil {
		t.Fatal(err)
	}
	net.Restart()
	if err := net.Client.WaitHeight(ctx, 5); err != nil {
		t.Fatal(err)
	}
	if s := buf.String(); strings.Contains(s, "WAL") || strings.Contains(s, "stopped reading") {
		t.Fatalf("Pebble's restart messages reached the standard logger:\n%s", s)
	}
}

// syncBuffer is a bytes.Buffer safe for the standard logger's writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
