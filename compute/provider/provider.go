// Package provider is the compute market's worker (`emergence provider`):
// it registers the key as a provider, answers the chain's benchmark, bids
// on open jobs, runs the jobs it is assigned in the sandbox, uploads their
// outputs to the blob store, commits to the output hash, reveals it, and
// re-runs jobs it is drawn to referee.
//
// The worker talks to a node only through its HTTP API (package client), so
// it does not link CometBFT or Pebble. Each step reads the chain's state,
// sends what that state asks for in one transaction and waits for it to
// commit, so a worker restarted at any point resumes from the chain: only
// the salts of commitments not yet revealed live in memory, and a worker
// that loses them misses its reveal (and is slashed for it, as the chain's
// rules say).
package provider

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"emergence/app"
	"emergence/client"
	"emergence/compute"
	"emergence/compute/kernel"
	"emergence/compute/sandbox"
	"emergence/tx"
)

// Exit codes a provider reports for a run the sandbox refused or stopped:
// they are deterministic answers (every honest replica reports the same)
// rather than silence, so a requester who submits a broken module pays for
// the work and the job ends. Guest exit codes are below 2^31 in practice;
// these are above.
const (
	ExitInvalidModule    uint32 = 0xE0000001
	ExitImportNotGranted uint32 = 0xE0000002
	ExitDeadline         uint32 = 0xE0000003
	ExitOutputCap        uint32 = 0xE0000004
	ExitNoEntry          uint32 = 0xE0000005
)

// FailureExit maps a sandbox refusal to its exit code, and false for an
// error that is the provider's own (a blob it could not fetch, a full disk).
func FailureExit(err error) (uint32, bool) {
	switch {
	case errors.Is(err, sandbox.ErrInvalidModule):
		return ExitInvalidModule, true
	case errors.Is(err, sandbox.ErrImportNotGranted):
		return ExitImportNotGranted, true
	case errors.Is(err, sandbox.ErrDeadline):
		return ExitDeadline, true
	case errors.Is(err, sandbox.ErrOutputCap):
		return ExitOutputCap, true
	case errors.Is(err, sandbox.ErrNoEntry):
		return ExitNoEntry, true
	}
	return 0, false
}

// Config is a worker's identity, offer and local resources.
type Config struct {
	Key ed25519.PrivateKey
	// Cores, MemMiB and Price are the capacity and asking price registered
	// (and bid); Stake is locked at registration.
	Cores  uint32
	MemMiB uint32
	Price  uint64
	Stake  uint64
	// WorkDir holds each run's input and output directories while it runs.
	WorkDir string
	// Runner runs the jobs; its compilation cache is shared by them.
	Runner *sandbox.Runner
	// Log receives one line per action.
	Log io.Writer
	// Lazy makes the worker skip running jobs and report a garbage output
	// (the lazy cheater of the attack checks; tests and sims only).
	Lazy bool
	// Poll is how often the worker re-reads the chain when it sent
	// nothing (0: every new block, waited on the API's block stream).
	Poll time.Duration
}

// Worker is one provider.
type Worker struct {
	c    *client.Client
	cfg  Config
	addr tx.Address

	mu     sync.Mutex
	runs   map[uint64]*run // by job id: the current run of a job we hold
	bids   map[uint64]bool // jobs bid on
	sem    chan struct{}
	benchd string // seed of the benchmark last answered
	// wake is signalled when a run finishes, so its commitment goes out
	// without waiting for the next block.
	wake chan struct{}
	// prep queues modules to fetch and compile ahead of their runs.
	prep chan string
	// mods caches recently fetched modules by hash (at most maxMods), so
	// replicas and referee runs of one module fetch it once.
	mods     map[string][]byte
	modOrder []string
}

// maxMods bounds the module cache.
const maxMods = 8

// run is one execution of a job, for an assignment or as referee.
type run struct {
	done chan struct{}
	// set once done:
	out   Outcome
	err   error
	salt  [32]byte
	rev   string // what the run is for: "replica/<assigned height>" or "referee/<deadline>"
	sent  bool   // commit or referee result sent
	shown bool   // reveal sent
	tries int    // this run's attempt, 1 to maxTries
}

// maxTries is how often a run that failed on the provider's side is
// started before the provider gives up on the job (and misses its window).
const maxTries = 3

// Outcome is a finished run as the chain records it.
type Outcome struct {
	Output string         `json:"output"`
	Exit   uint32         `json:"exit"`
	Files  []compute.File `json:"files"`
	// Elapsed is the sandbox's wall time (0 for a refused module).
	Elapsed time.Duration `json:"elapsed"`
}

