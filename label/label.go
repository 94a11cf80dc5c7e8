// Package label is the labeling market: requesters post jobs with a budget in
// escrow and a commitment to hidden gold answers, labelers put stake at risk
// and receive items chosen from block data, answer by commit–reveal, and
// settlement runs integer Dawid–Skene (label/aggregate/fixedds), checks the
// gold against the labelers' consensus, pins the gold that survives, stores
// the aggregated labels and their Merkle root, pays each labeler by
// estimated skill (chance level earns nothing), slashes labelers whose gold
// accuracy is under a threshold, refunds the unspent budget and updates
// reputations.
//
// # Life of a job
//
//  1. label/create-job locks budget = reward_per_label × items ×
//     labels_per_item plus the requester bond. The job names a manifest blob
//     (item ids and content hashes), its classes, and commits to its gold:
//     GoldCommitment(manifest, gold, salt). A job is refused unless two
//     Dawid–Skene runs of at least params.min_iterations at its largest
//     shape (labels, classes, max_assignments) fit in params.max_settle_gas;
//     the job records how many iterations settlement may run and its
//     settle_gas.
//  2. label/stake bonds stake; label/request locks the job's min_stake of
//     it (the stake at risk) and gives the labeler batch_size items picked
//     from the block hash, the job and the labeler's address, so nobody
//     chooses items and nobody can tell gold from other items. Only stake
//     not at risk in open jobs can be withdrawn or put at risk elsewhere.
//  3. Until commit_deadline, label/commit stores AnswerCommitment(job,
//     labeler, items, answers, salt); after it and until reveal_deadline,
//     label/reveal opens it.
//  4. After reveal_deadline (never inside the reveal window, so no labeler
//     sees gold before deciding to reveal) and until gold_deadline the
//     requester sends label/reveal-gold (checked against the commitment).
//  5. After reveal_deadline, once the gold is revealed or gold_deadline has
//     passed, and until expiry_height, anyone sends label/settle. Without
//     gold the bond goes to the treasury and labelers are paid by the
//     gold-free estimate.
//  6. After expiry_height an unsettled job can only be expired
//     (label/expire, anyone): budget and bond go back to the requester and
//     the labelers' stakes at risk are released. Nothing stays locked.
//
// # Gold is checked, not trusted
//
// Gold is a claim by an interested party. Settlement first runs Dawid–Skene
// without gold; a gold answer is overturned when that consensus puts at
// least params.gold_overturn_permille of the item's posterior on another
// class and the item has at least params.gold_check_min_labels labels.
// Overturned gold pins nothing and slashes nobody, and gold on an item
// with fewer labels than that is pinned but slashes nobody either (no
// consensus could check it); when more than
// params.bad_gold_permille of the gold is overturned the gold is shown
// wrong and the requester's bond goes to the treasury. The second run pins
// the surviving gold.
//
// # Payment and slashing
//
// Labeler w's payment is reward_per_label × revealed labels × skill_w, where
// skill is Dawid–Skene's accuracy above chance (kappa against the inferred
// truth, 0 for answers independent of the truth), and nothing when skill is
// below params.min_skill_permille. A labeler with at least
// params.min_gold_answers surviving gold answers whose gold accuracy is
// below chance + params.gold_kappa_permille × (1 − chance), chance =
// 1/classes, earns nothing and loses params.slash_permille of its stake at
// risk to the treasury. A labeler who took an assignment and never revealed
// loses params.no_reveal_slash_permille of it, which genesis requires to be
// at least slash_permille: withholding is never cheaper than revealing bad
// answers. Reputation is the running mean of skill (permille) over settled
// jobs; an assignment never revealed counts as skill 0, and so does a
// slashed one.
//
// # Gas
//
// Every message's gas bounds its work: settlement pays for its bookkeeping
// from the job's counts up front, for every Dawid–Skene iteration before it
// runs (fixedds.IterationWork units), and for every byte it stores, as does
// every message that writes state (GasPerStoredByte). emergence bench gas
// measures each kind at its worst case.
//
// Everything in this package is deterministic: integers only, no map
// iteration, block data as the only randomness; a test enforces the imports.
// Corrupt state is an error, never a panic.
package label

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"

	"emergence/app"
	"emergence/store"
	"emergence/tx"
)

