// Package demo runs Emergence's whole workflow on a fresh devnet, linked
// end to end: a local site of real documents is crawled by three crawler
// processes, built into a dataset and published; the dataset's records are
// labeled by enrolled people (and by spammers, while a sybil farm without
// personhood is refused); two compute providers train a model; its accuracy
// on a held-out exam is proven in zero knowledge and attested with links to
// the dataset, the labeling job and the training job; subnet miners serve it
// and other models while validators score them; the enrolled people claim
// their UBI. It ends with a report of who earned or lost what, the model's
// proven accuracy and the chain's figures.
//
// Every role is a real process of the emergence binary (Config.Bin): the
// devnet, the site, crawlers, labelers, providers, miners and validators.
// Transactions and offline tools are run as the CLI commands a user would
// type; the demo reads state and waits on chain events through package
// client, with deadlines, never sleeps. It links neither CometBFT nor Pebble.
package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"emergence/api"
	"emergence/client"
)

// Config sizes a demo run.
type Config struct {
	// Bin is the emergence binary every process runs (os.Executable()).
	Bin string
	// Home is an empty or missing directory: the devnet's home (keys,
	// chain) is Home/node, logs go to Home/logs and files to Home/work.
	Home string
	// Pages is how many real pages the local site serves (split over the
	// four document sets); every page is a labeling item.
	Pages int
	// Honest and Spammers are enrolled people who label (spammers answer
	// one class for everything); Sybils are accounts of one farm without
	// personhood.
	Honest, Spammers, Sybils int
	// Epochs is how many subnet epochs the validators score.
	Epochs int
	// ExamSize is the held-out exam's sample count.
	ExamSize int
	// TrainEpochs are the training job's epochs.
	TrainEpochs int
	// BlockTime is the devnet's block time ("100ms").
	BlockTime string
	// DocRoot is where the Debian manuals are installed (/usr/share/doc).
	DocRoot string
	// Out receives the progress lines.
	Out io.Writer
}

// Defaults fills what c leaves zero.
func (c *Config) Defaults() {
	def := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	def(&c.Pages, 40)
	def(&c.Honest, 3)
	def(&c.Spammers, 2)
	def(&c.Sybils, 3)
	def(&c.Epochs, 3)
	def(&c.ExamSize, 8)
	def(&c.TrainEpochs, 3)
	if c.BlockTime == "" {
		c.BlockTime = "100ms"
	}
	if c.DocRoot == "" {
		c.DocRoot = "/usr/share/doc"
	}
	if c.Out == nil {
		c.Out = io.Discard
	}
}

// ErrBadConfig reports sizes the workflow cannot run with.
var ErrBadConfig = errors.New("bad demo size")

// ErrNoDocs reports that the Debian manuals the site serves are missing.
var ErrNoDocs = errors.New("the Debian manuals the local site serves are not installed")

// ErrHomeInUse reports a home that already holds something.
var ErrHomeInUse = errors.New("the demo needs an empty home")

func (c *Config) check() error {
	switch {
	case c.Bin == "":
		return fmt.Errorf("%w: no binary", ErrBadConfig)
	case c.Pages < 8 || c.Pages > 1000:
		return fmt.Errorf("%w: --pages %d (8 to 1000: the label job takes every page as an item)", ErrBadConfig, c.Pages)
	case c.Honest < 2 || c.Spammers < 1 || c.Sybils < 1 || c.Honest+c.Spammers > 16 || c.Sybils > 16:
		return fmt.Errorf("%w: %d honest labelers, %d spammers, %d sybils (at least 2, 1 and 1; at most 16 people and 16 sybils)", ErrBadConfig, c.Honest, c.Spammers, c.Sybils)
	case c.Spammers >= c.Honest:
		return fmt.Errorf("%w: %d spammers against %d honest labelers (truth inference needs an honest majority)", ErrBadConfig, c.Spammers, c.Honest)
	case c.Epochs < 1 || c.Epochs > 50:
		return fmt.Errorf("%w: --epochs %d (1 to 50)", ErrBadConfig, c.Epochs)
	case c.ExamSize < 2 || c.ExamSize > 64:
		return fmt.Errorf("%w: --exam-size %d (2 to 64)", ErrBadConfig, c.ExamSize)
	case c.TrainEpochs < 1 || c.TrainEpochs > 50:
		return fmt.Errorf("%w: --train-epochs %d (1 to 50)", ErrBadConfig, c.TrainEpochs)
	}
	if _, err := time.ParseDuration(c.BlockTime); err != nil {
		return fmt.Errorf("%w: --block-time %q", ErrBadConfig, c.BlockTime)
	}
	return nil
}

