// Package labelsim attacks the labeling market on a real in-process network
// (package simnet: CometBFT, the whole chain on Pebble, the HTTP API and blob
// store on loopback) and reports who earned what.
//
// Honest agents answer with confusion matrices fitted by Dawid–Skene on a
// real crowd dataset (the Dog set of Zhou et al. 2012, embedded); spammers
// answer uniformly at random, and a spamming operator may run several
// accounts; colluders all give the same answer on an item (a random class per
// item, shared by the group, the TDSSA sybil strategy). A requester publishes
// the items, posts a job with hidden gold, reveals it, and the job is settled
// on chain. The report gives the accuracy of the settled labels on the
// non-gold items and each group's net earnings (payments − slashed stake −
// transaction fees).
package labelsim

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"strconv"
	"sync"
	"time"

	"emergence/api"
	"emergence/bank"
	"emergence/client"
	"emergence/label"
	"emergence/label/aggregate"
	"emergence/label/labeler"
	"emergence/sim/simnet"
	"emergence/tx"
)

//go:embed dog_answer.csv
var dogAnswers []byte

// Config describes one simulation.
type Config struct {
	Honest, Spammers, Colluders int
	// SpammerAccounts is how many accounts each spamming operator runs
	// (default 1): Spammers accounts are split into operators of this size.
	SpammerAccounts int
	Items           int
	Redundancy      int
	// GoldPermille is the share of gold items (default 100 = 10%).
	GoldPermille int
	Seed         uint64
	// QualifyItems > 0 runs a qualification job first (that many items,
	// half of them gold, every agent labels) and the main job then requires
	// MinReputation (permille) from its labelers: the market's reputation
	// gate. 0 skips it.
	QualifyItems  int
	MinReputation uint32
	// Baseline also runs the honest agents alone on the same set-up.
	Baseline bool
	// RequirePersonhood gates both jobs by proof of personhood: the
	// requester enrols one identity per operator, so an honest labeler
	// binds its account and a spamming operator or the colluders bind one
	// account each; the chain refuses the rest (a sybil farm).
	RequirePersonhood bool `json:"require_personhood,omitempty"`
	// Stakes are the labeling stakes in uemg by group (GroupHonest,
	// GroupSpammer, GroupColluder); a group not named stakes 2 EMG. The
	// jobs require 1 EMG.
	Stakes map[string]uint64 `json:"stakes,omitempty"`
	// BlockTime of the in-process node (default 100ms).
	BlockTime time.Duration
	// Log receives progress lines (nil: none).
	Log io.Writer `json:"-"`
}

// Group is one kind of agent's totals.
type Group struct {
	Name     string `json:"name"`
	Accounts int    `json:"accounts"`
	// Operators counts distinct owners (spamming operators may hold many
	// accounts).
	Operators int   `json:"operators"`
	Labels    int   `json:"labels"`
	Paid      int64 `json:"paid_uemg"`
	Slashed   int64 `json:"slashed_uemg"`
	Fees      int64 `json:"fees_uemg"`
	Net       int64 `json:"net_uemg"`
	// NetPerOperator is Net divided by Operators.
	NetPerOperator int64 `json:"net_per_operator_uemg"`
}

// Report is the outcome of a simulation.
type Report struct {
	Config  Config `json:"config"`
	Classes int    `json:"classes"`
	// Workers took part in the main job.
	Workers  int     `json:"main_job_labelers"`
	Gold     int     `json:"gold_items"`
	Accuracy float64 `json:"accuracy"`
	// Evaluated non-gold items with a settled label.
	Evaluated int     `json:"evaluated"`
	Groups    []Group `json:"groups"`
	// HonestShare is the honest agents' share of all payments.
	HonestShare float64 `json:"honest_share"`
	Budget      uint64  `json:"budget_uemg"`
	Refunded    uint64  `json:"refunded_uemg"`
	Iterations  int     `json:"ds_iterations"`
	Height      int64   `json:"settled_at_height"`
	// Offline references on the same revealed labels: majority vote and
	// float Dawid–Skene with the same gold and smoothing.
	OfflineMV float64 `json:"offline_mv_accuracy"`
	OfflineDS float64 `json:"offline_ds_accuracy"`
	// Qualification is the qualification job's settlement (nil without).
	Qualification *label.Results `json:"qualification,omitempty"`
	// Humans are the accounts that proved personhood, Refused those the
	// chain refused as a second account of one human (RequirePersonhood).
	Humans  int `json:"humans,omitempty"`
	Refused int `json:"refused_sybil_accounts,omitempty"`
	// Baseline is the honest-only run (with Config.Baseline).
	Baseline *Report `json:"baseline,omitempty"`
}

