package device

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
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
	// MaxEvidence is the most evidence items one post carries.
	MaxEvidence = 1_000
	// GasPostEpoch is the post's base gas; GasPerEvidence is charged for
	// each item (a device record read and, when it earns, a transfer).
	GasPostEpoch   = 40_000
	GasPerEvidence = 3_000
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
// sorted by device id. The first post of an epoch pays it.
type PostEpoch struct {
	Epoch    uint64     `json:"epoch"`
	Root     string     `json:"root"`
	Events   uint64     `json:"events"`
	Evidence []Evidence `json:"evidence"`
}

// Ingest is a registered ingest node.
type Ingest struct {
	Address tx.Address `json:"address"`
	Stake   uint64     `json:"stake"`
}

// EpochRecord is a paid epoch.
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
}

// Payout is one device's reward in an epoch.
type Payout struct {
	Device string     `json:"device"`
	Owner  tx.Address `json:"owner"`
	Points uint64     `json:"points"`
	Amount uint64     `json:"amount"`
}

var (
	prefixIngest = []byte("device/ingest/")
	prefixEpoch  = []byte("device/epoch/")
)

func ingestKey(a tx.Address) []byte { return store.Key(prefixIngest, a[:]) }
func epochKey(n uint64) []byte      { return store.Key(prefixEpoch, store.BE64(n)) }

func (m *Module) epochMsgs() []app.MsgHandler {
	return []app.MsgHandler{
		{Type: MsgRegisterIngest, Gas: GasRegisterMaker, Handle: m.handleRegisterIngest},
		{Type: MsgFundPool, Gas: GasRegisterMaker, Handle: m.handleFundPool},
		{Type: MsgPostEpoch, Gas: GasPostEpoch, Handle: m.handlePostEpoch},
		{Type: MsgChallenge, Gas: GasChallenge, Handle: m.handleChallenge},
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
	if ctx.KV.Get(ingestKey(ctx.Signer)) != nil {
		return CodeIngestExists.Errorf("%s", ctx.Signer)
	}
	if err := m.bank.Lock(ctx.KV, ctx.Signer, Escrow, msg.Stake); err != nil {
		return err
	}
	store.PutJSON(ctx.KV, ingestKey(ctx.Signer), Ingest{Address: ctx.Signer, Stake: msg.Stake})
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
	if cur := uint64(ctx.Time.UnixMilli()) / EpochMillis; msg.Epoch >= cur {
		return CodeBadEpoch.Errorf("epoch %d has not ended (current %d)", msg.Epoch, cur)
	}
	if ctx.KV.Get(epochKey(msg.Epoch)) != nil {
		return CodeEpochPosted.Errorf("epoch %d", msg.Epoch)
	}
	if r, err := hex.DecodeString(msg.Root); err != nil || len(r) != 32 {
		return CodeBadEpoch.Errorf("root must be 32 hex bytes")
	}
	if len(msg.Evidence) > MaxEvidence {
		return CodeBadEpoch.Errorf("%d evidence items, at most %d", len(msg.Evidence), MaxEvidence)
	}
	if err := ctx.ConsumeGas(GasPerEvidence*uint64(len(msg.Evidence)), "device evidence"); err != nil {
		return err
	}
	owners := make([]tx.Address, len(msg.Evidence))
	for i, e := range msg.Evidence {
		if i > 0 && e.Device <= msg.Evidence[i-1].Device {
			return CodeBadEpoch.Errorf("evidence must be sorted by device with no repeats (item %d)", i)
		}
		d, err := loadDevice(ctx.KV, e.Device)
		if err != nil {
			return err
		}
		if d.Retired || !d.Paired() {
			return CodeBadEpoch.Errorf("device %s is retired or unpaired", d.ID)
		}
		owners[i] = d.Owner
	}
	budget := min(EpochBudget, m.bank.ModuleBalance(ctx.KV, Pool))
	amounts := Rewards(budget, msg.Evidence)
	rec := EpochRecord{Epoch: msg.Epoch, Ingest: ctx.Signer, Root: msg.Root, Events: msg.Events, Budget: budget, Height: ctx.Height}
	for i, e := range msg.Evidence {
		rec.Payouts = append(rec.Payouts, Payout{Device: e.Device, Owner: owners[i], Points: Points(e), Amount: amounts[i]})
		if amounts[i] == 0 {
			continue
		}
		if err := m.bank.Release(ctx.KV, Pool, owners[i], amounts[i]); err != nil {
			return err
		}
		rec.Paid += amounts[i]
	}
	store.PutJSON(ctx.KV, epochKey(msg.Epoch), rec)
	ctx.Emit("device-epoch", "epoch", strconv.FormatUint(msg.Epoch, 10), "root", msg.Root, "paid", strconv.FormatUint(rec.Paid, 10))
	return nil
}

func (m *Module) qEpoch(r store.Reader, args []string, _ url.Values) (any, error) {
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
