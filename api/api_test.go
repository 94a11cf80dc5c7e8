package api_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"emergence/api"
	"emergence/app"
	"emergence/bank"
	"emergence/blob"
	"emergence/client"
	"emergence/node/nodetest"
	"emergence/tx"
)

func startNet(t *testing.T) *nodetest.Net {
	return nodetest.Start(t, nodetest.Options{})
}

// call sends a request and decodes the JSON error body, failing the test
// unless the status is want and the body is JSON.
func call(t *testing.T, n *nodetest.Net, method, path, body string, want int) api.ErrorBody {
	t.Helper()
	return callType(t, n, method, path, "", body, want)
}

// callType is call with a Content-Type ("" for none).
func callType(t *testing.T, n *nodetest.Net, method, path, contentType, body string, want int) api.ErrorBody {
	t.Helper()
	req, err := http.NewRequest(method, n.Client.Base()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var eb api.ErrorBody
	if resp.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d", method, path, resp.StatusCode, want)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("%s %s: Content-Type %q, want JSON", method, path, ct)
	}
	if err := json.NewDecoder(resp.Body).Decode(&eb); err != nil || eb.Error == "" || eb.Code == "" {
		t.Fatalf("%s %s: error body %+v (%v), want {error, code}", method, path, eb, err)
	}
	return eb
}

func TestBroadcastBodyIsDecodedStrictly(t *testing.T) {
	n := startNet(t)
	tx := base64.StdEncoding.EncodeToString([]byte("not a tx but base64"))
	for name, body := range map[string]string{
		"duplicate key":    `{"tx":"` + tx + `","tx":"` + tx + `"}`,
		"trailing garbage": `{"tx":"` + tx + `"} {"tx":"x"}`,
		"trailing junk":    `{"tx":"` + tx + `"}x`,
		"unknown field":    `{"tx":"` + tx + `","fee":1}`,
	} {
		if eb := call(t, n, "POST", "/v1/txs?mode=sync", body, http.StatusBadRequest); eb.Code != "bad_json" {
			t.Errorf("%s: code %q, want bad_json", name, eb.Code)
		}
	}
}

func TestNotFoundIs404AndEveryErrorIsJSON(t *testing.T) {
	n := startNet(t)
	if eb := call(t, n, "GET", "/v1/query/label/job/999", "", http.StatusNotFound); eb.Code != "not_found" || !strings.Contains(eb.Error, "job not found") {
		t.Errorf("missing job: %+v", eb)
	}
	call(t, n, "GET", "/v1/query/label/job/x", "", http.StatusBadRequest)
	call(t, n, "GET", "/v1/query/nomodule/x", "", http.StatusNotFound)
	call(t, n, "GET", "/v1/nowhere", "", http.StatusNotFound)
	if eb := call(t, n, "POST", "/v1/status", "", http.StatusMethodNotAllowed); eb.Code != "method_not_allowed" {
		t.Errorf("POST /v1/status: %+v", eb)
	}
	hash := strings.Repeat("ab", 32)
	if eb := call(t, n, "DELETE", "/v1/blobs/"+hash, "", http.StatusMethodNotAllowed); eb.Code != "method_not_allowed" {
		t.Errorf("DELETE blob: %+v", eb)
	}
	call(t, n, "GET", "/v1/blobs/"+hash, "", http.StatusNotFound)
}

