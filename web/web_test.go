package web_test

import (
	"context"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"emergence/bank"
	"emergence/client"
	"emergence/node/nodetest"
	"emergence/tx"
	"emergence/web"
)

// serve mounts the web app on a real node's API, as cmd/emergence does,
// and serves both from a test server.
func serve(t *testing.T) (*nodetest.Net, string) {
	t.Helper()
	n := nodetest.Start(t, nodetest.Options{})
	n.API.Mount(web.Handler(n.API.Handler()))
	ts := httptest.NewServer(n.API.Handler())
	t.Cleanup(ts.Close)
	return n, ts.URL
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestPagesAnswerWithTheObjectsStatus(t *testing.T) {
	n, base := serve(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	m, _ := tx.NewMsg("bank/send", bank.SendMsg{To: n.Addr("bob"), Amount: 7})
	res, err := n.Client.SignAndBroadcast(ctx, n.Key("alice"), client.TxOptions{}, m)
	if err != nil || res.Code != 0 {
		t.Fatalf("send: %v %+v", err, res)
	}
	for _, c := range []struct {
		path   string
		status int
		body   string
	}{
		{"/", 200, `src="/assets/app.js"`},
		{"/blocks", 200, ""},
		{"/block/1", 200, ""},
		{"/block/99999999", 404, "no block 99999999 on this chain"},
		{"/block/x", 404, ""},
		{"/tx/" + res.Hash, 200, ""},
		{"/tx/" + strings.Repeat("00", 32), 404, "no transaction"},
		{"/tx/nothex", 404, ""},
		{"/account/" + n.Addr("bob").String(), 200, ""},
		{"/account/emg1notanaddress", 404, "is not an account address"},
		{"/label", 200, ""},
		{"/nowhere", 404, "there is no page /nowhere"},
		{"/assets/app.js", 200, "EventSource"},
		{"/assets/missing.js", 404, ""},
		{"/assets/", 404, ""},
		{"/v1/nowhere", 404, `"code":"not_found"`},
		{"/v1/status", 200, `"chain_id"`},
	} {
		resp, body := get(t, base+c.path)
		if resp.StatusCode != c.status || !strings.Contains(body, c.body) {
			t.Errorf("GET %s: %d %.200q, want %d with %q", c.path, resp.StatusCode, body, c.status, c.body)
		}
		if !strings.HasPrefix(c.path, "/v1/") {
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
				t.Errorf("GET %s: Content-Security-Policy %q", c.path, csp)
			}
		}
	}
}

func TestSearchRedirectsOrSaysWhy(t *testing.T) {
	n, base := serve(t)
	bob := n.Addr("bob").String()
	b1, err := n.Client.Block(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		q        string
		status   int
		location string
		body     string
	}{
		{"1", 302, "/block/1", ""},
		{"99999999", 404, "", "no block 99999999"},
		{"0", 400, "", "heights start at 1"},
		{strings.ToUpper(bob), 302, "/account/" + bob, ""},
		{strings.Repeat("ab", 32), 404, "", "no transaction or block with hash"},
		{strings.ToLower(b1.Hash), 302, "/block/1", ""},
		{"emg1broken", 400, "", "looks like an address but is not one"},
		{"", 400, "", "type a block height"},
		{`<script>alert(1)</script>`, 400, "", "&lt;script&gt;alert(1)&lt;/script&gt;"},
	} {
		resp, body := get(t, base+"/search?q="+urlQuery(c.q))
		if resp.StatusCode != c.status || resp.Header.Get("Location") != c.location || !strings.Contains(body, c.body) {
			t.Errorf("search %q: %d Location %q body %.300q; want %d %q with %q", c.q, resp.StatusCode, resp.Header.Get("Location"), body, c.status, c.location, c.body)
		}
		if strings.Contains(body, "<script>alert") {
			t.Errorf("search %q: the term is in the page unescaped", c.q)
		}
	}
}

func urlQuery(s string) string {
	r := strings.NewReplacer("%", "%25", "&", "%26", "+", "%2B", " ", "+", "#", "%23", "<", "%3C", ">", "%3E", "\"", "%22")
	return r.Replace(s)
}

// TestScriptsNeverParseHTML holds the pages to one rule: chain data is put
// into the document as text. No script assigns innerHTML or outerHTML,
// calls insertAdjacentHTML or document.write, or evaluates strings; the
// browser test shows a class named <script> as text.
func TestScriptsNeverParseHTML(t *testing.T) {
	bad := regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|setAttribute\("on`)
	n := 0
	err := filepath.WalkDir("static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || (!strings.HasSuffix(p, ".js") && !strings.HasSuffix(p, ".html")) {
			return err
		}
		n++
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if bad.MatchString(line) {
				t.Errorf("%s:%d parses or runs a string as code: %s", p, i+1, strings.TrimSpace(line))
			}
			if strings.HasSuffix(p, ".html") && (strings.Contains(line, "<script>") || strings.Contains(line, " style=") || strings.Contains(line, "http://") || strings.Contains(line, "https://")) {
				t.Errorf("%s:%d has an inline script or style or a link off this origin: %s", p, i+1, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil || n < 5 {
		t.Fatalf("walked %d files: %v", n, err)
	}
}
