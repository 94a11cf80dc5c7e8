package main

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"emergence/blob"
	"emergence/client"
	"emergence/data"
	"emergence/keys"
	"emergence/tx"
)

// TestPaidShardsNeedAPurchase drives the data market on a devnet to a
// priced dataset and checks the blob API's gate against the chain: the
// shard is refused (403 JSON, and blob get says to buy it) until the
// reader's purchase is committed, then served to the buyer (and the
// publisher) only. A
// cheater who re-lists the shard in her own cheap dataset and buys that,
// or in a free one, still gets nothing.
func TestPaidShardsNeedAPurchase(t *testing.T) {
	home := t.TempDir()
	api, stop := startDevnet(t, home)
	defer stop()
	common := []string{"--home", home, "--keyring-backend", "test", "--node", "http://" + api}
	cli := func(args ...string) string { t.Helper(); return mustCLI(t, append(args, common...)...) }
	c := client.New(api)
	kr, err := keys.Open(home, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	key := func(name string) ed25519.PrivateKey {
		k, err := kr.PrivKey(name)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	send := func(name, kind string, v any) {
		t.Helper()
		m, err := tx.NewMsg(kind, v)
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.SignAndBroadcast(ctx, key(name), client.TxOptions{GasAuto: true}, m)
		if err != nil || res.Code != 0 {
			t.Fatalf("%s %s: %+v %v", name, kind, res, err)
		}
	}

	// A crawl job crawled by bob and carol: one accepted page.
	cli("tx", "data", "register-crawler", "1emg", "--from", "bob")
	cli("tx", "data", "register-crawler", "1emg", "--from", "carol")
	cli("tx", "data", "create-crawl", "--seeds", "http://site.test/", "--hosts", "site.test", "--k", "2",
		"--price", "1000uemg", "--budget", "10000uemg", "--licence", "CC-BY-4.0", "--from", "alice")
	sum := func(s string) [32]byte { return sha256.Sum256([]byte(s)) }
	r := data.Receipt{Job: 1, URL: "http://site.test/", FinalURL: "http://site.test/", Status: 200, ContentType: "text/html",
		BodyHash: sum("body"), TextHash: sum("text"), WARC: sum("warc")}
	var reveals []func()
	for _, name := range []string{"bob", "carol"} {
		addr := tx.AddressFromPubKey(key(name).Public().(ed25519.PublicKey))
		ci, ri, err := data.Seal(r, 0, sum("salt "+name), addr)
		if err != nil {
			t.Fatal(err)
		}
		send(name, data.MsgCommitReceipts, data.CommitReceipts{Job: 1, Items: []data.CommitItem{ci}})
		reveals = append(reveals, func() { send(name, data.MsgRevealReceipts, data.RevealReceipts{Job: 1, Items: []data.RevealItem{ri}}) })
	}
	for _, f := range reveals {
		f()
	}
	var page struct {
		State string `json:"state"`
	}
	if err := c.Query(ctx, "data", "job/1/url/0", nil, &page); err != nil || page.State != data.StateAccepted {
		t.Fatalf("url 0: %+v %v", page, err)
	}

	// alice uploads the shard and sells the dataset.
	shard := []byte("id,url,text\n0,http://site.test/,text\n")
	file := filepath.Join(t.TempDir(), "shard-0.csv")
	if err := os.WriteFile(file, shard, 0o644); err != nil {
		t.Fatal(err)
	}
	hx := strings.TrimSpace(cli("blob", "put", file, "--from", "alice"))
	if hx != blob.FormatHash(sha256.Sum256(shard)) {
		t.Fatalf("blob put printed %q", hx)
	}
	root, manifest := blob.FormatHash(sum("root")), blob.FormatHash(sum("manifest"))
	cli("tx", "data", "publish", "--job", "1", "--name", "site", "--root", root, "--manifest", manifest,
		"--shards", hx, "--records", "1", "--price", "5emg", "--licence", "CC-BY-4.0", "--from", "alice")

	get := func(name string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", "http://"+api+"/v1/blobs/"+hx, nil)
		if name != "" {
			blob.SignRead(req, key(name), sha256.Sum256(shard), time.Now())
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, who := range []string{"", "bob", "carol"} {
		code, body := get(who)
		var e blob.ErrorBody
		if code != 403 || json.Unmarshal([]byte(body), &e) != nil || e.Code != blob.CodeNotBought || len(e.Datasets) != 1 || e.Datasets[0] != 1 {
			t.Fatalf("GET by %q before any purchase: %d %s", who, code, body)
		}
	}
	out := filepath.Join(t.TempDir(), "got.csv")
	_, errs, err := runCLI(t, append([]string{"blob", "get", hx, "--out", out, "--from", "bob"}, common...)...)
	if exitCode(err) != 2 || !strings.Contains(errs, "paid dataset 1") || !strings.Contains(errs, "hint: buy it first: emergence tx data buy 1") {
		t.Fatalf("blob get before buying: exit %d, stderr %q", exitCode(err), errs)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("refused blob get wrote --out")
	}

	// alice, the publisher, reads her dataset without buying it.
	if code, body := get("alice"); code != 200 || body != string(shard) {
		t.Fatalf("GET by the publisher: %d %s", code, body)
	}

	// bob buys; from the committed purchase on he reads the shard.
	cli("tx", "data", "buy", "1", "--from", "bob")
	cli("blob", "get", hx, "--out", out, "--from", "bob")
	if got, err := os.ReadFile(out); err != nil || string(got) != string(shard) {
		t.Fatalf("bob's shard: %q %v", got, err)
	}
	if code, _ := get("carol"); code != 403 {
		t.Fatalf("carol without a purchase: %d", code)
	}

	// carol re-lists the shard: a free dataset (2) does not make it
	// public; her own cheap dataset (3), bought by her, opens nothing.
	cli("tx", "data", "publish", "--job", "1", "--name", "free copy", "--root", root, "--manifest", manifest,
		"--shards", hx, "--records", "1", "--licence", "CC0", "--from", "carol")
	cli("tx", "data", "publish", "--job", "1", "--name", "cheap copy", "--root", root, "--manifest", manifest,
		"--shards", hx, "--records", "1", "--price", "1uemg", "--licence", "CC0", "--from", "carol")
	cli("tx", "data", "buy", "3", "--from", "carol")
	for _, who := range []string{"", "carol"} {
		if code, body := get(who); code != 403 || !strings.Contains(body, `"datasets":[1]`) {
			t.Fatalf("GET by %q after re-listing: %d %s", who, code, body)
		}
	}
	if code, body := get("bob"); code != 200 || body != string(shard) {
		t.Fatalf("bob after re-listing: %d %s", code, body)
	}
}
