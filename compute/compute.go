// Package compute is the compute market: providers sell CPU time for
// sandboxed WebAssembly jobs, results are checked by replication, and an
// escrow pays.
//
// A provider registers its capacity (cores, memory), its price per
// CPU-second and a stake. The chain then sets it a benchmark (package
// kernel, seeded from block data, one lane per claimed core) that must be
// answered within a block window; the answer's checkpoints are spot-checked
// from later block data and the provider's measured speed is published.
// Only providers that passed may bid, and never on more jobs at once than
// they have cores, so fake capacity earns nothing.
//
// A requester submits a job (WASM and input blobs, arguments, memory and
// wall-time limits, replication r, a price cap and a budget held in
// escrow). Providers bid during the bid window (a reverse auction); at its
// end the chain assigns the r best bids, cheapest first with a discount for
// reputation, never two from one provider. The window ends early, at the
// end of the block in which the job's r-th bid lands, so a job that finds
// free providers runs a block after it is submitted; the bids of that block
// still compete on price. Assigned providers commit to an
// output hash, then reveal it with the output blobs. If all reveals agree
// the escrow pays them; with probability RecheckPermille an agreeing job is
// re-run by a referee anyway, which is what catches a colluding pair. If
// they disagree a referee (another provider drawn from block data, or the
// requester when none is free) re-runs the job; providers whose output
// differs from the referee's are slashed and the others paid (the
// requester's answer alone slashes nobody: it only decides who is paid). A provider
// that misses a deadline loses part of its stake and the job is reassigned
// from the remaining bids or re-auctioned. Deadlines are a queue processed
// at most MaxDuePerBlock entries per block.
package compute

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/bits"
	"net/url"

	"emergence/app"
	"emergence/store"
	"emergence/tx"
)

// Bank is what the module needs from the bank: escrow of stakes and
// budgets, payouts and slashing into the module's pool.
type Bank interface {
	Lock(kv store.KV, from tx.Address, module string, amt uint64) error
	Release(kv store.KV, module string, to tx.Address, amt uint64) error
	MoveModule(kv store.KV, from, to string, amt uint64) error
	ModuleBalance(r store.Reader, name string) uint64
	RegisterAccount(ctx *app.Context, name string) error
}

// Params are the module's genesis parameters.
type Params struct {
	// MinStake is the least stake (uemg) a provider locks; a provider whose
	// stake falls below it by slashing can no longer bid.
	MinStake uint64 `json:"min_stake"`
	// BenchSegments is the number of checkpoints per benchmark lane,
	// BenchSteps the kernel steps between two checkpoints, BenchSamples
	// the segments the chain re-runs to check an answer.
	BenchSegments uint32 `json:"bench_segments"`
	BenchSteps    uint64 `json:"bench_steps"`
	BenchSamples  uint32 `json:"bench_samples"`
	// BenchBlocks is how many blocks after the benchmark is set its answer
	// may land.
	BenchBlocks int64 `json:"bench_blocks"`
	// BidBlocks is the length of a job's bid window; the first window
	// ends sooner, at the end of the block that brings the job's r-th bid.
	BidBlocks int64 `json:"bid_blocks"`
	// ExecBlocks is the slack, in blocks, an assigned provider (or a
	// referee) has to commit on top of one block per second of wall limit.
	ExecBlocks int64 `json:"exec_blocks"`
	// RevealBlocks is the reveal window after the last commitment.
	RevealBlocks int64 `json:"reveal_blocks"`
	// RecheckPermille is p: the chance, in thousandths, that a job whose
	// replicas agree is re-run by a referee anyway.
	RecheckPermille uint32 `json:"recheck_permille"`
	// SlashPermille of its stake a provider loses for a result that differs
	// from the referee's; MissPermille for a missed deadline or benchmark.
	SlashPermille uint32 `json:"slash_permille"`
	MissPermille  uint32 `json:"miss_permille"`
	// MaxRounds is how many bid windows a job gets to fill its replicas.
	MaxRounds uint32 `json:"max_rounds"`
}

