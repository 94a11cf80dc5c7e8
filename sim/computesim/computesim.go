// Package computesim plays compute providers with different strategies
// against the real compute module and reports what each strategy earned:
// honest providers that run every job, a lazy provider that returns
// garbage, a colluding pair that reveals the same made-up output without
// running anything, a provider that claims four times the cores it has and
// one that goes offline after its benchmark. A requester submits jobs
// every block. The chain is apptest's in-process chain composed by package
// chain, so every module's invariants run after every block; the agents
// act only through signed transactions and module queries, as a provider
// worker does.
//
// The run also measures how often the colluding pair is caught on the
// jobs where both of its members were the replicas (only the p re-check
// can catch those), to set against RecheckPermille.
package computesim

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"emergence/app/apptest"
	"emergence/compute"
	"emergence/compute/kernel"
	"emergence/tx"
)

// Strategies.
const (
	Honest    = "honest"
	Lazy      = "lazy"
	Colluder  = "colluding-pair"
	Overclaim = "over-claimer"
	Offline   = "offline"
)

// Options size the run.
type Options struct {
	// Honest is the number of honest providers (default 4).
	Honest int
	// Jobs is the number of jobs submitted (default 120), PerBlock how many
	// each block (default 4).
	Jobs, PerBlock int
	// RecheckPermille is p (default 100).
	RecheckPermille uint32
	// Stake of every provider in uemg (default 100 EMG).
	Stake uint64
	// PairOnly measures the re-check alone: only the colluding pair bids
	// (so it is both replicas of every job) and the honest providers serve
	// as referees; the other strategies sit out.
	PairOnly bool
	// SlashPermille replaces the module's (0: its default), so that a
	// measurement can keep the pair in the market after it is caught.
	SlashPermille uint32
}

func (o *Options) defaults() {
	if o.Honest == 0 {
		o.Honest = 4
	}
	if o.Jobs == 0 {
		o.Jobs = 120
	}
	if o.PerBlock == 0 {
		o.PerBlock = 4
	}
	if o.Stake == 0 {
		o.Stake = 100_000_000
	}
}

// Earning is one strategy's result, summed over its providers.
type Earning struct {
	Strategy  string `json:"strategy"`
	Providers int    `json:"providers"`
	// Paid is the number of replicas it was paid for.
	Paid    uint64 `json:"paid"`
	Earned  uint64 `json:"earned_uemg"`
	Slashed uint64 `json:"slashed_uemg"`
	Fees    uint64 `json:"fees_uemg"`
	// Net is the change of balance plus stake over the run (earned minus
	// slashed minus fees).
	Net int64 `json:"net_uemg"`
}

// Report is a run's outcome.
type Report struct {
	RecheckPermille uint32 `json:"recheck_permille"`
	Jobs            int    `json:"jobs"`
	Done            int    `json:"done"`
	Expired         int    `json:"expired"`
	Refereed        int    `json:"refereed"`
	// PairJobs are finished jobs whose replicas were exactly the colluding
	// pair; PairCaught of them ended with the pair slashed.
	PairJobs      int    `json:"pair_jobs"`
	PairCaught    int    `json:"pair_caught"`
	CatchPermille uint64 `json:"catch_permille"`
	// HonestSlashed counts slashes of honest providers (a colluder drawn as
	// referee siding with its partner).
	HonestSlashed int       `json:"honest_slashed"`
	Earnings      []Earning `json:"earnings"`
}

// Gas limits the agents sign with (fees are gas/100 uemg at the default
// gas price): what each message needs plus its bytes, with room.
const (
	gasSubmit = compute.GasSubmitJob + 50_000
	gasSmall  = 60_000
	gasResult = compute.GasRevealResult + 50_000
)

type agent struct {
	name     string
	strategy string
	cores    uint32 // claimed
	price    uint64
	start    uint64 // balance before the run
	bids     map[uint64]bool
	// salts of its commitments, by job; outputs it committed.
	outs map[uint64]result
}

