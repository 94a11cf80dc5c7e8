package crawl_test

import (
	"context"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"emergence/blob/local"
	"emergence/data/crawl"
)

// realPages returns the HTML documents installed on this machine: the Go
// distribution's own docs and Debian's /usr/share/doc.
func realPages(tb testing.TB) [][]byte {
	tb.Helper()
	var pages [][]byte
	for _, root := range []string{filepath.Join(runtime.GOROOT(), "doc"), "/usr/share/doc"} {
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".html") {
				return nil
			}
			if b, err := os.ReadFile(p); err == nil && len(b) < 4<<20 {
				pages = append(pages, b)
			}
			return nil
		})
	}
	if len(pages) == 0 {
		tb.Fatal("no HTML documents under GOROOT/doc or /usr/share/doc")
	}
	return pages
}

// BenchmarkFetchRealPages fetches real HTML documents from a loopback server,
// extracting text and links and storing each as a WARC record in a local
// blob store, and reports pages/s for one sequential fetcher.
func BenchmarkFetchRealPages(b *testing.B) {
	pages := realPages(b)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/p/"))
		if err != nil || i < 0 || i >= len(pages) {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(pages[i])
	}))
	defer srv.Close()
	st, err := local.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	u, _ := url.Parse(srv.URL)
	f := crawl.New(crawl.Config{Scope: crawl.Scope{Hosts: []string{u.Host}}, Store: st, RatePerHost: 1e9})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := f.Fetch(context.Background(), srv.URL+"/p/"+strconv.Itoa(i%len(pages)))
		if err != nil {
			b.Fatal(err)
		}
		if res.Reason != crawl.ReasonOK {
			b.Fatalf("%s: %s %s", res.URL, res.Reason, res.Detail)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
	b.ReportMetric(float64(len(pages)), "distinct-pages")
}
