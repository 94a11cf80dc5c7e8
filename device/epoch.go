package device

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"strconv"

	"emergence/app"
	"emergence/store"
	"emergence/tx"
)

// Pool is the module account device rewards are paid from; anyone funds it
// with device/fund-pool (data buyers, a foundation, emission later).
const Pool = "pool/device"

// Epoch and ingest parameters.
const (
	// EpochMillis is an epoch's length in block time.
	EpochMillis = 3_600_000
	// IngestStake is the least stake of an ingest node.
	IngestStake = 1_000_000
	// EpochBudget is the most one epoch pays out of the pool.
	EpochBudget = 10_000_000
	// MaxEpochAge is how many epochs back an epoch may still be posted
	// (a week): otherwise one post per epoch since 1970, each reserving
	// an EpochBudget, would take the whole pool in a block.
	MaxEpochAge = 168
	// MaxEvidence is the most evidence items one post carries.
	MaxEvidence = 1_000
	// GasPostEpoch is the post's base gas; GasPerEvidence is charged for
	// each item (a device record read and, when it earns, a transfer).
	GasPostEpoch   = 40_000
	GasPerEvidence = 4_000
	// MaxParts is the most posts one epoch's evidence is split over
	// (MaxParts × MaxEvidence devices).
	MaxParts = 1_000
	// PartBlocks is how long after its first part an epoch waits for the
	// rest: then it is paid with the parts it has, so an ingest node that
	// stops half-way cannot hold the epoch's budget.
	PartBlocks = 100
	// maxOpenChecks bounds the open epochs end-of-block checks per block.
	maxOpenChecks = 16
)

// More message kinds (appended).
const (
	MsgRegisterIngest = "device/register-ingest"
	MsgFundPool       = "device/fund-pool"
	MsgPostEpoch      = "device/post-epoch"
)

// RegisterIngest registers the signer as an ingest node with Stake.
type RegisterIngest struct {
	Stake uint64 `json:"stake"`
}

// FundPool moves Amount from the signer into the reward pool.
type FundPool struct {
	Amount uint64 `json:"amount"`
}

// PostEpoch is an ingest node's commitment for a finished epoch: the
// Merkle root of its accepted events (hex) and the per-device evidence,
// sorted by device id. The first node to post an epoch is the one paid
// from; other nodes' posts of it fail with CodeEpochPosted.
//
// An epoch with more devices than MaxEvidence is posted in Parts parts by
// the same node, Part 0 first, every part with the same root and each
// part's devices sorted after the previous part's. Parts 0 means 1. Once
// the last part is in (or PartBlocks after the first, with what arrived),
// end-of-block work pays every posted device pro rata to its points over
// the whole epoch, at most MaxPayoutsPerBlock per block.
type PostEpoch struct {
	Epoch    uint64 `json:"epoch"`
	Root     string `json:"root"`
	Events   uint64 `json:"events"`
	Evidence Packed `json:"evidence"`
	Part     uint64 `json:"part,omitempty"`
	Parts    uint64 `json:"parts,omitempty"`
}

// Ingest is a registered ingest node.
type Ingest struct {
	Address tx.Address `json:"address"`
	Stake   uint64     `json:"stake"`
}

// EpochRecord is a posted epoch. Its payouts are stored per part (see
// part.go: one record of the part's devices, and its owners' sums in
// owner tables, for claims); the epoch query returns them a page at a
// time in Payouts, with NextPayout the after= of the next page ("" at the
// end).
type EpochRecord struct {
	Epoch   uint64     `json:"epoch"`
	Ingest  tx.Address `json:"ingest"`
	Root    string     `json:"root"`
	Events  uint64     `json:"events"`
	Budget  uint64     `json:"budget"`
	Paid    uint64     `json:"paid"`
	Payouts []Payout   `json:"payouts"`
	Height  int64      `json:"height"`
	// Slashed is set when a fraud proof against this post succeeded.
	Slashed bool `json:"slashed,omitempty"`
	// Parts of the evidence expected and received.
	Parts    uint64 `json:"parts"`
	Received uint64 `json:"parts_received"`
	// Devices, TotalPoints and Readings (accepted events) over every
	// received part.
	Devices     uint64 `json:"devices"`
	TotalPoints uint64 `json:"total_points"`
	Readings    uint64 `json:"readings"`
	// LastDevice is the last device of the received parts.
	LastDevice string `json:"last_device,omitempty"`
	// Seq numbers the epochs in the order they were posted (claims walk
	// them in that order); Late is set when a later epoch was posted
	// first, and then no device of this epoch has a streak bonus, nor
	// carries its streak into the next epoch.
	Seq  uint64 `json:"seq"`
	Late bool   `json:"late,omitempty"`
	// Complete: no more parts are taken, and owners may claim; PaidOut:
	// every earned point is claimed (or nobody earned), and the rest of
	// the budget is free again.
	Complete bool `json:"complete"`
	PaidOut  bool `json:"paid_out"`
	// ClaimedPoints are the points owners have claimed; Paid is what
	// their claims received.
	ClaimedPoints uint64 `json:"claimed_points"`
	NextPayout    string `json:"next_payout,omitempty"`
}

