package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"emergence/client"
	"emergence/data"
)

// siteSets are the real document sets the local site serves, each under its own path:
// Debian's packaged PostgreSQL, SQLite and Python manuals (testdata/site/install-docs.sh) and
// Git's manual pages too (2,100 pages in all). files globs the pages under the set's directory.
var siteSets = []struct{ prefix, glob, files string }{
	{"/pg/", "/usr/share/doc/postgresql-doc-*/html", "*.html"},
	{"/sqlite/", "/usr/share/doc/sqlite3", "*.html"},
	{"/py/", "/usr/share/doc/python3.[0-9]*[0-9]/html", "*/*.html"},
	{"/git/", "/usr/share/doc/git-doc", "*.html"},
}

// localSite is a loopback web server of real documentation pages plus one URL for each
// kind of bad input a crawler meets.
type localSite struct {
	srv   *httptest.Server
	pages []string // URLs of the real pages
	bad   map[string]string
}

// startSite serves the document sets and the bad-input URLs: robots.txt disallows
// /private/, /redirect leaves the scope, /big.html is over the crawlers' size cap,
// /bomb.html is gzip that inflates past the decoded cap, /slow.html never finishes and
// /data.bin is not HTML. bad maps each to the skip reason both crawlers must agree on.
func startSite(t *testing.T) *localSite {
	t.Helper()
	mux := http.NewServeMux()
	s := &localSite{}
	var rels []string
	for _, set := range siteSets {
		dirs, _ := filepath.Glob(set.glob)
		if len(dirs) == 0 {
			t.Fatalf("no %s: run testdata/site/install-docs.sh", set.glob)
		}
		dir := dirs[0]
		files, _ := filepath.Glob(filepath.Join(dir, set.files))
		for _, f := range files {
			rel, _ := filepath.Rel(dir, f)
			rels = append(rels, set.prefix+filepath.ToSlash(rel))
		}
		mux.Handle(set.prefix, http.StripPrefix(set.prefix, http.FileServer(http.Dir(dir))))
	}
	mux.HandleFunc("/robots.txt", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "User-agent: *\nDisallow: /private/\n")
	})
	mux.HandleFunc("/private/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("robots-disallowed %s fetched", r.URL)
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://elsewhere.invalid/page.html", http.StatusFound)
	})
	big := bytes.Repeat([]byte("<p>too long a page</p>\n"), 200_000) // 4.6 MB
	mux.HandleFunc("/big.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write(big)
	})
	var bomb bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&bomb, gzip.BestCompression)
	zw.Write(bytes.Repeat([]byte{' '}, 64<<20))
	zw.Close()
	mux.HandleFunc("/bomb.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(bomb.Bytes())
	})
	mux.HandleFunc("/slow.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(200)
		io.WriteString(w, "<html><body><p>")
		w.(http.Flusher).Flush()
		<-r.Context().Done() // never finishes; the crawler's timeout ends it
	})
	mux.HandleFunc("/data.bin", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(bytes.Repeat([]byte{0, 1, 2, 3}, 1000))
	})
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	for _, r := range rels {
		s.pages = append(s.pages, s.srv.URL+r)
	}
	sort.Strings(s.pages)
	s.bad = map[string]string{
		s.srv.URL + "/private/secret.html": "robots-disallowed",
		s.srv.URL + "/redirect":            "redirect-out-of-scope",
		s.srv.URL + "/big.html":            "body-too-large",
		s.srv.URL + "/bomb.html":           "decompressed-too-large",
		s.srv.URL + "/slow.html":           "timeout",
		s.srv.URL + "/data.bin":            "content-type",
	}
	return s
}

// proc is a child emergence process with its output in a log file. Its
// output also goes through a pipe to out, on which a test waits for a line.
type proc struct {
	cmd *exec.Cmd
	log string
	out *outputWatch
}

// outputWatch holds what a process wrote to its output pipe so far and
// wakes waiters on every write.
type outputWatch struct {
	mu      sync.Mutex
	buf     []byte
	written chan struct{} // closed (and replaced) by each write
}

func newOutputWatch() *outputWatch { return &outputWatch{written: make(chan struct{})} }