// Step is one step of the workflow as the report shows it.
type Step struct {
	Name    string  `json:"name"`
	Done    bool    `json:"done"`
	Seconds float64 `json:"seconds"`
	From    int64   `json:"from_height"`
	To      int64   `json:"to_height"`
	Txs     int     `json:"txs"`
	Detail  string  `json:"detail,omitempty"`
}

// Participant is one account and what it earned or lost over the run:
// Net = After − Before, where Before is its balance once funded and After
// its balance at the end plus the stake it still holds in the markets.
type Participant struct {
	Name    string `json:"name"`
	Role    string `json:"role"`
	Address string `json:"address"`
	Before  int64  `json:"before"`
	After   int64  `json:"after"`
	Net     int64  `json:"net"`
	Note    string `json:"note,omitempty"`
}

// Model is the trained model and its proven accuracy.
type Model struct {
	Commitment  string `json:"commitment"`
	Blob        string `json:"blob"`
	Arch        string `json:"arch"`
	Exam        uint64 `json:"exam"`
	ExamName    string `json:"exam_name"`
	Attestation uint64 `json:"attestation"`
	Claim       uint64 `json:"claim"`
	N           uint64 `json:"n"`
	Dataset     uint64 `json:"dataset"`
	LabelJob    uint64 `json:"label_job"`
	TrainJob    uint64 `json:"train_job"`
	NetUID      uint64 `json:"netuid"`
	// TamperedRefused is the code the chain refused a tampered link with.
	TamperedRefused string `json:"tampered_refused"`
}

// Sybils is what happened to the farm's labelers.
type Sybils struct {
	Tried   int    `json:"tried"`
	Refused int    `json:"refused"`
	Reason  string `json:"reason"`
}

// Report is the demo's result.
type Report struct {
	API          string          `json:"api"`
	Home         string          `json:"home"`
	Steps        []Step          `json:"steps"`
	Participants []Participant   `json:"participants"`
	Model        Model           `json:"model"`
	Sybils       Sybils          `json:"sybils"`
	UBIClaims    int             `json:"ubi_claims"`
	Provenance   json.RawMessage `json:"provenance,omitempty"`
	Height       int64           `json:"height"`
	Txs          int             `json:"txs"`
	Seconds      float64         `json:"seconds"`
}

// Demo is a finished (or failed) run whose node may still be up.
type Demo struct {
	Report *Report
	procs  []*proc
}

// Stop ends every process the demo started, the devnet last.
func (d *Demo) Stop() {
	for i := len(d.procs) - 1; i >= 0; i-- {
		d.procs[i].stop()
	}
}

// runner holds one run's state.
type runner struct {
	cfg                Config
	home, node         string
	logs, work         string
	api                string
	c                  *client.Client
	rep                *Report
	demo               *Demo
	addr               map[string]string
	people             []*person
	roles              map[string]string
	notes              map[string]string
	order              []string
	before             map[string]int64
	start              time.Time
	crawlJob, dataset  uint64
	labelJob, trainJob uint64
	netuid             uint64
	records            []record
	siteURL            string
	hasSubnet          bool
	stepStart          time.Time
	env                []string
}

type person struct {
	name, labeler string // identity name and its labeling account
	spammer       bool
}

type record struct{ id, class string }

// say prints a progress line with the seconds since its step began.
func (r *runner) say(format string, args ...any) {
	fmt.Fprintf(r.cfg.Out, "    %5.1fs  "+format+"\n", append([]any{time.Since(r.stepStart).Seconds()}, args...)...)
}

// cli runs an emergence command against the devnet with the dev keyring.
func (r *runner) cli(ctx context.Context, args ...string) (string, error) {
	return run(ctx, r.cfg.Bin, r.env, append(args, r.common()...)...)
}

func (r *runner) common() []string {
	c := []string{"--home", r.node, "--keyring-backend", "test"}
	if r.api != "" {
		c = append(c, "--node", r.api)
	}
	return c
}

// tx runs a tx command with JSON output and returns its result.
func (r *runner) tx(ctx context.Context, args ...string) (*api.TxResult, error) {
	return r.send(ctx, append([]string{"tx"}, args...)...)
}