// Payout is one device's reward in an epoch: Points are its evidence's
// points with its streak's bonus (StreakPoints), Streak the epochs of
// the streak, Amount (filled once the epoch is complete) its Share of the
// budget. The owner receives it by claiming (device/claim): the claim pays
// the Share of the owner's summed points, which rounds down once per owner
// and epoch rather than once per device, so it is at least the sum of the
// owner's devices' Amounts.
type Payout struct {
	Device string     `json:"device"`
	Owner  tx.Address `json:"owner"`
	Points uint64     `json:"points"`
	Streak uint64     `json:"streak,omitempty"`
	Amount uint64     `json:"amount"`
}

var (
	prefixIngest = []byte("device/ingest/")
	prefixEpoch  = []byte("device/epoch/")
	// prefixSeq lists the epochs in posting order; keySeqNext is the next
	// number, keyLatest the newest posted epoch + 1.
	prefixSeq  = []byte("device/seq/")
	keySeqNext = []byte("device/seqnext")
	keyLatest  = []byte("device/latest")
	// prefixOpen indexes incomplete epochs by the height their parts
	// stop being taken.
	prefixOpen  = []byte("device/open/")
	keyReserved = []byte("device/reserved")
)

func seqKey(seq uint64) []byte { return store.Key(prefixSeq, store.BE64(seq)) }

func ingestKey(a tx.Address) []byte { return store.Key(prefixIngest, a[:]) }
func epochKey(n uint64) []byte      { return store.Key(prefixEpoch, store.BE64(n)) }
func openKey(h int64, n uint64) []byte {
	return store.Key(prefixOpen, store.BE64(uint64(h)), store.BE64(n))
}

// reserved is the part of the pool promised to posted epochs not paid out.
func reserved(r store.Reader) uint64 {
	var v uint64
	store.GetJSON(r, keyReserved, &v)
	return v
}

func (m *Module) epochMsgs() []app.MsgHandler {
	return []app.MsgHandler{
		{Type: MsgRegisterIngest, Gas: GasRegisterMaker, Handle: m.handleRegisterIngest},
		{Type: MsgFundPool, Gas: GasRegisterMaker, Handle: m.handleFundPool},
		{Type: MsgPostEpoch, Gas: GasPostEpoch, Handle: m.handlePostEpoch},
		{Type: MsgChallenge, Gas: GasChallenge, Handle: m.handleChallenge},
		{Type: MsgClaim, Gas: GasClaim, Handle: m.handleClaim},
	}
}

func (m *Module) handleRegisterIngest(ctx *app.Context, raw json.RawMessage) error {
	var msg RegisterIngest
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	if msg.Stake < IngestStake {
		return CodeLowStake.Errorf("ingest stake %d below %d", msg.Stake, IngestStake)
	}
	var in Ingest
	if ok, err := store.GetJSON(ctx.KV, ingestKey(ctx.Signer), &in); err != nil {
		return err
	} else if ok && in.Stake >= IngestStake {
		return CodeIngestExists.Errorf("%s", ctx.Signer)
	}
	// A new node, or a slashed one topping up: it posts again once its
	// stake is back at IngestStake.
	if err := m.bank.Lock(ctx.KV, ctx.Signer, Escrow, msg.Stake); err != nil {
		return err
	}
	store.PutJSON(ctx.KV, ingestKey(ctx.Signer), Ingest{Address: ctx.Signer, Stake: in.Stake + msg.Stake})
	ctx.Emit("device-ingest", "ingest", ctx.Signer.String())
	return nil
}