// Bank is what the label module needs from the bank.
type Bank interface {
	Balance(r store.Reader, a tx.Address) uint64
	Lock(kv store.KV, from tx.Address, module string, amt uint64) error
	Release(kv store.KV, module string, to tx.Address, amt uint64) error
	MoveModule(kv store.KV, from, to string, amt uint64) error
	ModuleBalance(r store.Reader, name string) uint64
	RegisterAccount(ctx *app.Context, name string) error
}

// Personhood answers whether an account proved it is a unique human for an
// application (package personhood's Module implements it).
type Personhood interface {
	IsHuman(r store.Reader, appName string, account tx.Address) bool
}

// PersonhoodApp is the application name labelers prove personhood for.
const PersonhoodApp = "label"

// Module is the label module.
type Module struct {
	bank     Bank
	human    Personhood
	datasets Datasets
	queries  *app.Router
}

var _ app.Module = (*Module)(nil)

// New returns the label module using b for escrow and payments.
func New(b Bank) *Module {
	m := &Module{bank: b}
	m.queries = m.routes()
	return m
}

// WithPersonhood enables jobs that require one human per labeler.
func (m *Module) WithPersonhood(p Personhood) *Module { m.human = p; return m }

// Datasets is what label reads of the data module: a registered dataset's
// record count, Merkle root (hex) and the size of its stored record.
type Datasets interface {
	DatasetRecords(r store.Reader, id uint64) (records uint64, root string, size int, ok bool)
	// NoteLabelJob records job under dataset ds, for its provenance.
	NoteLabelJob(kv store.KV, ds, job uint64)
}

// WithDatasets enables jobs that take their items from a registered
// dataset (create-job with dataset set).
func (m *Module) WithDatasets(d Datasets) *Module { m.datasets = d; return m }

// JobLink returns the dataset job id was created over (0 and "" for a
// job over a plain manifest), whether it settled and the size in bytes of
// the job record read (callers charge gas for it), ok false when there is
// no such job. The zkml module reads it to check an attestation's labeling
// job.
func (m *Module) JobLink(r store.Reader, id uint64) (dataset uint64, root string, settled bool, size int, ok bool) {
	raw := r.Get(store.Key(prefixJob, store.BE64(id)))
	var j struct {
		Status      string `json:"status"`
		Dataset     uint64 `json:"dataset"`
		DatasetRoot string `json:"dataset_root"`
	}
	if raw == nil || json.Unmarshal(raw, &j) != nil {
		return 0, "", false, len(raw), false
	}
	return j.Dataset, j.DatasetRoot, j.Status == StatusSettled, len(raw), true
}

// Personhood returns the view set by WithPersonhood (nil: none).
func (m *Module) Personhood() Personhood { return m.human }

// Name implements app.Module.
func (m *Module) Name() string { return Name }