func (w *outputWatch) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, b...)
	close(w.written)
	w.written = make(chan struct{})
	return len(b), nil
}

// wait returns the first match of re in the output, waiting for the
// process to write it until within passes (then ok is false and out is
// the output so far).
func (w *outputWatch) wait(re *regexp.Regexp, within time.Duration) (match [][]byte, out []byte, ok bool) {
	timeout := time.NewTimer(within)
	defer timeout.Stop()
	for {
		w.mu.Lock()
		m, written := re.FindSubmatch(w.buf), w.written
		w.mu.Unlock()
		if m != nil {
			return m, nil, true
		}
		select {
		case <-written:
		case <-timeout.C:
			w.mu.Lock()
			defer w.mu.Unlock()
			return nil, bytes.Clone(w.buf), false
		}
	}
}

func startEmergence(t *testing.T, logPath string, args ...string) *proc {
	t.Helper()
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := newSelfCmd(args...)
	out := newOutputWatch()
	cmd.Stdout = io.MultiWriter(f, out)
	cmd.Stderr = cmd.Stdout
	cmd.WaitDelay = 10 * time.Second // for the pipe, should a child of the process hold it
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, log: logPath, out: out}
	t.Cleanup(func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { p.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			p.cmd.Process.Kill()
			<-done
		}
		f.Close()
	})
	return p
}

// startDevnetProc runs emergence devnet as its own process and returns its API address.
func startDevnetProc(t *testing.T, home string) string {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), "devnet.log")
	p := startEmergence(t, logPath, "devnet", "--home", home, "--api", "127.0.0.1:0", "--block-time", "100ms")
	m, out, ok := p.out.wait(regexp.MustCompile(`api\s+(http://\S+)`), 90*time.Second)
	if !ok {
		t.Fatalf("devnet printed no API address:\n%s", out)
	}
	return string(m[1])
}

// crawlNet is a devnet with registered crawler processes and a local site.
type crawlNet struct {
	home, api string
	common    []string
	c         *client.Client
	site      *localSite
}

func (n *crawlNet) cli(t *testing.T, args ...string) string {
	t.Helper()
	return mustCLI(t, append(args, n.common...)...)
}

func (n *crawlNet) job(t *testing.T, id uint64) data.Job {
	t.Helper()
	var j data.Job
	if err := n.c.Query(context.Background(), data.Name, fmt.Sprintf("job/%d", id), nil, &j); err != nil {
		t.Fatal(err)
	}
	return j
}