// DefaultParams are used when genesis has no "compute" section. The
// benchmark is sized for a devnet (about 4M kernel steps per core); a
// public network raises BenchSteps so that the window really tests speed.
func DefaultParams() Params {
	return Params{
		MinStake:      1_000_000,
		BenchSegments: 64, BenchSteps: 1 << 16, BenchSamples: 8, BenchBlocks: 30,
		BidBlocks: 3, ExecBlocks: 20, RevealBlocks: 10,
		RecheckPermille: 100, SlashPermille: 500, MissPermille: 100, MaxRounds: 3,
	}
}

func (p Params) validate() error {
	switch {
	case p.MinStake == 0:
		return fmt.Errorf("min_stake must be positive")
	case p.BenchSegments == 0 || p.BenchSegments > MaxBenchSegments:
		return fmt.Errorf("bench_segments must be 1 to %d", MaxBenchSegments)
	case p.BenchSteps == 0 || p.BenchSteps > MaxBenchSteps:
		return fmt.Errorf("bench_steps must be 1 to %d", MaxBenchSteps)
	case p.BenchSamples == 0 || p.BenchSamples > MaxBenchSamples:
		return fmt.Errorf("bench_samples must be 1 to %d", MaxBenchSamples)
	case p.BenchBlocks < 1 || p.BidBlocks < 1 || p.ExecBlocks < 1 || p.RevealBlocks < 1:
		return fmt.Errorf("bench_blocks, bid_blocks, exec_blocks and reveal_blocks must be positive")
	case p.RecheckPermille > 1000 || p.SlashPermille > 1000 || p.MissPermille > 1000:
		return fmt.Errorf("permille parameters must be at most 1000")
	case p.MaxRounds == 0 || p.MaxRounds > 10:
		return fmt.Errorf("max_rounds must be 1 to 10")
	}
	return nil
}

// Genesis is the module's genesis section.
type Genesis struct {
	Params Params `json:"params"`
}

// Bounds on user-chosen sizes, so that every record and every
// end-of-block step is bounded.
const (
	MaxCores         = 64
	MaxMemMiB        = 1 << 20
	MaxR             = 5
	DefaultR         = 2
	MaxInputs        = 16
	MaxArgs          = 32
	MaxArgLen        = 256
	MaxFiles         = 16
	MaxFileName      = 128
	MaxWallMs        = 24 * 3_600_000
	MaxBids          = 32
	MaxReferees      = 3
	RefereeProbes    = 16
	MaxDuePerBlock   = 64
	MaxBenchSegments = 256
	MaxBenchSteps    = 1 << 30
	MaxBenchSamples  = 32
	// MaxPage is the most records one list query returns.
	MaxPage = 100
	// RepCap caps the reputation that discounts a bid; each point of
	// reputation discounts by RepStep thousandths (so at most half off).
	RepCap  = 100
	RepStep = 10
)

// Gas of each message. Every handler reads and writes a bounded number of
// bounded records; submit-job also pays for its deadlines' end-of-block
// work (bid selection over at most MaxBids bids, reassignment, referee
// draw: bench/gasbench measures one bid-window close and one commit
// deadline with every replica missing, each at about a sixth of the
// target per gas of the submit), and the benchmark answer pays per kernel
// step it has the chain re-run (GasPerBenchStep). Deadlines beyond the
// first few happen only when a provider misses one, and each such miss
// costs the provider MissPermille of a stake of at least MinStake, far
// more than the work it causes.
const (
	GasRegisterProvider = 40_000
	GasRebenchmark      = 30_000
	GasBenchmarkAnswer  = 60_000
	GasPerBenchStep     = 1
	GasSubmitJob        = 400_000
	GasBid              = 30_000
	GasCommitResult     = 30_000
	GasRevealResult     = 150_000
	GasRefereeResult    = 150_000
	GasUnregister       = 30_000
)

