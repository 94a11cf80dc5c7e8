package compute

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"emergence/app"
	"emergence/compute/kernel"
	"emergence/store"
	"emergence/tx"
)

// Message kinds.
const (
	MsgRegisterProvider = "compute/register-provider"
	MsgRebenchmark      = "compute/rebenchmark"
	MsgBenchmarkAnswer  = "compute/benchmark-answer"
	MsgSubmitJob        = "compute/submit-job"
	MsgBid              = "compute/bid"
	MsgCommitResult     = "compute/commit-result"
	MsgRevealResult     = "compute/reveal-result"
	MsgRefereeResult    = "compute/referee-result"
	MsgUnregister       = "compute/unregister"
)

// Unregister retires the signer as a provider and returns its stake. It
// needs no open assignment or referee duty; a retired provider may
// register again (with a new benchmark).
type Unregister struct{}

// RegisterProvider registers the signer as a provider with its capacity,
// its asking price (uemg per CPU-second) and Stake, which is locked. The
// chain sets it a benchmark of Cores lanes at once.
type RegisterProvider struct {
	Cores  uint32 `json:"cores"`
	MemMiB uint32 `json:"mem_mib"`
	Price  uint64 `json:"price"`
	Stake  uint64 `json:"stake"`
}

// Rebenchmark asks for a new benchmark, claiming Cores (a provider that
// failed its benchmark, or one that wants to claim another capacity; it
// must hold no open assignments).
type Rebenchmark struct {
	Cores uint32 `json:"cores"`
}

// BenchmarkAnswer answers the pending benchmark: for each lane its
// checkpoints, Segments states of kernel.StateLen bytes each (see
// kernel.Lane).
type BenchmarkAnswer struct {
	Lanes [][]byte `json:"lanes"`
}

// SubmitJob submits a job. Wasm and Inputs are blob hashes (hex SHA-256);
// the module is run with Args under MemMiB of memory for at most WallMs.
// R is the replication (0: DefaultR). PriceCap is the most the requester
// pays per CPU-second and replica; Budget, locked in escrow, must cover R
// replicas at PriceCap for the wall limit in whole seconds.
type SubmitJob struct {
	Wasm     string   `json:"wasm"`
	Inputs   []string `json:"inputs"`
	Args     []string `json:"args"`
	MemMiB   uint32   `json:"mem_mib"`
	WallMs   uint64   `json:"wall_ms"`
	R        uint32   `json:"r"`
	PriceCap uint64   `json:"price_cap"`
	Budget   uint64   `json:"budget"`
}

// Bid offers to run Job at Price uemg per CPU-second.
type Bid struct {
	Job   uint64 `json:"job"`
	Price uint64 `json:"price"`
}

// CommitResult commits an assigned provider to its output: Commit is the
// hex CommitHash(job, provider, output hash, salt).
type CommitResult struct {
	Job    uint64 `json:"job"`
	Commit string `json:"commit"`
}

// RevealResult opens the commitment: Output is the hex OutputHash(Exit,
// Files), Files the output blobs sorted by name, Salt the commitment's hex
// salt.
type RevealResult struct {
	Job    uint64 `json:"job"`
	Output string `json:"output"`
	Exit   uint32 `json:"exit"`
	Files  []File `json:"files"`
	Salt   string `json:"salt"`
}

// RefereeResult is the referee's own run of the job.
type RefereeResult struct {
	Job    uint64 `json:"job"`
	Output string `json:"output"`
	Exit   uint32 `json:"exit"`
	Files  []File `json:"files"`
}

