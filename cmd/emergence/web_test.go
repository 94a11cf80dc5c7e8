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

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"emergence/client"
	"emergence/label"
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

// startChromium starts headless Chromium (chromiumPath) for a test or a
// benchmark, stopped at its cleanup, and returns the chromedp context
// that drives it, which ends after timeout.
func startChromium(tb testing.TB, timeout time.Duration) context.Context {
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
	ctx, tcancel := context.WithTimeout(ctx, timeout)
	tb.Cleanup(func() { tcancel(); cancel(); acancel() })
	return ctx
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("the browser tests need Debian's chromium at %s (%v): run .ci/test, which installs it with apt-get", chromiumPath, err)
	}
	ctx := startChromium(t, 3*time.Minute)
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
// waiting for it to be visible. The page re-renders its tables on every
// new block, so the node is found and read in one step inside the
// browser: a node id held across two protocol calls can go stale.
func (b *browser) text(sel string) string {
	b.t.Helper()
	js := fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.getClientRects().length > 0 && [e.textContent]; })()`, sel)
	s, err := chromedp.Run(b.ctx, chromedp.Poll[[]string](js, chromedp.WithPollingTimeout(60*time.Second)))
	if err != nil || len(s) != 1 {
		b.t.Fatalf("read %s: %v", sel, err)
	}
	return s[0]
}

// follow clicks the first link matching sel, once it exists, finding and
// clicking it in one step inside the browser for the reason text gives,
// and waits for the page it leads to.
func (b *browser) follow(what, sel string) {
	b.t.Helper()
	// An SVG <a> (a graph's node) has no click(): it gets a click event.
	js := fmt.Sprintf(`(() => { const e = document.querySelector(%q); if (!e) return false; if (e.click) e.click(); else e.dispatchEvent(new MouseEvent("click", { bubbles: true, cancelable: true, view: window })); return true; })()`, sel)
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(60*time.Second))); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
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
	b.follow("follow the tx link", `#block-txs a[href^="/tx/"]`)
	b.waitText("#tx-hash", sent.Hash)
	msgs := b.text("#tx-msgs")
	if !strings.Contains(msgs, "bank/send") || !strings.Contains(msgs, bob) || !strings.Contains(msgs, "2500000") {
		t.Errorf("tx messages %q: want bank/send of 2500000 to %s", msgs, bob)
	}
	if r := b.text("#tx-result"); !strings.Contains(r, "ok") {
		t.Errorf("tx result %q", r)
	}
	b.shot("explorer-tx")
	b.follow("follow the recipient", `#tx-msgs a[href="/account/`+bob+`"]`)
	if got := b.waitText("#balance", "EMG"); !strings.Contains(got, "1,000,002.5 EMG") {
		t.Errorf("bob's balance shows %q, want 1,000,002.5 EMG", got)
	}
	if got := b.waitText("#history", "bank/send"); !strings.Contains(got, "named") {
		t.Errorf("bob's history %q: want the send naming him", got)
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
	var blk struct {
		Hash string `json:"hash"`
	}
	getJSON(t, fmt.Sprintf("%s/v1/blocks/%d", base, sent.Height), &blk)
	search(blk.Hash)
	b.waitText("#block-height", fmt.Sprint(sent.Height))
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

// workerProcess runs an emergence worker as its own process and returns
// the first submatch of re in its stderr, and a channel that gets its exit
// error and its output.
func workerProcess(t *testing.T, re *regexp.Regexp, args ...string) (string, <-chan workerExit) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "EMERGENCE_RUN_MAIN=1")
	var stdout strings.Builder
	cmd.Stdout = &stdout
	errp, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	found := make(chan string, 1)
	exit := make(chan workerExit, 1)
	var errb strings.Builder
	go func() {
		sc := bufio.NewScanner(errp)
		for sc.Scan() {
			errb.WriteString(sc.Text() + "\n")
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		err := cmd.Wait()
		exit <- workerExit{err: err, stdout: stdout.String(), stderr: errb.String()}
	}()
	select {
	case s := <-found:
		return s, exit
	case e := <-exit:
		t.Fatalf("emergence %s exited: %v\n%s", strings.Join(args, " "), e.err, e.stderr)
	case <-time.After(60 * time.Second):
		t.Fatalf("emergence %s printed no %s", strings.Join(args, " "), re)
	}
	return "", nil
}