// worker profile fitted on the real dataset: confusion[true][observed].
type profile struct {
	conf [][]float64
}

// fitProfiles runs DS on the embedded dataset and keeps the confusion
// matrices of workers with at least 30 labels, and the class priors.
func fitProfiles() ([]profile, []float64, error) {
	rows, err := aggregate.ReadCSV(bytes.NewReader(dogAnswers))
	if err != nil {
		return nil, nil, fmt.Errorf("embedded dataset: %w", err)
	}
	d, err := aggregate.NewDataset(rows)
	if err != nil {
		return nil, nil, err
	}
	r, err := aggregate.DawidSkene(d, aggregate.Options{Smoothing: 1})
	if err != nil {
		return nil, nil, err
	}
	K := r.K
	var out []profile
	for w := range d.Workers {
		if d.WorkerLabelCount(w) < 30 {
			continue
		}
		p := profile{conf: make([][]float64, K)}
		for t := 0; t < K; t++ {
			p.conf[t] = append([]float64(nil), r.Confusion[(w*K+t)*K:(w*K+t+1)*K]...)
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, nil, errors.New("no worker profile in the embedded dataset")
	}
	return out, r.Priors, nil
}

func draw(rng *rand.Rand, p []float64) int {
	u := rng.Float64()
	for k, v := range p {
		u -= v
		if u < 0 {
			return k
		}
	}
	return len(p) - 1
}

type agent struct {
	name     string
	group    string
	operator int
	key      ed25519.PrivateKey
	addr     tx.Address
	stake    uint64
	prof     *profile
	txs      int
	labels   int
	// answers of the last job, for the offline reference
	items   []uint32
	answers []uint32
	// totals over all jobs
	paid, slashed int64
	qualified     bool
	human         bool // proved personhood for the label app
}

func keyFor(seed uint64, name string) (ed25519.PrivateKey, tx.Address) {
	s := sha256.Sum256([]byte(fmt.Sprintf("labelsim/%d/%s", seed, name)))
	k := ed25519.NewKeyFromSeed(s[:])
	return k, tx.AddressFromPubKey(k.Public().(ed25519.PublicKey))
}

// Groups of agents.
const (
	GroupHonest    = "honest"
	GroupSpammer   = "spammers"
	GroupColluder  = "colluders"
	chainID        = "emergence-labelsim"
	agentFunds     = 100 * bank.UnitsPerEMG
	agentStake     = 2 * bank.UnitsPerEMG
	requesterFunds = 1_000_000 * bank.UnitsPerEMG
	txGas          = client.DefaultGasLimit
)

// Labeling stakes an agent may hold: the jobs require 1 EMG, and an agent
// is funded with 100 EMG, which also pays its fees.
const (
	MinStake = bank.UnitsPerEMG
	MaxStake = 50 * bank.UnitsPerEMG
)

func (c *Config) defaults() error {
	if c.SpammerAccounts <= 0 {
		c.SpammerAccounts = 1
	}
	if c.GoldPermille <= 0 {
		c.GoldPermille = 100
	}
	if c.MinReputation > 1000 {
		return fmt.Errorf("min reputation %d‰, at most 1000", c.MinReputation)
	}
	if c.BlockTime <= 0 {
		c.BlockTime = 100 * time.Millisecond
	}
	if c.Honest < 0 || c.Spammers < 0 || c.Colluders < 0 || c.Honest+c.Spammers+c.Colluders == 0 {
		return errors.New("need at least one agent")
	}
	if c.Items < 10 || c.Items > 20_000 {
		return fmt.Errorf("items %d, want 10 to 20000", c.Items)
	}
	if c.Redundancy < 1 || c.Redundancy > 20 {
		return fmt.Errorf("redundancy %d, want 1 to 20", c.Redundancy)
	}
	for g, st := range c.Stakes {
		if g != GroupHonest && g != GroupSpammer && g != GroupColluder {
			return fmt.Errorf("stake for unknown group %q (want %s, %s or %s)", g, GroupHonest, GroupSpammer, GroupColluder)
		}
		if st < MinStake || st > MaxStake {
			return fmt.Errorf("%s stake %d uemg, want %d to %d", g, st, MinStake, MaxStake)
		}
	}
	return nil
}

func (c *Config) logf(format string, args ...any) {
	if c.Log != nil {
		fmt.Fprintf(c.Log, format, args...)
	}
}

// env is a running simulation network.
type env struct {
	cfg      *Config
	cl       *client.Client
	check    func() error
	rng      *rand.Rand
	reqKey   ed25519.PrivateKey
	agents   []*agent
	priors   []float64
	reqTxFee int64
	jobs     int // jobs created so far
}

// jobSpec is one job the requester posts.
type jobSpec struct {
	items, perItem, batch int
	goldPermille          int
	reward                uint64
	minReputation         uint32
}

// jobRun is what one settled job gave.
type jobRun struct {
	job     label.Job
	res     label.Results
	truth   []int
	isGold  []bool
	gold    int
	workers int
}

// Run runs one simulation on a network of its own in a temporary
// directory. With cfg.Baseline it then runs the same simulation with the
// honest agents only and attaches that report as Baseline.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	return runBoth(ctx, nil, cfg)
}