// Blob uploads through a real node: signed by an account with funds on
// chain, or refused.
func TestBlobUploadsNeedAFundedAccount(t *testing.T) {
	n := startNet(t)
	ctx := context.Background()
	data := []byte("a page body")
	sum := sha256.Sum256(data)
	h := hex.EncodeToString(sum[:])
	if err := n.Client.PutBlob(ctx, h, data); !errors.Is(err, client.ErrNoBlobKey) {
		t.Fatalf("unsigned: %v", err)
	}
	_, pauper, _ := ed25519.GenerateKey(nil)
	var ae *client.APIError
	if err := n.Client.SignBlobsWith(pauper).PutBlob(ctx, h, data); !errors.As(err, &ae) || ae.Status != http.StatusForbidden || ae.Code != blob.CodeForbidden {
		t.Fatalf("unfunded account: %v, want 403 forbidden", err)
	}
	if err := n.Client.SignBlobsWith(n.Key("alice")).PutBlob(ctx, h, data); err != nil {
		t.Fatalf("funded account: %v", err)
	}
	if got, err := n.Client.GetBlob(ctx, h); err != nil || string(got) != string(data) {
		t.Fatalf("blob back: %q %v", got, err)
	}
}

// POST /v1/simulate through a real node: the client's GasAuto signs with the
// simulated gas × 1.3, which the block then charges no more than.
func TestSimulateSetsTheGasLimit(t *testing.T) {
	n := startNet(t)
	ctx := context.Background()
	m, err := tx.NewMsg("bank/send", bank.SendMsg{To: n.Addr("bob"), Amount: 7})
	if err != nil {
		t.Fatal(err)
	}
	res, err := n.Client.SignAndBroadcast(ctx, n.Key("alice"), client.TxOptions{GasAuto: true}, m)
	if err != nil || res.Code != 0 {
		t.Fatalf("broadcast: %+v %v", res, err)
	}
	if res.GasUsed == 0 || res.GasWanted < res.GasUsed || res.GasWanted > (res.GasUsed*client.GasAdjustment+9)/10+100 || res.GasWanted >= client.DefaultGasLimit {
		t.Fatalf("gas wanted %d, used %d: want about used × 1.3", res.GasWanted, res.GasUsed)
	}
	// A simulation keeps nothing: the nonce it used is still free.
	raw, err := n.Client.BuildTx(ctx, n.Key("alice"), client.TxOptions{}, m)
	if err != nil {
		t.Fatal(err)
	}
	sim, err := n.Client.Simulate(ctx, raw)
	if err != nil || sim.Code != 0 || sim.GasUsed == 0 {
		t.Fatalf("simulate: %+v %v", sim, err)
	}
	if res, err := n.Client.Broadcast(ctx, raw); err != nil || res.Code != 0 || res.GasUsed != sim.GasUsed {
		t.Fatalf("the simulated tx: %+v %v, simulated gas %d", res, err, sim.GasUsed)
	}
	call(t, n, "POST", "/v1/simulate", `{"tx":"AAAA","tx":"AAAA"}`, http.StatusBadRequest)
}