type workerExit struct {
	err            error
	stdout, stderr string
}

// TestWebLabeling labels a job end to end through the labeler's page with
// the keyboard: a person's answers are committed and revealed on chain by
// the worker, the job settles, and the explorer's labeling page shows the
// job, its accuracy against gold, the labeler's payment and the labels.
// Item text and class names holding HTML are shown as text.
func TestWebLabeling(t *testing.T) {
	unsetPassphraseEnv(t)
	home, dir := t.TempDir(), t.TempDir()
	base := devnetProcess(t, home)
	common := []string{"--home", home, "--keyring-backend", "test", "--node", base}
	items := []string{"the sky is blue", "<script>window.pwned = 1</script>", "grass is green", "snow is white", "coal is white"}
	truth := []int{1, 0, 1, 1, 0} // classes: 0 "<b>no</b>", 1 "yes"
	itemsF := filepath.Join(dir, "items.txt")
	goldF := filepath.Join(dir, "gold.csv")
	if err := os.WriteFile(itemsF, []byte(strings.Join(items, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(goldF, []byte("0,yes\n2,yes\n3,yes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustCLI(t, append([]string{"tx", "label", "create-job", "--from", "governance", "--items", itemsF, "--classes", "<b>no</b>,yes", "--gold", goldF,
		"--batch", "5", "--labels-per-item", "3", "--reward", "1000uemg", "--commit-blocks", "40", "--reveal-blocks", "10"}, common...)...)
	// Two labelers answer from files, in their own processes; bob answers
	// through the page. Gold is only scored on items with three labels.
	var answers strings.Builder
	for i, c := range truth {
		fmt.Fprintf(&answers, "%d,%d\n", i, c)
	}
	answersF := filepath.Join(dir, "answers.csv")
	if err := os.WriteFile(answersF, []byte(answers.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var autos []<-chan workerExit
	for _, k := range []string{"alice", "carol"} {
		_, ex := workerProcess(t, regexp.MustCompile(`(committing)`), append([]string{"labeler", "--from", k, "--job", "1", "--stake", "2emg", "--auto", answersF}, common...)...)
		autos = append(autos, ex)
	}

	pageURL, exit := workerProcess(t, regexp.MustCompile(`labeling page: (http://\S+)`),
		append([]string{"labeler", "--from", "bob", "--job", "1", "--stake", "2emg", "--ui", "127.0.0.1:0"}, common...)...)
	b := newBrowser(t)
	b.run("open the labeling page", chromedp.Navigate(pageURL))
	b.waitText("#title", "Labeling job #1")
	var shown []string
	for k := range items {
		got := b.waitText("#item", fmt.Sprintf("item %d of %d", k+1, len(items)))
		shown = append(shown, got)
		if k == 0 {
			b.waitText("#deadlines", "commit deadline")
			b.shot("labeler-page")
		}
		ans := -1
		for i, it := range items {
			if strings.Contains(got, it) {
				ans = truth[i]
			}
		}
		if ans < 0 {
			t.Fatalf("item %d shows %q, none of the items", k+1, got)
		}
		b.run("answer with the keyboard", chromedp.KeyEvent(fmt.Sprint(ans+1)), chromedp.KeyEvent("\r"))
		b.waitText("#message", fmt.Sprintf("item %d answered", k+1))
	}
	if !strings.Contains(strings.Join(shown, " "), "<script>window.pwned = 1</script>") {
		t.Errorf("the item holding <script> was not shown as text: %q", shown)
	}
	if eval[bool](b, `window.pwned !== undefined || document.querySelectorAll("main script, main img").length > 0`) {
		t.Error("an item's HTML ran in the labeling page")
	}
	t.Logf("answered through the page at %s", time.Now().Format(time.TimeOnly))
	b.waitText("#phase", "committ")
	bob := strings.TrimSpace(mustCLI(t, append([]string{"keys", "show", "bob", "--address"}, common...)...))
	var as label.Assignment
	e := <-exit
	if e.err != nil || !strings.Contains(e.stdout, "5 items answered, committed and revealed") {
		t.Fatalf("labeler: %v\nstdout %s\nstderr %s", e.err, e.stdout, e.stderr)
	}
	for _, ex := range autos {
		if e := <-ex; e.err != nil {
			t.Fatalf("auto labeler: %v\n%s", e.err, e.stderr)
		}
	}
	getJSON(t, base+"/v1/query/label/assignment/1/"+bob, &as)
	if as.Commitment == "" || !as.Revealed || len(as.Answers) != len(items) {
		t.Fatalf("assignment on chain %+v: want the page's answers committed and revealed", as)
	}
	for k, it := range as.Items {
		if int(as.Answers[k]) != truth[it] {
			t.Errorf("item %d: answer %d on chain, typed %d", it, as.Answers[k], truth[it])
		}
	}

	// Settle, then the explorer's job page shows what the chain has.
	var job struct {
		RevealDeadline int64 `json:"reveal_deadline"`
	}
	getJSON(t, base+"/v1/query/label/job/1", &job)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := client.New(strings.TrimPrefix(base, "http://")).WaitHeight(ctx, job.RevealDeadline); err != nil {
		t.Fatal(err)
	}
	mustCLI(t, append([]string{"tx", "label", "reveal-gold", "--job", "1", "--from", "governance"}, common...)...)
	mustCLI(t, append([]string{"tx", "label", "settle", "--job", "1", "--from", "bob"}, common...)...)
	b.run("open the labeling market", chromedp.Navigate(base+"/label"))
	if got := b.waitText("#label-jobs", "#1"); !strings.Contains(got, "<b>no</b>, yes") || !strings.Contains(got, "settled") {
		t.Errorf("jobs table %q: want job 1 settled with its classes as text", got)
	}
	b.shot("market-labeling")
	b.follow("open job 1", `#label-jobs a[href="/label/job/1"]`)
	if got := b.waitText("#gold-accuracy", "%"); !strings.HasPrefix(got, "100.0%") {
		t.Errorf("accuracy against gold %q, want 100.0%%", got)
	}
	outcomes := b.text("#outcomes")
	if !strings.Contains(outcomes, short(bob)) || !strings.Contains(outcomes, "3/3") {
		t.Errorf("outcomes %q: want bob with 3 of 3 gold answers right", outcomes)
	}
	if got := b.text("#labels"); !strings.Contains(got, "<b>no</b>") {
		t.Errorf("labels %q: want the class <b>no</b> as text", got)
	}
	if eval[bool](b, `document.querySelectorAll("main b").length > 0 && [...document.querySelectorAll("main b")].some(e => e.textContent === "no")`) {
		t.Error("a class name was parsed as HTML")
	}
	csv := eval[string](b, `document.querySelector("#labels-csv").getAttribute("download")`)
	if csv != "job-1-labels.csv" {
		t.Errorf("CSV link %q", csv)
	}
	b.shot("market-labeling-job")
}

// short is how the pages abbreviate an address.
func short(s string) string { return s[:12] + "…" + s[len(s)-6:] }

// TestLabelerUIBadInput: the labeling page refuses a non-loopback address
// and --auto alongside, before contacting any node.
func TestLabelerUIBadInput(t *testing.T) {
	unsetPassphraseEnv(t)
	home := t.TempDir()
	base := []string{"--home", home, "--keyring-backend", "test", "--node", "127.0.0.1:1"}
	mustCLI(t, append([]string{"keys", "add", "w"}, base...)...)
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"--ui", "0.0.0.0:8600"}, "must listen on a loopback address"},
		{[]string{"--ui", "192.168.0.9:8600"}, "is not 127.0.0.1, ::1 or localhost"},
		{[]string{"--ui", "127.0.0.1:0", "--auto", "x.csv"}, "--ui and --auto"},
	} {
		_, errs, err := runCLI(t, append(append([]string{"labeler", "--from", "w", "--job", "1"}, c.args...), base...)...)
		if exitCode(err) != exitUsage || !strings.Contains(errs, "emergence: error:") || !strings.Contains(errs, c.says) || !strings.Contains(errs, "hint:") {
			t.Errorf("labeler %v: exit %d, stderr %q; want exit %d saying %q with a hint", c.args, exitCode(err), errs, exitUsage, c.says)
		}
	}
}

// TestWebMarketPages loads every market page of a fresh devnet at desktop
// and at phone width: each renders its module's answers (the UBI pool
// from personhood, the device module's parameters, empty tables where a
// module has nothing yet) with no script error and no page wider than the
// phone's screen.
func TestWebMarketPages(t *testing.T) {
	home := t.TempDir()
	base := devnetProcess(t, home)
	b := newBrowser(t)
	var pool struct {
		Pool     uint64 `json:"pool"`
		Enrolled uint64 `json:"enrolled"`
	}
	pages := []struct{ path, sel, want string }{
		{"/label", "#label-jobs", "no labeling jobs yet"},
		{"/subnets", "#subnet-list", "no subnets yet"},
		{"/zkml", "#circuits", "no circuits registered"},
		{"/personhood", "#ubi-pool", "UBI pool"},
		{"/devices", "main", "maker_stake"},
		{"/data", "#crawl-jobs", "no crawl jobs"},
		{"/compute", "#providers", "no providers registered"},
		{"/blocks", "#block-list", "height"},
	}
	for _, phone := range []bool{false, true} {
		if phone {
			b.run("phone width", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
		}
		for _, p := range pages {
			b.run("open "+p.path, chromedp.Navigate(base+p.path))
			b.waitText(p.sel, p.want)
			if h1 := b.text("h1"); h1 == "" || strings.Contains(h1, "wrong") || strings.Contains(h1, "Not found") {
				t.Errorf("%s: heading %q", p.path, h1)
			}
			name := "market" + strings.ReplaceAll(p.path, "/", "-")
			if phone {
				if w := eval[int](b, `document.documentElement.scrollWidth`); w > 400 {
					t.Errorf("%s at phone width: the page is %d px wide, want it to fit 390", p.path, w)
				}
				name += "-phone"
			}
			b.shot(name)
		}
	}
	// Light and dark follow the system.
	bg := func() string { return eval[string](b, `getComputedStyle(document.body).backgroundColor`) }
	light := bg()
	if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}}); err != nil {
		t.Fatal(err)
	}
	if dark := bg(); dark == light || dark != "rgb(15, 18, 23)" {
		t.Errorf("background %s in dark mode (light %s), want rgb(15, 18, 23)", dark, light)
	}
	b.shot("market-blocks-phone-dark")
	getJSON(t, base+"/v1/query/personhood/pool", &pool)
	b.run("open personhood", chromedp.Navigate(base+"/personhood"))
	if got := b.waitText("#enrolled", ""); got != fmt.Sprint(pool.Enrolled) {
		t.Errorf("personhood shows %q enrolled, API says %d", got, pool.Enrolled)
	}
}