// Provider states.
const (
	ProviderBenchmarking = "benchmarking"
	ProviderReady        = "ready"
	ProviderFailed       = "failed"
	ProviderRetired      = "retired"
)

// Job states.
const (
	JobBidding    = "bidding"
	JobRunning    = "running"
	JobRevealing  = "revealing"
	JobRefereeing = "refereeing"
	JobDone       = "done"
	JobExpired    = "expired"
	JobUnresolved = "unresolved"
)

// Assignment states.
const (
	AsgAssigned  = "assigned"
	AsgCommitted = "committed"
	AsgRevealed  = "revealed"
	AsgPaid      = "paid"
	AsgSlashed   = "slashed"
	AsgMissed    = "missed"
	AsgReleased  = "released"
)

// Benchmark is the workload the chain set a provider: Lanes lanes (its
// claimed cores) of Segments checkpoints, Steps kernel steps apart, from
// Seed (hex), to be answered by height Deadline.
type Benchmark struct {
	Seed     string `json:"seed"`
	Lanes    uint32 `json:"lanes"`
	Segments uint32 `json:"segments"`
	Steps    uint64 `json:"steps"`
	Issued   int64  `json:"issued_height"`
	IssuedMs int64  `json:"issued_ms"`
	Deadline int64  `json:"deadline"`
}

// Provider is a registered provider.
type Provider struct {
	Address tx.Address `json:"address"`
	Seq     uint64     `json:"seq"`
	Cores   uint32     `json:"cores"`
	MemMiB  uint32     `json:"mem_mib"`
	// Price is the provider's asking price, uemg per CPU-second (bids name
	// their own price; this is what it advertises).
	Price  uint64 `json:"price"`
	Stake  uint64 `json:"stake"`
	Status string `json:"status"`
	// Bench is the pending benchmark (nil once answered or failed).
	Bench *Benchmark `json:"bench,omitempty"`
	// Speed is the measured kernel steps per second over all cores, from
	// the last passed benchmark (block time from set to answered).
	Speed uint64 `json:"speed"`
	// Reputation counts paid jobs; it halves on a missed deadline and is
	// zeroed by a slash for a wrong result.
	Reputation uint64 `json:"reputation"`
	// Active counts open assignments and referee duties.
	Active     uint32 `json:"active"`
	Jobs       uint64 `json:"jobs"`
	Earned     uint64 `json:"earned"`
	Slashed    uint64 `json:"slashed"`
	Registered int64  `json:"registered_height"`
}

// Eligible reports whether the provider may take new work needing mem MiB.
func (p *Provider) Eligible(par Params, mem uint32) bool {
	return p.Status == ProviderReady && p.Stake >= par.MinStake && p.Active < p.Cores && p.MemMiB >= mem
}

// File is one output file: its name in the output directory and its blob
// hash (hex SHA-256).
type File struct {
	Name string `json:"name"`
	Blob string `json:"blob"`
}

// Result is a job's verified result.
type Result struct {
	Output string `json:"output"`
	Exit   uint32 `json:"exit"`
	Files  []File `json:"files"`
	// By is "agreement" (the replicas agreed) or "referee".
	By     string `json:"by"`
	Height int64  `json:"height"`
}