// Params are the module's genesis parameters.
type Params struct {
	// RequesterBond is locked with every job and forfeited to the treasury
	// when the requester never reveals its gold (uemg).
	RequesterBond uint64 `json:"requester_bond"`
	// MinGoldPermille is the least share of items that must be gold.
	MinGoldPermille uint32 `json:"min_gold_permille"`
	// GoldKappaPermille: labelers with at least MinGoldAnswers gold
	// answers whose gold accuracy, rescaled so chance (1/K) is 0 and perfect
	// is 1000, is below this are slashed and unpaid. 200 means below 40%
	// with 4 classes, below 60% with 2.
	GoldKappaPermille uint32 `json:"gold_kappa_permille"`
	MinGoldAnswers    uint32 `json:"min_gold_answers"`
	// SlashPermille of the stake is taken from a labeler failing gold.
	SlashPermille uint32 `json:"slash_permille"`
	// NoRevealSlashPermille of the stake is taken from a labeler who took
	// an assignment and never revealed: the items it held lost their labels.
	NoRevealSlashPermille uint32 `json:"no_reveal_slash_permille"`
	// MinSkillPermille: below this skill a labeler earns nothing.
	MinSkillPermille uint32 `json:"min_skill_permille"`
	// SmoothingMilli is Dawid–Skene's confusion pseudo-count, in thousandths.
	SmoothingMilli uint32 `json:"smoothing_milli"`
	// MaxItems, MaxBatch and MaxLabelsPerItem bound a job.
	MaxItems         uint32 `json:"max_items"`
	MaxBatch         uint32 `json:"max_batch"`
	MaxLabelsPerItem uint32 `json:"max_labels_per_item"`
	// GoldBlocks is how long after the reveal deadline the requester may
	// still reveal gold.
	GoldBlocks int64 `json:"gold_blocks"`
	// MaxWindow bounds the commit and reveal windows (blocks).
	MaxWindow int64 `json:"max_window"`
	// MaxSettleGas bounds the gas of settling one job (two Dawid–Skene runs
	// at the job's largest shape, bookkeeping and storage); a job whose
	// settlement would need more is refused at creation. It must stay
	// below the app's max_tx_gas.
	MaxSettleGas uint64 `json:"max_settle_gas"`
	// MinIterations is the least number of Dawid–Skene iterations a job's
	// settlement must be able to afford within MaxSettleGas; MaxIterations
	// caps them.
	MinIterations uint32 `json:"min_iterations"`
	MaxIterations uint32 `json:"max_iterations"`
	// ExpiryBlocks after the gold deadline an unsettled job expires: the
	// requester gets budget and bond back, labelers' stakes are released.
	ExpiryBlocks int64 `json:"expiry_blocks"`
	// GoldOverturnPermille: a gold answer is overturned when the gold-free
	// Dawid–Skene posterior of another class is at least this on an item
	// with at least GoldCheckMinLabels labels. Overturned gold pins nothing
	// and slashes nobody.
	GoldOverturnPermille uint32 `json:"gold_overturn_permille"`
	GoldCheckMinLabels   uint32 `json:"gold_check_min_labels"`
	// BadGoldPermille: when more than this share of the gold is overturned
	// the requester's gold is shown wrong and its bond goes to the treasury.
	BadGoldPermille uint32 `json:"bad_gold_permille"`
}

// DefaultParams: bond 1 EMG, ≥5% gold, slash half the stake at risk when
// gold accuracy over ≥3 gold answers is less than a fifth of the way from
// chance to perfect, and as much for an assignment never revealed, no pay
// below 10% skill, DS smoothing 0.1; settlement within 40M gas and 20 to
// 100 iterations; expiry 10,000 blocks after the gold deadline; gold
// overturned at 95% posterior over ≥3 labels, bond lost above 10%
// overturned.
func DefaultParams() Params {
	return Params{
		RequesterBond: 1_000_000, MinGoldPermille: 50, GoldKappaPermille: 200, MinGoldAnswers: 3,
		SlashPermille: 500, NoRevealSlashPermille: 500, MinSkillPermille: 100, SmoothingMilli: 100,
		MaxItems: 100_000, MaxBatch: 1_000, MaxLabelsPerItem: 50, GoldBlocks: 50, MaxWindow: 1_000_000,
		MaxSettleGas: 40_000_000, MinIterations: 20, MaxIterations: 100, ExpiryBlocks: 10_000,
		GoldOverturnPermille: 950, GoldCheckMinLabels: 3, BadGoldPermille: 100,
	}
}

// Genesis is the module's genesis section.
type Genesis struct {
	Params Params `json:"params"`
}

// Job statuses.
const (
	StatusOpen    = "open"
	StatusSettled = "settled"
	StatusExpired = "expired"
)

// GoldItem is one hidden gold answer.
type GoldItem struct {
	Item  uint32 `json:"item"`
	Class uint32 `json:"class"`
}