// New returns a worker for the key in cfg talking through c; c's blob
// uploads are signed with the key.
func New(c *client.Client, cfg Config) (*Worker, error) {
	if cfg.Key == nil || cfg.Runner == nil || cfg.WorkDir == "" {
		return nil, errors.New("provider: key, runner and work dir are required")
	}
	if cfg.Cores == 0 {
		cfg.Cores = 1
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	return &Worker{
		c:    c.SignBlobsWith(cfg.Key),
		cfg:  cfg,
		addr: tx.AddressFromPubKey(cfg.Key.Public().(ed25519.PublicKey)),
		runs: map[uint64]*run{},
		bids: map[uint64]bool{},
		sem:  make(chan struct{}, cfg.Cores),
		wake: make(chan struct{}, 1),
		prep: make(chan string, maxMods),
		mods: map[string][]byte{},
	}, nil
}

// Address is the provider's address.
func (w *Worker) Address() tx.Address { return w.addr }

func (w *Worker) logf(format string, args ...any) {
	fmt.Fprintf(w.cfg.Log, "provider %s: %s\n", w.addr.String()[:12], fmt.Sprintf(format, args...))
}

// Run steps until ctx ends. A step that fails (node unreachable, a tx
// refused) is logged and retried at the next block.
func (w *Worker) Run(ctx context.Context) error {
	go w.prepareLoop(ctx)
	for {
		sent, err := w.Step(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			w.logf("step: %v", err)
		}
		if sent {
			continue // the tx committed: state moved, look again
		}
		if err := w.waitNext(ctx); err != nil && ctx.Err() != nil {
			return nil
		}
	}
}

// waitNext waits for the next block (or Poll), or for a run to finish.
func (w *Worker) waitNext(ctx context.Context) error {
	st, err := w.c.Status(ctx)
	if err != nil {
		select {
		case <-ctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if w.cfg.Poll > 0 {
		select {
		case <-wctx.Done():
		case <-w.wake:
		case <-time.After(w.cfg.Poll):
		}
		return nil
	}
	done := make(chan error, 1)
	go func() { done <- w.c.WaitHeight(wctx, st.Height+1) }()
	select {
	case err := <-done:
		return err
	case <-w.wake:
		cancel()
		<-done
		return nil
	}
}

// Step reads the chain once and sends, in one transaction, every message
// the provider owes: registration, a benchmark answer, bids, commitments,
// reveals and referee results. It reports whether it sent one.
func (w *Worker) Step(ctx context.Context) (bool, error) {
	var p compute.Provider
	err := w.c.Query(ctx, compute.Name, "provider/"+w.addr.String(), nil, &p)
	if errors.Is(err, client.ErrNotFound) {
		w.logf("registering: %d cores, %d MiB, price %d, stake %d", w.cfg.Cores, w.cfg.MemMiB, w.cfg.Price, w.cfg.Stake)
		return w.send(ctx, []owed{{msg: mustMsg(compute.MsgRegisterProvider, compute.RegisterProvider{
			Cores: w.cfg.Cores, MemMiB: w.cfg.MemMiB, Price: w.cfg.Price, Stake: w.cfg.Stake})}})
	}
	if err != nil {
		return false, fmt.Errorf("query provider: %w", err)
	}
	var msgs []owed
	switch p.Status {
	case compute.ProviderBenchmarking:
		if p.Bench != nil && p.Bench.Seed != w.benchd {
			m, err := w.benchmark(p.Bench)
			if err != nil {
				return false, err
			}
			msgs = append(msgs, m)
		}
	case compute.ProviderFailed:
		if p.Active == 0 {
			w.logf("benchmark failed: asking for a new one")
			msgs = append(msgs, owed{msg: mustMsg(compute.MsgRebenchmark, compute.Rebenchmark{Cores: w.cfg.Cores})})
		}
	}
	work, err := w.duties(ctx)
	if err != nil {
		return false, err
	}
	msgs = append(msgs, work...)
	if p.Status == compute.ProviderReady && p.Active < p.Cores { // the chain refuses bids from a busy provider
		bids, err := w.bidMsgs(ctx, &p)
		if err != nil {
			return false, err
		}
		msgs = append(msgs, bids...)
	}
	if len(msgs) == 0 {
		return false, nil
	}
	return w.send(ctx, msgs)
}

// benchmark computes the answer to b, one goroutine per lane.
func (w *Worker) benchmark(b *compute.Benchmark) (owed, error) {
	raw, err := hex.DecodeString(b.Seed)
	if err != nil || len(raw) != 32 {
		return owed{}, fmt.Errorf("benchmark seed %q", b.Seed)
	}
	var seed [32]byte
	copy(seed[:], raw)
	start := time.Now()
	lanes := make([][]byte, b.Lanes)
	var wg sync.WaitGroup
	for i := range lanes {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			lanes[i] = kernel.Lane(seed, uint32(i), b.Segments, b.Steps)
		}(i)
	}
	wg.Wait()
	w.logf("benchmark: %d lanes x %d segments x %d steps in %s", b.Lanes, b.Segments, b.Steps, time.Since(start).Round(time.Millisecond))
	return owed{msg: mustMsg(compute.MsgBenchmarkAnswer, compute.BenchmarkAnswer{Lanes: lanes}), sent: func() { w.benchd = b.Seed }}, nil
}

// MaxBidsPerStep bounds the bids of one step's transaction.
const MaxBidsPerStep = 32

// bidMsgs bids the provider's price on open jobs it has not bid on that fit
// its memory and pay at least its price, more than it has free cores:
// the chain assigns a bid only while the provider has a free core, so a
// surplus bid costs its gas and nothing else, and bidding wide keeps jobs
// from expiring for want of bids when many arrive at once.
func (w *Worker) bidMsgs(ctx context.Context, p *compute.Provider) ([]owed, error) {
	var msgs []owed
	open := map[uint64]bool{}
	complete := false
	after := ""
	for len(msgs) < MaxBidsPerStep {
		q := url.Values{"limit": {strconv.Itoa(compute.MaxPage)}}
		if after != "" {
			q.Set("after", after)
		}
		var page compute.JobPage
		if err := w.c.Query(ctx, compute.Name, "open-jobs", q, &page); err != nil {
			return nil, fmt.Errorf("query open jobs: %w", err)
		}
		for _, j := range page.Jobs {
			open[j.ID] = true
			if len(msgs) >= MaxBidsPerStep {
				break
			}
			w.mu.Lock()
			done := w.bids[j.ID]
			w.mu.Unlock()
			if done || j.Status != compute.JobBidding || j.Requester == w.addr || j.MemMiB > w.cfg.MemMiB || j.PriceCap < w.cfg.Price {
				continue
			}
			id, wasm := j.ID, j.Wasm
			msgs = append(msgs, owed{msg: mustMsg(compute.MsgBid, compute.Bid{Job: id, Price: w.cfg.Price}), sent: func() {
				w.mu.Lock()
				w.bids[id] = true
				w.mu.Unlock()
				w.logf("job %d: bid %d", id, w.cfg.Price)
				w.prepare(wasm)
			}, already: compute.CodeDuplicateBid})
		}
		if page.Next == "" {
			complete = len(msgs) < MaxBidsPerStep
			break
		}
		after = page.Next
	}
	if complete { // every open job seen: forget marks of closed ones
		w.mu.Lock()
		for id := range w.bids {
			if !open[id] {
				delete(w.bids, id)
			}
		}
		w.mu.Unlock()
	}
	return msgs, nil
}

// duties walks the provider's assignments and referee duties, starts the
// runs they need, and returns the commitments, reveals and referee results
// that are ready.
func (w *Worker) duties(ctx context.Context) ([]owed, error) {
	var msgs []owed
	held := map[uint64]bool{}
	after := ""
	for {
		q := url.Values{"limit": {strconv.Itoa(compute.MaxPage)}}
		if after != "" {
			q.Set("after", after)
		}
		var page compute.IDPage
		if err := w.c.Query(ctx, compute.Name, "provider/"+w.addr.String()+"/assignments", q, &page); err != nil {
			return nil, fmt.Errorf("query assignments: %w", err)
		}
		for _, id := range page.Jobs {
			held[id] = true
			m, err := w.duty(ctx, id)
			if err != nil {
				w.logf("job %d: %v", id, err)
				continue
			}
			if m != nil {
				msgs = append(msgs, *m)
			}
		}
		if page.Next == "" {
			break
		}
		after = page.Next
	}
	w.forget(held)
	return msgs, nil
}

// duty handles one job the provider holds.
func (w *Worker) duty(ctx context.Context, id uint64) (*owed, error) {
	var j compute.Job
	if err := w.c.Query(ctx, compute.Name, "job/"+strconv.FormatUint(id, 10), nil, &j); err != nil {
		return nil, fmt.Errorf("query job: %w", err)
	}
	if j.Status == compute.JobRefereeing && j.Referee == w.addr {
		key := "referee/" + strconv.FormatInt(j.Deadline, 10)
		r := w.start(ctx, &j, key)
		if !r.finished() || r.sent {
			return nil, nil
		}
		if r.err != nil {
			return nil, r.err
		}
		w.logf("job %d: referee result %s (exit %d)", j.ID, short(r.out.Output), r.out.Exit)
		m := owed{msg: mustMsg(compute.MsgRefereeResult, compute.RefereeResult{Job: j.ID, Output: r.out.Output, Exit: r.out.Exit, Files: r.out.Files}),
			sent: func() { r.sent = true }}
		return &m, nil
	}
	var page compute.AssignmentPage
	if err := w.c.Query(ctx, compute.Name, "job/"+strconv.FormatUint(id, 10)+"/assignments", url.Values{"limit": {strconv.Itoa(compute.MaxPage)}}, &page); err != nil {
		return nil, fmt.Errorf("query assignments of job: %w", err)
	}
	var as *compute.Assignment
	for i := range page.Assignments {
		if page.Assignments[i].Provider == w.addr {
			as = &page.Assignments[i]
		}
	}
	if as == nil {
		return nil, nil
	}
	key := "replica/" + strconv.FormatInt(as.Assigned, 10)
	switch {
	case as.State == compute.AsgAssigned && j.Status == compute.JobRunning:
		r := w.start(ctx, &j, key)
		if !r.finished() || r.sent {
			return nil, nil
		}
		if r.err != nil {
			return nil, r.err
		}
		out, _ := hex.DecodeString(r.out.Output)
		var o [32]byte
		copy(o[:], out)
		c := compute.CommitHash(j.ID, w.addr, o, r.salt)
		w.logf("job %d: commit to output %s (exit %d, %s)", j.ID, short(r.out.Output), r.out.Exit, r.out.Elapsed.Round(time.Millisecond))
		m := owed{msg: mustMsg(compute.MsgCommitResult, compute.CommitResult{Job: j.ID, Commit: hex.EncodeToString(c[:])}),
			sent: func() { r.sent = true }, already: compute.CodeAlreadyCommitted}
		return &m, nil
	case as.State == compute.AsgCommitted && j.Status == compute.JobRevealing:
		w.mu.Lock()
		r := w.runs[j.ID]
		w.mu.Unlock()
		if r == nil || !r.finished() || r.err != nil || r.shown {
			return nil, fmt.Errorf("committed but the run's salt is lost (restarted?): the reveal will be missed")
		}
		w.logf("job %d: reveal", j.ID)
		m := owed{msg: mustMsg(compute.MsgRevealResult, compute.RevealResult{Job: j.ID, Output: r.out.Output, Exit: r.out.Exit,
			Files: r.out.Files, Salt: hex.EncodeToString(r.salt[:])}), sent: func() { r.shown = true }}
		return &m, nil
	}
	return nil, nil
}

// forget drops the runs of jobs the provider no longer holds (settled,
// reassigned or refereed: their salts are spent) and the bid marks of
// jobs no longer open.
func (w *Worker) forget(held map[uint64]bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for id, r := range w.runs {
		if !held[id] && r.finished() {
			delete(w.runs, id)
		}
	}
}

func (r *run) finished() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// start returns the job's run for key, starting it if there is none.
func (w *Worker) start(ctx context.Context, j *compute.Job, key string) *run {
	w.mu.Lock()
	defer w.mu.Unlock()
	tries := 1
	if r := w.runs[j.ID]; r != nil && r.rev == key {
		if !r.finished() || r.err == nil || r.tries >= maxTries {
			return r
		}
		// The run failed on the provider's side (a blob it could not
		// fetch, a child that died): run it again rather than miss the
		// window.
		tries = r.tries + 1
		w.logf("job %d: running it again (try %d of %d)", j.ID, tries, maxTries)
	}
	r := &run{done: make(chan struct{}), rev: key, tries: tries}
	w.runs[j.ID] = r
	job := *j
	go func() {
		defer func() {
			close(r.done)
			select {
			case w.wake <- struct{}{}:
			default:
			}
		}()
		select {
		case w.sem <- struct{}{}:
		case <-ctx.Done():
			r.err = ctx.Err()
			return
		}
		defer func() { <-w.sem }()
		if _, err := rand.Read(r.salt[:]); err != nil {
			r.err = err
			return
		}
		if w.cfg.Lazy {
			r.out, r.err = w.garbage(ctx, &job)
			return
		}
		r.out, r.err = w.Execute(ctx, &job)
		if r.err != nil {
			w.logf("job %d: run failed: %v", job.ID, r.err)
		}
	}()
	return r
}

// prepare fetches a module the provider bid to run and compiles it in the
// background (Runner.Precompile), one at a time, so that by the time the
// job is assigned its run only loads the compiled code. A full queue
// drops the request: the run compiles the module itself then.
func (w *Worker) prepare(wasm string) {
	select {
	case w.prep <- wasm:
	default:
	}
}

// prepareLoop serves prepare until ctx ends.
func (w *Worker) prepareLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case h := <-w.prep:
			if w.cfg.Lazy {
				continue
			}
			mod, err := w.module(ctx, h)
			if err != nil {
				w.logf("prepare module %s: %v", short(h), err)
				continue
			}
			w.cfg.Runner.Precompile(ctx, mod)
		}
	}
}

