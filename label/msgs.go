package label

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/bits"
	"sort"

	"emergence/app"
	"emergence/label/aggregate/fixedds"
	"emergence/store"
	"emergence/tx"
)

// Gas charged per message kind (before the handler) and per unit of work,
// each an upper bound on the work it pays for (emergence bench gas measures
// them against the target of 20 ns per gas unit).
const (
	GasCreateJob  = 50_000
	GasPerItem    = 20 // create-job: per item of the job
	GasStake      = 10_000
	GasRequest    = 20_000
	GasPerScan    = 10 // request: per item scanned
	GasCommit     = 10_000
	GasReveal     = 20_000
	GasPerAnswer  = 100
	GasRevealGold = 20_000
	GasPerGold    = 100
	GasSettle     = 100_000
	GasPerLabel   = 20 // settle: per assigned label (decoding, input, gold counts)
	// GasPerAssignment is charged by settle and expire for each assignment
	// (labeler record, payment or slash); GasPerResultItem by settle for
	// each item (results root and record).
	GasPerAssignment = 5_000
	GasPerResultItem = 50
	GasExpire        = 50_000
	// GasPerStoredByte is charged for every byte of key and value the
	// module writes.
	GasPerStoredByte = 10
	// GasPerWork is charged per unit of fixedds.IterationWork, for every
	// Dawid–Skene iteration before it runs (and once per run for set-up).
	GasPerWork = 1
	// GasDatasetLink is charged by a create-job that names a dataset: one
	// read of the dataset record, plus GasPerStoredByte for each byte of
	// it decoded (a record lists up to 1,024 shard hashes).
	GasDatasetLink = 2_000
	// GasDatasetNote is what a job over a dataset pays for the back-link
	// the data module keeps (one short key).
	GasDatasetNote = 2_000
)

// maxAssignments bounds a job's assignments: twice the number of full
// batches its labels need (the last labelers of a job get fewer items),
// and never more than its labels.
func maxAssignments(labels uint64, batch uint32) uint64 {
	return min(labels, 2*((labels+uint64(batch)-1)/uint64(batch)))
}

// settleCost is the gas of settling a job of this shape apart from
// Dawid–Skene's iterations and the bytes it stores (fixed), and one
// iteration's work (perIter).
func settleCost(items, labels, assignments, classes uint64) (fixed, perIter uint64) {
	fixed = GasSettle + labels*GasPerLabel + assignments*GasPerAssignment + items*GasPerResultItem
	return fixed, fixedds.IterationWork(labels, assignments, items, classes) * GasPerWork
}

// settleStorage bounds the gas for what settlement stores: the results (a
// label and possibly an overturned gold item per item, an outcome per
// assignment), the labeler records and the job record (its classes), plus
// the settle transaction's own bytes.
func settleStorage(items, assignments, classes uint64) uint64 {
	return (12*items+600*assignments+2_000+70*classes)*GasPerStoredByte + settleTxGas
}

// settleTxGas allows for the gas the app charges for a settle
// transaction's bytes (about 300 bytes at 10 gas each).
const settleTxGas = 10_000

// settleRuns is the number of Dawid–Skene runs of a settlement: one
// gold-free run that checks the gold, one with the surviving gold pinned.
const settleRuns = 2

// CreateJobMsg is the value of "label/create-job".
type CreateJobMsg struct {
	// Manifest is the SHA-256 (hex) of the manifest blob listing item ids
	// and content hashes; Items is how many items it lists.
	Manifest          string   `json:"manifest"`
	Items             uint32   `json:"items"`
	Classes           []string `json:"classes"`
	LabelsPerItem     uint32   `json:"labels_per_item"`
	BatchSize         uint32   `json:"batch_size"`
	RewardPerLabel    uint64   `json:"reward_per_label"`
	MinStake          uint64   `json:"min_stake"`
	MinReputation     uint32   `json:"min_reputation"`
	RequirePersonhood bool     `json:"require_personhood"`
	// GoldCommitment is GoldCommitment(manifest, gold, salt), hex;
	// GoldCount is len(gold).
	GoldCommitment string `json:"gold_commitment"`
	GoldCount      uint32 `json:"gold_count"`
	// CommitBlocks and RevealBlocks are the lengths of the two windows.
	CommitBlocks int64 `json:"commit_blocks"`
	RevealBlocks int64 `json:"reveal_blocks"`
	// Dataset, when set, is the registered dataset whose records are the
	// job's items: item i is record i, so Items is its record count.
	Dataset uint64 `json:"dataset,omitempty"`
}

// StakeMsg is the value of "label/stake" and "label/unstake".
type StakeMsg struct {
	Amount uint64 `json:"amount"`
}

// JobMsg is the value of "label/request", "label/settle" and "label/expire".
type JobMsg struct {
	Job uint64 `json:"job"`
}