// POST /v1/txs/batch through a real node: each tx of a well-formed batch
// gets its own result, in order, whatever the others' fate.
func TestBatchAnswersEveryTxInOrder(t *testing.T) {
	n := startNet(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	send := func(from string, nonce uint64) []byte {
		t.Helper()
		m, err := tx.NewMsg("bank/send", bank.SendMsg{To: n.Addr("carol"), Amount: 5})
		if err != nil {
			t.Fatal(err)
		}
		raw, err := n.Client.BuildTx(ctx, n.Key(from), client.TxOptions{Nonce: &nonce}, m)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	a0, a1, b9 := send("alice", 0), send("alice", 1), send("bob", 9)
	batch := [][]byte{a0, []byte("not a transaction"), a1, b9, a0}
	rs, err := n.Client.BroadcastBatch(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != len(batch) {
		t.Fatalf("%d results for %d txs", len(rs), len(batch))
	}
	for i, r := range rs {
		if r.Hash != tx.HashHex(batch[i]) {
			t.Errorf("result %d is for %s, want %s", i, r.Hash, tx.HashHex(batch[i]))
		}
	}
	if !rs[0].Accepted() || !rs[2].Accepted() {
		t.Errorf("alice's two transfers: %+v, %+v", rs[0], rs[2])
	}
	if rs[1].Accepted() || rs[1].Code == 0 || rs[1].Codespace == "" || rs[1].Error != nil {
		t.Errorf("undecodable tx: %+v, want a result code", rs[1])
	}
	if rs[3].Code != app.CodeNonceTooHigh.Num || rs[3].Codespace != app.CodeNonceTooHigh.Space {
		t.Errorf("bob's nonce 9: %+v, want %v", rs[3], app.CodeNonceTooHigh)
	}
	if rs[4].Accepted() || rs[4].Error == nil || rs[4].Error.Code != "duplicate_tx" {
		t.Errorf("alice's first transfer again: %+v, want duplicate_tx", rs[4])
	}
	for _, i := range []int{0, 2} {
		if r, err := n.Client.AwaitTx(ctx, rs[i].Hash); err != nil || r.Code != 0 {
			t.Fatalf("tx %d: %+v %v", i, r, err)
		}
	}
	if acc, err := n.Client.Account(ctx, n.Addr("bob")); err != nil || acc.Nonce != 0 {
		t.Fatalf("bob %+v %v: want nonce 0", acc, err)
	}
	n.CheckInvariants()
}

// A malformed or oversized batch is a 4xx JSON error and submits none of
// its txs, not even the good ones.
func TestBadBatchesSubmitNothing(t *testing.T) {
	n := startNet(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	m, err := tx.NewMsg("bank/send", bank.SendMsg{To: n.Addr("bob"), Amount: 5})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := n.Client.BuildTx(ctx, n.Key("alice"), client.TxOptions{}, m)
	if err != nil {
		t.Fatal(err)
	}
	good := `"` + base64.StdEncoding.EncodeToString(raw) + `"`
	many := strings.Repeat(good+",", api.MaxBatchTxs) + good
	huge := `"` + base64.StdEncoding.EncodeToString(make([]byte, 3<<20)) + `"`
	for _, c := range []struct {
		name, body string
		status     int
		code       string
	}{
		{"duplicate key", `{"txs":[` + good + `],"txs":[` + good + `]}`, http.StatusBadRequest, "bad_json"},
		{"trailing data", `{"txs":[` + good + `]} {}`, http.StatusBadRequest, "bad_json"},
		{"unknown field", `{"txs":[` + good + `],"mode":"sync"}`, http.StatusBadRequest, "bad_json"},
		{"not a list", `{"txs":` + good + `}`, http.StatusBadRequest, "bad_json"},
		{"no txs", `{"txs":[]}`, http.StatusBadRequest, "bad_batch"},
		{"missing txs", `{}`, http.StatusBadRequest, "bad_batch"},
		{"too many txs", `{"txs":[` + many + `]}`, http.StatusBadRequest, "bad_batch"},
		{"bad base64", `{"txs":[` + good + `,"%%%"]}`, http.StatusBadRequest, "bad_tx"},
		{"empty tx", `{"txs":[` + good + `,""]}`, http.StatusBadRequest, "bad_tx"},
		{"too large", `{"txs":[` + good + `,` + huge + `]}`, http.StatusRequestEntityTooLarge, "too_large"},
	} {
		if eb := call(t, n, "POST", "/v1/txs/batch", c.body, c.status); eb.Code != c.code {
			t.Errorf("%s: %+v, want code %s", c.name, eb, c.code)
		}
	}
	// The binary body: the same refusals, as bad_batch.
	bin := api.EncodeBatch([][]byte{raw})
	for _, c := range []struct {
		name string
		body []byte
	}{
		{"empty body", nil},
		{"empty tx", append(bytes.Clone(bin), 0)},
		{"length past the end", append(bytes.Clone(bin), 200, 1, 'x')},
		{"malformed length", append(bytes.Clone(bin), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)},
		{"too many txs", api.EncodeBatch(slices.Repeat([][]byte{raw}, api.MaxBatchTxs+1))},
	} {
		if eb := callType(t, n, "POST", "/v1/txs/batch", api.BatchContentType, string(c.body), http.StatusBadRequest); eb.Code != "bad_batch" {
			t.Errorf("binary %s: %+v, want code bad_batch", c.name, eb)
		}
	}
	// None of them reached the mempool: the tx is new to the node.
	r, err := n.Client.BroadcastSync(ctx, raw)
	if err != nil || r.Code != 0 {
		t.Fatalf("the good tx afterwards: %+v %v, want it taken as new", r, err)
	}
	if res, err := n.Client.AwaitTx(ctx, r.Hash); err != nil || res.Code != 0 {
		t.Fatalf("commit: %+v %v", res, err)
	}
	if acc, err := n.Client.Account(ctx, n.Addr("alice")); err != nil || acc.Nonce != 1 {
		t.Fatalf("alice %+v %v: want nonce 1 (one transfer)", acc, err)
	}
	n.CheckInvariants()
}

func TestBlockListAndTxBody(t *testing.T) {
	n := startNet(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	m, _ := tx.NewMsg("bank/send", bank.SendMsg{To: n.Addr("bob"), Amount: 5})
	res, err := n.Client.SignAndBroadcast(ctx, n.Key("alice"), client.TxOptions{}, m)
	if err != nil || res.Code != 0 {
		t.Fatalf("send: %v %+v", err, res)
	}
	get := func(path string, v any) {
		t.Helper()
		resp, err := http.Get(n.Client.Base() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatal(err)
		}
	}
	var got api.TxResult
	get("/v1/txs/"+res.Hash, &got)
	if got.Body == nil || got.Body.Signer != n.Addr("alice") || len(got.Body.Msgs) != 1 || got.Body.Msgs[0].Type != "bank/send" {
		t.Fatalf("tx body %+v, want alice's bank/send", got.Body)
	}
	var list api.BlockList
	get(fmt.Sprintf("/v1/blocks?to=%d&limit=3", res.Height), &list)
	if len(list.Blocks) != min(3, int(res.Height)) || list.Blocks[0].Height != res.Height {
		t.Fatalf("blocks to %d: %d blocks from %d", res.Height, len(list.Blocks), list.Blocks[0].Height)
	}
	for i, b := range list.Blocks {
		if b.Height != res.Height-int64(i) {
			t.Errorf("block %d has height %d, want newest first", i, b.Height)
		}
	}
	if list.Blocks[0].NumTxs != 1 || list.Blocks[0].TxHashes[0] != res.Hash {
		t.Errorf("block %d: txs %v, want the send", res.Height, list.Blocks[0].TxHashes)
	}
	var bt api.BlockTxs
	get(fmt.Sprintf("/v1/blocks/%d/txs", res.Height), &bt)
	if bt.Total != 1 || len(bt.Txs) != 1 || bt.Txs[0].Hash != res.Hash || bt.Txs[0].Body == nil || bt.Txs[0].Body.Msgs[0].Type != "bank/send" {
		t.Fatalf("block %d txs %+v, want the send with its body", res.Height, bt)
	}
	get(fmt.Sprintf("/v1/blocks/%d/txs?offset=1", res.Height), &bt)
	if bt.Total != 1 || len(bt.Txs) != 0 {
		t.Errorf("offset past the end: %+v", bt)
	}
	for _, q := range []string{"offset=-1", "offset=x", "limit=0", "limit=101"} {
		call(t, n, "GET", fmt.Sprintf("/v1/blocks/%d/txs?%s", res.Height, q), "", http.StatusBadRequest)
	}
	call(t, n, "GET", "/v1/blocks/99999999/txs", "", http.StatusNotFound)
	call(t, n, "GET", "/v1/blocks/0/txs", "", http.StatusBadRequest)
	get("/v1/blocks?hash="+strings.ToLower(list.Blocks[0].Hash), &list)
	if len(list.Blocks) != 1 || list.Blocks[0].Height != res.Height {
		t.Errorf("block by hash: %+v, want block %d", list.Blocks, res.Height)
	}
	call(t, n, "GET", "/v1/blocks?hash="+strings.Repeat("00", 32), "", http.StatusNotFound)
	call(t, n, "GET", "/v1/blocks?hash=xyz", "", http.StatusBadRequest)
	get("/v1/blocks?to=1&limit=100", &list)
	if len(list.Blocks) != 1 || list.Blocks[0].Height != 1 {
		t.Errorf("blocks to 1: %+v", list.Blocks)
	}
	for _, q := range []string{"limit=0", "limit=101", "limit=x", "to=0", "to=-1", "to=x"} {
		call(t, n, "GET", "/v1/blocks?"+q, "", http.StatusBadRequest)
	}
}

func TestMountServesOutsideV1Only(t *testing.T) {
	n := startNet(t)
	n.API.Mount(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "app "+r.URL.Path) }))
	srv := httptest.NewServer(n.API.Handler())
	defer srv.Close()
	for path, want := range map[string]string{"/": "app /", "/block/3": "app /block/3", "/v1/nowhere": `"code":"not_found"`, "/v1": `"code":"not_found"`, "/v1/status": `"chain_id"`} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), want) {
			t.Errorf("GET %s: %q, want %q", path, b, want)
		}
	}
	resp, err := http.Post(srv.URL+"/", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /: %d, want the API's JSON 404 or 405", resp.StatusCode)
	}
}