// Msgs implements app.Module.
func (m *Module) Msgs() []app.MsgHandler {
	return []app.MsgHandler{
		{Type: MsgRegisterProvider, Gas: GasRegisterProvider, Handle: m.handleRegister},
		{Type: MsgRebenchmark, Gas: GasRebenchmark, Handle: m.handleRebenchmark},
		{Type: MsgBenchmarkAnswer, Gas: GasBenchmarkAnswer, Handle: m.handleBenchmarkAnswer},
		{Type: MsgSubmitJob, Gas: GasSubmitJob, Handle: m.handleSubmit},
		{Type: MsgBid, Gas: GasBid, Handle: m.handleBid},
		{Type: MsgCommitResult, Gas: GasCommitResult, Handle: m.handleCommit},
		{Type: MsgRevealResult, Gas: GasRevealResult, Handle: m.handleReveal},
		{Type: MsgRefereeResult, Gas: GasRefereeResult, Handle: m.handleReferee},
		{Type: MsgUnregister, Gas: GasUnregister, Handle: m.handleUnregister},
	}
}

func decodeHash(s string) ([32]byte, error) {
	var h [32]byte
	if len(s) != 64 {
		return h, fmt.Errorf("hash %q is not 64 hex digits", s)
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return h, fmt.Errorf("hash %q: %w", s, err)
	}
	if hex.EncodeToString(h[:]) != s {
		return h, fmt.Errorf("hash %q is not lower-case hex", s)
	}
	return h, nil
}

// CheckFiles checks a result's files: at most MaxFiles, names of 1 to
// MaxFileName bytes of UTF-8 without "/", "\\" or NUL, not "." or "..",
// strictly sorted (so unique), blobs lower-case hex SHA-256.
func CheckFiles(files []File) error {
	if len(files) > MaxFiles {
		return fmt.Errorf("%d files, at most %d", len(files), MaxFiles)
	}
	for i, f := range files {
		if f.Name == "" || len(f.Name) > MaxFileName || !utf8.ValidString(f.Name) ||
			strings.ContainsAny(f.Name, "/\\\x00") || f.Name == "." || f.Name == ".." {
			return fmt.Errorf("file name %q must be 1 to %d bytes of UTF-8 without slashes", f.Name, MaxFileName)
		}
		if i > 0 && files[i-1].Name >= f.Name {
			return fmt.Errorf("files must be sorted by name without duplicates (%q after %q)", f.Name, files[i-1].Name)
		}
		if _, err := decodeHash(f.Blob); err != nil {
			return fmt.Errorf("file %q: %w", f.Name, err)
		}
	}
	return nil
}

// checkOutput checks a result's files and that output is their hash.
func checkOutput(output string, exit uint32, files []File) ([32]byte, error) {
	if err := CheckFiles(files); err != nil {
		return [32]byte{}, CodeBadResult.Errorf("%v", err)
	}
	want, err := decodeHash(output)
	if err != nil {
		return want, CodeBadResult.Errorf("output: %v", err)
	}
	got, err := OutputHash(exit, files)
	if err != nil {
		return want, CodeBadResult.Errorf("%v", err)
	}
	if got != want {
		return want, CodeBadResult.Errorf("output %s is not the hash of the exit code and files (%x)", output, got)
	}
	return want, nil
}

func loadProvider(r store.Reader, a tx.Address) (*Provider, error) {
	var p Provider
	ok, err := store.GetJSON(r, provKey(a), &p)
	if err != nil {
		return nil, fmt.Errorf("compute: provider %s: %w", a, err)
	}
	if !ok {
		return nil, CodeProviderNotFound.Errorf("%s is not a registered provider", a)
	}
	return &p, nil
}

func saveProvider(kv store.KV, p *Provider) { store.PutJSON(kv, provKey(p.Address), p) }

func loadJob(r store.Reader, id uint64) (*Job, error) {
	var j Job
	ok, err := store.GetJSON(r, jobKey(id), &j)
	if err != nil {
		return nil, fmt.Errorf("compute: job %d: %w", id, err)
	}
	if !ok {
		return nil, CodeJobNotFound.Errorf("job %d", id)
	}
	return &j, nil
}

func saveJob(kv store.KV, j *Job) { store.PutJSON(kv, jobKey(j.ID), j) }