// CommitMsg is the value of "label/commit".
type CommitMsg struct {
	Job        uint64 `json:"job"`
	Commitment string `json:"commitment"`
}

// RevealMsg is the value of "label/reveal": the assigned items, in the
// assigned order, with their answers (class indices) and the salt (hex).
type RevealMsg struct {
	Job     uint64   `json:"job"`
	Items   []uint32 `json:"items"`
	Answers []uint32 `json:"answers"`
	Salt    string   `json:"salt"`
}

// RevealGoldMsg is the value of "label/reveal-gold".
type RevealGoldMsg struct {
	Job  uint64     `json:"job"`
	Gold []GoldItem `json:"gold"`
	Salt string     `json:"salt"`
}

// Msgs implements app.Module.
func (m *Module) Msgs() []app.MsgHandler {
	return []app.MsgHandler{
		{Type: "label/create-job", Gas: GasCreateJob, Handle: m.handleCreateJob},
		{Type: "label/stake", Gas: GasStake, Handle: m.handleStake},
		{Type: "label/unstake", Gas: GasStake, Handle: m.handleUnstake},
		{Type: "label/request", Gas: GasRequest, Handle: m.handleRequest},
		{Type: "label/commit", Gas: GasCommit, Handle: m.handleCommit},
		{Type: "label/reveal", Gas: GasReveal, Handle: m.handleReveal},
		{Type: "label/reveal-gold", Gas: GasRevealGold, Handle: m.handleRevealGold},
		{Type: "label/settle", Gas: GasSettle, Handle: m.handleSettle},
		{Type: "label/expire", Gas: GasExpire, Handle: m.handleExpire},
	}
}

// InitGenesis implements app.Module.
func (m *Module) InitGenesis(ctx *app.Context, raw json.RawMessage) error {
	g := Genesis{Params: DefaultParams()}
	if err := app.DecodeGenesis(raw, &g); err != nil {
		return fmt.Errorf("label genesis: %w", err)
	}
	p := g.Params
	if p.GoldKappaPermille > 1000 || p.SlashPermille > 1000 || p.NoRevealSlashPermille > 1000 || p.MinSkillPermille > 1000 || p.MinGoldPermille > 1000 ||
		p.MaxItems == 0 || p.MaxBatch == 0 || p.MaxLabelsPerItem == 0 || p.MaxLabelsPerItem > 255 || p.GoldBlocks <= 0 || p.MaxWindow <= 0 ||
		p.MaxSettleGas == 0 || p.MinIterations == 0 || p.MaxIterations < p.MinIterations || p.ExpiryBlocks <= 0 ||
		p.GoldOverturnPermille > 1000 || p.BadGoldPermille > 1000 {
		return fmt.Errorf("label genesis: invalid params %+v", p)
	}
	// Not revealing must never be cheaper than revealing bad answers.
	if p.NoRevealSlashPermille < p.SlashPermille {
		return fmt.Errorf("label genesis: no_reveal_slash_permille %d is below slash_permille %d: withholding answers would be cheaper than revealing bad ones", p.NoRevealSlashPermille, p.SlashPermille)
	}
	store.PutJSON(ctx.KV, keyParams, p)
	return m.bank.RegisterAccount(ctx, Escrow)
}

// EndBlock implements app.Module: settlement is a transaction, so nothing
// runs here.
func (m *Module) EndBlock(ctx *app.Context) error { return nil }