func (m *Module) handleFundPool(ctx *app.Context, raw json.RawMessage) error {
	var msg FundPool
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	if msg.Amount == 0 {
		return CodeBadEpoch.Errorf("amount must be positive")
	}
	return m.bank.Lock(ctx.KV, ctx.Signer, Pool, msg.Amount)
}

func (m *Module) handlePostEpoch(ctx *app.Context, raw json.RawMessage) error {
	var msg PostEpoch
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	if ctx.KV.Get(ingestKey(ctx.Signer)) == nil {
		return CodeNotIngest.Errorf("%s", ctx.Signer)
	}
	parts := max(msg.Parts, 1)
	if parts > MaxParts || msg.Part >= parts {
		return CodeBadEpoch.Errorf("part %d of %d: at most %d parts, numbered from 0", msg.Part, parts, MaxParts)
	}
	evidence, err := UnpackEvidence(msg.Evidence, MaxEvidence)
	if err != nil {
		return CodeBadEpoch.Errorf("evidence (at most %d items, packed with PackEvidence): %v", MaxEvidence, err)
	}
	if err := ctx.ConsumeGas(GasPerEvidence*uint64(len(evidence)), "device evidence"); err != nil {
		return err
	}
	cells := 0
	for i, e := range evidence {
		if len(e.CellIDs) > MaxRewardCells || (len(e.CellIDs) > 0 && e.Cells != uint64(len(e.CellIDs))) {
			return CodeBadEpoch.Errorf("item %d: at most %d cell ids, as many as cells", i, MaxRewardCells)
		}
		for k := 1; k < len(e.CellIDs); k++ {
			if e.CellIDs[k] <= e.CellIDs[k-1] {
				return CodeBadEpoch.Errorf("item %d: cell ids must be increasing", i)
			}
		}
		cells += len(e.CellIDs)
	}
	if cells > MaxPartCells {
		return CodeBadEpoch.Errorf("%d cell ids, at most %d a post", cells, MaxPartCells)
	}
	if err := ctx.ConsumeGas(GasPerCell*uint64(cells), "device cells"); err != nil {
		return err
	}
	var rec EpochRecord
	found, err := store.GetJSON(ctx.KV, epochKey(msg.Epoch), &rec)
	if err != nil {
		return err
	}
	if msg.Part == 0 {
		cur := uint64(ctx.Time.UnixMilli()) / EpochMillis
		if msg.Epoch >= cur {
			return CodeBadEpoch.Errorf("epoch %d has not ended (current %d)", msg.Epoch, cur)
		}
		if msg.Epoch+MaxEpochAge < cur {
			return CodeBadEpoch.Errorf("epoch %d ended more than %d epochs ago (current %d)", msg.Epoch, MaxEpochAge, cur)
		}
		var in Ingest
		if _, err := store.GetJSON(ctx.KV, ingestKey(ctx.Signer), &in); err != nil {
			return err
		}
		if in.Stake < IngestStake {
			return CodeLowStake.Errorf("ingest stake %d below %d (slashed): top it up with device/register-ingest", in.Stake, IngestStake)
		}
		if found {
			return CodeEpochPosted.Errorf("epoch %d", msg.Epoch)
		}
		if r, err := hex.DecodeString(msg.Root); err != nil || len(r) != 32 {
			return CodeBadEpoch.Errorf("root must be 32 hex bytes")
		}
		res := reserved(ctx.KV)
		budget := min(EpochBudget, m.bank.ModuleBalance(ctx.KV, Pool)-res)
		store.PutJSON(ctx.KV, keyReserved, res+budget)
		rec = EpochRecord{Epoch: msg.Epoch, Ingest: ctx.Signer, Root: msg.Root, Events: msg.Events, Budget: budget, Height: ctx.Height, Parts: parts}
		rec.Seq = store.GetU64(ctx.KV, keySeqNext)
		store.PutU64(ctx.KV, keySeqNext, rec.Seq+1)
		store.PutU64(ctx.KV, seqKey(rec.Seq), msg.Epoch)
		latest := store.GetU64(ctx.KV, keyLatest) // the newest posted epoch + 1
		rec.Late = latest > msg.Epoch+1
		if msg.Epoch+1 > latest {
			store.PutU64(ctx.KV, keyLatest, msg.Epoch+1)
		}
		if parts > 1 {
			ctx.KV.Set(openKey(ctx.Height+PartBlocks, msg.Epoch), []byte{1})
		}
	} else {
		switch {
		case !found:
			return CodeEpochNotFound.Errorf("epoch %d: post part 0 first", msg.Epoch)
		case rec.Ingest != ctx.Signer:
			return CodeEpochPosted.Errorf("epoch %d is posted by %s", msg.Epoch, rec.Ingest)
		case rec.Complete:
			return CodeBadPart.Errorf("epoch %d takes no more parts", msg.Epoch)
		case msg.Part != rec.Received || parts != rec.Parts || msg.Root != rec.Root:
			return CodeBadPart.Errorf("epoch %d: want part %d of %d with root %s", msg.Epoch, rec.Received, rec.Parts, rec.Root)
		}
	}
	ids := make([][]byte, len(evidence))
	idBytes := make([]byte, 20*len(evidence))
	for i, e := range evidence {
		if (i > 0 && e.Device <= evidence[i-1].Device) || (i == 0 && rec.LastDevice != "" && e.Device <= rec.LastDevice) {
			return CodeBadEpoch.Errorf("evidence must be sorted by device with no repeats, across parts too (item %d)", i)
		}
		if e.Readings > MaxReadings {
			return CodeBadEpoch.Errorf("device %s: %d readings, at most %d", e.Device, e.Readings, uint64(MaxReadings))
		}
		ids[i] = idBytes[20*i : 20*i+20 : 20*i+20]
		if !putRawID(ids[i], e.Device) {
			return CodeDeviceNotFound.Errorf("device %s", e.Device)
		}
	}
	accts := scanAccounts(ctx.KV, evidence)
	// Streaks continue from the epoch before, when it was posted in order
	// (an epoch posted after a later one gets no bonus and gives none).
	var prev []uint32
	if !rec.Late && msg.Epoch > 0 {
		var pr EpochRecord
		if ok, err := store.GetJSON(ctx.KV, epochKey(msg.Epoch-1), &pr); err != nil {
			return err
		} else if ok && !pr.Late {
			prev = prevStreaks(ctx.KV, msg.Epoch, ids)
		}
	}
	ages, err := freshAges(ctx, evidence, msg.Epoch)
	if err != nil {
		return err
	}
	ents := make([]partEntry, len(evidence))
	for i, e := range evidence {
		acct, ok := accts.load(ctx.KV, i, e.Device)
		if !ok {
			return CodeDeviceNotFound.Errorf("device %s", e.Device)
		}
		if acct.owner.IsZero() {
			return CodeBadEpoch.Errorf("device %s is retired or unpaired", e.Device)
		}
		pts, streak := Points(e), uint32(0)
		if len(e.CellIDs) > 0 {
			pts = freshPoints(e, ages[i])
		}
		if pts > 0 {
			streak = 1
			if prev != nil && prev[i] > 0 && prev[i] < math.MaxUint32 {
				streak = prev[i] + 1
			}
			pts = StreakPoints(pts, uint64(streak))
			rec.Readings += e.Readings
		}
		ents[i] = partEntry{id: ids[i], owner: acct.owner, points: pts, readings: e.Readings, streak: streak}
		rec.TotalPoints += pts
	}
	if len(ents) > 0 {
		blob := make([]byte, 0, len(ents)*partEntryLen)
		for _, e := range ents {
			blob = appendPartEntry(blob, e)
		}
		ctx.KV.Set(partKey(msg.Epoch, ids[len(ids)-1]), blob)
		putOwnerTables(ctx.KV, msg.Epoch, rec.Received, ents)
		rec.Devices += uint64(len(ents))
		rec.LastDevice = evidence[len(ents)-1].Device
	}
	rec.Received++
	if rec.Received == rec.Parts {
		complete(ctx, &rec)
		if parts > 1 {
			ctx.KV.Delete(openKey(rec.Height+PartBlocks, msg.Epoch))
		}
	}
	store.PutJSON(ctx.KV, epochKey(msg.Epoch), rec)
	ctx.Emit("device-epoch", "epoch", strconv.FormatUint(msg.Epoch, 10), "root", msg.Root,
		"part", strconv.FormatUint(msg.Part, 10), "parts", strconv.FormatUint(rec.Parts, 10), "devices", strconv.Itoa(len(evidence)))
	return nil
}