// Job is a labeling job.
type Job struct {
	ID                uint64     `json:"id"`
	Requester         tx.Address `json:"requester"`
	Manifest          string     `json:"manifest"`
	Items             uint32     `json:"items"`
	Classes           []string   `json:"classes"`
	LabelsPerItem     uint32     `json:"labels_per_item"`
	BatchSize         uint32     `json:"batch_size"`
	RewardPerLabel    uint64     `json:"reward_per_label"`
	Budget            uint64     `json:"budget"`
	Bond              uint64     `json:"bond"`
	MinStake          uint64     `json:"min_stake"`
	MinReputation     uint32     `json:"min_reputation"`
	RequirePersonhood bool       `json:"require_personhood"`
	GoldCommitment    string     `json:"gold_commitment"`
	GoldCount         uint32     `json:"gold_count"`
	CreatedHeight     int64      `json:"created_height"`
	CommitDeadline    int64      `json:"commit_deadline"`
	RevealDeadline    int64      `json:"reveal_deadline"`
	GoldDeadline      int64      `json:"gold_deadline"`
	// ExpiryHeight: after it the job can no longer settle; label/expire
	// refunds the requester and releases the labelers' stakes.
	ExpiryHeight int64 `json:"expiry_height"`
	// MaxAssignments bounds the job's assignments (and so settlement's
	// work); Iterations is how many Dawid–Skene iterations settlement may
	// run and SettleGas the most gas a label/settle transaction can use,
	// its own bytes included: a gas limit of SettleGas always suffices.
	MaxAssignments uint32 `json:"max_assignments"`
	Iterations     uint32 `json:"iterations"`
	SettleGas      uint64 `json:"settle_gas"`
	// Parts is set on a job too large to settle in one transaction: each
	// label/settle then does one bounded part of the work (see
	// PartGas), keeping Dawid–Skene's state between parts, and the last
	// part pays. SettleGas is then the gas of one part.
	Parts bool `json:"parts,omitempty"`
	// Sweep is set on a job settling in parts whose single Dawid–Skene
	// iteration does not fit in a part: its parts cut iterations into item
	// ranges (settle_sweep.go).
	Sweep          bool       `json:"sweep,omitempty"`
	Assignments    uint32     `json:"assignments"`
	AssignedLabels uint64     `json:"assigned_labels"`
	Gold           []GoldItem `json:"gold,omitempty"`
	GoldRevealed   bool       `json:"gold_revealed"`
	Status         string     `json:"status"`
	// Dataset is the registered dataset whose records are the job's items
	// (item i is record i), with its root; 0 and "" for a job over a
	// plain manifest.
	Dataset     uint64 `json:"dataset,omitempty"`
	DatasetRoot string `json:"dataset_root,omitempty"`
}

// Labeler is a labeler's standing.
type Labeler struct {
	Address tx.Address `json:"address"`
	Stake   uint64     `json:"stake"`
	// Locked is the stake at risk in open jobs (each assignment locks its
	// job's min_stake); only Stake − Locked can be withdrawn or put at risk
	// in another job.
	Locked uint64 `json:"locked"`
	// Open counts assignments in jobs not yet settled or expired.
	Open uint32 `json:"open"`
	// Jobs settled, labels revealed, total earned and slashed (uemg).
	Jobs    uint64 `json:"jobs"`
	Labels  uint64 `json:"labels"`
	Earned  uint64 `json:"earned"`
	Slashed uint64 `json:"slashed"`
	// Reputation is the mean skill over settled jobs, permille (0..1000).
	Reputation uint32 `json:"reputation"`
}

// labelerRecord is the stored form of Labeler.
type labelerRecord struct {
	Labeler
	SkillSum uint64 `json:"skill_sum"`
}

// Assignment is one labeler's work in one job.
type Assignment struct {
	Job     uint64     `json:"job"`
	Labeler tx.Address `json:"labeler"`
	Items   []uint32   `json:"items"`
	Height  int64      `json:"height"`
	// Risk is the stake this assignment locks: slashes take a share of it.
	Risk       uint64   `json:"risk"`
	Commitment string   `json:"commitment,omitempty"`
	Answers    []uint32 `json:"answers,omitempty"`
	Revealed   bool     `json:"revealed"`
}