// Network is a running network a simulation shares with others: its
// client, and a funded key that pays the requester's and the agents' funds
// (Funds(cfg) uemg in all).
type Network struct {
	Client *client.Client
	Funder ed25519.PrivateKey
}

// Funds is what a run of cfg on a shared Network takes from its funder
// (both runs with cfg.Baseline).
func Funds(cfg Config) uint64 {
	n := uint64(cfg.Honest+cfg.Spammers+cfg.Colluders)*agentFunds + requesterFunds
	if cfg.Baseline {
		n += uint64(cfg.Honest)*agentFunds + requesterFunds
	}
	return n
}

// RunOn runs one simulation on a network someone else started, which
// other simulations may share: its label jobs are the ones it creates, and
// checking the chain's invariants is left to the caller. The agents' keys
// derive from cfg.Seed, so two runs on one network need different seeds.
func RunOn(ctx context.Context, on Network, cfg Config) (*Report, error) {
	return runBoth(ctx, &on, cfg)
}

func runBoth(ctx context.Context, on *Network, cfg Config) (*Report, error) {
	rep, err := run(ctx, on, cfg)
	if err != nil || !cfg.Baseline {
		return rep, err
	}
	base := cfg
	base.Spammers, base.Colluders, base.Baseline = 0, 0, false
	// Fresh keys for the baseline's agents, for a shared network.
	base.Seed = cfg.Seed ^ 0x62617365
	cfg.logf("baseline: the same %d honest agents alone\n", cfg.Honest)
	if rep.Baseline, err = run(ctx, on, base); err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	return rep, nil
}

