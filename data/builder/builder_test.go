package builder_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"emergence/app/apptest"
	"emergence/bank"
	"emergence/blob"
	"emergence/blob/local"
	"emergence/data"
	"emergence/data/builder"
	"emergence/data/clean"
	"emergence/data/crawl"
	"emergence/data/crawler"
	"emergence/data/shard"
)

// chain reads the real data module's queries of an apptest chain, as a node serves them.
type chain struct{ c *apptest.Chain }

func (c chain) Query(_ context.Context, module, path string, params url.Values, out any) error {
	return c.c.Query(module+"/"+path, params, out)
}

// crawled is a job of three real pages crawled by two crawlers (k = 2) with real
// fetchers, their WARC records in a real local blob store.
type crawled struct {
	c      *apptest.Chain
	store  *local.Store
	dir    string
	bodies map[string][]byte // by URL
}

func crawlJob(t *testing.T) *crawled {
	t.Helper()
	pages := map[string][]byte{}
	for name, f := range map[string]string{"/a": "go_mem.html", "/b": "closure-example.html"} {
		b, err := os.ReadFile(filepath.Join("..", "clean", "testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		pages[name] = b
	}
	pages["/c"] = []byte("<html><body><p>" + strings.Repeat("A short page of plain prose, with a comma. ", 20) + "</p></body></html>")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(b)
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	st, err := local.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	b := bank.New()
	c := apptest.New(t, apptest.Genesis{Balances: map[string]uint64{"alice": 100_000_000, "c1": 10_000_000, "c2": 10_000_000}}, b, data.New(b))
	for _, n := range []string{"c1", "c2"} {
		c.MustOK(c.Deliver(c.Sign(n, c.Msg(data.MsgRegisterCrawler, data.RegisterCrawler{Stake: 1_000_000})))[0])
	}
	u, _ := url.Parse(srv.URL)
	c.MustOK(c.Deliver(c.SignWith("alice", 10_000_000, c.Msg(data.MsgCreateCrawl, data.CreateCrawl{
		Seeds: []string{srv.URL + "/a", srv.URL + "/b", srv.URL + "/c"}, Hosts: []string{u.Host}, MaxDepth: 0, MaxPages: 10, K: 2,
		PricePerPage: 1_000, Budget: 10_000, DeadlineBlocks: 100, CommitBlocks: 20, RevealBlocks: 20, Licence: "CC-BY-4.0"})))[0])
	var j data.Job
	if err := c.Query("data/job/1", nil, &j); err != nil {
		t.Fatal(err)
	}
	bodies := map[string][]byte{}
	for name, p := range pages {
		bodies[srv.URL+name] = p
	}
	for idx := uint64(0); idx < 3; idx++ {
		var p data.Page
		if err := c.Query(fmt.Sprintf("data/job/1/url/%d", idx), nil, &p); err != nil {
			t.Fatal(err)
		}
		var reveals []func()
		for _, a := range p.Crawlers {
			name := map[string]string{apptest.Addr("c1").String(): "c1", apptest.Addr("c2").String(): "c2"}[a.String()]
			f := crawl.New(crawl.Config{Scope: crawl.Scope{Hosts: j.Hosts}, Store: st, RatePerHost: 1000})
			res, err := f.Fetch(context.Background(), p.URL)
			if err != nil || res.Reason != crawl.ReasonOK {
				t.Fatalf("fetch %s: %v %s %s", p.URL, err, res.Reason, res.Detail)
			}
			r := crawler.Receipt(j, data.Assignment{Job: 1, Index: idx, URL: p.URL, Depth: p.Depth}, res)
			ci, ri, err := data.Seal(r, idx, sha256.Sum256([]byte(name+fmt.Sprint(idx))), a)
			if err != nil {
				t.Fatal(err)
			}
			c.MustOK(c.Deliver(c.SignWith(name, 10_000_000, c.Msg(data.MsgCommitReceipts, data.CommitReceipts{Job: 1, Items: []data.CommitItem{ci}})))[0])
			reveals = append(reveals, func() {
				c.MustOK(c.Deliver(c.SignWith(name, 10_000_000, c.Msg(data.MsgRevealReceipts, data.RevealReceipts{Job: 1, Items: []data.RevealItem{ri}})))[0])
			})
		}
		for _, rv := range reveals {
			rv()
		}
	}
	return &crawled{c: c, store: st, dir: dir, bodies: bodies}
}

func (cr *crawled) page(t *testing.T, idx uint64) data.Page {
	t.Helper()
	var p data.Page
	if err := cr.c.Query(fmt.Sprintf("data/job/1/url/%d", idx), nil, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRecordsAndDataset builds a job's records from its WARC records, as anyone can, and
// reads them back as a dataset: each record's text is the page's extracted text with the
// agreed hash, the build is the same twice, a WARC record that is missing or holds other
// text is passed over for another crawler's, a page with none is ErrNoText, and a dataset
// whose registered root is not its manifest's is refused.
func TestRecordsAndDataset(t *testing.T) {
	cr := crawlJob(t)
	ctx := context.Background()
	j, recs, err := builder.Records(ctx, chain{cr.c}, cr.store, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || j.Accepted != 3 {
		t.Fatalf("%d records, %d accepted, want 3", len(recs), j.Accepted)
	}
	for i, r := range recs {
		p := cr.page(t, uint64(i))
		if r.ID != builder.RecordID(1, uint64(i)) || r.URL != p.URL || r.Licence != "CC-BY-4.0" || len(r.Crawlers) != 2 {
			t.Fatalf("record %d: %+v", i, r)
		}
		if want := clean.PageText(cr.bodies[p.URL], p.URL); r.Text != want || want == "" {
			t.Fatalf("record %d text %.80q, want %.80q", i, r.Text, want)
		}
		if sum := sha256.Sum256([]byte(r.Text)); fmt.Sprintf("%x", sum) != p.TextHash || r.TextHash != p.TextHash {
			t.Fatalf("record %d text hash %s, agreed %s", i, r.TextHash, p.TextHash)
		}
		if r.WARCBlob != p.WARCs[0] || r.FetchedAt != p.Settled || r.Language == "" {
			t.Fatalf("record %d: WARC %s of %v, fetched %d settled %d, language %q", i, r.WARCBlob, p.WARCs, r.FetchedAt, p.Settled, r.Language)
		}
	}
	if _, again, err := builder.Records(ctx, chain{cr.c}, cr.store, 1); err != nil || !reflect.DeepEqual(again, recs) {
		t.Fatalf("second build differs: %v", err)
	}

	// The dataset read protocol: published shards come back checked against the root.
	ds, err := shard.Build(recs, 1, "CC-BY-4.0", 2)
	if err != nil {
		t.Fatal(err)
	}
	put := func(b []byte) string {
		h := sha256.Sum256(b)
		if err := cr.store.Put(ctx, h, bytes.NewReader(b)); err != nil {
			t.Fatal(err)
		}
		return blob.FormatHash(h)
	}
	var shards []string
	for _, s := range ds.Shards {
		shards = append(shards, put(s))
	}
	mb, _ := json.Marshal(ds.Manifest)
	manifest := put(mb)
	publish := func(root string) {
		cr.c.MustOK(cr.c.Deliver(cr.c.SignWith("alice", 10_000_000, cr.c.Msg(data.MsgPublish, data.Publish{
			Job: 1, Name: "three pages", Root: root, Manifest: manifest, Shards: shards, Records: 3, Licence: "CC-BY-4.0"})))[0])
	}
	publish(ds.Manifest.Root)
	d, got, err := builder.Dataset(ctx, chain{cr.c}, cr.store, 1)
	if err != nil || d.ID != 1 || !reflect.DeepEqual(got, recs) {
		t.Fatalf("dataset 1: %v, %d records", err, len(got))
	}
	publish(strings.Repeat("ab", 32))
	if _, _, err := builder.Dataset(ctx, chain{cr.c}, cr.store, 2); !errors.Is(err, shard.ErrRootMismatch) {
		t.Fatalf("dataset with another root than its manifest's: %v", err)
	}

	// Page 0's first WARC record gone: the other crawler's serves. Then it holds another
	// page's response: passed over. Then both gone: ErrNoText.
	p := cr.page(t, 0)
	path := func(hx string) string { return filepath.Join(cr.dir, hx[:2], hx) }
	if _, err := os.Stat(path(p.WARCs[0])); err != nil {
		t.Fatalf("WARC record not where the local store keeps it: %v", err)
	}
	os.Remove(path(p.WARCs[0]))
	if _, rs, err := builder.Records(ctx, chain{cr.c}, cr.store, 1); err != nil || rs[0].WARCBlob != p.WARCs[1] || rs[0].Text != recs[0].Text {
		t.Fatalf("with one WARC record missing: %v", err)
	}
	other, _ := os.ReadFile(path(cr.page(t, 2).WARCs[0]))
	os.WriteFile(path(p.WARCs[0]), other, 0o644) // not its hash: the store or the text check refuses it
	os.Remove(path(p.WARCs[1]))
	if _, _, err := builder.Records(ctx, chain{cr.c}, cr.store, 1); !errors.Is(err, builder.ErrNoText) {
		t.Fatalf("no WARC record with the agreed text: %v", err)
	}
}