// Job is a submitted job.
type Job struct {
	ID        uint64     `json:"id"`
	Requester tx.Address `json:"requester"`
	Wasm      string     `json:"wasm"`
	Inputs    []string   `json:"inputs"`
	Args      []string   `json:"args"`
	MemMiB    uint32     `json:"mem_mib"`
	WallMs    uint64     `json:"wall_ms"`
	R         uint32     `json:"r"`
	PriceCap  uint64     `json:"price_cap"`
	Budget    uint64     `json:"budget"`
	// Escrow is what is left of the budget in escrow (0 once settled).
	Escrow    uint64 `json:"escrow"`
	Status    string `json:"status"`
	Submitted int64  `json:"submitted_height"`
	// Deadline is the height the current phase ends at.
	Deadline int64  `json:"deadline"`
	Rounds   uint32 `json:"rounds"`
	Bids     uint32 `json:"bids"`
	// Referee of a refereeing job; RefereeRequester when it is the
	// requester. Referees lists the providers drawn so far and Opinions
	// the output each answered ("" for one that missed its deadline).
	Referee          tx.Address   `json:"referee,omitempty"`
	RefereeRequester bool         `json:"referee_requester,omitempty"`
	Referees         []tx.Address `json:"referees,omitempty"`
	Opinions         []string     `json:"opinions,omitempty"`
	// Recheck is set when an agreeing job was drawn for a re-run.
	Recheck bool    `json:"recheck,omitempty"`
	Result  *Result `json:"result,omitempty"`
	Paid    uint64  `json:"paid"`
	Refund  uint64  `json:"refund"`
}

// Seconds is the job's billed CPU-seconds per replica: its wall limit
// rounded up to whole seconds.
func (j *Job) Seconds() uint64 { return (j.WallMs + 999) / 1000 }

// BidRecord is a stored bid.
type BidRecord struct {
	Job      uint64     `json:"job"`
	Provider tx.Address `json:"provider"`
	Price    uint64     `json:"price"`
	Height   int64      `json:"height"`
}

// Assignment is one replica of a job.
type Assignment struct {
	Job      uint64     `json:"job"`
	Provider tx.Address `json:"provider"`
	Price    uint64     `json:"price"`
	State    string     `json:"state"`
	Assigned int64      `json:"assigned_height"`
	Commit   string     `json:"commit,omitempty"`
	Output   string     `json:"output,omitempty"`
	Exit     uint32     `json:"exit,omitempty"`
	Files    []File     `json:"files,omitempty"`
	Paid     uint64     `json:"paid,omitempty"`
	Slashed  uint64     `json:"slashed,omitempty"`
}

// open reports whether the assignment still holds one of its provider's
// cores.
func (a *Assignment) open() bool {
	return a.State == AsgAssigned || a.State == AsgCommitted || a.State == AsgRevealed
}

// State keys.
var (
	keyParams     = []byte("compute/params")
	keyNextJob    = []byte("compute/next-job")
	keyProviders  = []byte("compute/providers")
	prefixProv    = []byte("compute/prov/")
	prefixSeq     = []byte("compute/seq/")
	prefixJob     = []byte("compute/job/")
	prefixBid     = []byte("compute/bid/")
	prefixAsg     = []byte("compute/asg/")
	prefixByProv  = []byte("compute/byprov/")
	prefixOpen    = []byte("compute/open/")
	prefixDue     = []byte("compute/due/")
	dueBenchmark  = byte('b')
	dueJob        = byte('j')
	domainRand    = "emergence/compute/rand/v1\x00"
	domainCommit  = "emergence/compute/commit/v1\x00"
	domainOutput  = "emergence/compute/output/v1\x00"
	domainBenchSd = "emergence/compute/bench-seed/v1\x00"
)

func provKey(a tx.Address) []byte           { return store.Key(prefixProv, a[:]) }
func seqKey(n uint64) []byte                { return store.Key(prefixSeq, store.BE64(n)) }
func jobKey(id uint64) []byte               { return store.Key(prefixJob, store.BE64(id)) }
func bidKey(id uint64, a tx.Address) []byte { return store.Key(prefixBid, store.BE64(id), a[:]) }
func asgKey(id uint64, a tx.Address) []byte { return store.Key(prefixAsg, store.BE64(id), a[:]) }
func byProvKey(a tx.Address, id uint64) []byte {
	return store.Key(prefixByProv, a[:], store.BE64(id))
}
func openKey(id uint64) []byte { return store.Key(prefixOpen, store.BE64(id)) }
func dueKey(h int64, kind byte, id []byte) []byte {
	return store.Key(prefixDue, store.BE64(uint64(h)), []byte{kind}, id)
}