func run(ctx context.Context, on *Network, cfg Config) (*Report, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	profiles, priors, err := fitProfiles()
	if err != nil {
		return nil, err
	}
	K := len(priors)
	e := &env{cfg: &cfg, rng: rand.New(rand.NewPCG(cfg.Seed, 0x6c6162656c73696d)), priors: priors}
	add := func(group string, n, op int) {
		name := fmt.Sprintf("%s-%d", group, n)
		k, a := keyFor(cfg.Seed, name)
		ag := &agent{name: name, group: group, operator: op, key: k, addr: a, stake: agentStake}
		if st, ok := cfg.Stakes[group]; ok {
			ag.stake = st
		}
		if group == GroupHonest {
			ag.prof = &profiles[n%len(profiles)]
		}
		e.agents = append(e.agents, ag)
	}
	for i := 0; i < cfg.Honest; i++ {
		add(GroupHonest, i, i)
	}
	for i := 0; i < cfg.Spammers; i++ {
		add(GroupSpammer, i, i/cfg.SpammerAccounts)
	}
	for i := 0; i < cfg.Colluders; i++ {
		add(GroupColluder, i, 0)
	}
	// Shuffle so item assignment does not follow group order.
	e.rng.Shuffle(len(e.agents), func(i, j int) { e.agents[i], e.agents[j] = e.agents[j], e.agents[i] })
	var reqAddr tx.Address
	e.reqKey, reqAddr = keyFor(cfg.Seed, "requester")

	balances := []bank.Output{{To: reqAddr, Amount: requesterFunds}}
	for _, a := range e.agents {
		balances = append(balances, bank.Output{To: a.addr, Amount: agentFunds})
	}
	if on == nil {
		_, validator := keyFor(0, "validator")
		net, err := simnet.Start(ctx, simnet.Config{ChainID: chainID, Balances: balances, Reward: validator,
			Emission: &bank.Emission{PerBlock: 0, Validators: 100}, BlockTime: cfg.BlockTime})
		if err != nil {
			return nil, err
		}
		defer net.Close()
		e.cl, e.check = net.Client, net.Node.App().CheckInvariants
		cfg.logf("node up at %s with %d agents\n", net.Addr(), len(e.agents))
	} else {
		e.cl, e.check = on.Client, func() error { return nil }
		for len(balances) > 0 {
			n := min(len(balances), bank.MaxOutputs)
			if _, err := send(ctx, e.cl, on.Funder, 5_000_000, "bank/multisend", bank.MultiSendMsg{Outputs: balances[:n]}); err != nil {
				return nil, fmt.Errorf("fund agents: %w", err)
			}
			balances = balances[n:]
		}
		cfg.logf("label: %d agents funded on the shared network\n", len(e.agents))
	}

	rep := &Report{Config: cfg, Classes: K}
	rep.Config.Log = nil
	if cfg.RequirePersonhood {
		if rep.Humans, rep.Refused, err = e.provePersonhood(ctx); err != nil {
			return nil, fmt.Errorf("personhood: %w", err)
		}
		cfg.logf("personhood: %d accounts proved personhood for %q, %d refused as a second account of one human\n", rep.Humans, label.PersonhoodApp, rep.Refused)
	}
	var minRep uint32
	eligible := len(e.agents)
	if cfg.QualifyItems > 0 {
		perItem := min(len(e.agents), int(label.DefaultParams().MaxLabelsPerItem))
		spec := jobSpec{items: cfg.QualifyItems, perItem: perItem, goldPermille: 500, reward: 1_000,
			batch: min(cfg.QualifyItems, (cfg.QualifyItems*perItem+len(e.agents)-1)/len(e.agents))}
		q, err := e.runJob(ctx, spec, true)
		if err != nil {
			return nil, fmt.Errorf("qualification job: %w", err)
		}
		rep.Qualification = &q.res
		minRep = cfg.MinReputation
		eligible = 0
		for _, a := range e.agents {
			var lb label.Labeler
			if err := e.cl.Query(ctx, label.Name, "labeler/"+a.addr.String(), nil, &lb); err == nil && lb.Reputation >= minRep {
				eligible++
				a.qualified = true
			}
		}
		cfg.logf("qualification settled: %d of %d agents reach reputation %d‰\n", eligible, len(e.agents), minRep)
		if eligible == 0 {
			return nil, errors.New("no agent qualified for the main job")
		}
	}
	batch := min(cfg.Items, (cfg.Items*cfg.Redundancy+eligible-1)/eligible)
	if batch > int(label.DefaultParams().MaxBatch) {
		return nil, fmt.Errorf("each agent would label %d items, at most %d: add agents or lower redundancy", batch, label.DefaultParams().MaxBatch)
	}
	spec := jobSpec{items: cfg.Items, perItem: cfg.Redundancy, goldPermille: cfg.GoldPermille, reward: 10_000, batch: batch, minReputation: minRep}
	m, err := e.runJob(ctx, spec, cfg.QualifyItems == 0)
	if err != nil {
		return nil, fmt.Errorf("main job: %w", err)
	}
	if err := e.check(); err != nil {
		return nil, fmt.Errorf("invariants after settlement: %w", err)
	}
	rep.Gold, rep.Budget, rep.Refunded, rep.Iterations, rep.Height = m.gold, m.job.Budget, m.res.Refunded, m.res.Iterations, m.res.Height
	rep.Workers = m.workers
	correct := 0
	for i, l := range m.res.Labels {
		if m.isGold[i] || l < 0 {
			continue
		}
		rep.Evaluated++
		if int(l) == m.truth[i] {
			correct++
		}
	}
	if rep.Evaluated > 0 {
		rep.Accuracy = float64(correct) / float64(rep.Evaluated)
	}
	if err := rep.offline(e.agents, m.truth, m.isGold, m.res.GoldOverturned, K); err != nil {
		return nil, err
	}
	fee := int64(client.MinFee(txGas))
	var total, honest int64
	for _, gname := range []string{GroupHonest, GroupSpammer, GroupColluder} {
		g := Group{Name: gname}
		ops := map[int]bool{}
		for _, a := range e.agents {
			if a.group != gname {
				continue
			}
			g.Accounts++
			ops[a.operator] = true
			g.Labels += a.labels
			g.Paid += a.paid
			g.Slashed += a.slashed
			g.Fees += int64(a.txs) * fee
		}
		if g.Accounts == 0 {
			continue
		}
		g.Operators = len(ops)
		g.Net = g.Paid - g.Slashed - g.Fees
		g.NetPerOperator = g.Net / int64(g.Operators)
		total += g.Paid
		if gname == GroupHonest {
			honest = g.Paid
		}
		rep.Groups = append(rep.Groups, g)
	}
	if total > 0 {
		rep.HonestShare = float64(honest) / float64(total)
	}
	return rep, nil
}