func loadAsg(r store.Reader, id uint64, a tx.Address) (*Assignment, bool, error) {
	var as Assignment
	ok, err := store.GetJSON(r, asgKey(id, a), &as)
	if err != nil {
		return nil, false, fmt.Errorf("compute: assignment %d/%s: %w", id, a, err)
	}
	return &as, ok, nil
}

func saveAsg(kv store.KV, as *Assignment) { store.PutJSON(kv, asgKey(as.Job, as.Provider), as) }

// setBenchmark sets p a new benchmark of p.Cores lanes from this block.
func setBenchmark(ctx *app.Context, par Params, p *Provider) {
	seed := BenchSeed(ctx.Entropy, p.Address, ctx.Height)
	p.Status = ProviderBenchmarking
	p.Bench = &Benchmark{Seed: hex.EncodeToString(seed[:]), Lanes: p.Cores, Segments: par.BenchSegments,
		Steps: par.BenchSteps, Issued: ctx.Height, IssuedMs: ctx.Time.UnixMilli(), Deadline: ctx.Height + par.BenchBlocks}
	ctx.KV.Set(dueKey(p.Bench.Deadline, dueBenchmark, p.Address[:]), []byte{1})
}

func checkCapacity(cores, mem uint32, price uint64) error {
	if cores == 0 || cores > MaxCores {
		return CodeBadCapacity.Errorf("cores must be 1 to %d", MaxCores)
	}
	if mem == 0 || mem > MaxMemMiB {
		return CodeBadCapacity.Errorf("mem_mib must be 1 to %d", MaxMemMiB)
	}
	if price == 0 {
		return CodeBadCapacity.Errorf("price must be positive")
	}
	return nil
}

func (m *Module) handleRegister(ctx *app.Context, raw json.RawMessage) error {
	var msg RegisterProvider
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	if err := checkCapacity(msg.Cores, msg.MemMiB, msg.Price); err != nil {
		return err
	}
	par, err := m.params(ctx.KV)
	if err != nil {
		return err
	}
	if msg.Stake < par.MinStake {
		return CodeLowStake.Errorf("stake %d below %d", msg.Stake, par.MinStake)
	}
	old, err := loadProvider(ctx.KV, ctx.Signer)
	if err == nil && old.Status != ProviderRetired {
		return CodeProviderExists.Errorf("%s", ctx.Signer)
	}
	if err != nil && !errors.Is(err, CodeProviderNotFound.Err()) {
		return err
	}
	if err := m.bank.Lock(ctx.KV, ctx.Signer, Escrow, msg.Stake); err != nil {
		return err
	}
	p := &Provider{Address: ctx.Signer, Cores: msg.Cores, MemMiB: msg.MemMiB, Price: msg.Price, Stake: msg.Stake, Registered: ctx.Height}
	if old != nil {
		// A retired provider comes back under its registry position,
		// keeping its history (reputation, earnings and slashes).
		p.Seq, p.Reputation, p.Jobs, p.Earned, p.Slashed = old.Seq, old.Reputation, old.Jobs, old.Earned, old.Slashed
	} else {
		p.Seq = store.GetU64(ctx.KV, keyProviders)
		ctx.KV.Set(seqKey(p.Seq), ctx.Signer[:])
		store.PutU64(ctx.KV, keyProviders, p.Seq+1)
	}
	setBenchmark(ctx, par, p)
	saveProvider(ctx.KV, p)
	ctx.Emit("compute-provider", "provider", ctx.Signer.String(), "cores", u64(uint64(msg.Cores)),
		"bench_seed", p.Bench.Seed, "bench_deadline", i64(p.Bench.Deadline))
	return nil
}

func (m *Module) handleUnregister(ctx *app.Context, raw json.RawMessage) error {
	var msg Unregister
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	p, err := loadProvider(ctx.KV, ctx.Signer)
	if err != nil {
		return err
	}
	if p.Status == ProviderRetired {
		return CodeProviderNotFound.Errorf("%s is retired", ctx.Signer)
	}
	if p.Active > 0 {
		return CodeProviderBusy.Errorf("%d open assignments or referee duties: finish them first", p.Active)
	}
	if p.Stake > 0 {
		if err := m.bank.Release(ctx.KV, Escrow, p.Address, p.Stake); err != nil {
			return fmt.Errorf("compute: return stake of %s: %w", p.Address, err)
		}
	}
	ctx.Emit("compute-unregistered", "provider", p.Address.String(), "stake", u64(p.Stake))
	p.Stake, p.Status, p.Bench = 0, ProviderRetired, nil
	saveProvider(ctx.KV, p)
	return nil
}