// TestWebSubnetPage: a subnet made through the CLI (three uids, a staked
// validator setting weights, a short tempo) is shown as the API has it:
// the metagraph row per uid, and incentive and dividends over epochs as
// SVG charts with one line per uid.
func TestWebSubnetPage(t *testing.T) {
	unsetPassphraseEnv(t)
	home := t.TempDir()
	base := devnetProcess(t, home)
	common := []string{"--home", home, "--keyring-backend", "test", "--node", base}
	cli := func(args ...string) { t.Helper(); mustCLI(t, append(args, common...)...) }
	cli("tx", "subnet", "create", "webnet", "--tempo", "5", "--no-commit-reveal", "--from", "alice")
	for _, k := range []string{"alice", "bob", "carol"} {
		cli("tx", "subnet", "register", "0", "--from", k)
	}
	alice := strings.TrimSpace(mustCLI(t, append([]string{"keys", "show", "alice", "--address"}, common...)...))
	cli("tx", "subnet", "stake", "0", alice, "10emg", "--from", "alice")
	var epochs []struct{ Epoch uint64 }
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := client.New(strings.TrimPrefix(base, "http://"))
	for len(epochs) < 3 {
		// The validator permit comes with the first epoch after the stake;
		// weights are set again each epoch until three are recorded.
		st, err := c.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		mustCLI(t, append([]string{"tx", "subnet", "set-weights", "0", "--weights", "1:3,2:1", "--from", "alice"}, common...)...)
		if err := c.WaitHeight(ctx, st.Height+5); err != nil {
			t.Fatalf("waiting for subnet epochs: %v", err)
		}
		getJSON(t, base+"/v1/query/subnet/epochs/0", &epochs)
	}
	var mg struct {
		Neurons []struct {
			UID       int    `json:"uid"`
			Hotkey    string `json:"hotkey"`
			Incentive uint16 `json:"incentive"`
		} `json:"neurons"`
	}
	getJSON(t, base+"/v1/query/subnet/metagraph/0", &mg)
	if len(mg.Neurons) != 3 || mg.Neurons[1].Incentive <= mg.Neurons[2].Incentive || mg.Neurons[2].Incentive == 0 {
		t.Fatalf("metagraph %+v: want uid 1 above uid 2 above 0 (weights 3:1)", mg.Neurons)
	}
	b := newBrowser(t)
	b.run("open subnets", chromedp.Navigate(base+"/subnets"))
	b.waitText("#subnet-list", "webnet")
	b.follow("open subnet 0", `#subnet-list a[href="/subnet/0"]`)
	got := b.waitText("#metagraph", short(mg.Neurons[2].Hotkey))
	for _, n := range mg.Neurons {
		if want := fmt.Sprintf("%.4f", float64(n.Incentive)/65535); !strings.Contains(got, short(n.Hotkey)) || !strings.Contains(got, want) {
			t.Errorf("metagraph %q: want uid %d (%s) with incentive %s", got, n.UID, short(n.Hotkey), want)
		}
	}
	if n := eval[int](b, `document.querySelectorAll("#incentive-chart path.series").length`); n != len(mg.Neurons) {
		t.Errorf("incentive chart has %d lines, want one per uid (%d)", n, len(mg.Neurons))
	}
	if n := eval[int](b, `document.querySelectorAll("#dividends-chart path.series").length`); n == 0 {
		t.Error("no dividends chart")
	}
	b.shot("market-subnet")
}