func (m *Module) handleCreateJob(ctx *app.Context, raw json.RawMessage) error {
	var msg CreateJobMsg
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	p, err := m.params(ctx.KV)
	if err != nil {
		return err
	}
	if _, ok := parseHash(msg.Manifest); !ok {
		return CodeBadJob.Errorf("manifest must be a 64-hex-digit SHA-256, got %q", msg.Manifest)
	}
	if msg.Items == 0 || msg.Items > p.MaxItems {
		return CodeBadJob.Errorf("%d items, want 1 to %d", msg.Items, p.MaxItems)
	}
	if len(msg.Classes) < 2 || len(msg.Classes) > 64 {
		return CodeBadClasses.Errorf("%d classes, want 2 to 64", len(msg.Classes))
	}
	for i, c := range msg.Classes {
		if c == "" || len(c) > 64 {
			return CodeBadClasses.Errorf("class %d: empty or longer than 64 bytes", i)
		}
		for _, d := range msg.Classes[:i] {
			if c == d {
				return CodeBadClasses.Errorf("class %q listed twice", c)
			}
		}
	}
	if msg.LabelsPerItem == 0 || msg.LabelsPerItem > p.MaxLabelsPerItem {
		return CodeBadJob.Errorf("labels_per_item %d, want 1 to %d", msg.LabelsPerItem, p.MaxLabelsPerItem)
	}
	if msg.BatchSize == 0 || msg.BatchSize > p.MaxBatch || msg.BatchSize > msg.Items {
		return CodeBadJob.Errorf("batch_size %d, want 1 to min(%d, items)", msg.BatchSize, p.MaxBatch)
	}
	if msg.CommitBlocks <= 0 || msg.RevealBlocks <= 0 || msg.CommitBlocks > p.MaxWindow || msg.RevealBlocks > p.MaxWindow {
		return CodeBadJob.Errorf("commit_blocks and reveal_blocks must be 1 to %d", p.MaxWindow)
	}
	if msg.MinReputation > 1000 {
		return CodeBadJob.Errorf("min_reputation is permille, at most 1000")
	}
	if msg.RequirePersonhood && m.human == nil {
		return CodePersonhoodDisabled.Errorf("this chain has no personhood module")
	}
	if _, ok := parseHash(msg.GoldCommitment); !ok {
		return CodeBadJob.Errorf("gold_commitment must be a 64-hex-digit SHA-256")
	}
	minGold := uint64(msg.Items) * uint64(p.MinGoldPermille) / 1000
	if msg.GoldCount == 0 || uint64(msg.GoldCount) < minGold || msg.GoldCount > msg.Items {
		return CodeBadJob.Errorf("gold_count %d, want %d to %d (%d‰ of items at least)", msg.GoldCount, max(minGold, 1), msg.Items, p.MinGoldPermille)
	}
	if msg.RewardPerLabel == 0 {
		return CodeNoBudget.Errorf("reward_per_label must be positive")
	}
	if msg.MinStake == 0 {
		return CodeBadJob.Errorf("min_stake must be positive: it is the stake each labeler puts at risk")
	}
	if err := ctx.ConsumeGas(uint64(msg.Items)*GasPerItem, "job items"); err != nil {
		return err
	}
	var datasetRoot string
	if msg.Dataset != 0 {
		if err := ctx.ConsumeGas(GasDatasetLink, "dataset link"); err != nil {
			return err
		}
		if m.datasets == nil {
			return CodeDatasetNotFound.Errorf("this chain has no data module")
		}
		records, root, size, ok := m.datasets.DatasetRecords(ctx.KV, msg.Dataset)
		if err := ctx.ConsumeGas(uint64(size)*GasPerStoredByte, "dataset record"); err != nil {
			return err
		}
		if !ok {
			return CodeDatasetNotFound.Errorf("dataset %d", msg.Dataset)
		}
		if uint64(msg.Items) != records {
			return CodeNotDatasetItems.Errorf("job lists %d items, dataset %d has %d records (item i is record i)", msg.Items, msg.Dataset, records)
		}
		datasetRoot = root
	}
	// Bound the job by what its settlement costs: two Dawid–Skene runs of
	// up to MaxIterations each at its largest shape, in one transaction
	// within MaxSettleGas, or else in parts, each within PartGas.
	labels := uint64(msg.Items) * uint64(msg.LabelsPerItem)
	maxAsg := maxAssignments(labels, msg.BatchSize)
	fixed, perIter := settleCost(uint64(msg.Items), labels, maxAsg, uint64(len(msg.Classes)))
	fixed += settleStorage(uint64(msg.Items), maxAsg, uint64(len(msg.Classes)))
	var iters uint64
	if fixed < p.MaxSettleGas {
		// Each run pays one iteration's work for set-up and statistics.
		iters = min((p.MaxSettleGas-fixed)/(settleRuns*perIter), uint64(p.MaxIterations)+1)
		iters = max(iters, 1) - 1
	}
	settleGas := fixed + settleRuns*(iters+1)*perIter
	parts, sweep := iters < uint64(p.MaxIterations), false
	if parts {
		c := costsOfParts(uint64(msg.Items), labels, maxAsg, uint64(len(msg.Classes)), uint64(msg.GoldCount))
		sc := costsOfSweep(uint64(msg.Items), labels, maxAsg, uint64(len(msg.Classes)), uint64(msg.GoldCount), uint64(msg.LabelsPerItem))
		// Whole iterations per part where one fits with the posteriors;
		// else sweeps over item ranges, which store no posterior.
		sweep = c.largestPart() > PartGas(p)
		if need := sc.largestPart(); sweep && need > PartGas(p) {
			return CodeBadJob.Errorf("job too large to settle: %d labels over %d classes with up to %d assignments need %d gas in one settlement part (one M-step %d, state read and written %d), at most %d; use fewer items, labels per item or classes, or a larger batch",
				labels, len(msg.Classes), maxAsg, need, sc.mstep, (sc.model+sc.sums)*(GasPerStateValueRead+GasPerStateValueWrite), PartGas(p))
		}
		iters, settleGas = uint64(p.MaxIterations), GasSettle+PartGas(p)+settleTxGas
	}
	hi, budget := bits.Mul64(msg.RewardPerLabel, uint64(msg.Items)*uint64(msg.LabelsPerItem))
	if hi != 0 || budget >= 1<<62 {
		return CodeNoBudget.Errorf("budget overflows")
	}
	total := budget + p.RequesterBond
	if bal := m.bank.Balance(ctx.KV, ctx.Signer); bal < total {
		return CodeNoBudget.Errorf("budget %d uemg + bond %d uemg, balance %d uemg", budget, p.RequesterBond, bal)
	}
	if err := m.bank.Lock(ctx.KV, ctx.Signer, Escrow, total); err != nil {
		return err
	}
	id := uint64(1)
	if v := ctx.KV.Get(keyNextJob); len(v) == 8 {
		id = store.U64(v)
	}
	store.PutU64(ctx.KV, keyNextJob, id+1)
	j := &Job{
		ID: id, Requester: ctx.Signer, Manifest: msg.Manifest, Items: msg.Items, Classes: msg.Classes,
		LabelsPerItem: msg.LabelsPerItem, BatchSize: msg.BatchSize, RewardPerLabel: msg.RewardPerLabel,
		Budget: budget, Bond: p.RequesterBond, MinStake: msg.MinStake, MinReputation: msg.MinReputation,
		RequirePersonhood: msg.RequirePersonhood, GoldCommitment: msg.GoldCommitment, GoldCount: msg.GoldCount,
		CreatedHeight: ctx.Height, CommitDeadline: ctx.Height + msg.CommitBlocks,
		RevealDeadline: ctx.Height + msg.CommitBlocks + msg.RevealBlocks,
		GoldDeadline:   ctx.Height + msg.CommitBlocks + msg.RevealBlocks + p.GoldBlocks,
		ExpiryHeight:   ctx.Height + msg.CommitBlocks + msg.RevealBlocks + p.GoldBlocks + p.ExpiryBlocks,
		MaxAssignments: uint32(maxAsg), Iterations: uint32(iters),
		SettleGas: settleGas, Parts: parts, Sweep: sweep,
		Status:  StatusOpen,
		Dataset: msg.Dataset, DatasetRoot: datasetRoot,
	}
	if err := putJob(ctx, j); err != nil {
		return err
	}
	if err := setCharged(ctx, store.Key(prefixCount, store.BE64(id)), make([]byte, msg.Items), "item counts"); err != nil {
		return err
	}
	if msg.Dataset != 0 {
		if err := ctx.ConsumeGas(GasDatasetNote, "dataset back-link"); err != nil {
			return err
		}
		m.datasets.NoteLabelJob(ctx.KV, msg.Dataset, id)
	}
	ctx.Emit("label_job", "id", fmt.Sprint(id), "requester", ctx.Signer.String(), "budget", fmt.Sprint(budget),
		"commit_deadline", fmt.Sprint(j.CommitDeadline), "reveal_deadline", fmt.Sprint(j.RevealDeadline),
		"settle_gas", fmt.Sprint(j.SettleGas), "expiry_height", fmt.Sprint(j.ExpiryHeight), "parts", fmt.Sprint(j.Parts))
	return nil
}