func (m *Module) handleRebenchmark(ctx *app.Context, raw json.RawMessage) error {
	var msg Rebenchmark
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	p, err := loadProvider(ctx.KV, ctx.Signer)
	if err != nil {
		return err
	}
	if err := checkCapacity(msg.Cores, p.MemMiB, p.Price); err != nil {
		return err
	}
	if p.Status == ProviderRetired {
		return CodeProviderNotFound.Errorf("%s is retired: register again", ctx.Signer)
	}
	if p.Status == ProviderBenchmarking {
		return CodeBenchmarkPending.Errorf("answer it by height %d", p.Bench.Deadline)
	}
	if p.Active > 0 {
		return CodeProviderBusy.Errorf("%d open assignments", p.Active)
	}
	par, err := m.params(ctx.KV)
	if err != nil {
		return err
	}
	p.Cores = msg.Cores
	setBenchmark(ctx, par, p)
	saveProvider(ctx.KV, p)
	ctx.Emit("compute-benchmark-set", "provider", ctx.Signer.String(), "cores", u64(uint64(msg.Cores)),
		"bench_seed", p.Bench.Seed, "bench_deadline", i64(p.Bench.Deadline))
	return nil
}

func (m *Module) handleBenchmarkAnswer(ctx *app.Context, raw json.RawMessage) error {
	var msg BenchmarkAnswer
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	p, err := loadProvider(ctx.KV, ctx.Signer)
	if err != nil {
		return err
	}
	if p.Status != ProviderBenchmarking || p.Bench == nil {
		return CodeNoBenchmark.Errorf("provider is %s", p.Status)
	}
	b := p.Bench
	if ctx.Height > b.Deadline {
		return CodeWindowClosed.Errorf("benchmark was due by height %d (now %d)", b.Deadline, ctx.Height)
	}
	if uint32(len(msg.Lanes)) != b.Lanes {
		return CodeBadBenchmark.Errorf("%d lanes, want %d", len(msg.Lanes), b.Lanes)
	}
	for i, l := range msg.Lanes {
		if len(l) != int(b.Segments)*kernel.StateLen {
			return CodeBadBenchmark.Errorf("lane %d has %d bytes, want %d", i, len(l), int(b.Segments)*kernel.StateLen)
		}
	}
	par, err := m.params(ctx.KV)
	if err != nil {
		return err
	}
	samples := uint64(par.BenchSamples)
	if err := ctx.ConsumeGas(samples*b.Steps*GasPerBenchStep, "benchmark check"); err != nil {
		return err
	}
	seed, err := decodeHash(b.Seed)
	if err != nil {
		return fmt.Errorf("compute: stored seed: %w", err)
	}
	for i := uint64(0); i < samples; i++ {
		d := Draw(ctx.Entropy, "bench-sample", p.Address[:], store.BE64(i))
		lane := uint32(d % uint64(b.Lanes))
		seg := uint32((d / uint64(b.Lanes)) % uint64(b.Segments))
		if err := kernel.CheckSegment(seed, lane, msg.Lanes[lane], seg, b.Steps); err != nil {
			return CodeBadBenchmark.Errorf("lane %d segment %d: %v", lane, seg, err)
		}
	}
	ms := ctx.Time.UnixMilli() - b.IssuedMs
	if ms < 1 {
		ms = 1
	}
	work := uint64(b.Lanes) * uint64(b.Segments) * b.Steps // < 2^6 * 2^8 * 2^30
	p.Speed = work * 1000 / uint64(ms)
	p.Status = ProviderReady
	p.Bench = nil
	saveProvider(ctx.KV, p)
	ctx.Emit("compute-benchmark-passed", "provider", p.Address.String(), "speed", u64(p.Speed), "cores", u64(uint64(p.Cores)))
	return nil
}