// garbage is the lazy cheater's output: no run, a made-up file.
func (w *Worker) garbage(ctx context.Context, j *compute.Job) (Outcome, error) {
	body := []byte(fmt.Sprintf("lazy provider %s did not run job %d\n", w.addr, j.ID))
	h := sha256.Sum256(body)
	hx := hex.EncodeToString(h[:])
	if err := w.c.PutBlob(ctx, hx, body); err != nil {
		return Outcome{}, fmt.Errorf("upload: %w", err)
	}
	files := []compute.File{{Name: "result", Blob: hx}}
	o, err := compute.OutputHash(0, files)
	if err != nil {
		return Outcome{}, err
	}
	return Outcome{Output: hex.EncodeToString(o[:]), Files: files}, nil
}

// Execute runs job j in the sandbox: it fetches the module and inputs
// (input i is /in/i), runs under the job's limits with the job id as the
// guest's random seed, uploads every output file and log to the blob
// store and returns the outcome. A module the sandbox refuses or stops is
// a deterministic outcome (FailureExit, no files); anything else is an
// error.
func (w *Worker) Execute(ctx context.Context, j *compute.Job) (Outcome, error) {
	dir, err := os.MkdirTemp(w.cfg.WorkDir, fmt.Sprintf("job-%d-", j.ID))
	if err != nil {
		return Outcome{}, err
	}
	defer os.RemoveAll(dir)
	in, out := filepath.Join(dir, "in"), filepath.Join(dir, "out")
	for _, d := range []string{in, out} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return Outcome{}, err
		}
	}
	mod, err := w.module(ctx, j.Wasm)
	if err != nil {
		return Outcome{}, fmt.Errorf("fetch module: %w", err)
	}
	for i, h := range j.Inputs {
		b, err := w.fetch(ctx, h)
		if err != nil {
			return Outcome{}, fmt.Errorf("fetch input %d: %w", i, err)
		}
		if err := os.WriteFile(filepath.Join(in, strconv.Itoa(i)), b, 0o444); err != nil {
			return Outcome{}, err
		}
	}
	pages := uint64(j.MemMiB) * (1 << 20) / sandbox.PageSize
	if pages > sandbox.MaxPages {
		pages = sandbox.MaxPages
	}
	res, err := w.cfg.Runner.Run(ctx, sandbox.Job{Module: mod, Args: j.Args, Input: in, Output: out, Seed: j.ID,
		Limits: sandbox.Limits{MemoryPages: uint32(pages), Wall: time.Duration(j.WallMs) * time.Millisecond}})
	if err != nil {
		exit, ok := FailureExit(err)
		if !ok {
			return Outcome{}, err
		}
		w.logf("job %d: sandbox refused or stopped it: %v", j.ID, err)
		o, herr := compute.OutputHash(exit, []compute.File{})
		if herr != nil {
			return Outcome{}, herr
		}
		return Outcome{Output: hex.EncodeToString(o[:]), Exit: exit, Files: []compute.File{}}, nil
	}
	for _, f := range res.Files {
		var body []byte
		switch f.Path {
		case sandbox.StdoutFile:
			body = res.Stdout
		case sandbox.StderrFile:
			body = res.Stderr
		default:
			if body, err = os.ReadFile(filepath.Join(out, f.Path)); err != nil {
				return Outcome{}, err
			}
		}
		if err := w.c.PutBlob(ctx, f.SHA256, body); err != nil {
			return Outcome{}, fmt.Errorf("upload output %s: %w", f.Path, err)
		}
	}
	return Outcome{Output: hex.EncodeToString(res.Hash[:]), Exit: res.ExitCode, Files: res.ChainFiles(), Elapsed: res.Elapsed}, nil
}