// send runs a command that sends one transaction (tx ..., id claim, id
// prove-human) with JSON output and returns its result.
func (r *runner) send(ctx context.Context, args ...string) (*api.TxResult, error) {
	out, err := r.cli(ctx, append(args, "-o", "json")...)
	if err != nil {
		return nil, err
	}
	var res api.TxResult
	if err := json.Unmarshal([]byte(lastJSON(out)), &res); err != nil {
		return nil, fmt.Errorf("tx %s printed %q: %w", strings.Join(args, " "), out, err)
	}
	if res.Code != 0 {
		return &res, fmt.Errorf("tx %s failed: code %s/%d: %s", strings.Join(args, " "), res.Codespace, res.Code, res.Log)
	}
	return &res, nil
}

// lastJSON is the last top-level JSON object in s (commands may print a
// line of text before it).
func lastJSON(s string) string {
	if i := strings.Index(s, "{"); i >= 0 {
		return s[i:]
	}
	return s
}

func attr(res *api.TxResult, typ, key string) string {
	if res == nil {
		return ""
	}
	for _, e := range res.Events {
		if e.Type != typ {
			continue
		}
		for _, a := range e.Attrs {
			if a.Key == key {
				return a.Value
			}
		}
	}
	return ""
}

func (r *runner) query(ctx context.Context, module, path string, out any) error {
	return r.c.Query(ctx, module, path, nil, out)
}

func (r *runner) height(ctx context.Context) int64 {
	if r.c == nil {
		return 0
	}
	st, err := r.c.Status(ctx)
	if err != nil {
		return 0
	}
	return st.Height
}