func (m *Module) handleStake(ctx *app.Context, raw json.RawMessage) error {
	var msg StakeMsg
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	if msg.Amount == 0 {
		return CodeBadAmount.Errorf("amount must be positive")
	}
	l, _, err := getLabeler(ctx.KV, ctx.Signer)
	if err != nil {
		return err
	}
	if l.Stake+msg.Amount < l.Stake || l.Stake+msg.Amount >= 1<<62 {
		return CodeBadAmount.Errorf("stake overflows")
	}
	if err := m.bank.Lock(ctx.KV, ctx.Signer, Escrow, msg.Amount); err != nil {
		return err
	}
	l.Stake += msg.Amount
	if err := putLabeler(ctx, l); err != nil {
		return err
	}
	ctx.Emit("label_stake", "labeler", ctx.Signer.String(), "amount", fmt.Sprint(msg.Amount), "stake", fmt.Sprint(l.Stake))
	return nil
}

func (m *Module) handleUnstake(ctx *app.Context, raw json.RawMessage) error {
	var msg StakeMsg
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	if msg.Amount == 0 {
		return CodeBadAmount.Errorf("amount must be positive")
	}
	l, ok, err := getLabeler(ctx.KV, ctx.Signer)
	if err != nil {
		return err
	}
	if !ok {
		return CodeLabelerNotFound.Errorf("%s has no stake", ctx.Signer)
	}
	if msg.Amount > l.Stake {
		return CodeBadAmount.Errorf("unstake %d uemg, stake is %d uemg", msg.Amount, l.Stake)
	}
	if msg.Amount > l.Stake-l.Locked {
		return CodeOpenAssignment.Errorf("unstake %d uemg: %d uemg of the %d uemg stake is at risk in %d open assignment(s); %d uemg is free",
			msg.Amount, l.Locked, l.Stake, l.Open, l.Stake-l.Locked)
	}
	if err := m.bank.Release(ctx.KV, Escrow, ctx.Signer, msg.Amount); err != nil {
		return err
	}
	l.Stake -= msg.Amount
	if err := putLabeler(ctx, l); err != nil {
		return err
	}
	ctx.Emit("label_unstake", "labeler", ctx.Signer.String(), "amount", fmt.Sprint(msg.Amount), "stake", fmt.Sprint(l.Stake))
	return nil
}