type result struct {
	files []compute.File
	hash  [32]byte
	salt  [32]byte
}

func blobOf(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

func makeResult(content string, salt [32]byte) result {
	files := []compute.File{{Name: "stdout", Blob: blobOf(content)}}
	h, _ := compute.OutputHash(0, files)
	return result{files: files, hash: h, salt: salt}
}

// Run plays the market.
func Run(tb apptest.TB, o Options) Report {
	o.defaults()
	var agents []*agent
	add := func(name, st string, cores uint32, price uint64) {
		agents = append(agents, &agent{name: name, strategy: st, cores: cores, price: price, bids: map[uint64]bool{}, outs: map[uint64]result{}})
	}
	for i := 0; i < o.Honest; i++ {
		add(fmt.Sprintf("honest-%d", i), Honest, 8, 1_000+uint64(i)*50)
	}
	add("colluder-0", Colluder, 2, 500)
	add("colluder-1", Colluder, 2, 500)
	if !o.PairOnly {
		add("lazy-0", Lazy, 2, 700)
		add("overclaim-0", Overclaim, 8, 400)
		add("offline-0", Offline, 2, 800)
	}

	bal := map[string]uint64{"requester": 1_000_000_000_000}
	for _, a := range agents {
		a.start = o.Stake + 100_000_000
		bal[a.name] = a.start
	}
	par := compute.DefaultParams()
	par.BenchSegments, par.BenchSteps, par.BenchSamples = 16, 4_096, 8
	par.BidBlocks, par.ExecBlocks, par.RevealBlocks, par.BenchBlocks = 2, 3, 2, 5
	par.RecheckPermille = o.RecheckPermille
	if o.SlashPermille != 0 {
		par.SlashPermille = o.SlashPermille
	}
	c := apptest.Full(tb, apptest.Genesis{Balances: bal, Modules: map[string]any{"compute": compute.Genesis{Params: par}}})

	var txs [][]byte
	for _, a := range agents {
		txs = append(txs, c.Sign(a.name, c.Msg(compute.MsgRegisterProvider, compute.RegisterProvider{Cores: a.cores, MemMiB: 4096, Price: a.price, Stake: o.Stake})))
	}
	for _, r := range c.Deliver(txs...) {
		c.MustOK(r)
	}
	txs = txs[:0]
	for _, a := range agents {
		p := provider(tb, c, a.name)
		seed, _ := hex.DecodeString(p.Bench.Seed)
		lanes := p.Bench.Lanes
		if a.strategy == Overclaim {
			lanes = a.cores / 4 // what it really has; the rest it fills with junk
		}
		ans := compute.BenchmarkAnswer{Lanes: make([][]byte, p.Bench.Lanes)}
		for l := uint32(0); l < p.Bench.Lanes; l++ {
			if l < lanes {
				ans.Lanes[l] = kernel.Lane([32]byte(seed), l, p.Bench.Segments, p.Bench.Steps)
			} else {
				ans.Lanes[l] = make([]byte, int(p.Bench.Segments)*kernel.StateLen)
			}
		}
		txs = append(txs, c.SignWith(a.name, 3_000_000, c.Msg(compute.MsgBenchmarkAnswer, ans)))
	}
	c.Deliver(txs...)

	// A job of up to 10 s at up to 1,500 uemg per CPU-second; the budget
	// also covers a referee run or two beyond the replicas.
	job := compute.SubmitJob{Wasm: blobOf("sim.wasm"), Inputs: []string{blobOf("sim input")}, MemMiB: 256, WallMs: 10_000,
		R: 2, PriceCap: 1_500, Budget: 4 * 1_500 * 10}
	submitted := 0
	for block := 0; ; block++ {
		txs = txs[:0]
		// The requester referees when no provider is free, honestly.
		for id := uint64(1); id <= uint64(submitted); id++ {
			if j := getJob(tb, c, id); j.Status == compute.JobRefereeing && j.RefereeRequester {
				r := makeResult(correct(id), [32]byte{})
				txs = append(txs, c.SignWith("requester", gasResult, c.Msg(compute.MsgRefereeResult, compute.RefereeResult{Job: id, Output: hex.EncodeToString(r.hash[:]), Files: r.files})))
			}
		}
		for i := 0; i < o.PerBlock && submitted < o.Jobs; i++ {
			j := job
			j.Args = []string{fmt.Sprint("job-", submitted)}
			txs = append(txs, c.SignWith("requester", gasSubmit, c.Msg(compute.MsgSubmitJob, j)))
			submitted++
		}
		txs = append(txs, actions(tb, c, o, agents)...)
		c.Deliver(txs...)
		if submitted == o.Jobs && allFinal(tb, c, o.Jobs) {
			break
		}
		if block > o.Jobs*20 {
			tb.Fatalf("computesim: jobs not final after %d blocks", block)
		}
	}
	return report(tb, c, o, agents)
}

func provider(tb apptest.TB, c *apptest.Chain, name string) compute.Provider {
	var p compute.Provider
	if err := c.Query("compute/provider/"+apptest.Addr(name).String(), nil, &p); err != nil {
		tb.Fatalf("provider %s: %v", name, err)
	}
	return p
}

func getJob(tb apptest.TB, c *apptest.Chain, id uint64) compute.Job {
	var j compute.Job
	if err := c.Query(fmt.Sprintf("compute/job/%d", id), nil, &j); err != nil {
		tb.Fatalf("job %d: %v", id, err)
	}
	return j
}

func assignments(tb apptest.TB, c *apptest.Chain, id uint64) []compute.Assignment {
	var p compute.AssignmentPage
	if err := c.Query(fmt.Sprintf("compute/job/%d/assignments", id), nil, &p); err != nil {
		tb.Fatalf("assignments %d: %v", id, err)
	}
	return p.Assignments
}

func allFinal(tb apptest.TB, c *apptest.Chain, n int) bool {
	for id := uint64(1); id <= uint64(n); id++ {
		switch getJob(tb, c, id).Status {
		case compute.JobDone, compute.JobExpired, compute.JobUnresolved:
		default:
			return false
		}
	}
	return true
}

// correct is what running job id really outputs.
func correct(id uint64) string { return fmt.Sprint("the real output of job ", id) }

// output is what agent a reveals for job id.
func (a *agent) output(id uint64) string {
	switch a.strategy {
	case Lazy:
		return fmt.Sprint("garbage from ", a.name, " for ", id)
	case Colluder:
		return fmt.Sprint("the pair's made-up output for ", id)
	}
	return correct(id)
}

// actions are the transactions the agents send in the next block, from
// committed state.
func actions(tb apptest.TB, c *apptest.Chain, o Options, agents []*agent) [][]byte {
	var txs [][]byte
	var open compute.JobPage
	if err := c.Query("compute/open-jobs", nil, &open); err != nil {
		tb.Fatalf("open jobs: %v", err)
	}
	for _, a := range agents {
		if a.strategy == Offline && provider(tb, c, a.name).Jobs+provider(tb, c, a.name).Slashed > 0 {
			continue // gone after its first assignment's deadline
		}
		p := provider(tb, c, a.name)
		for _, j := range open.Jobs {
			if a.bids[j.ID] || (p.Status != compute.ProviderReady && a.strategy != Overclaim) || (o.PairOnly && a.strategy != Colluder) {
				continue
			}
			a.bids[j.ID] = true
			txs = append(txs, c.SignWith(a.name, gasSmall, c.Msg(compute.MsgBid, compute.Bid{Job: j.ID, Price: a.price})))
		}
		var mine compute.IDPage
		if err := c.Query("compute/provider/"+apptest.Addr(a.name).String()+"/assignments", nil, &mine); err != nil {
			tb.Fatalf("assignments: %v", err)
		}
		for _, id := range mine.Jobs {
			j := getJob(tb, c, id)
			if a.strategy == Offline {
				continue
			}
			if j.Status == compute.JobRefereeing && j.Referee == apptest.Addr(a.name) {
				r := a.refereeOutput(tb, c, j)
				txs = append(txs, c.SignWith(a.name, gasResult, c.Msg(compute.MsgRefereeResult, compute.RefereeResult{Job: id, Output: hex.EncodeToString(r.hash[:]), Files: r.files})))
				continue
			}
			var as *compute.Assignment
			for _, x := range assignments(tb, c, id) {
				if x.Provider == apptest.Addr(a.name) {
					as = &x
				}
			}
			if as == nil {
				continue
			}
			switch {
			case j.Status == compute.JobRunning && as.State == compute.AsgAssigned:
				var salt [32]byte
				copy(salt[:], blobOf(fmt.Sprint(a.name, id))[:32])
				r := makeResult(a.output(id), salt)
				a.outs[id] = r
				cm := compute.CommitHash(id, apptest.Addr(a.name), r.hash, r.salt)
				txs = append(txs, c.SignWith(a.name, gasSmall, c.Msg(compute.MsgCommitResult, compute.CommitResult{Job: id, Commit: hex.EncodeToString(cm[:])})))
			case j.Status == compute.JobRevealing && as.State == compute.AsgCommitted:
				r := a.outs[id]
				txs = append(txs, c.SignWith(a.name, gasResult, c.Msg(compute.MsgRevealResult, compute.RevealResult{Job: id, Output: hex.EncodeToString(r.hash[:]),
					Files: r.files, Salt: hex.EncodeToString(r.salt[:])})))
			}
		}
	}
	return txs
}

// refereeOutput is what agent a answers as referee of j: honest providers
// run the job; the lazy one returns garbage; a colluder runs nothing and
// copies its partner's reveal when its partner is a replica, else the
// first reveal.
func (a *agent) refereeOutput(tb apptest.TB, c *apptest.Chain, j compute.Job) result {
	if a.strategy != Colluder {
		return makeResult(a.output(j.ID), [32]byte{})
	}
	var first *compute.Assignment
	for _, x := range assignments(tb, c, j.ID) {
		if x.Output == "" {
			continue
		}
		if first == nil {
			first = &x
		}
		for _, n := range []string{"colluder-0", "colluder-1"} {
			if x.Provider == apptest.Addr(n) {
				first = &x
			}
		}
	}
	if first == nil {
		return makeResult(a.output(j.ID), [32]byte{})
	}
	return result{files: first.Files, hash: [32]byte(mustHex(first.Output))}
}

func mustHex(s string) []byte { b, _ := hex.DecodeString(s); return b }

func report(tb apptest.TB, c *apptest.Chain, o Options, agents []*agent) Report {
	rep := Report{RecheckPermille: o.RecheckPermille, Jobs: o.Jobs}
	byAddr := map[tx.Address]*agent{}
	for _, a := range agents {
		byAddr[apptest.Addr(a.name)] = a
	}
	for id := uint64(1); id <= uint64(o.Jobs); id++ {
		j := getJob(tb, c, id)
		switch j.Status {
		case compute.JobDone:
			rep.Done++
		case compute.JobExpired:
			rep.Expired++
		}
		if len(j.Referees) > 0 || j.RefereeRequester {
			rep.Refereed++
		}
		var replicas []compute.Assignment
		for _, as := range assignments(tb, c, id) {
			if as.State == compute.AsgPaid || as.State == compute.AsgSlashed || as.State == compute.AsgReleased {
				replicas = append(replicas, as)
			}
			if as.State == compute.AsgSlashed && byAddr[as.Provider].strategy == Honest {
				rep.HonestSlashed++
			}
		}
		if len(replicas) == 2 && byAddr[replicas[0].Provider].strategy == Colluder && byAddr[replicas[1].Provider].strategy == Colluder {
			rep.PairJobs++
			if replicas[0].State == compute.AsgSlashed {
				rep.PairCaught++
			}
		}
	}
	if rep.PairJobs > 0 {
		rep.CatchPermille = uint64(rep.PairCaught) * 1000 / uint64(rep.PairJobs)
	}
	var balances struct {
		Balance uint64 `json:"balance"`
	}
	for _, st := range []string{Honest, Colluder, Lazy, Overclaim, Offline} {
		e := Earning{Strategy: st}
		for _, a := range agents {
			if a.strategy != st {
				continue
			}
			p := provider(tb, c, a.name)
			if err := c.Query("bank/balance/"+apptest.Addr(a.name).String(), nil, &balances); err != nil {
				tb.Fatalf("balance: %v", err)
			}
			e.Providers++
			e.Paid += p.Jobs
			e.Earned += p.Earned
			e.Slashed += p.Slashed
			net := int64(balances.Balance+p.Stake) - int64(a.start)
			e.Net += net
			e.Fees += uint64(int64(p.Earned) - int64(p.Slashed) - net)
		}
		if e.Providers > 0 {
			rep.Earnings = append(rep.Earnings, e)
		}
	}
	return rep
}

// WriteJSON writes the report as indented JSON.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteTable writes the earnings as a table and the catch rate.
func (r Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "strategy\tproviders\tpaid runs\tearned\tslashed\tfees\tnet")
	for _, e := range r.Earnings {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\n", e.Strategy, e.Providers, e.Paid, e.Earned, e.Slashed, e.Fees, e.Net)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "jobs %d: %d done, %d expired, %d refereed; colluding pair alone on %d jobs, caught on %d (%d permille, p = %d permille); honest slashes %d\n",
		r.Jobs, r.Done, r.Expired, r.Refereed, r.PairJobs, r.PairCaught, r.CatchPermille, r.RecheckPermille, r.HonestSlashed)
	return err
}