func TestAccountHistoryNewestFirstAndPaged(t *testing.T) {
	n := startNet(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var hashes []string
	for i := 0; i < 3; i++ {
		m, _ := tx.NewMsg("bank/send", bank.SendMsg{To: n.Addr("bob"), Amount: uint64(i + 1)})
		res, err := n.Client.SignAndBroadcast(ctx, n.Key("alice"), client.TxOptions{}, m)
		if err != nil || res.Code != 0 {
			t.Fatalf("send: %v %+v", err, res)
		}
		hashes = append(hashes, res.Hash)
	}
	get := func(path string) api.AccountTxs {
		t.Helper()
		resp, err := http.Get(n.Client.Base() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out api.AccountTxs
		if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&out) != nil {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
		return out
	}
	bob := get("/v1/accounts/" + n.Addr("bob").String() + "/txs")
	if len(bob.Txs) != 3 || bob.Next != "" {
		t.Fatalf("bob's history %+v, want the 3 sends", bob)
	}
	for i, e := range bob.Txs {
		if want := hashes[2-i]; e.Hash != want || e.Role != "named" || len(e.Msgs) != 1 || e.Msgs[0] != "bank/send" || e.Code != 0 {
			t.Errorf("bob's entry %d: %+v, want send %s naming him, newest first", i, e, want)
		}
	}
	alice := get("/v1/accounts/" + n.Addr("alice").String() + "/txs?limit=2")
	if len(alice.Txs) != 2 || alice.Txs[0].Role != "signer" || alice.Txs[0].Hash != hashes[2] || alice.Next == "" {
		t.Fatalf("alice's first page %+v", alice)
	}
	rest := get("/v1/accounts/" + n.Addr("alice").String() + "/txs?limit=2&before=" + alice.Next)
	if len(rest.Txs) != 1 || rest.Txs[0].Hash != hashes[0] || rest.Next != "" {
		t.Fatalf("alice's second page %+v, want the first send only", rest)
	}
	if carol := get("/v1/accounts/" + n.Addr("carol").String() + "/txs"); len(carol.Txs) != 0 {
		t.Errorf("carol was in no tx: %+v", carol)
	}
	for _, q := range []string{"limit=0", "limit=101", "before=x", "before=0", "before=3.-1", "before=3.x"} {
		call(t, n, "GET", "/v1/accounts/"+n.Addr("bob").String()+"/txs?"+q, "", http.StatusBadRequest)
	}
	call(t, n, "GET", "/v1/accounts/emg1nope/txs", "", http.StatusBadRequest)
}
