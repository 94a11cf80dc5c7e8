package crawl_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/nlnwa/gowarc/v3"

	"emergence/blob/local"
	"emergence/data/crawl"
)

func site(t *testing.T) (*httptest.Server, *crawl.Fetcher, *local.Store) {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/robots.txt", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "User-agent: EmergenceCrawler\nDisallow: /private\n")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("User-Agent"); got != crawl.UserAgent {
			http.Error(w, "bad agent "+got, 400)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<html><head><title>t</title><script>x()</script></head><body><p>Hello,
  world</p><a href="/a#frag">a</a><a href="/a">again</a><a href="http://elsewhere.example/">out</a></body></html>`)
	})
	mux.HandleFunc("/private/x", func(w http.ResponseWriter, r *http.Request) { t.Error("robots-disallowed page fetched") })
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write(bytes.Repeat([]byte("a"), 2000))
	})
	mux.HandleFunc("/bomb", func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write(bytes.Repeat([]byte{0}, 256<<10))
		zw.Close()
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(b.Bytes())
	})
	mux.HandleFunc("/gz", func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		io.WriteString(zw, "<p>zipped page</p>")
		zw.Close()
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(b.Bytes())
	})
	mux.HandleFunc("/pdf", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/pdf")
		io.WriteString(w, "%PDF-1.4")
	})
	mux.HandleFunc("/out", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://elsewhere.example/x", http.StatusFound)
	})
	mux.HandleFunc("/in", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/gz", http.StatusFound) })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(200)
		io.WriteString(w, "<p>never")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	mux.HandleFunc("/gone", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "gone", http.StatusGone) })
	mux.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	st, err := local.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(srv.URL)
	f := crawl.New(crawl.Config{
		Scope:         crawl.Scope{Hosts: []string{u.Host}},
		Store:         st,
		MaxBody:       1000,
		MaxDecoded:    64 << 10,
		HeaderTimeout: 300 * time.Millisecond,
		TotalTimeout:  500 * time.Millisecond,
		RatePerHost:   1000,
	})
	return srv, f, st
}

func TestFetchReasons(t *testing.T) {
	srv, f, _ := site(t)
	for _, tc := range []struct {
		Name, Path string
		Want       crawl.Reason
	}{
		{"ok", "/", crawl.ReasonOK},
		{"gzip", "/gz", crawl.ReasonOK},
		{"redirect in scope", "/in", crawl.ReasonOK},
		{"robots", "/private/x", crawl.ReasonRobots},
		{"too large", "/big", crawl.ReasonTooLarge},
		{"gzip bomb", "/bomb", crawl.ReasonInflated},
		{"not html", "/pdf", crawl.ReasonContentType},
		{"redirect out of scope", "/out", crawl.ReasonRedirect},
		{"body never ends", "/slow", crawl.ReasonTimeout},
		{"headers never come", "/hang", crawl.ReasonTimeout},
		{"http error", "/gone", crawl.ReasonHTTPError},
	} {
		t.Run(tc.Name, func(t *testing.T) {
			res, err := f.Fetch(context.Background(), srv.URL+tc.Path)
			if err != nil {
				t.Fatal(err)
			}
			if res.Reason != tc.Want {
				t.Fatalf("reason %q (%s), want %q", res.Reason, res.Detail, tc.Want)
			}
			if tc.Want != crawl.ReasonOK && res.Detail == "" {
				t.Fatal("a skipped URL has no detail")
			}
		})
	}
	for _, raw := range []string{"::not a url", "ftp://x/y", "http://elsewhere.example/"} {
		res, err := f.Fetch(context.Background(), raw)
		if err != nil {
			t.Fatal(err)
		}
		if res.Reason != crawl.ReasonBadURL && res.Reason != crawl.ReasonOutOfScope {
			t.Fatalf("%s: reason %q", raw, res.Reason)
		}
	}
}

func TestFetchPageAndWARC(t *testing.T) {
	srv, f, st := site(t)
	res, err := f.Fetch(context.Background(), srv.URL+"/")
	if err != nil {
		t.Fatal(err)
	}
	// clean.PageText: the paragraph is one line and the anchors after it another; markup and
	// script are dropped.
	if res.Text != "Hello, world\naagainout" {
		t.Fatalf("text %q", res.Text)
	}
	if want := []string{srv.URL + "/a"}; strings.Join(res.Links, " ") != strings.Join(want, " ") {
		t.Fatalf("links %v, want %v", res.Links, want)
	}
	rc, _, err := st.Get(context.Background(), res.WARC)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	rec, _, validation, err := gowarc.NewUnmarshaler(gowarc.WithStrictValidation()).Unmarshal(bufio.NewReader(rc))
	if err != nil {
		t.Fatal(err)
	}
	if len(validation) > 0 {
		t.Fatalf("warc validation: %v", validation)
	}
	if got := rec.WarcHeader().Get(gowarc.WarcTargetURI); got != srv.URL+"/" {
		t.Fatalf("target uri %q", got)
	}
	if rec.Type() != gowarc.Response {
		t.Fatalf("type %v", rec.Type())
	}
}

func TestCrawlDelay(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/robots.txt", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "User-agent: *\nCrawl-delay: 0.2\n")
	})
	var times []time.Time
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		times = append(times, time.Now())
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<p>x</p>")
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	f := crawl.New(crawl.Config{Scope: crawl.Scope{Hosts: []string{u.Host}}, RatePerHost: 1000})
	start := time.Now()
	for i := 0; i < 3; i++ {
		if _, err := f.Fetch(context.Background(), srv.URL+"/"); err != nil {
			t.Fatal(err)
		}
	}
	// The limiter spaces its reservations by the crawl-delay (a late
	// wake-up does not push the schedule back), so the third request cannot
	// arrive sooner than two delays after the first reservation, which is
	// after start. Measured from the first arrival instead, a slow first
	// request (robots.txt, connection set-up) shortens the gap.
	if d := times[len(times)-1].Sub(start); d < 400*time.Millisecond {
		t.Fatalf("3 requests within %v, crawl-delay 200ms needs at least 400ms", d)
	}
}

func TestRobotsStatusRules(t *testing.T) {
	for _, tc := range []struct {
		Name   string
		Status int
		Want   crawl.Reason
	}{
		{"missing robots allows", http.StatusNotFound, crawl.ReasonOK},
		{"failing robots disallows", http.StatusInternalServerError, crawl.ReasonRobots},
	} {
		t.Run(tc.Name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/robots.txt" {
					w.WriteHeader(tc.Status)
					return
				}
				w.Header().Set("Content-Type", "text/html")
				io.WriteString(w, "<p>x</p>")
			}))
			defer srv.Close()
			u, _ := url.Parse(srv.URL)
			f := crawl.New(crawl.Config{Scope: crawl.Scope{Hosts: []string{u.Host}}, RatePerHost: 1000})
			res, err := f.Fetch(context.Background(), srv.URL+"/page")
			if err != nil {
				t.Fatal(err)
			}
			if res.Reason != tc.Want {
				t.Fatalf("reason %q (%s), want %q", res.Reason, res.Detail, tc.Want)
			}
		})
	}
}

// TestReadWARCRoundTrip reads back, plain and gzip-compressed, the WARC records the fetcher
// stored for a real page, and refuses a truncated file.
func TestReadWARCRoundTrip(t *testing.T) {
	srv, f, st := site(t)
	var file bytes.Buffer
	var want []string
	for _, p := range []string{"/", "/a"} {
		res, err := f.Fetch(context.Background(), srv.URL+p)
		if err != nil {
			t.Fatal(err)
		}
		if res.WARC == ([32]byte{}) {
			t.Fatalf("%s: no WARC record (%s)", p, res.Reason)
		}
		rc, _, err := st.Get(context.Background(), res.WARC)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(&file, rc)
		rc.Close()
		want = append(want, res.FinalURL)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(file.Bytes())
	zw.Close()
	for name, b := range map[string][]byte{"plain": file.Bytes(), "gzip": gz.Bytes()} {
		var got []string
		err := crawl.ReadWARC(bytes.NewReader(b), func(r crawl.Response) error {
			if r.Status != 200 || !strings.HasPrefix(r.ContentType, "text/html") || len(r.Body) == 0 {
				t.Errorf("%s: record %s: status %d type %q body %d bytes", name, r.URL, r.Status, r.ContentType, len(r.Body))
			}
			got = append(got, r.URL)
			return nil
		})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("%s: records %v, want %v", name, got, want)
		}
	}
	// A download cut inside the last record's body.
	if err := crawl.ReadWARC(bytes.NewReader(file.Bytes()[:file.Len()-40]), func(crawl.Response) error { return nil }); err == nil {
		t.Fatal("truncated WARC file read without error")
	}
}