func (m *Module) handleSubmit(ctx *app.Context, raw json.RawMessage) error {
	var msg SubmitJob
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	if _, err := decodeHash(msg.Wasm); err != nil {
		return CodeBadJob.Errorf("wasm: %v", err)
	}
	if len(msg.Inputs) > MaxInputs {
		return CodeBadJob.Errorf("%d inputs, at most %d", len(msg.Inputs), MaxInputs)
	}
	for _, in := range msg.Inputs {
		if _, err := decodeHash(in); err != nil {
			return CodeBadJob.Errorf("input: %v", err)
		}
	}
	if len(msg.Args) > MaxArgs {
		return CodeBadJob.Errorf("%d args, at most %d", len(msg.Args), MaxArgs)
	}
	for _, a := range msg.Args {
		if len(a) > MaxArgLen || !utf8.ValidString(a) || strings.ContainsRune(a, 0) {
			return CodeBadJob.Errorf("args must be at most %d bytes of UTF-8 without NUL", MaxArgLen)
		}
	}
	if msg.MemMiB == 0 || msg.MemMiB > MaxMemMiB {
		return CodeBadJob.Errorf("mem_mib must be 1 to %d", MaxMemMiB)
	}
	if msg.WallMs == 0 || msg.WallMs > MaxWallMs {
		return CodeBadJob.Errorf("wall_ms must be 1 to %d", MaxWallMs)
	}
	r := msg.R
	if r == 0 {
		r = DefaultR
	}
	if r > MaxR {
		return CodeBadJob.Errorf("r must be 1 to %d", MaxR)
	}
	if msg.PriceCap == 0 {
		return CodeBadJob.Errorf("price_cap must be positive")
	}
	j := &Job{Requester: ctx.Signer, Wasm: msg.Wasm, Inputs: msg.Inputs, Args: msg.Args, MemMiB: msg.MemMiB,
		WallMs: msg.WallMs, R: r, PriceCap: msg.PriceCap, Budget: msg.Budget}
	perReplica, o1 := mulCheck(msg.PriceCap, j.Seconds())
	need, o2 := mulCheck(perReplica, uint64(r))
	if o1 || o2 || msg.Budget < need {
		return CodeLowBudget.Errorf("budget %d < r %d x price cap %d x %d s", msg.Budget, r, msg.PriceCap, j.Seconds())
	}
	par, err := m.params(ctx.KV)
	if err != nil {
		return err
	}
	if err := m.bank.Lock(ctx.KV, ctx.Signer, Escrow, msg.Budget); err != nil {
		return err
	}
	if j.Inputs == nil {
		j.Inputs = []string{}
	}
	if j.Args == nil {
		j.Args = []string{}
	}
	j.ID = store.GetU64(ctx.KV, keyNextJob) + 1
	store.PutU64(ctx.KV, keyNextJob, j.ID)
	j.Escrow = msg.Budget
	j.Submitted = ctx.Height
	j.Status = JobBidding
	j.Rounds = 1
	setDeadline(ctx, j, ctx.Height+par.BidBlocks)
	ctx.KV.Set(openKey(j.ID), []byte{1})
	saveJob(ctx.KV, j)
	ctx.Emit("compute-job", "job", u64(j.ID), "requester", ctx.Signer.String(), "bid_deadline", i64(j.Deadline))
	return nil
}

// setDeadline moves the job's current phase deadline and queues it.
func setDeadline(ctx *app.Context, j *Job, h int64) {
	j.Deadline = h
	ctx.KV.Set(dueKey(h, dueJob, store.BE64(j.ID)), []byte{1})
}