// EndBlock implements app.Module: epochs whose parts stopped coming are
// completed as they are, at most maxOpenChecks a block. Nothing is paid
// here: owners claim what their devices earned with device/claim, so an
// epoch of any size costs end-of-block work independent of its devices.
func (m *Module) EndBlock(ctx *app.Context) error {
	var due [][]byte
	ctx.KV.Iterate(prefixOpen, store.Key(prefixOpen, store.BE64(uint64(ctx.Height)+1)), func(k, _ []byte) bool {
		due = append(due, append([]byte(nil), k...))
		return len(due) < maxOpenChecks
	})
	for _, k := range due {
		n := binary.BigEndian.Uint64(k[len(k)-8:])
		var rec EpochRecord
		if ok, err := store.GetJSON(ctx.KV, epochKey(n), &rec); err != nil || !ok {
			return fmt.Errorf("device: open epoch %d has no record: %v", n, err)
		}
		ctx.KV.Delete(k)
		complete(ctx, &rec)
		store.PutJSON(ctx.KV, epochKey(n), rec)
		ctx.Emit("device-epoch-incomplete", "epoch", strconv.FormatUint(n, 10), "parts", strconv.FormatUint(rec.Received, 10))
	}
	return nil
}

// complete closes rec to more parts. An epoch in which nobody earned is
// settled at once: its whole budget is free again.
func complete(ctx *app.Context, rec *EpochRecord) {
	rec.Complete = true
	if rec.TotalPoints == 0 {
		settle(ctx.KV, rec)
	}
}