// await waits for cond with a deadline, following the node's blocks.
func (r *runner) await(ctx context.Context, within time.Duration, what string, cond func() (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	if err := r.c.Await(ctx, cond); err != nil {
		return fmt.Errorf("waiting for %s: %w", what, err)
	}
	return nil
}

// step runs one step and records its time, blocks and transactions.
func (r *runner) step(ctx context.Context, name string, fn func() (string, error)) error {
	fmt.Fprintf(r.cfg.Out, "==> %s\n", name)
	t0, h0 := time.Now(), r.height(ctx)
	r.stepStart = t0
	detail, err := fn()
	s := Step{Name: name, Done: err == nil, Seconds: time.Since(t0).Seconds(), From: h0, To: r.height(ctx), Detail: detail}
	r.rep.Steps = append(r.rep.Steps, s)
	if err != nil {
		fmt.Fprintf(r.cfg.Out, "    FAILED after %.1f s: %v\n", s.Seconds, err)
		return fmt.Errorf("%s: %w", name, err)
	}
	fmt.Fprintf(r.cfg.Out, "    done in %.1f s, blocks %d-%d: %s\n", s.Seconds, s.From, s.To, detail)
	return nil
}

// Run runs the whole workflow. The returned Demo holds the report (also on
// error: the steps done so far) and the processes still running: the
// devnet and the site stay up until Stop.
func Run(ctx context.Context, cfg Config) (*Demo, error) {
	cfg.Defaults()
	if err := cfg.check(); err != nil {
		return nil, err
	}
	home, err := filepath.Abs(cfg.Home)
	if err != nil {
		return nil, err
	}
	if ents, err := os.ReadDir(home); err == nil && len(ents) > 0 {
		return nil, fmt.Errorf("%w: %s holds %d entries", ErrHomeInUse, home, len(ents))
	}
	r := &runner{cfg: cfg, home: home, node: filepath.Join(home, "node"), logs: filepath.Join(home, "logs"),
		work: filepath.Join(home, "work"), rep: &Report{Home: home}, addr: map[string]string{},
		env:   []string{"EMERGENCE_KEYRING_PASSPHRASE=demo passphrase"},
		roles: map[string]string{}, notes: map[string]string{}, before: map[string]int64{}, start: time.Now()}
	r.demo = &Demo{Report: r.rep}
	for _, d := range []string{r.logs, r.work} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	steps := []struct {
		name string
		fn   func(context.Context) (string, error)
	}{
		{"devnet", r.devnet},
		{"local site of real documents", r.site},
		{"crawl: 3 crawlers, k=2", r.crawl},
		{"dataset: build and publish", r.publish},
		{"labeling: people, spammers and a sybil farm", r.label},
		{"training: 2 providers", r.train},
		{"zk accuracy attestation with provenance", r.attest},
		{"subnet: miners and validators", r.subnetStep},
		{"UBI claims", r.ubi},
	}
	for _, s := range steps {
		if err := r.step(ctx, s.name, func() (string, error) { return s.fn(ctx) }); err != nil {
			r.finish(ctx)
			return r.demo, err
		}
	}
	r.finish(ctx)
	return r.demo, nil
}

// track registers an account of the report.
func (r *runner) track(name, role string) {
	if _, ok := r.roles[name]; !ok {
		r.order = append(r.order, name)
	}
	r.roles[name] = role
}

// keys adds keys and returns nothing but errors; addresses go to r.addr.
func (r *runner) keys(ctx context.Context, names ...string) error {
	for _, n := range names {
		out, err := r.cli(ctx, "keys", "add", n, "-o", "json")
		if err != nil {
			return err
		}
		var k struct{ Address string }
		if err := json.Unmarshal([]byte(lastJSON(out)), &k); err != nil || k.Address == "" {
			return fmt.Errorf("keys add %s printed %q", n, out)
		}
		r.addr[n] = k.Address
	}
	return nil
}

func (r *runner) address(ctx context.Context, name string) (string, error) {
	if a, ok := r.addr[name]; ok {
		return a, nil
	}
	out, err := r.cli(ctx, "keys", "show", name, "--address")
	if err != nil {
		return "", err
	}
	r.addr[name] = strings.TrimSpace(out)
	return r.addr[name], nil
}

// fund sends each named account amount from alice in one transaction and
// records their balances as the report's "before".
func (r *runner) fund(ctx context.Context, amount string, names ...string) error {
	args := []string{"bank", "multisend", "alice"}
	for _, n := range names {
		args = append(args, r.addr[n], amount)
	}
	if _, err := r.tx(ctx, args...); err != nil {
		return err
	}
	for _, n := range names {
		b, err := r.balance(ctx, n)
		if err != nil {
			return err
		}
		r.before[n] = b
	}
	return nil
}

func (r *runner) balance(ctx context.Context, name string) (int64, error) {
	a, err := r.address(ctx, name)
	if err != nil {
		return 0, err
	}
	var acc struct {
		Balance uint64 `json:"balance"`
	}
	if err := r.c.Query(ctx, "bank", "balance/"+a, nil, &acc); err != nil {
		return 0, fmt.Errorf("balance of %s: %w", name, err)
	}
	return int64(acc.Balance), nil
}

func (r *runner) devnet(ctx context.Context) (string, error) {
	p, err := start(r.cfg.Bin, r.logs, "devnet", "devnet", "--home", r.node, "--api", "127.0.0.1:0", "--block-time", r.cfg.BlockTime)
	if err != nil {
		return "", err
	}
	r.demo.procs = append(r.demo.procs, p)
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	m, err := p.waitLine(wctx, regexp.MustCompile(`api\s+(http://\S+)`))
	if err != nil {
		return "", err
	}
	r.api = m[1]
	r.rep.API = r.api
	r.c = client.New(r.api)
	if err := r.await(ctx, time.Minute, "the first blocks", func() (bool, error) { return r.height(ctx) >= 2, nil }); err != nil {
		return "", err
	}
	r.say("devnet at %s (home %s, blocks every %s)", r.api, r.node, r.cfg.BlockTime)
	return "node " + r.api, nil
}

// sets are the Debian manuals the site serves, one labeling class each.
var sets = []struct{ class, glob, files string }{
	{"postgresql", "postgresql-doc-*/html", "*.html"},
	{"sqlite", "sqlite3", "*.html"},
	{"python", "python3.[0-9]*[0-9]/html", "*/*.html"},
	{"git", "git-doc", "*.html"},
}

// classes are the labeling job's classes, in set order.
func classes() []string {
	var c []string
	for _, s := range sets {
		c = append(c, s.class)
	}
	return c
}

func (r *runner) site(ctx context.Context) (string, error) {
	dir := filepath.Join(r.work, "site")
	per := r.cfg.Pages / len(sets)
	extra := r.cfg.Pages % len(sets)
	total := 0
	for i, s := range sets {
		dirs, _ := filepath.Glob(filepath.Join(r.cfg.DocRoot, s.glob))
		if len(dirs) == 0 {
			return "", fmt.Errorf("%w: no %s", ErrNoDocs, filepath.Join(r.cfg.DocRoot, s.glob))
		}
		files, _ := filepath.Glob(filepath.Join(dirs[0], s.files))
		sort.Strings(files)
		want := per
		if i < extra {
			want++
		}
		if len(files) < want {
			return "", fmt.Errorf("%w: %s has %d pages, the demo wants %d", ErrNoDocs, dirs[0], len(files), want)
		}
		if err := os.MkdirAll(filepath.Join(dir, s.class), 0o755); err != nil {
			return "", err
		}
		// Pages spread over the whole manual, not only its first chapter.
		for k := 0; k < want; k++ {
			f := files[k*len(files)/want]
			b, err := os.ReadFile(f)
			if err != nil {
				return "", err
			}
			rel, _ := filepath.Rel(dirs[0], f)
			name := strings.ReplaceAll(filepath.ToSlash(rel), "/", "-")
			if err := os.WriteFile(filepath.Join(dir, s.class, name), b, 0o644); err != nil {
				return "", err
			}
			total++
		}
	}
	p, err := start(r.cfg.Bin, r.logs, "site", "data", "site", "--dir", dir, "--listen", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	r.demo.procs = append(r.demo.procs, p)
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	m, err := p.waitLine(wctx, regexp.MustCompile(`serving .* at (http://\S+)`))
	if err != nil {
		return "", err
	}
	r.siteURL = m[1]
	r.say("serving %d Debian manual pages (PostgreSQL, SQLite, Python, Git) at %s", total, r.siteURL)
	return fmt.Sprintf("%d pages at %s", total, r.siteURL), nil
}

func (r *runner) crawl(ctx context.Context) (string, error) {
	crawlers := []string{"crawler1", "crawler2", "crawler3"}
	if err := r.keys(ctx, append([]string{"lab"}, crawlers...)...); err != nil {
		return "", err
	}
	r.track("lab", "requester: crawl job, dataset, label job, training job, attestation, subnet owner")
	for _, c := range crawlers {
		r.track(c, "crawler")
	}
	if err := r.fund(ctx, "10000emg", "lab"); err != nil {
		return "", err
	}
	if err := r.fund(ctx, "10emg", crawlers...); err != nil {
		return "", err
	}
	err := parallel(len(crawlers), func(i int) error {
		_, err := r.tx(ctx, "data", "register-crawler", "2emg", "--from", crawlers[i])
		return err
	})
	if err != nil {
		return "", err
	}
	for _, c := range crawlers {
		dir := filepath.Join(r.work, c)
		p, err := start(r.cfg.Bin, r.logs, c, append([]string{"crawler", "--from", c, "--rate", "100000", "--timeout", "10s", "--dir", dir}, r.common()...)...)
		if err != nil {
			return "", err
		}
		r.demo.procs = append(r.demo.procs, p)
	}
	r.say("3 crawlers registered with 2 EMG stake each, running as processes")
	var urls []string
	err = filepath.WalkDir(filepath.Join(r.work, "site"), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(filepath.Join(r.work, "site"), path)
		urls = append(urls, r.siteURL+"/"+filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		return "", err
	}
	sort.Strings(urls)
	host := strings.TrimPrefix(r.siteURL, "http://")
	const price = 20_000 // uemg per page, split between its k = 2 crawlers
	budget := fmt.Sprintf("%duemg", 2*price*len(urls))
	first := min(len(urls), 256)
	res, err := r.tx(ctx, "data", "create-crawl", "--seeds", strings.Join(urls[:first], ","), "--hosts", host,
		"--max-depth", "0", "--max-pages", strconv.Itoa(len(urls)), "--k", "2", "--price", fmt.Sprintf("%duemg", price),
		"--budget", budget, "--deadline", "20000", "--commit-blocks", "600", "--reveal-blocks", "600",
		"--licence", "PostgreSQL,blessing,PSF-2.0,GPL-2.0", "--from", "lab")
	if err != nil {
		return "", err
	}
	r.crawlJob, _ = strconv.ParseUint(attr(res, "data-crawl-created", "job"), 10, 64)
	if r.crawlJob == 0 {
		return "", fmt.Errorf("create-crawl printed no job id")
	}
	for i := first; i < len(urls); i += 256 {
		if _, err := r.tx(ctx, "data", "add-urls", "--job", fmt.Sprint(r.crawlJob), "--urls", strings.Join(urls[i:min(i+256, len(urls))], ","), "--from", "lab"); err != nil {
			return "", err
		}
	}
	r.say("crawl job %d: %d URLs, k = 2, %d uemg per page", r.crawlJob, len(urls), price)
	var j struct {
		URLs, Open, Accepted, Skipped, Disputed, Missed uint64
	}
	last := uint64(0)
	err = r.await(ctx, 10*time.Minute, "the crawl to settle", func() (bool, error) {
		if err := r.query(ctx, "data", fmt.Sprintf("job/%d", r.crawlJob), &j); err != nil {
			return false, err
		}
		if j.Accepted != last && j.Accepted%10 == 0 || j.Open == 0 {
			if j.Accepted != last {
				r.say("%d/%d pages accepted", j.Accepted, j.URLs)
			}
			last = j.Accepted
		}
		return j.URLs == uint64(len(urls)) && j.Open == 0, nil
	})
	if err != nil {
		return "", err
	}
	for _, p := range r.demo.procs[2:] {
		p.stop()
	}
	if j.Accepted == 0 {
		return "", fmt.Errorf("no page accepted (%d disputed, %d missed)", j.Disputed, j.Missed)
	}
	return fmt.Sprintf("job %d: %d of %d pages accepted (%d disputed, %d missed), each by 2 crawlers agreeing on its text hash",
		r.crawlJob, j.Accepted, j.URLs, j.Disputed, j.Missed), nil
}

func (r *runner) publish(ctx context.Context) (string, error) {
	dir := filepath.Join(r.work, "dataset")
	out, err := r.cli(ctx, "data", "build", "--job", fmt.Sprint(r.crawlJob), "--out", dir, "--clean", "--upload", "--from", "lab", "-o", "json")
	if err != nil {
		return "", err
	}
	var b struct {
		Records  int      `json:"records"`
		Root     string   `json:"root"`
		Manifest string   `json:"manifest"`
		Shards   []string `json:"shards"`
		Licence  string   `json:"licence"`
		Cleaned  struct {
			Accepted int            `json:"accepted"`
			Rejected map[string]int `json:"rejected"`
		} `json:"cleaned"`
	}
	if err := json.Unmarshal([]byte(lastJSON(out)), &b); err != nil {
		return "", fmt.Errorf("data build printed %q: %w", out, err)
	}
	var rejected []string
	for f, n := range b.Cleaned.Rejected {
		rejected = append(rejected, fmt.Sprintf("%s %d", f, n))
	}
	sort.Strings(rejected)
	r.say("cleaned: kept %d of %d accepted pages (rejected: %s)", b.Records, b.Cleaned.Accepted, strings.Join(rejected, ", "))
	r.say("built %d records into %d Parquet shard(s), Merkle root %s", b.Records, len(b.Shards), short(b.Root))
	res, err := r.tx(ctx, "data", "publish", "--job", fmt.Sprint(r.crawlJob), "--name", "debian-manuals", "--root", b.Root,
		"--manifest", b.Manifest, "--shards", strings.Join(b.Shards, ","), "--records", strconv.Itoa(b.Records),
		"--price", "20emg", "--licence", b.Licence, "--from", "lab")
	if err != nil {
		return "", err
	}
	r.dataset, _ = strconv.ParseUint(attr(res, "data-published", "dataset"), 10, 64)
	if r.dataset == 0 {
		return "", fmt.Errorf("publish printed no dataset id")
	}
	if r.records, err = readRecords(dir); err != nil {
		return "", err
	}
	// A buyer pays for it: 70 % goes to the crawlers by accepted pages.
	if err := r.keys(ctx, "buyer"); err != nil {
		return "", err
	}
	r.track("buyer", "buys the dataset")
	if err := r.fund(ctx, "100emg", "buyer"); err != nil {
		return "", err
	}
	if _, err := r.tx(ctx, "data", "buy", fmt.Sprint(r.dataset), "--from", "buyer"); err != nil {
		return "", err
	}
	r.say("dataset %d published at 20 EMG; a buyer bought it (70%% to the crawlers, 20%% to the requester)", r.dataset)
	return fmt.Sprintf("dataset %d: %d records, root %s, bought once", r.dataset, b.Records, short(b.Root)), nil
}

func short(h string) string {
	if len(h) > 16 {
		return h[:16] + "…"
	}
	return h
}
