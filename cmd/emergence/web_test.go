package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's chromium, which .ci/test installs when it is
// missing. A missing browser fails the browser tests: it is never a skip.
const chromiumPath = "/usr/bin/chromium"

// browser is a headless Chromium driven by chromedp for one test. Every
// uncaught JavaScript exception and console error fails the test.
type browser struct {
	t     *testing.T
	ctx   context.Context
	mu    sync.Mutex
	errs  []string
	shots string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("the browser tests need Debian's chromium at %s (%v): run .ci/test, which installs it with apt-get", chromiumPath, err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true), // CI runs as root
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 900),
	)
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, tcancel := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { tcancel(); cancel(); acancel() })
	b := &browser{t: t, ctx: ctx, shots: screenshotDir(t)}
	err := chromedp.Listen(ctx, func(ev any) {
		var msg string
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			msg = "exception: " + e.ExceptionDetails.Text
			if e.ExceptionDetails.Exception != nil {
				msg += " " + e.ExceptionDetails.Exception.Description
			}
		case *runtime.EventConsoleAPICalled:
			if e.Type != runtime.ConsoleAPICalledTypeError {
				return
			}
			var parts []string
			for _, a := range e.Args {
				parts = append(parts, string(a.Value)+a.Description)
			}
			msg = "console.error: " + strings.Join(parts, " ")
		default:
			return
		}
		b.mu.Lock()
		b.errs = append(b.errs, msg)
		b.mu.Unlock()
	})
	if err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(b.checkErrors)
	return b
}

// screenshotDir is where the tests save a screenshot of each page they
// load: $EMERGENCE_SCREENSHOTS, or a folder under the system temp dir.
func screenshotDir(t *testing.T) string {
	dir := os.Getenv("EMERGENCE_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "emergence-screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func (b *browser) checkErrors() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.errs {
		b.t.Errorf("browser: %s", e)
	}
}

// run runs chromedp actions, failing the test with what was being done.
func (b *browser) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// text returns the text of the first node matching the CSS selector sel,
// waiting for it to be visible.
func (b *browser) text(sel string) string {
	b.t.Helper()
	b.run("wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
	s, err := chromedp.Run(b.ctx, chromedp.TextContent(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("read %s: %v", sel, err)
	}
	return s
}

// eval evaluates a JavaScript expression and returns its value as T.
func eval[T any](b *browser, js string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// waitText waits (within the browser context's deadline) until the text
// of sel contains want.
func (b *browser) waitText(sel, want string) string {
	b.t.Helper()
	js := fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.textContent.includes(%q) && e.textContent; })()`, sel, want)
	s, err := chromedp.Run(b.ctx, chromedp.Poll[string](js, chromedp.WithPollingTimeout(60*time.Second)))
	if err != nil {
		var now string
		now, _ = chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector("main") ? document.querySelector("main").textContent : ""`))
		b.t.Fatalf("wait for %q in %s: %v; the page shows: %.600s", want, sel, err, now)
	}
	return s
}

// load runs an action that loads a new document (a form submission) and
// waits for its load event.
func (b *browser) load(what string, trigger chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.WaitEvent(page.LoadEventFired, nil, trigger)); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// shot saves a full-page screenshot as name.png.
func (b *browser) shot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	p := filepath.Join(b.shots, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot %s", p)
}

// devnetProcess runs "emergence devnet" as its own process (this test
// binary as the command, see TestMain) and returns its API base URL.
func devnetProcess(t *testing.T, home string, extra ...string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"devnet", "--home", home, "--api", "127.0.0.1:0", "--block-time", "200ms"}, extra...)...)
	cmd.Env = append(os.Environ(), "EMERGENCE_RUN_MAIN=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errb strings.Builder
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		re := regexp.MustCompile(`api\s+(http://\S+)`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		io.Copy(io.Discard, out)
	}()
	select {
	case a := <-addr:
		return a
	case <-time.After(60 * time.Second):
		t.Fatalf("devnet printed no API address; stderr: %s", errb.String())
	}
	return ""
}

func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if v != nil && resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
	}
	return resp.StatusCode
}