// Outcome is one labeler's result in a settled job. GoldCorrect and
// GoldTotal count only checked gold: on items with at least
// gold_check_min_labels labels, not overturned.
type Outcome struct {
	Labeler       tx.Address `json:"labeler"`
	Labels        uint32     `json:"labels"`
	Revealed      bool       `json:"revealed"`
	SkillPermille int32      `json:"skill_permille"`
	GoldCorrect   uint32     `json:"gold_correct"`
	GoldTotal     uint32     `json:"gold_total"`
	Paid          uint64     `json:"paid"`
	Slashed       uint64     `json:"slashed"`
}

// Results are a settled job's aggregated labels and payments.
type Results struct {
	Job uint64 `json:"job"`
	// Labels holds the class index per item, -1 for items nobody labeled.
	Labels []int32 `json:"labels"`
	// Root is ResultsRoot(job, labels), hex.
	Root     string `json:"root"`
	GoldUsed bool   `json:"gold_used"`
	// GoldOverturned lists gold items the labelers' consensus outvoted; they
	// pinned nothing and slashed nobody. GoldWrong: too many were, and the
	// requester's bond was forfeited.
	GoldOverturned []uint32  `json:"gold_overturned,omitempty"`
	GoldWrong      bool      `json:"gold_wrong"`
	Iterations     int       `json:"iterations"`
	Outcomes       []Outcome `json:"outcomes"`
	Paid           uint64    `json:"paid"`
	Refunded       uint64    `json:"refunded"`
	Slashed        uint64    `json:"slashed"`
	BondForfeited  uint64    `json:"bond_forfeited"`
	Height         int64     `json:"height"`
}

// State keys. Integers are big-endian so keys sort numerically.
var (
	keyParams     = []byte("label/params")
	keyNextJob    = []byte("label/nextjob")
	prefixJob     = []byte("label/job/")
	prefixCount   = []byte("label/cnt/")
	prefixAssign  = []byte("label/asg/")
	prefixLabeler = []byte("label/labeler/")
	prefixResult  = []byte("label/result/")
	prefixGold    = []byte("label/gold/")
	// prefixSettle holds the settlement state of a job settling in parts.
	prefixSettle = []byte("label/settle/")
)

func assignKey(job uint64, a tx.Address) []byte {
	return store.Key(prefixAssign, store.BE64(job), a[:])
}

func labelerKey(a tx.Address) []byte { return store.Key(prefixLabeler, a[:]) }

func (m *Module) params(r store.Reader) (Params, error) {
	p := DefaultParams()
	_, err := store.GetJSON(r, keyParams, &p)
	return p, err
}

func getJob(r store.Reader, id uint64) (*Job, error) {
	var j Job
	ok, err := store.GetJSON(r, store.Key(prefixJob, store.BE64(id)), &j)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, CodeJobNotFound.Errorf("job %d", id)
	}
	return &j, nil
}

// putJob stores a job without its gold, which has a record of its own
// (label/gold/<id>) so that every message touching the job decodes a
// record of bounded size.
func putJob(ctx *app.Context, j *Job) error {
	g := j.Gold
	j.Gold = nil
	err := setCharged(ctx, store.Key(prefixJob, store.BE64(j.ID)), app.MustJSON(j), "job record")
	j.Gold = g
	return err
}

// getGold returns a job's revealed gold (nil before the reveal).
func getGold(r store.Reader, id uint64) ([]GoldItem, error) {
	var g []GoldItem
	_, err := store.GetJSON(r, store.Key(prefixGold, store.BE64(id)), &g)
	return g, err
}

// setCharged stores v at key after charging GasPerStoredByte for each byte.
func setCharged(ctx *app.Context, key, v []byte, what string) error {
	if err := ctx.ConsumeGas(uint64(len(key)+len(v))*GasPerStoredByte, what); err != nil {
		return err
	}
	ctx.KV.Set(key, v)
	return nil
}

// getLabeler returns a's record, a fresh one (ok false) when it has none.
func getLabeler(r store.Reader, a tx.Address) (l *labelerRecord, ok bool, err error) {
	l = &labelerRecord{Labeler: Labeler{Address: a}}
	ok, err = store.GetJSON(r, labelerKey(a), l)
	if err != nil || !ok {
		return &labelerRecord{Labeler: Labeler{Address: a}}, false, err
	}
	return l, true, nil
}