// runner is the apptest.TB a command-line run uses: failures stop the run
// and come back from Play as errors.
type runner struct {
	dir      string
	cleanups []func()
}

type failure struct{ msg string }

func (r *runner) Helper()                           {}
func (r *runner) Logf(string, ...any)               {}
func (r *runner) Fatal(args ...any)                 { panic(failure{fmt.Sprint(args...)}) }
func (r *runner) Fatalf(format string, args ...any) { panic(failure{fmt.Sprintf(format, args...)}) }
func (r *runner) Cleanup(f func())                  { r.cleanups = append(r.cleanups, f) }
func (r *runner) TempDir() string                   { return r.dir }

// Limits of a command-line run.
const (
	MaxJobs   = 1_000
	MaxHonest = 32
)

// Play runs the simulation outside a test, in a chain under dir (which the
// caller creates and removes).
func Play(dir string, o Options) (rep Report, err error) {
	if o.Jobs < 0 || o.Jobs > MaxJobs || o.Honest < 0 || o.Honest > MaxHonest || o.PerBlock < 0 || o.PerBlock > 64 || o.RecheckPermille > 1000 || o.SlashPermille > 1000 {
		return rep, fmt.Errorf("jobs must be 1 to %d, honest 1 to %d, per-block 1 to 64 and permilles at most 1000", MaxJobs, MaxHonest)
	}
	r := &runner{dir: dir}
	defer func() {
		if p := recover(); p != nil {
			f, ok := p.(failure)
			if !ok {
				panic(p)
			}
			err = fmt.Errorf("compute simulation: %s", f.msg)
		}
		for i := len(r.cleanups) - 1; i >= 0; i-- {
			r.cleanups[i]()
		}
	}()
	return Run(r, o), nil
}