// TestWebExplorer loads the explorer from a real devnet process in
// Chromium: the status and a block as the API reports them, a transaction
// decoded with its result, an account, search by height, hash and address,
// and the not-found and bad-search pages with their statuses.
func TestWebExplorer(t *testing.T) {
	unsetPassphraseEnv(t)
	home := t.TempDir()
	base := devnetProcess(t, home)
	common := []string{"--home", home, "--keyring-backend", "test", "--node", base}
	out := mustCLI(t, append([]string{"tx", "bank", "send", "alice", "bob", "2.5emg", "--output", "json"}, common...)...)
	var sent struct {
		Hash   string `json:"hash"`
		Height int64  `json:"height"`
	}
	if err := json.Unmarshal([]byte(out), &sent); err != nil || sent.Height == 0 {
		t.Fatalf("send printed %q (%v)", out, err)
	}
	bob := strings.TrimSpace(mustCLI(t, append([]string{"keys", "show", "bob", "--address"}, common...)...))

	b := newBrowser(t)
	b.run("open /", chromedp.Navigate(base+"/"))
	if h := b.waitText("#height", ""); h == "" {
		t.Fatal("no height on the status page")
	}
	var st struct {
		ChainID string `json:"chain_id"`
		AppHash string `json:"app_hash"`
	}
	getJSON(t, base+"/v1/status", &st)
	if got := b.text("#status"); !strings.Contains(got, st.ChainID) {
		t.Errorf("status shows %q, want chain id %s", got, st.ChainID)
	}
	// Live updates: the header follows the event stream.
	b.waitText("#live", "live · #")
	b.shot("explorer-home")

	// The block with the send, its tx decoded.
	b.run("open block", chromedp.Navigate(fmt.Sprintf("%s/block/%d", base, sent.Height)))
	if got := b.waitText("#block-txs", "bank/send"); !strings.Contains(got, "ok") {
		t.Errorf("block txs %q: want the send with result ok", got)
	}
	b.shot("explorer-block")
	b.run("follow the tx link", chromedp.Click(chromedp.CSS(`#block-txs a[href^="/tx/"]`)))
	b.waitText("#tx-hash", sent.Hash)
	msgs := b.text("#tx-msgs")
	if !strings.Contains(msgs, "bank/send") || !strings.Contains(msgs, bob) || !strings.Contains(msgs, "2500000") {
		t.Errorf("tx messages %q: want bank/send of 2500000 to %s", msgs, bob)
	}
	if r := b.text("#tx-result"); !strings.Contains(r, "ok") {
		t.Errorf("tx result %q", r)
	}
	b.shot("explorer-tx")
	b.run("follow the recipient", chromedp.Click(chromedp.CSS(`#tx-msgs a[href="/account/`+bob+`"]`)))
	if got := b.waitText("#balance", "EMG"); !strings.Contains(got, "1,000,002.5 EMG") {
		t.Errorf("bob's balance shows %q, want 1,000,002.5 EMG", got)
	}
	b.shot("explorer-account")

	// Search: a height, a hash, an address, then bad terms.
	search := func(q string) {
		b.t.Helper()
		b.run("search "+q, chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#q")), chromedp.SetValue(chromedp.CSS("#q"), q))
		b.load("submit the search "+q, chromedp.Submit(chromedp.CSS("#q")))
	}
	search(fmt.Sprint(sent.Height))
	b.waitText("#block-height", fmt.Sprint(sent.Height))
	search(strings.ToLower(sent.Hash))
	b.waitText("#tx-hash", sent.Hash)
	search(bob)
	b.waitText("#account", bob)
	search("<b>not a thing</b>")
	if got := b.waitText("#badrequest", "is not a block height"); !strings.Contains(got, "<b>not a thing</b>") {
		t.Errorf("bad search shows %q: want the term as text", got)
	}
	b.shot("explorer-bad-search")
	for path, want := range map[string]int{"/block/999999": 404, "/tx/" + strings.Repeat("ab", 32): 404, "/account/emg1nope": 404, "/nowhere": 404, "/search?q=xyz": 400, "/block/1": 200} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: status %d, want %d", path, resp.StatusCode, want)
		}
	}
	b.run("open a missing block", chromedp.Navigate(base+"/block/999999"))
	b.waitText("#notfound", "no block 999999")
	b.shot("explorer-not-found")
}