// TestCrawlEndToEnd is the data market's crawl through real processes: a devnet, a
// loopback site of 2,000+ real documentation pages plus one URL per bad input, three
// crawler processes and a job with k = 2. Every real page must be accepted, every bad URL
// skipped with the reason both of its crawlers give, and the crawlers paid. It logs the
// accepted pages per second from the job's creation to its last settlement.
func TestCrawlEndToEnd(t *testing.T) {
	site := startSite(t)
	if len(site.pages) < 2000 {
		t.Fatalf("local site has %d pages, want >= 2000", len(site.pages))
	}
	home := t.TempDir()
	api := startDevnetProc(t, home)
	n := &crawlNet{home: home, api: api, common: []string{"--home", home, "--keyring-backend", "test", "--node", api}, c: client.New(api), site: site}
	crawlers := []string{"c1", "c2", "c3"}
	for _, c := range crawlers {
		n.cli(t, "keys", "add", c)
		n.cli(t, "tx", "bank", "send", "alice", c, "10emg")
		n.cli(t, "tx", "data", "register-crawler", "2emg", "--from", c)
	}
	var logs []string
	for _, c := range crawlers {
		dir := t.TempDir()
		logs = append(logs, filepath.Join(dir, "crawler.log"))
		startEmergence(t, logs[len(logs)-1], append([]string{"crawler", "--from", c, "--rate", "100000",
			"--max-body", "4000000", "--timeout", "3s", "--dir", dir}, n.common...)...)
	}
	urls := append([]string(nil), site.pages...)
	for u := range site.bad {
		urls = append(urls, u)
	}
	sort.Strings(urls)
	host := strings.TrimPrefix(site.srv.URL, "http://")
	start := time.Now()
	n.cli(t, "tx", "data", "create-crawl", "--seeds", strings.Join(urls[:data.MaxSeeds], ","), "--hosts", host,
		"--max-depth", "0", "--max-pages", "5000", "--k", "2", "--price", "10uemg", "--budget", "1emg",
		"--deadline", "20000", "--commit-blocks", "1000", "--reveal-blocks", "1000", "--licence", "PostgreSQL,blessing,PSF-2.0", "--from", "alice")
	for i := data.MaxSeeds; i < len(urls); i += data.MaxSeeds {
		n.cli(t, "tx", "data", "add-urls", "--job", "1", "--urls", strings.Join(urls[i:min(i+data.MaxSeeds, len(urls))], ","), "--from", "alice")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	var j data.Job
	err := n.c.Await(ctx, func() (bool, error) {
		if err := n.c.Query(ctx, data.Name, "job/1", nil, &j); err != nil {
			return false, err
		}
		return j.URLs == uint64(len(urls)) && j.Open == 0, nil
	})
	elapsed := time.Since(start)
	if err != nil {
		t.Fatalf("job did not settle: %v (job %+v)", err, j)
	}
	t.Logf("%d pages accepted, %d skipped in %s: %.1f accepted pages/s (3 crawler processes, k=2, devnet with 100 ms blocks)",
		j.Accepted, j.Skipped, elapsed.Round(time.Millisecond), float64(j.Accepted)/elapsed.Seconds())
	if j.Missed != 0 || j.Disputed != 0 {
		// The first and last few missed or disputed pages (the state filter scans a
		// bounded number of pages per query, so follow next), and the crawlers' lines
		// that are not plain progress.
		for _, st := range []string{data.StateMissed, data.StateDisputed} {
			var bad []data.Page
			q := map[string][]string{"state": {st}}
			for {
				var ps data.Pages
				if err := n.c.Query(ctx, data.Name, "job/1/urls", q, &ps); err != nil {
					t.Logf("list %s pages: %v", st, err)
					break
				}
				bad = append(bad, ps.Pages...)
				if ps.Next == nil {
					break
				}
				q["after"] = []string{fmt.Sprint(*ps.Next)}
			}
			for i, p := range bad {
				if i < 3 || i >= len(bad)-3 {
					t.Logf("%s page %d: commits %d reveals %d crawlers %v added %d commit_by %d reveal_by %d settled %d", st, p.Index, p.Commits, p.Reveals, p.Crawlers, p.Added, p.CommitBy, p.RevealBy, p.Settled)
				}
			}
		}
		for _, l := range logs {
			raw, _ := os.ReadFile(l)
			shown := 0
			for _, line := range strings.Split(string(raw), "\n") {
				if line != "" && !strings.Contains(line, "committed ") && !strings.Contains(line, "revealed ") && shown < 20 {
					t.Logf("%s", line)
					shown++
				}
			}
		}
	}
	if j.Accepted != uint64(len(site.pages)) || j.Skipped != uint64(len(site.bad)) || j.Disputed != 0 || j.Missed != 0 {
		t.Fatalf("job: %d accepted (want %d), %d skipped (want %d), %d disputed, %d missed",
			j.Accepted, len(site.pages), j.Skipped, len(site.bad), j.Disputed, j.Missed)
	}
	// Each bad URL was skipped with the reason its crawlers agreed on.
	var after *uint64
	got := map[string]string{}
	for {
		q := map[string][]string{"state": {data.StateSkipped}}
		if after != nil {
			q["after"] = []string{fmt.Sprint(*after)}
		}
		var ps data.Pages
		if err := n.c.Query(ctx, data.Name, "job/1/urls", q, &ps); err != nil {
			t.Fatal(err)
		}
		for _, p := range ps.Pages {
			got[p.URL] = p.Skip
		}
		if ps.Next == nil {
			break
		}
		after = ps.Next
	}
	for u, want := range site.bad {
		nu, _ := data.NormalizeURL(u)
		if got[nu] != want {
			t.Errorf("%s: skipped as %q, want %q", u, got[nu], want)
		}
	}
	// The crawlers were paid for the accepted pages: the job paid price x pages.
	if j.Paid != 10*j.Accepted {
		t.Errorf("job paid %d, want %d", j.Paid, 10*j.Accepted)
	}
	writeCrawlFigure(t, j, elapsed)
	n.datasetFlow(t, crawlers)
}

func (n *crawlNet) balance(t *testing.T, who string) uint64 {
	t.Helper()
	addr := strings.TrimSpace(n.cli(t, "keys", "show", who, "--address"))
	var acc struct {
		Balance uint64 `json:"balance"`
	}
	if err := json.Unmarshal([]byte(n.cli(t, "query", "bank", "balance", addr, "-o", "json")), &acc); err != nil {
		t.Fatal(err)
	}
	return acc.Balance
}

// datasetFlow builds the crawled job into a dataset twice (same bytes), publishes it at a
// price, buys it, proves and verifies a record, and checks the bad inputs of that path:
// reading a paid shard without buying, buying without funds, a tampered record, and a
// dataset whose registered root is not its manifest's.
func (n *crawlNet) datasetFlow(t *testing.T, crawlers []string) {
	// Two builds from the same chain state, the second uploading its files.
	dirs := []string{t.TempDir(), t.TempDir()}
	var builds [2]dataBuildOut
	for i, d := range dirs {
		args := []string{"data", "build", "--job", "1", "--out", d, "-o", "json"}
		if i == 1 {
			args = append(args, "--upload", "--from", "alice")
		}
		if err := json.Unmarshal([]byte(n.cli(t, args...)), &builds[i]); err != nil {
			t.Fatal(err)
		}
	}
	if builds[0].Root != builds[1].Root || builds[0].Manifest != builds[1].Manifest || builds[0].Records != len(n.site.pages) {
		t.Fatalf("two builds differ or miss records: %+v vs %+v", builds[0], builds[1])
	}
	files, _ := filepath.Glob(filepath.Join(dirs[0], "*"))
	if len(files) < 2 {
		t.Fatalf("build wrote %v", files)
	}
	for _, f := range files {
		a, _ := os.ReadFile(f)
		b, err := os.ReadFile(filepath.Join(dirs[1], filepath.Base(f)))
		if err != nil || !bytes.Equal(a, b) {
			t.Fatalf("%s differs between two builds from the same chain state", filepath.Base(f))
		}
	}
	up := builds[1]
	if !up.Uploaded {
		t.Fatalf("second build not uploaded: %+v", up)
	}
	n.cli(t, "tx", "data", "publish", "--job", "1", "--name", "debian-manuals", "--root", up.Root, "--manifest", up.Manifest,
		"--shards", strings.Join(up.Shards, ","), "--records", fmt.Sprint(up.Records), "--price", "50emg", "--licence", up.Licence, "--from", "alice")

	// Nobody has bought it: its shards are refused, so no proof can be built from them.
	_, errs, err := runCLI(t, append([]string{"data", "prove", "--dataset", "1", "--record", "0", "--from", "carol"}, n.common...)...)
	if err == nil || !strings.Contains(errs, "buy") {
		t.Fatalf("prove from a paid dataset without buying: err %v, stderr %s", err, errs)
	}
	// The job's WARC records are gated with the sold dataset: without a purchase neither an
	// unsigned read nor a rebuild gets them, so nobody rebuilds the paid dataset for free.
	var ps data.Pages
	if err := client.New(n.api).Query(context.Background(), data.Name, "job/1/urls", url.Values{"state": {data.StateAccepted}, "limit": {"1"}}, &ps); err != nil || len(ps.Pages) == 0 || len(ps.Pages[0].WARCs) == 0 {
		t.Fatalf("an accepted page with its WARC records: %v %+v", err, ps)
	}
	warc := ps.Pages[0].WARCs[0]
	for _, who := range []string{"", "carol"} {
		args := []string{"blob", "get", warc, "--out", filepath.Join(t.TempDir(), "w")}
		if who != "" {
			args = append(args, "--from", who)
		}
		if _, errs, err := runCLI(t, append(args, n.common...)...); err == nil || !strings.Contains(errs, "paid dataset") {
			t.Fatalf("unbought read of a sold job's WARC record (%q): err %v, stderr %s", who, err, errs)
		}
	}
	if _, errs, err := runCLI(t, append([]string{"data", "build", "--job", "1", "--out", t.TempDir(), "--from", "carol"}, n.common...)...); err == nil || !strings.Contains(errs, "buy") {
		t.Fatalf("rebuild of a sold job without buying: err %v, stderr %s", err, errs)
	}
	// The requester and the job's crawlers read it.
	for _, who := range append([]string{"alice"}, crawlers...) {
		n.cli(t, "blob", "get", warc, "--out", filepath.Join(t.TempDir(), "w"), "--from", who)
	}
	// Buying without funds fails with the bank's code and costs the buyer nothing.
	n.cli(t, "keys", "add", "poor")
	n.cli(t, "tx", "bank", "send", "alice", "poor", "1emg")
	if _, errs, err := runCLI(t, append([]string{"tx", "data", "buy", "1", "--from", "poor"}, n.common...)...); err == nil || !strings.Contains(errs, "insufficient") {
		t.Fatalf("buy without funds: err %v, stderr %s", err, errs)
	}
	before := map[string]uint64{}
	for _, c := range crawlers {
		before[c] = n.balance(t, c)
	}
	n.cli(t, "tx", "data", "buy", "1", "--from", "bob")
	for _, c := range crawlers {
		if got := n.balance(t, c); got <= before[c] {
			t.Errorf("crawler %s: balance %d after the sale, %d before", c, got, before[c])
		}
	}
	// A buyer reads the WARC records of the dataset's job.
	n.cli(t, "blob", "get", warc, "--out", filepath.Join(t.TempDir(), "w"), "--from", "bob")
	proof := filepath.Join(t.TempDir(), "proof.json")
	n.cli(t, "data", "prove", "--dataset", "1", "--record", "42", "--from", "bob", "--out", proof)
	if out := n.cli(t, "data", "verify", "--proof", proof); !strings.Contains(out, "verifies against the root of dataset 1 on chain") {
		t.Fatalf("verify: %s", out)
	}
	var rp recordProof
	raw, _ := os.ReadFile(proof)
	json.Unmarshal(raw, &rp)
	rp.Record.Text += " (edited)"
	raw, _ = json.Marshal(rp)
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, raw, 0o644)
	if _, errs, err := runCLI(t, append([]string{"data", "verify", "--proof", bad}, n.common...)...); err == nil || !strings.Contains(errs, "does not verify") {
		t.Fatalf("tampered record: err %v, stderr %s", err, errs)
	}
	// A dataset registered with a root its manifest does not have: proofs refuse it.
	n.cli(t, "tx", "data", "publish", "--job", "1", "--name", "wrong-root", "--root", strings.Repeat("ab", 32), "--manifest", up.Manifest,
		"--shards", strings.Join(up.Shards, ","), "--records", fmt.Sprint(up.Records), "--licence", up.Licence, "--from", "alice")
	if _, errs, err := runCLI(t, append([]string{"data", "prove", "--dataset", "2", "--record", "0"}, n.common...)...); err == nil || !strings.Contains(errs, "root") {
		t.Fatalf("dataset with a wrong root: err %v, stderr %s", err, errs)
	}
	prov := n.cli(t, "query", "data", "provenance", "1", "-o", "json")
	var pv data.Provenance
	if err := json.Unmarshal([]byte(prov), &pv); err != nil || pv.Job.ID != 1 || len(pv.Crawlers) != len(crawlers) {
		t.Fatalf("provenance: %v %s", err, prov)
	}
	var dl data.Datasets
	if out := n.cli(t, "query", "data", "datasets", "--limit", "1", "-o", "json"); json.Unmarshal([]byte(out), &dl) != nil || len(dl.Datasets) != 1 || dl.Datasets[0].Name != "debian-manuals" || dl.Next != 1 {
		t.Fatalf("query data datasets --limit 1: %s", out)
	}
	checkDatasetPages(t, n.api, 1, "debian-manuals", len(crawlers))
}

