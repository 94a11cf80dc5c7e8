package crawl_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"emergence/data/crawl"
)

// chainSite serves /p/0 … /p/(n-1), each linking to the next two pages and
// to one off-site page.
func chainSite(t *testing.T, n int) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		i, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/p/"))
		if err != nil || i < 0 || i >= n {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<p>page %d</p><a href="/p/%d">next</a> <a href="%d">skip</a> <a href="http://off.example/">off</a>`, i, i+1, i+2)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestWalkDepthAndCap(t *testing.T) {
	srv := chainSite(t, 100)
	u, _ := url.Parse(srv.URL)
	for _, tc := range []struct {
		Name            string
		Depth, MaxPages int
		Want            int
	}{
		{"seeds only", 0, 0, 1},
		{"depth 1", 1, 0, 3},
		{"depth 3", 3, 0, 7},
		{"capped", 3, 4, 4},
	} {
		t.Run(tc.Name, func(t *testing.T) {
			f := crawl.New(crawl.Config{Scope: crawl.Scope{Hosts: []string{u.Host}, MaxDepth: tc.Depth}, RatePerHost: 1000})
			var got []string
			err := f.Walk(context.Background(), []string{srv.URL + "/p/0", srv.URL + "/p/0#dup"}, tc.MaxPages, func(depth int, r crawl.Result) error {
				if r.Reason != crawl.ReasonOK {
					t.Errorf("%s: %s %s", r.URL, r.Reason, r.Detail)
				}
				if depth > tc.Depth {
					t.Errorf("%s at depth %d > %d", r.URL, depth, tc.Depth)
				}
				got = append(got, r.URL)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tc.Want {
				t.Fatalf("fetched %d pages %v, want %d", len(got), got, tc.Want)
			}
			for _, g := range got {
				if strings.Contains(g, "off.example") {
					t.Fatalf("fetched off-site %s", g)
				}
			}
		})
	}
}