// runJob posts a job, lets every agent work on it, reveals the gold and
// settles. Agents that may not take part (reputation, no work left) sit out.
func (e *env) runJob(ctx context.Context, spec jobSpec, first bool) (*jobRun, error) {
	K := len(e.priors)
	jr := &jobRun{truth: make([]int, spec.items), isGold: make([]bool, spec.items)}
	items := make([]labeler.Item, spec.items)
	for i := range items {
		jr.truth[i] = draw(e.rng, e.priors)
		items[i] = labeler.Item{ID: fmt.Sprint(i), Kind: labeler.KindText, Data: []byte(fmt.Sprintf("simulated item %d of job %d (seed %d)", i, e.jobs, e.cfg.Seed))}
	}
	e.jobs++
	manifest, _, err := labeler.Publish(ctx, e.cl.SignBlobsWith(e.reqKey), items)
	if err != nil {
		return nil, err
	}
	jr.gold = max(1, spec.items*spec.goldPermille/1000)
	perm := e.rng.Perm(spec.items)[:jr.gold]
	sort.Ints(perm)
	var gold []label.GoldItem
	for _, i := range perm {
		jr.isGold[i] = true
		gold = append(gold, label.GoldItem{Item: uint32(i), Class: uint32(jr.truth[i])})
	}
	secret, err := labeler.NewGoldSecret(manifest, gold)
	if err != nil {
		return nil, err
	}
	classes := make([]string, K)
	for k := range classes {
		classes[k] = fmt.Sprint(k)
	}
	window := int64(30 + len(e.agents)/5)
	create := label.CreateJobMsg{
		Manifest: manifest, Items: uint32(spec.items), Classes: classes, LabelsPerItem: uint32(spec.perItem),
		BatchSize: uint32(spec.batch), RewardPerLabel: spec.reward, MinStake: bank.UnitsPerEMG, MinReputation: spec.minReputation,
		GoldCommitment: secret.Commitment(), GoldCount: uint32(jr.gold), CommitBlocks: window, RevealBlocks: window,
		RequirePersonhood: e.cfg.RequirePersonhood,
	}
	r, err := send(ctx, e.cl, e.reqKey, 5_000_000, "label/create-job", create)
	if err != nil {
		return nil, err
	}
	// The job's id is in its event: on a shared network other jobs may
	// have taken the ids before it.
	id, err := jobID(r)
	if err != nil {
		return nil, err
	}
	if err := e.cl.Query(ctx, label.Name, fmt.Sprintf("job/%d", id), nil, &jr.job); err != nil {
		return nil, err
	}
	e.cfg.logf("job %d: %d items, %d classes, %d gold, %d labels per item, batch %d, min reputation %d‰, commit until height %d\n",
		id, spec.items, K, jr.gold, spec.perItem, spec.batch, spec.minReputation, jr.job.CommitDeadline)
	// Colluders share one random answer per item.
	collude := make([]uint32, spec.items)
	for i := range collude {
		collude[i] = uint32(e.rng.IntN(K))
	}
	seeds := make([]uint64, len(e.agents))
	for i := range seeds {
		seeds[i] = e.rng.Uint64()
	}
	var wg sync.WaitGroup
	errs := make([]error, len(e.agents))
	for n, a := range e.agents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[n] = a.work(ctx, e.cl, jr.job, jr.truth, collude, seeds[n], K, first)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if err := e.cl.WaitHeight(ctx, jr.job.RevealDeadline); err != nil {
		return nil, err
	}
	if _, err := send(ctx, e.cl, e.reqKey, txGas, "label/reveal-gold", label.RevealGoldMsg{Job: id, Gold: secret.Gold, Salt: secret.Salt}); err != nil {
		return nil, err
	}
	if _, err := send(ctx, e.cl, e.reqKey, 50_000_000, "label/settle", label.JobMsg{Job: id}); err != nil {
		return nil, err
	}
	if err := e.cl.Query(ctx, label.Name, fmt.Sprintf("results/%d", id), nil, &jr.res); err != nil {
		return nil, err
	}
	for _, o := range jr.res.Outcomes {
		for _, a := range e.agents {
			if a.addr == o.Labeler {
				a.paid += int64(o.Paid)
				a.slashed += int64(o.Slashed)
			}
		}
	}
	jr.workers = len(jr.res.Outcomes)
	e.cfg.logf("job %d settled at height %d: paid %d uemg, slashed %d uemg\n", id, jr.res.Height, jr.res.Paid, jr.res.Slashed)
	return jr, nil
}