// writeCrawlFigure appends the measured figure to $EMERGENCE_FIGURES, when set, so a run
// can collect it for the note.
func writeCrawlFigure(t *testing.T, j data.Job, elapsed time.Duration) {
	path := os.Getenv("EMERGENCE_FIGURES")
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	json.NewEncoder(f).Encode(map[string]any{"test": t.Name(), "accepted": j.Accepted, "seconds": elapsed.Seconds(),
		"pages_per_s": float64(j.Accepted) / elapsed.Seconds()})
}

// waitLog waits until a process's output holds want.
func waitLog(t *testing.T, p *proc, want string, within time.Duration) {
	t.Helper()
	if _, out, ok := p.out.wait(regexp.MustCompile(regexp.QuoteMeta(want)), within); !ok {
		t.Fatalf("%s never logged %q:\n%s", p.log, want, out)
	}
}

// TestCrawlerRestartReveals kills a crawler process (SIGKILL) after it committed its
// receipts and before it could reveal them (its partner has not started), restarts it on
// the same directory, and checks that it reveals what it committed: every page accepted,
// no unrevealed commit slashed, nothing fetched twice.
func TestCrawlerRestartReveals(t *testing.T) {
	site := startSite(t)
	home := t.TempDir()
	api := startDevnetProc(t, home)
	n := &crawlNet{home: home, api: api, common: []string{"--home", home, "--keyring-backend", "test", "--node", api}, c: client.New(api), site: site}
	for _, c := range []string{"c1", "c2"} {
		n.cli(t, "keys", "add", c)
		n.cli(t, "tx", "bank", "send", "alice", c, "10emg")
		n.cli(t, "tx", "data", "register-crawler", "2emg", "--from", c)
	}
	dir1, dir2 := t.TempDir(), t.TempDir()
	args := func(c, dir string) []string {
		return append([]string{"crawler", "--from", c, "--rate", "100000", "--dir", dir}, n.common...)
	}
	c1 := startEmergence(t, filepath.Join(dir1, "run1.log"), args("c1", dir1)...)
	urls := site.pages[:30]
	host := strings.TrimPrefix(site.srv.URL, "http://")
	n.cli(t, "tx", "data", "create-crawl", "--seeds", strings.Join(urls, ","), "--hosts", host, "--max-depth", "0",
		"--price", "10uemg", "--budget", "1emg", "--commit-blocks", "600", "--reveal-blocks", "600", "--deadline", "5000",
		"--licence", "PostgreSQL", "--from", "alice")
	waitLog(t, c1, "committed 30 receipts", 3*time.Minute)
	c1.cmd.Process.Signal(syscall.SIGKILL)
	c1.cmd.Wait()
	if files, _ := filepath.Glob(filepath.Join(dir1, "pending-*.json")); len(files) == 0 {
		t.Fatal("the killed crawler left no pending reveals")
	}
	again := startEmergence(t, filepath.Join(dir1, "run2.log"), args("c1", dir1)...)
	startEmergence(t, filepath.Join(dir2, "c2.log"), args("c2", dir2)...)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var j data.Job
	if err := n.c.Await(ctx, func() (bool, error) {
		err := n.c.Query(ctx, data.Name, "job/1", nil, &j)
		return err == nil && j.Open == 0, err
	}); err != nil {
		t.Fatalf("job did not settle: %v (%+v)", err, j)
	}
	if j.Accepted != uint64(len(urls)) {
		t.Fatalf("%d of %d pages accepted", j.Accepted, len(urls))
	}
	waitLog(t, again, "revealed", time.Minute)
	addr := strings.TrimSpace(n.cli(t, "keys", "show", "c1", "--address"))
	var cr data.CrawlerInfo
	if err := n.c.Query(ctx, data.Name, "crawler/"+addr, nil, &cr); err != nil {
		t.Fatal(err)
	}
	if cr.Unrevealed != 0 || cr.Revealed != uint64(len(urls)) || cr.Committed != uint64(len(urls)) {
		t.Fatalf("restarted crawler: committed %d, revealed %d, unrevealed %d; want %d, %d, 0", cr.Committed, cr.Revealed, cr.Unrevealed, len(urls), len(urls))
	}
	if b, _ := os.ReadFile(again.log); strings.Contains(string(b), "committed") {
		t.Fatalf("the restarted crawler committed again:\n%s", b)
	}
}