// settle marks rec paid out and frees what it reserved and did not pay
// (the remainder of rounding, or all of it when nobody earned).
func settle(kv store.KV, rec *EpochRecord) {
	store.PutJSON(kv, keyReserved, reserved(kv)-(rec.Budget-rec.Paid))
	rec.PaidOut = true
}

func (m *Module) qEpoch(r store.Reader, args []string, q url.Values) (any, error) {
	n, err := strconv.ParseUint(args[0], 10, 64)
	if err != nil {
		return nil, app.CodeBadQuery.Errorf("epoch %q is not a number", args[0])
	}
	var rec EpochRecord
	ok, err := store.GetJSON(r, epochKey(n), &rec)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, CodeEpochNotFound.Errorf("epoch %d", n)
	}
	limit := MaxEvidence
	if s := q.Get("limit"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 || v > MaxEvidence {
			return nil, app.CodeBadQuery.Errorf("limit must be 1 to %d", MaxEvidence)
		}
		limit = v
	}
	ps, more := listPayouts(r, n, q.Get("after"), limit)
	if more {
		rec.NextPayout = ps[limit-1].Device
	}
	if rec.Complete {
		for i := range ps {
			ps[i].Amount = Share(rec.Budget, ps[i].Points, rec.TotalPoints)
		}
	}
	rec.Payouts = append([]Payout{}, ps...)
	return rec, nil
}

func (m *Module) qIngest(r store.Reader, args []string, _ url.Values) (any, error) {
	a, err := tx.ParseAddress(args[0])
	if err != nil {
		return nil, app.CodeBadQuery.Errorf("ingest address: %v", err)
	}
	var in Ingest
	ok, err := store.GetJSON(r, ingestKey(a), &in)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, CodeNotIngest.Errorf("%s", a)
	}
	return in, nil
}

func (m *Module) ingestStakes(r store.Reader) (uint64, error) {
	ins, err := store.ListJSON[Ingest](r, prefixIngest, store.PrefixEnd(prefixIngest), 0)
	if err != nil {
		return 0, fmt.Errorf("ingest records: %w", err)
	}
	var s uint64
	for _, in := range ins {
		s += in.Stake
	}
	return s, nil
}
