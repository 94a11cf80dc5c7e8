package api_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"emergence/api"
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
	req, err := http.NewRequest(method, n.Client.Base()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
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