// pickItems chooses up to batch items of the job for a labeler: a walk over
// the items from a start and a stride (coprime with the item count) derived
// from SHA-256(block hash ‖ job ‖ labeler), skipping items that already have
// labels_per_item labels. It returns the items and how many it scanned.
func pickItems(entropy [32]byte, job uint64, labeler tx.Address, counts []byte, perItem, batch uint32) ([]uint32, uint64) {
	n := uint64(len(counts))
	b := append([]byte("emergence/label/assign/v1"), entropy[:]...)
	b = binary.BigEndian.AppendUint64(b, job)
	b = append(b, labeler[:]...)
	seed := sha256.Sum256(b)
	start := binary.BigEndian.Uint64(seed[0:8]) % n
	step := uint64(1)
	if n > 2 {
		step = 1 + binary.BigEndian.Uint64(seed[8:16])%(n-1)
		for gcd(step, n) != 1 {
			step = step%(n-1) + 1
		}
	}
	var items []uint32
	i := start
	var scanned uint64
	for scanned < n && uint32(len(items)) < batch {
		scanned++
		if uint32(counts[i]) < perItem {
			items = append(items, uint32(i))
		}
		i = (i + step) % n
	}
	return items, scanned
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func (m *Module) handleRequest(ctx *app.Context, raw json.RawMessage) error {
	var msg JobMsg
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	j, err := getJob(ctx.KV, msg.Job)
	if err != nil {
		return err
	}
	if j.Status != StatusOpen || ctx.Height > j.CommitDeadline {
		return CodeWindowClosed.Errorf("job %d takes requests until height %d (now %d)", j.ID, j.CommitDeadline, ctx.Height)
	}
	if ctx.Signer == j.Requester {
		return CodeOwnJob.Errorf("job %d was created by %s", j.ID, ctx.Signer)
	}
	if _, ok, err := getAssignment(ctx.KV, j.ID, ctx.Signer); err != nil || ok {
		if err != nil {
			return err
		}
		return CodeAlreadyAssigned.Errorf("job %d", j.ID)
	}
	if j.Assignments >= j.MaxAssignments {
		return CodeNoWork.Errorf("job %d has its maximum of %d assignments", j.ID, j.MaxAssignments)
	}
	l, _, err := getLabeler(ctx.KV, ctx.Signer)
	if err != nil {
		return err
	}
	risk := max(j.MinStake, 1)
	if free := l.Stake - l.Locked; free < risk {
		return CodeInsufficientStake.Errorf("free stake %d uemg (%d staked, %d at risk in open jobs), job %d puts %d uemg at risk", free, l.Stake, l.Locked, j.ID, risk)
	}
	if l.Reputation < j.MinReputation {
		return CodeLowReputation.Errorf("reputation %d‰, job %d needs %d‰", l.Reputation, j.ID, j.MinReputation)
	}
	if j.RequirePersonhood && (m.human == nil || !m.human.IsHuman(ctx.KV, PersonhoodApp, ctx.Signer)) {
		return CodeNotHuman.Errorf("%s has not proved personhood for app %q", ctx.Signer, PersonhoodApp)
	}
	counts := ctx.KV.Get(store.Key(prefixCount, store.BE64(j.ID)))
	if uint32(len(counts)) != j.Items {
		return fmt.Errorf("job %d: corrupt item counts", j.ID)
	}
	// The item counts are rewritten whenever items are assigned: charge
	// that before the scan, then the scan by items scanned.
	countsKey := store.Key(prefixCount, store.BE64(j.ID))
	if err := ctx.ConsumeGas(uint64(len(countsKey)+len(counts))*GasPerStoredByte, "item counts"); err != nil {
		return err
	}
	counts = bytes.Clone(counts)
	items, scanned := pickItems(ctx.Entropy, j.ID, ctx.Signer, counts, j.LabelsPerItem, j.BatchSize)
	if err := ctx.ConsumeGas(scanned*GasPerScan, "item scan"); err != nil {
		return err
	}
	if len(items) == 0 {
		return CodeNoWork.Errorf("every item of job %d has %d labels assigned", j.ID, j.LabelsPerItem)
	}
	for _, it := range items {
		counts[it]++
	}
	ctx.KV.Set(countsKey, counts)
	as := &Assignment{Job: j.ID, Labeler: ctx.Signer, Items: items, Height: ctx.Height, Risk: risk}
	if err := setCharged(ctx, assignKey(j.ID, ctx.Signer), app.MustJSON(as), "assignment"); err != nil {
		return err
	}
	j.Assignments++
	j.AssignedLabels += uint64(len(items))
	if err := putJob(ctx, j); err != nil {
		return err
	}
	l.Open++
	l.Locked += risk
	if err := putLabeler(ctx, l); err != nil {
		return err
	}
	ctx.Emit("label_assign", "job", fmt.Sprint(j.ID), "labeler", ctx.Signer.String(), "items", fmt.Sprint(len(items)))
	return nil
}

func (m *Module) handleCommit(ctx *app.Context, raw json.RawMessage) error {
	var msg CommitMsg
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	j, err := getJob(ctx.KV, msg.Job)
	if err != nil {
		return err
	}
	if _, ok := parseHash(msg.Commitment); !ok {
		return CodeBadJob.Errorf("commitment must be a 64-hex-digit SHA-256")
	}
	as, ok, err := getAssignment(ctx.KV, j.ID, ctx.Signer)
	if err != nil {
		return err
	}
	if !ok {
		return CodeNotAssigned.Errorf("%s has no assignment in job %d", ctx.Signer, j.ID)
	}
	if ctx.Height > j.CommitDeadline {
		return CodeWindowClosed.Errorf("commits for job %d closed at height %d (now %d)", j.ID, j.CommitDeadline, ctx.Height)
	}
	first := as.Commitment == ""
	as.Commitment = msg.Commitment
	if err := setCharged(ctx, assignKey(j.ID, ctx.Signer), app.MustJSON(as), "assignment"); err != nil {
		return err
	}
	if first {
		if err := bump(ctx, j.ID, 0, len(as.Items)); err != nil {
			return err
		}
	}
	ctx.Emit("label_commit", "job", fmt.Sprint(j.ID), "labeler", ctx.Signer.String())
	return nil
}

func (m *Module) handleReveal(ctx *app.Context, raw json.RawMessage) error {
	var msg RevealMsg
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	j, err := getJob(ctx.KV, msg.Job)
	if err != nil {
		return err
	}
	if err := ctx.ConsumeGas(uint64(len(msg.Answers))*GasPerAnswer, "answers"); err != nil {
		return err
	}
	as, ok, err := getAssignment(ctx.KV, j.ID, ctx.Signer)
	if err != nil {
		return err
	}
	if !ok {
		return CodeNotAssigned.Errorf("%s has no assignment in job %d", ctx.Signer, j.ID)
	}
	if ctx.Height <= j.CommitDeadline {
		return CodeTooEarly.Errorf("reveals for job %d open after height %d (now %d)", j.ID, j.CommitDeadline, ctx.Height)
	}
	if ctx.Height > j.RevealDeadline {
		return CodeWindowClosed.Errorf("reveals for job %d closed at height %d (now %d)", j.ID, j.RevealDeadline, ctx.Height)
	}
	if as.Revealed {
		return CodeAlreadyRevealed.Errorf("job %d", j.ID)
	}
	if as.Commitment == "" {
		return CodeNotCommitted.Errorf("%s committed nothing in job %d", ctx.Signer, j.ID)
	}
	for i, it := range msg.Items {
		if i >= len(as.Items) || as.Items[i] != it {
			return CodeNotAssigned.Errorf("item %d at position %d: reveal the assigned items in their assigned order", it, i)
		}
	}
	if len(msg.Items) != len(as.Items) || len(msg.Answers) != len(as.Items) {
		return CodeNotAssigned.Errorf("%d items and %d answers, %d items assigned", len(msg.Items), len(msg.Answers), len(as.Items))
	}
	for i, a := range msg.Answers {
		if a >= uint32(len(j.Classes)) {
			return CodeBadAnswer.Errorf("answer %d for item %d: job has %d classes", a, msg.Items[i], len(j.Classes))
		}
	}
	var salt [32]byte
	if len(msg.Salt) != 64 {
		return CodeRevealMismatch.Errorf("salt must be 64 hex digits")
	}
	if _, err := hex.Decode(salt[:], []byte(msg.Salt)); err != nil {
		return CodeRevealMismatch.Errorf("salt: %v", err)
	}
	c := AnswerCommitment(j.ID, ctx.Signer, msg.Items, msg.Answers, salt)
	if hex.EncodeToString(c[:]) != as.Commitment {
		return CodeRevealMismatch.Errorf("answers and salt hash to %x, committed %s", c, as.Commitment)
	}
	as.Answers = msg.Answers
	as.Revealed = true
	if err := setCharged(ctx, assignKey(j.ID, ctx.Signer), app.MustJSON(as), "assignment"); err != nil {
		return err
	}
	if err := bump(ctx, j.ID, 1, len(as.Items)); err != nil {
		return err
	}
	ctx.Emit("label_reveal", "job", fmt.Sprint(j.ID), "labeler", ctx.Signer.String(), "answers", fmt.Sprint(len(msg.Answers)))
	return nil
}

func (m *Module) handleRevealGold(ctx *app.Context, raw json.RawMessage) error {
	var msg RevealGoldMsg
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	j, err := getJob(ctx.KV, msg.Job)
	if err != nil {
		return err
	}
	if err := ctx.ConsumeGas(uint64(len(msg.Gold))*GasPerGold+uint64(j.Items), "gold items"); err != nil {
		return err
	}
	if ctx.Signer != j.Requester {
		return CodeNotRequester.Errorf("job %d belongs to %s", j.ID, j.Requester)
	}
	if j.Status != StatusOpen {
		return CodeAlreadySettled.Errorf("job %d", j.ID)
	}
	if j.GoldRevealed {
		return CodeAlreadyRevealed.Errorf("gold of job %d", j.ID)
	}
	// Gold opens only after the labelers' reveal window has closed, so no
	// labeler can see it before deciding whether to reveal.
	if ctx.Height <= j.RevealDeadline {
		return CodeTooEarly.Errorf("gold of job %d may be revealed after height %d (now %d)", j.ID, j.RevealDeadline, ctx.Height)
	}
	if ctx.Height > j.GoldDeadline {
		return CodeWindowClosed.Errorf("gold reveal for job %d closed at height %d (now %d)", j.ID, j.GoldDeadline, ctx.Height)
	}
	var salt [32]byte
	if len(msg.Salt) != 64 {
		return CodeGoldMismatch.Errorf("salt must be 64 hex digits")
	}
	if _, err := hex.Decode(salt[:], []byte(msg.Salt)); err != nil {
		return CodeGoldMismatch.Errorf("salt: %v", err)
	}
	c := GoldCommitment(j.Manifest, msg.Gold, salt)
	if hex.EncodeToString(c[:]) != j.GoldCommitment {
		return CodeGoldMismatch.Errorf("gold and salt hash to %x, committed %s", c, j.GoldCommitment)
	}
	if uint32(len(msg.Gold)) != j.GoldCount {
		return CodeGoldMismatch.Errorf("%d gold items, job committed to %d", len(msg.Gold), j.GoldCount)
	}
	seen := make([]byte, j.Items)
	for _, g := range msg.Gold {
		if g.Item >= j.Items || g.Class >= uint32(len(j.Classes)) || seen[g.Item] != 0 {
			return CodeGoldMismatch.Errorf("gold item %d class %d: out of range or repeated", g.Item, g.Class)
		}
		seen[g.Item] = 1
	}
	if err := setCharged(ctx, store.Key(prefixGold, store.BE64(j.ID)), app.MustJSON(msg.Gold), "gold"); err != nil {
		return err
	}
	j.GoldRevealed = true
	if err := putJob(ctx, j); err != nil {
		return err
	}
	ctx.Emit("label_gold", "job", fmt.Sprint(j.ID), "gold", fmt.Sprint(len(msg.Gold)))
	return nil
}

// lockedBy sums what the module's state says the escrow holds.
func lockedBy(r store.Reader) (uint64, error) {
	var sum uint64
	var err error
	add := func(x uint64) {
		var c uint64
		sum, c = bits.Add64(sum, x, 0)
		if c != 0 {
			err = fmt.Errorf("escrow sum overflows")
		}
	}
	r.Iterate(prefixLabeler, store.PrefixEnd(prefixLabeler), func(_, v []byte) bool {
		var l labelerRecord
		if e := json.Unmarshal(v, &l); e != nil {
			err = fmt.Errorf("corrupt labeler record: %w", e)
			return false
		}
		add(l.Stake)
		return true
	})
	r.Iterate(prefixJob, store.PrefixEnd(prefixJob), func(_, v []byte) bool {
		var j Job
		if e := json.Unmarshal(v, &j); e != nil {
			err = fmt.Errorf("corrupt job record: %w", e)
			return false
		}
		if j.Status == StatusOpen {
			add(j.Budget)
			add(j.Bond)
		}
		return true
	})
	return sum, err
}

// Invariants implements app.Module: the escrow account holds exactly the
// stakes plus the budgets and bonds of open jobs.
func (m *Module) Invariants(r store.Reader) error {
	want, err := lockedBy(r)
	if err != nil {
		return err
	}
	if got := m.bank.ModuleBalance(r, Escrow); got != want {
		return fmt.Errorf("label escrow holds %d uemg, state accounts for %d", got, want)
	}
	if err := openAssignmentsMatch(r); err != nil {
		return err
	}
	return settleStatesMatch(r)
}

// settleStatesMatch checks that settlement state exists only for open jobs
// that settle in parts, and decodes.
func settleStatesMatch(r store.Reader) error {
	var err error
	r.Iterate(prefixSettle, store.PrefixEnd(prefixSettle), func(k, v []byte) bool {
		rest := k[len(prefixSettle):]
		sub := len(rest) == 10 && (string(rest[8:]) == "/m" || string(rest[8:]) == "/s")
		if len(rest) != 8 && !sub {
			err = fmt.Errorf("settlement state under a malformed key %x", k)
			return false
		}
		j, e := getJob(r, binary.BigEndian.Uint64(rest[:8]))
		if e != nil {
			err = fmt.Errorf("settlement state without its job: %w", e)
			return false
		}
		if j.Status != StatusOpen || !j.Parts || sub && !j.Sweep {
			err = fmt.Errorf("job %d is %s (parts: %v, sweep: %v) but has settlement state %x", j.ID, j.Status, j.Parts, j.Sweep, k)
			return false
		}
		if sub {
			if r.Get(settleKey(j.ID)) == nil {
				err = fmt.Errorf("job %d has sweep state %x without its header", j.ID, k)
				return false
			}
			return true
		}
		if j.Sweep {
			if _, e := decodeSweepState(v, uint64(j.Items), j.Iterations); e != nil {
				err = fmt.Errorf("job %d: %w", j.ID, e)
				return false
			}
			return true
		}
		if _, e := decodePartState(v, uint64(j.Items), uint64(len(j.Classes))); e != nil {
			err = fmt.Errorf("job %d: %w", j.ID, e)
			return false
		}
		return true
	})
	return err
}

// openAssignmentsMatch checks that every labeler's Open count and Locked
// stake equal the number and the summed risk of its assignments in open
// jobs, and that no labeler has more at risk than it staked.
func openAssignmentsMatch(r store.Reader) error {
	type open struct {
		addr []byte
		risk uint64
	}
	var opens []open // one per assignment in an open job
	var err error
	r.Iterate(prefixJob, store.PrefixEnd(prefixJob), func(_, v []byte) bool {
		var j Job
		if e := json.Unmarshal(v, &j); e != nil {
			err = fmt.Errorf("corrupt job record: %w", e)
			return false
		}
		if j.Status != StatusOpen {
			return true
		}
		start := store.Key(prefixAssign, store.BE64(j.ID))
		var seen counters
		r.Iterate(start, store.Key(prefixAssign, store.BE64(j.ID+1)), func(k, v []byte) bool {
			var as Assignment
			if e := json.Unmarshal(v, &as); e != nil {
				err = fmt.Errorf("corrupt assignment record: %w", e)
				return false
			}
			opens = append(opens, open{bytes.Clone(k[len(start):]), as.Risk})
			if as.Commitment != "" {
				seen[0]++
				seen[1] += uint64(len(as.Items))
			}
			if as.Revealed {
				seen[2]++
				seen[3] += uint64(len(as.Items))
			}
			return true
		})
		if err != nil {
			return false
		}
		// An open job's counters are its assignments' commits and reveals.
		if c, e := getCounters(r, j.ID); e != nil {
			err = e
		} else if c != seen {
			err = fmt.Errorf("job %d: progress counters %v, its assignments show %v", j.ID, c, seen)
		}
		return err == nil
	})
	if err != nil {
		return err
	}
	sort.SliceStable(opens, func(a, b int) bool { return bytes.Compare(opens[a].addr, opens[b].addr) < 0 })
	i := 0
	r.Iterate(prefixLabeler, store.PrefixEnd(prefixLabeler), func(k, v []byte) bool {
		var l labelerRecord
		if e := json.Unmarshal(v, &l); e != nil {
			err = fmt.Errorf("corrupt labeler record: %w", e)
			return false
		}
		addr := k[len(prefixLabeler):]
		if i < len(opens) && bytes.Compare(opens[i].addr, addr) < 0 {
			err = fmt.Errorf("assignment of %x without a labeler record", opens[i].addr)
			return false
		}
		n, risk := uint32(0), uint64(0)
		for i < len(opens) && bytes.Equal(opens[i].addr, addr) {
			n++
			risk += opens[i].risk
			i++
		}
		switch {
		case n != l.Open:
			err = fmt.Errorf("labeler %s: open = %d, %d assignments in open jobs", l.Address, l.Open, n)
		case risk != l.Locked:
			err = fmt.Errorf("labeler %s: locked = %d uemg, its open assignments risk %d uemg", l.Address, l.Locked, risk)
		case l.Locked > l.Stake:
			err = fmt.Errorf("labeler %s: %d uemg at risk, %d uemg staked", l.Address, l.Locked, l.Stake)
		}
		return err == nil
	})
	if err == nil && i < len(opens) {
		err = fmt.Errorf("assignment of %x without a labeler record", opens[i].addr)
	}
	return err
}