func (m *Module) handleBid(ctx *app.Context, raw json.RawMessage) error {
	var msg Bid
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	p, err := loadProvider(ctx.KV, ctx.Signer)
	if err != nil {
		return err
	}
	j, err := loadJob(ctx.KV, msg.Job)
	if err != nil {
		return err
	}
	if j.Status != JobBidding || ctx.Height > j.Deadline {
		return CodeWindowClosed.Errorf("job %d is %s until height %d (now %d)", j.ID, j.Status, j.Deadline, ctx.Height)
	}
	if msg.Price == 0 || msg.Price > j.PriceCap {
		return CodeBidAboveCap.Errorf("price %d, cap %d", msg.Price, j.PriceCap)
	}
	if p.Status != ProviderReady {
		return CodeNotBenchmarked.Errorf("provider is %s", p.Status)
	}
	par, err := m.params(ctx.KV)
	if err != nil {
		return err
	}
	if !p.Eligible(par, j.MemMiB) {
		return CodeNoCapacity.Errorf("provider has %d MiB, %d of %d cores busy, stake %d (job needs %d MiB, min stake %d)",
			p.MemMiB, p.Active, p.Cores, p.Stake, j.MemMiB, par.MinStake)
	}
	if ctx.KV.Get(bidKey(j.ID, p.Address)) != nil {
		return CodeDuplicateBid.Errorf("job %d", j.ID)
	}
	if j.Bids >= MaxBids {
		return CodeTooManyBids.Errorf("job %d has %d bids", j.ID, j.Bids)
	}
	j.Bids++
	store.PutJSON(ctx.KV, bidKey(j.ID, p.Address), BidRecord{Job: j.ID, Provider: p.Address, Price: msg.Price, Height: ctx.Height})
	ctx.Emit("compute-bid", "job", u64(j.ID), "provider", p.Address.String(), "price", u64(msg.Price))
	if j.Bids == j.R && j.Deadline > ctx.Height {
		// r bids from distinct ready providers are in: the window closes
		// at the end of this block, among every bid this block carries.
		setDeadline(ctx, j, ctx.Height)
		ctx.Emit("compute-bids-in", "job", u64(j.ID), "deadline", i64(j.Deadline))
	}
	saveJob(ctx.KV, j)
	return nil
}

// assigned loads the signer's open assignment on job.
func assigned(ctx *app.Context, job uint64) (*Job, *Assignment, error) {
	j, err := loadJob(ctx.KV, job)
	if err != nil {
		return nil, nil, err
	}
	as, ok, err := loadAsg(ctx.KV, job, ctx.Signer)
	if err != nil {
		return nil, nil, err
	}
	if !ok || !as.open() {
		return nil, nil, CodeNotAssigned.Errorf("job %d is not assigned to %s", job, ctx.Signer)
	}
	return j, as, nil
}

func (m *Module) handleCommit(ctx *app.Context, raw json.RawMessage) error {
	var msg CommitResult
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	c, err := decodeHash(msg.Commit)
	if err != nil {
		return CodeBadResult.Errorf("commit: %v", err)
	}
	j, as, err := assigned(ctx, msg.Job)
	if err != nil {
		return err
	}
	if as.State != AsgAssigned {
		return CodeAlreadyCommitted.Errorf("job %d: assignment is %s", j.ID, as.State)
	}
	if j.Status != JobRunning || ctx.Height > j.Deadline {
		return CodeWindowClosed.Errorf("job %d is %s until height %d (now %d)", j.ID, j.Status, j.Deadline, ctx.Height)
	}
	as.State = AsgCommitted
	as.Commit = hex.EncodeToString(c[:])
	saveAsg(ctx.KV, as)
	ctx.Emit("compute-commit", "job", u64(j.ID), "provider", ctx.Signer.String())
	asgs, err := openAssignments(ctx.KV, j.ID)
	if err != nil {
		return err
	}
	committed := 0
	for _, a := range asgs {
		if a.State == AsgCommitted {
			committed++
		}
	}
	if uint32(committed) == j.R {
		par, err := m.params(ctx.KV)
		if err != nil {
			return err
		}
		j.Status = JobRevealing
		setDeadline(ctx, j, ctx.Height+par.RevealBlocks)
		ctx.Emit("compute-reveal-open", "job", u64(j.ID), "deadline", i64(j.Deadline))
	}
	saveJob(ctx.KV, j)
	return nil
}