// module returns the module blob h, from the cache or fetched.
func (w *Worker) module(ctx context.Context, h string) ([]byte, error) {
	w.mu.Lock()
	b, ok := w.mods[h]
	w.mu.Unlock()
	if ok {
		return b, nil
	}
	b, err := w.fetch(ctx, h)
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	if _, ok := w.mods[h]; !ok {
		w.mods[h] = b
		w.modOrder = append(w.modOrder, h)
		if len(w.modOrder) > maxMods {
			delete(w.mods, w.modOrder[0])
			w.modOrder = w.modOrder[1:]
		}
	}
	w.mu.Unlock()
	return b, nil
}

// fetch downloads a blob and checks its hash.
func (w *Worker) fetch(ctx context.Context, h string) ([]byte, error) {
	b, err := w.c.GetBlob(ctx, h)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b)
	if hex.EncodeToString(sum[:]) != h {
		return nil, fmt.Errorf("blob %s has the wrong content", h)
	}
	return b, nil
}

// owed is a message the provider owes the chain, and what to note (a
// bid made, a commitment or reveal sent) once a committed tx carries it.
// A message whose tx failed is not noted, so the next step owes it again.
type owed struct {
	msg  tx.Msg
	sent func()
	// already is the code with which the chain refuses the message when
	// it holds it already (a tx that committed after its wait timed
	// out): the message is noted sent, not owed again.
	already app.Code
}