func putLabeler(ctx *app.Context, l *labelerRecord) error {
	if l.Stake == 0 && l.Open == 0 && l.Jobs == 0 {
		ctx.KV.Delete(labelerKey(l.Address))
		return nil
	}
	return setCharged(ctx, labelerKey(l.Address), app.MustJSON(l), "labeler record")
}

func getAssignment(r store.Reader, job uint64, a tx.Address) (*Assignment, bool, error) {
	var as Assignment
	ok, err := store.GetJSON(r, assignKey(job, a), &as)
	if err != nil || !ok {
		return nil, false, err
	}
	return &as, true, nil
}

// commitHash is SHA-256 over a domain tag and fields, each preceded by its
// length (big-endian uint32), so no two different tuples of fields hash the
// same bytes and no commitment of one kind opens as another.
func commitHash(tag string, fields ...[]byte) [32]byte {
	h := sha256.New()
	var n [4]byte
	for _, f := range append([][]byte{[]byte(tag)}, fields...) {
		binary.BigEndian.PutUint32(n[:], uint32(len(f)))
		h.Write(n[:])
		h.Write(f)
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

func u32s(xs []uint32) []byte {
	b := make([]byte, 0, 4*len(xs))
	for _, x := range xs {
		b = binary.BigEndian.AppendUint32(b, x)
	}
	return b
}

// AnswerCommitment is what a labeler commits to: commitHash over the tag
// "emergence/label/answers/v2" and, each length-prefixed, the job id
// (8 bytes), the labeler's address, the items, the answers (big-endian
// uint32 each) and a 32-byte salt.
func AnswerCommitment(job uint64, labeler tx.Address, items, answers []uint32, salt [32]byte) [32]byte {
	return commitHash("emergence/label/answers/v2", binary.BigEndian.AppendUint64(nil, job), labeler[:], u32s(items), u32s(answers), salt[:])
}

// GoldCommitment is what a requester commits to when creating a job:
// commitHash over the tag "emergence/label/gold/v2" and, each
// length-prefixed, the manifest hash (hex as given), the gold items (item
// and class, big-endian uint32, in the order they will be revealed) and a
// 32-byte salt.
func GoldCommitment(manifest string, gold []GoldItem, salt [32]byte) [32]byte {
	g := make([]uint32, 0, 2*len(gold))
	for _, x := range gold {
		g = append(g, x.Item, x.Class)
	}
	return commitHash("emergence/label/gold/v2", []byte(manifest), u32s(g), salt[:])
}

// ResultsRoot is the Merkle root of a job's aggregated labels: leaves
// SHA-256(0x00 ‖ job ‖ item ‖ label) with label as uint32 (0xffffffff for
// none), inner nodes SHA-256(0x01 ‖ left ‖ right), an odd node promoted.
// Leaves and inner nodes have fixed lengths (17 and 65 bytes) and differ in
// their first byte, so neither can be read as the other.
func ResultsRoot(job uint64, labels []int32) [32]byte {
	if len(labels) == 0 {
		return sha256.Sum256([]byte("emergence/label/empty"))
	}
	level := make([][32]byte, len(labels))
	for i, l := range labels {
		b := []byte{0}
		b = binary.BigEndian.AppendUint64(b, job)
		b = binary.BigEndian.AppendUint32(b, uint32(i))
		b = binary.BigEndian.AppendUint32(b, uint32(l))
		level[i] = sha256.Sum256(b)
	}
	for len(level) > 1 {
		next := level[:0:0]
		for i := 0; i < len(level); i += 2 {
			if i+1 == len(level) {
				next = append(next, level[i])
				continue
			}
			b := make([]byte, 0, 65)
			b = append(b, 1)
			b = append(b, level[i][:]...)
			b = append(b, level[i+1][:]...)
			next = append(next, sha256.Sum256(b))
		}
		level = next
	}
	return level[0]
}

func parseHash(s string) ([32]byte, bool) {
	var h [32]byte
	if len(s) != 64 {
		return h, false
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return h, false
	}
	return h, true
}