// Module is the compute module.
type Module struct {
	bank   Bank
	router *app.Router
}

var _ app.Module = (*Module)(nil)

// New returns the module; b holds stakes and budgets in escrow.
func New(b Bank) *Module {
	m := &Module{bank: b}
	m.router = m.routes()
	return m
}

// Name implements app.Module.
func (m *Module) Name() string { return Name }

// InitGenesis implements app.Module.
func (m *Module) InitGenesis(ctx *app.Context, raw json.RawMessage) error {
	g := Genesis{Params: DefaultParams()}
	if err := app.DecodeGenesis(raw, &g); err != nil {
		return fmt.Errorf("decode compute genesis: %w", err)
	}
	if err := g.Params.validate(); err != nil {
		return fmt.Errorf("compute genesis: %w", err)
	}
	store.PutJSON(ctx.KV, keyParams, g.Params)
	if err := m.bank.RegisterAccount(ctx, Escrow); err != nil {
		return err
	}
	return m.bank.RegisterAccount(ctx, Pool)
}

func (m *Module) params(r store.Reader) (Params, error) {
	p := DefaultParams()
	if _, err := store.GetJSON(r, keyParams, &p); err != nil {
		return p, fmt.Errorf("compute params: %w", err)
	}
	return p, nil
}

// Query implements app.Module.
func (m *Module) Query(r store.Reader, path string, params url.Values) (any, error) {
	return m.router.Query(r, path, params)
}

// Draw returns a number from block entropy for a purpose (tag) and an
// object (job id, provider): SHA-256 of a domain tag, the entropy, the tag
// and the parts, first 8 bytes. Every validator draws the same.
func Draw(entropy [32]byte, tag string, parts ...[]byte) uint64 {
	h := sha256.New()
	h.Write([]byte(domainRand))
	h.Write(entropy[:])
	h.Write(store.BE64(uint64(len(tag))))
	h.Write([]byte(tag))
	for _, p := range parts {
		h.Write(store.BE64(uint64(len(p))))
		h.Write(p)
	}
	var sum [32]byte
	h.Sum(sum[:0])
	return binary.BigEndian.Uint64(sum[:8])
}

// BenchSeed is the seed of a provider's benchmark set at a block.
func BenchSeed(entropy [32]byte, provider tx.Address, height int64) [32]byte {
	h := sha256.New()
	h.Write([]byte(domainBenchSd))
	h.Write(entropy[:])
	h.Write(provider[:])
	h.Write(store.BE64(uint64(height)))
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}

// CommitHash is what a provider commits to for job: SHA-256 of a domain
// tag, the job id, the provider, the output hash and a 32-byte salt.
func CommitHash(job uint64, provider tx.Address, output, salt [32]byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(domainCommit))
	h.Write(store.BE64(job))
	h.Write(provider[:])
	h.Write(output[:])
	h.Write(salt[:])
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}

// OutputHash is a run's output hash: SHA-256 of a domain tag, the exit
// code and the output files sorted by name (each a length-prefixed name
// and its 32-byte blob hash). Files must already be sorted and valid (see
// CheckFiles).
func OutputHash(exit uint32, files []File) ([32]byte, error) {
	h := sha256.New()
	h.Write([]byte(domainOutput))
	h.Write(binary.BigEndian.AppendUint32(nil, exit))
	h.Write(store.BE64(uint64(len(files))))
	for _, f := range files {
		b, err := decodeHash(f.Blob)
		if err != nil {
			return [32]byte{}, fmt.Errorf("file %q: %w", f.Name, err)
		}
		h.Write(store.BE64(uint64(len(f.Name))))
		h.Write([]byte(f.Name))
		h.Write(b[:])
	}
	var sum [32]byte
	h.Sum(sum[:0])
	return sum, nil
}

// mulCheck returns a*b and whether it overflowed.
func mulCheck(a, b uint64) (uint64, bool) {
	hi, lo := bits.Mul64(a, b)
	return lo, hi != 0
}