// checkDatasetPages opens the data market's pages of a crawled and
// published dataset in Chromium (TestCrawlEndToEnd calls it at its end):
// the crawl job with its pages and the dataset on /data, and the dataset's
// provenance graph with one node per crawler, the crawl job and the
// dataset, each a link.
func checkDatasetPages(t *testing.T, base string, id uint64, name string, crawlers int) {
	t.Helper()
	b := newBrowser(t)
	b.run("open the data market", chromedp.Navigate(base+"/data"))
	b.waitText("#crawl-jobs", "1")
	if got := b.waitText("#datasets", name); !strings.Contains(got, fmt.Sprintf("#%d", id)) {
		t.Errorf("datasets table %q: want dataset #%d", got, id)
	}
	b.shot("market-data")
	b.follow("open the dataset", fmt.Sprintf(`#datasets a[href="/data/dataset/%d"]`, id))
	b.waitText("#provenance-graph", "crawl job #")
	if n := eval[int](b, `document.querySelectorAll('#provenance-graph a[href^="/account/"]').length`); n != crawlers {
		t.Errorf("provenance graph links %d crawlers, want %d", n, crawlers)
	}
	if n := eval[int](b, fmt.Sprintf(`document.querySelectorAll('#provenance-graph a[href="/data/dataset/%d"]').length`, id)); n != 1 {
		t.Errorf("provenance graph has %d dataset nodes, want 1", n)
	}
	if n := eval[int](b, `document.querySelectorAll("#provenance-graph path.edge").length`); n < crawlers+1 {
		t.Errorf("provenance graph has %d edges, want at least %d", n, crawlers+1)
	}
	b.shot("market-data-provenance")
}
