package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"emergence/blob/local"
	"emergence/data/crawl"
)

// docRoots are the Debian manuals testdata/site/install-docs.sh installs, served as the
// local site: real documents, not generated pages.
var docRoots = []string{"/usr/share/doc/postgresql-doc-15/html", "/usr/share/doc/sqlite3"}

// warcOfRealPages fetches real documentation pages (plus one non-HTML file and one exact
// copy of a page) from a loopback server with the crawler's fetcher and writes their WARC
// records, gzipped, to one file.
func warcOfRealPages(t *testing.T, n int) string {
	t.Helper()
	root := docRoots[0]
	pages, _ := filepath.Glob(filepath.Join(root, "*.html"))
	if len(pages) < n {
		t.Fatalf("%d pages under %s, need %d: run testdata/site/install-docs.sh", len(pages), root, n)
	}
	pages = pages[:n]
	mux := http.NewServeMux()
	mux.Handle("/", http.FileServer(http.Dir(root)))
	mux.HandleFunc("/copy.html", func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, pages[0]) })
	mux.HandleFunc("/data.txt", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "not a page\n")
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	st, err := local.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(srv.URL, "http://")
	f := crawl.New(crawl.Config{Scope: crawl.Scope{Hosts: []string{host}}, Store: st, RatePerHost: 10000})
	path := filepath.Join(t.TempDir(), "crawl.warc.gz")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	var urls []string
	for _, p := range pages {
		urls = append(urls, srv.URL+"/"+filepath.Base(p))
	}
	urls = append(urls, srv.URL+"/copy.html", srv.URL+"/data.txt")
	for _, u := range urls {
		res, err := f.Fetch(context.Background(), u)
		if err != nil {
			t.Fatal(err)
		}
		if res.WARC == ([32]byte{}) {
			t.Fatalf("%s: no WARC record: %s %s", u, res.Reason, res.Detail)
		}
		rc, _, err := st.Get(context.Background(), res.WARC)
		if err != nil {
			t.Fatal(err)
		}
		zw := gzip.NewWriter(out) // one gzip member per record, as .warc.gz files are
		if _, err := io.Copy(zw, rc); err != nil {
			t.Fatal(err)
		}
		rc.Close()
		zw.Close()
	}
	return path
}

// TestDataClean runs emergence data clean over a WARC file of real pages: every HTML
// record is either kept or rejected with a reason, the planted copy is removed as a near
// duplicate, the non-HTML record is counted apart, and the printed counts add up.
func TestDataClean(t *testing.T) {
	warc := warcOfRealPages(t, 30)
	dir := t.TempDir()
	out := mustCLI(t, "data", "clean", "--in", warc, "--out", dir, "--languages", "en", "-o", "json")
	var rep cleanReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if rep.Records != 32 || rep.NonHTML != 1 {
		t.Fatalf("records %d non-HTML %d, want 32 and 1", rep.Records, rep.NonHTML)
	}
	total, kept := 0, 0
	for _, c := range rep.Counts {
		total += c.N
		if c.Filter == "kept" {
			kept = c.N
		}
	}
	if total != 31 {
		t.Fatalf("counts %v add to %d, want 31", rep.Counts, total)
	}
	lines := func(name string) []cleanDoc {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		var ds []cleanDoc
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<24)
		for sc.Scan() {
			var d cleanDoc
			if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
				t.Fatal(err)
			}
			ds = append(ds, d)
		}
		return ds
	}
	k, r := lines("kept.jsonl"), lines("rejected.jsonl")
	if len(k) != kept || len(r) != 31-kept || kept == 0 {
		t.Fatalf("kept.jsonl %d lines, rejected.jsonl %d, counts say kept %d", len(k), len(r), kept)
	}
	for _, d := range k {
		if d.Text == "" || d.Language != "en" || d.Filter != "" {
			t.Fatalf("kept line %+v", d)
		}
	}
	for _, d := range r {
		if d.Filter == "" || d.Rule == "" {
			t.Fatalf("rejected without a reason: %+v", d)
		}
	}
	// copy.html is the first page again: kept once at most, and if the first page was
	// kept the copy is a near duplicate.
	first, firstKept := warcFirstURL(t, warc), false
	for _, d := range k {
		if strings.HasSuffix(d.URL, "/copy.html") {
			t.Fatal("exact copy of a page kept")
		}
		firstKept = firstKept || d.URL == first
	}
	if firstKept {
		found := false
		for _, d := range r {
			found = found || (strings.HasSuffix(d.URL, "/copy.html") && d.Rule == "near_duplicate")
		}
		if !found {
			t.Fatal("copy of a kept page not rejected as near_duplicate")
		}
	}
	text := mustCLI(t, "data", "clean", "--in", warc, "--out", t.TempDir())
	for _, want := range []string{"32 records read, 1 not HTML", "gopher_quality", "minhash", "kept "} {
		if !strings.Contains(text, want) {
			t.Fatalf("text output lacks %q:\n%s", want, text)
		}
	}
	_, errs, err := runCLI(t, "data", "clean", "--in", filepath.Join(dir, "kept.jsonl"), "--out", t.TempDir())
	if err == nil || !strings.Contains(errs+err.Error(), "warc") {
		t.Fatalf("a JSON file as WARC: err %v, stderr %s", err, errs)
	}
	if _, _, err := runCLI(t, "data", "clean", "--out", dir); err == nil {
		t.Fatal("no --in accepted")
	}
}

func warcFirstURL(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	first := ""
	crawl.ReadWARC(f, func(r crawl.Response) error {
		if first == "" {
			first = r.URL
		}
		return nil
	})
	return first
}