// send signs the messages into one tx and waits for its commit. A tx that
// would fail, or failed in its block (state moved between the simulation
// and the block: a bid's job closed, a core was taken), does not drop
// the rest: each message is simulated alone and those that pass go out
// together in a second tx, so a stale bid never costs a commitment or a
// reveal its window. It reports whether a tx committed.
func (w *Worker) send(ctx context.Context, msgs []owed) (bool, error) {
	sent, err := w.sendTx(ctx, msgs)
	var wf *client.WouldFailError
	var failed *txFailed
	if err == nil || !(errors.As(err, &wf) || errors.As(err, &failed)) {
		return sent, err
	}
	var pass []owed
	for _, m := range msgs {
		_, e := w.c.BuildTx(ctx, w.cfg.Key, client.TxOptions{GasAuto: true}, m.msg)
		if errors.As(e, &wf) && m.already.Num != 0 && wf.Result.Codespace == m.already.Space && wf.Result.Code == m.already.Num {
			if m.sent != nil {
				m.sent()
			}
			continue
		}
		if e != nil {
			w.logf("%s: %v", m.msg.Type, e)
			continue
		}
		pass = append(pass, m)
	}
	if len(pass) == 0 {
		return sent, nil
	}
	if len(pass) == len(msgs) && len(msgs) == 1 {
		return sent, err // it passes alone now: next step
	}
	again, err := w.sendTx(ctx, pass)
	return sent || again, err
}