// offline scores majority vote and float DS on the agents' labels, with
// the gold settlement pinned (the gold its consensus check did not
// overturn).
func (r *Report) offline(agents []*agent, truth []int, isGold []bool, overturned []uint32, K int) error {
	var labels []aggregate.Label
	for w, a := range agents {
		for k, it := range a.items {
			labels = append(labels, aggregate.Label{Worker: int32(w), Item: int32(it), Class: int32(a.answers[k])})
		}
	}
	if len(labels) == 0 {
		return nil
	}
	d, err := aggregate.FromIndices(len(agents), len(truth), K, labels)
	if err != nil {
		return err
	}
	gold := make([]int, len(truth))
	for i := range gold {
		gold[i] = aggregate.NoGold
		if isGold[i] {
			gold[i] = truth[i]
		}
	}
	for _, i := range overturned {
		gold[i] = aggregate.NoGold
	}
	score := func(res *aggregate.Result) float64 {
		c, n := 0, 0
		for i, l := range res.Labels {
			if isGold[i] || len(d.ItemLabels(i)) == 0 {
				continue
			}
			n++
			if l == truth[i] {
				c++
			}
		}
		if n == 0 {
			return 0
		}
		return float64(c) / float64(n)
	}
	mv, err := aggregate.MajorityVote(d, aggregate.Options{})
	if err != nil {
		return err
	}
	ds, err := aggregate.DawidSkene(d, aggregate.Options{Gold: gold, Smoothing: float64(label.DefaultParams().SmoothingMilli) / 1000})
	if err != nil {
		return err
	}
	r.OfflineMV, r.OfflineDS = score(mv), score(ds)
	return nil
}