func (m *Module) handleReveal(ctx *app.Context, raw json.RawMessage) error {
	var msg RevealResult
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	out, err := checkOutput(msg.Output, msg.Exit, msg.Files)
	if err != nil {
		return err
	}
	salt, err := decodeHash(msg.Salt)
	if err != nil {
		return CodeBadResult.Errorf("salt: %v", err)
	}
	j, as, err := assigned(ctx, msg.Job)
	if err != nil {
		return err
	}
	if j.Status != JobRevealing || ctx.Height > j.Deadline {
		return CodeWindowClosed.Errorf("job %d is %s until height %d (now %d)", j.ID, j.Status, j.Deadline, ctx.Height)
	}
	if as.State != AsgCommitted {
		return CodeNotCommitted.Errorf("job %d: assignment is %s", j.ID, as.State)
	}
	want := CommitHash(j.ID, ctx.Signer, out, salt)
	if hex.EncodeToString(want[:]) != as.Commit {
		return CodeRevealMismatch.Errorf("job %d: output and salt hash to %x, commitment is %s", j.ID, want, as.Commit)
	}
	as.State = AsgRevealed
	as.Output, as.Exit, as.Files = msg.Output, msg.Exit, msg.Files
	if as.Files == nil {
		as.Files = []File{}
	}
	saveAsg(ctx.KV, as)
	ctx.Emit("compute-reveal", "job", u64(j.ID), "provider", ctx.Signer.String(), "output", msg.Output)
	asgs, err := openAssignments(ctx.KV, j.ID)
	if err != nil {
		return err
	}
	for _, a := range asgs {
		if a.State == AsgCommitted {
			saveJob(ctx.KV, j)
			return nil // others still to reveal
		}
	}
	if err := m.decide(ctx, j, asgs); err != nil {
		return err
	}
	saveJob(ctx.KV, j)
	return nil
}

func (m *Module) handleReferee(ctx *app.Context, raw json.RawMessage) error {
	var msg RefereeResult
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	if _, err := checkOutput(msg.Output, msg.Exit, msg.Files); err != nil {
		return err
	}
	j, err := loadJob(ctx.KV, msg.Job)
	if err != nil {
		return err
	}
	if j.Status != JobRefereeing {
		return CodeWindowClosed.Errorf("job %d is %s", j.ID, j.Status)
	}
	if ctx.Signer != j.Referee {
		return CodeNotReferee.Errorf("job %d's referee is %s", j.ID, j.Referee)
	}
	files := msg.Files
	if files == nil {
		files = []File{}
	}
	if ctx.Height > j.Deadline {
		return CodeWindowClosed.Errorf("job %d's referee was due by height %d (now %d)", j.ID, j.Deadline, ctx.Height)
	}
	if err := m.refereeAnswered(ctx, j, Result{Output: msg.Output, Exit: msg.Exit, Files: files, By: "referee", Height: ctx.Height}); err != nil {
		return err
	}
	saveJob(ctx.KV, j)
	return nil
}

// openAssignments returns a job's assignments, open or not, in provider
// address order (at most MaxBids: each comes from a bid).
func openAssignments(r store.Reader, job uint64) ([]*Assignment, error) {
	var out []*Assignment
	var err error
	base := store.Key(prefixAsg, store.BE64(job))
	r.Iterate(base, store.PrefixEnd(base), func(_, v []byte) bool {
		var as Assignment
		if e := json.Unmarshal(v, &as); e != nil {
			err = fmt.Errorf("compute: corrupt assignment of job %d: %w", job, e)
			return false
		}
		out = append(out, &as)
		return true
	})
	return out, err
}

func sameAddr(a, b tx.Address) bool { return bytes.Equal(a[:], b[:]) }