// txFailed is a tx that committed with a non-zero code.
type txFailed struct {
	typ, codespace, log string
	code                uint32
}

func (e *txFailed) Error() string {
	return fmt.Sprintf("%s: code %s/%d: %s", e.typ, e.codespace, e.code, e.log)
}

// sendTx sends msgs in one tx, waits for its commit and notes them sent.
func (w *Worker) sendTx(ctx context.Context, msgs []owed) (bool, error) {
	raw := make([]tx.Msg, len(msgs))
	for i, m := range msgs {
		raw[i] = m.msg
	}
	res, err := w.c.SignAndBroadcast(ctx, w.cfg.Key, client.TxOptions{GasAuto: true}, raw...)
	if err != nil {
		return false, fmt.Errorf("%s: %w", raw[0].Type, err)
	}
	if res.Code != 0 {
		return true, &txFailed{typ: raw[0].Type, codespace: res.Codespace, code: res.Code, log: res.Log}
	}
	for _, m := range msgs {
		if m.sent != nil {
			m.sent()
		}
	}
	return true, nil
}

func mustMsg(kind string, v any) tx.Msg {
	m, err := tx.NewMsg(kind, v)
	if err != nil {
		panic(fmt.Sprintf("provider: encode %s: %v", kind, err)) // our own structs always encode
	}
	return m
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