// work is one agent's life in a job: stake (first job only) and request in
// one transaction, answer, commit, wait for the commit window to close,
// reveal. An agent refused work (reputation, nothing left) sits out.
func (a *agent) work(ctx context.Context, cl *client.Client, job label.Job, truth []int, collude []uint32, seed uint64, K int, first bool) error {
	a.items, a.answers = nil, nil
	var msgs []tx.Msg
	if first {
		stake, err := tx.NewMsg("label/stake", label.StakeMsg{Amount: a.stake})
		if err != nil {
			return err
		}
		msgs = append(msgs, stake)
	}
	req, err := tx.NewMsg("label/request", label.JobMsg{Job: job.ID})
	if err != nil {
		return err
	}
	msgs = append(msgs, req)
	a.txs++
	r, err := cl.SignAndBroadcast(ctx, a.key, client.TxOptions{GasLimit: txGas}, msgs...)
	if err != nil {
		return fmt.Errorf("%s: request: %w", a.name, err)
	}
	if r.Code != 0 {
		if r.Codespace == label.Name && (r.Code == label.CodeNoWork.Num || r.Code == label.CodeLowReputation.Num || r.Code == label.CodeNotHuman.Num) {
			if first && len(msgs) == 2 {
				// The stake failed with the request; stake alone.
				a.txs++
				if _, err := send(ctx, cl, a.key, txGas, "label/stake", label.StakeMsg{Amount: a.stake}); err != nil {
					return fmt.Errorf("%s: %w", a.name, err)
				}
			}
			return nil
		}
		return fmt.Errorf("%s: request: %s", a.name, r.Log)
	}
	var as label.Assignment
	if err := cl.Query(ctx, label.Name, fmt.Sprintf("assignment/%d/%s", job.ID, a.addr), nil, &as); err != nil {
		return fmt.Errorf("%s: %w", a.name, err)
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	answers := make([]uint32, len(as.Items))
	for k, it := range as.Items {
		switch a.group {
		case GroupHonest:
			answers[k] = uint32(draw(rng, a.prof.conf[truth[it]]))
		case GroupSpammer:
			answers[k] = uint32(rng.IntN(K))
		case GroupColluder:
			answers[k] = collude[it]
		}
	}
	a.labels += len(answers)
	a.items, a.answers = as.Items, answers
	sec, err := labeler.NewAnswerSecret(job.ID, a.addr, as.Items, answers)
	if err != nil {
		return err
	}
	a.txs++
	if _, err := send(ctx, cl, a.key, txGas, "label/commit", label.CommitMsg{Job: job.ID, Commitment: sec.Commitment()}); err != nil {
		return fmt.Errorf("%s: %w", a.name, err)
	}
	if err := cl.WaitHeight(ctx, job.CommitDeadline); err != nil {
		return err
	}
	a.txs++
	if _, err := send(ctx, cl, a.key, txGas, "label/reveal", label.RevealMsg{Job: job.ID, Items: sec.Items, Answers: sec.Answers, Salt: sec.Salt}); err != nil {
		return fmt.Errorf("%s: %w", a.name, err)
	}
	return nil
}

// jobID reads the id of the job a create-job transaction made from its
// label_job event.
func jobID(r *api.TxResult) (uint64, error) {
	for _, ev := range r.Events {
		if ev.Type != "label_job" {
			continue
		}
		for _, a := range ev.Attrs {
			if a.Key == "id" {
				return strconv.ParseUint(a.Value, 10, 64)
			}
		}
	}
	return 0, errors.New("create-job: no label_job event with the job id")
}

func send(ctx context.Context, cl *client.Client, key ed25519.PrivateKey, gas uint64, kind string, v any) (*api.TxResult, error) {
	m, err := tx.NewMsg(kind, v)
	if err != nil {
		return nil, err
	}
	r, err := cl.SignAndBroadcast(ctx, key, client.TxOptions{GasLimit: gas}, m)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", kind, err)
	}
	if r.Code != 0 {
		return r, fmt.Errorf("%s failed: %s", kind, r.Log)
	}
	return r, nil
}

// WriteTable prints the report as a table.
func (r *Report) WriteTable(w io.Writer) {
	if q := r.Qualification; q != nil {
		fmt.Fprintf(w, "qualification job %d: %d labelers, paid %d uemg, slashed %d uemg; main job requires reputation %d‰\n",
			q.Job, len(q.Outcomes), q.Paid, q.Slashed, r.Config.MinReputation)
	}
	if r.Config.RequirePersonhood {
		fmt.Fprintf(w, "personhood required: %d accounts bound to a human, %d refused as a second account of one human\n", r.Humans, r.Refused)
	}
	fmt.Fprintf(w, "settled accuracy %.4f on %d non-gold items (%d classes, %d gold, %d labelers, DS %d iterations, height %d)\n",
		r.Accuracy, r.Evaluated, r.Classes, r.Gold, r.Workers, r.Iterations, r.Height)
	fmt.Fprintf(w, "offline on the same labels: majority vote %.4f, float Dawid-Skene %.4f\n", r.OfflineMV, r.OfflineDS)
	fmt.Fprintf(w, "budget %d uemg, refunded %d uemg, honest share of payments %.4f\n", r.Budget, r.Refunded, r.HonestShare)
	fmt.Fprintf(w, "%-10s %8s %9s %7s %12s %12s %10s %12s %14s\n", "group", "accounts", "operators", "labels", "paid", "slashed", "fees", "net", "net/operator")
	for _, g := range r.Groups {
		fmt.Fprintf(w, "%-10s %8d %9d %7d %12d %12d %10d %12d %14d\n", g.Name, g.Accounts, g.Operators, g.Labels, g.Paid, g.Slashed, g.Fees, g.Net, g.NetPerOperator)
	}
	if b := r.Baseline; b != nil {
		fmt.Fprintf(w, "baseline (honest agents alone): settled accuracy %.4f on %d items; difference %+.4f\n", b.Accuracy, b.Evaluated, r.Accuracy-b.Accuracy)
	}
}
