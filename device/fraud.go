package device

import (
	"encoding/hex"
	"encoding/json"
	"errors"

	"emergence/app"
	"emergence/device/event"
	"emergence/device/merkle"
	"emergence/store"
)

// Fraud-proof parameters.
const (
	// ChallengeBlocks is the window after an epoch post in which it can be
	// challenged.
	ChallengeBlocks = 1_000
	// GasChallenge covers decoding the event, one signature check and a
	// proof of up to merkle.MaxDepth hashes.
	GasChallenge = 120_000
	// Treasury receives the part of a slashed stake the challenger does not.
	Treasury = "pool/treasury"
)

// MsgChallenge is the fraud-proof message kind.
const MsgChallenge = "device/challenge"

// Challenge claims that the epoch's posted root includes an invalid event:
// Event is the included event's JSON and Proof its inclusion proof. The
// chain checks inclusion, then the rules that need no history: the event
// parses, its time falls in the epoch, it names a provisioned device that was paired and live when the
// epoch ended (Device.OffMs) and carries that device's valid signature. If any fails, the ingest node's stake is
// slashed, half to the challenger and half to the treasury; if none does,
// the challenge proves nothing and fails with CodeNoFraud.
type Challenge struct {
	Epoch uint64       `json:"epoch"`
	Event string       `json:"event"`
	Proof merkle.Proof `json:"proof"`
}

func (m *Module) handleChallenge(ctx *app.Context, raw json.RawMessage) error {
	var msg Challenge
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	if len(msg.Event) > event.MaxBytes {
		return CodeNoFraud.Errorf("event of %d bytes could not have been accepted and is not judged", len(msg.Event))
	}
	var rec EpochRecord
	ok, err := store.GetJSON(ctx.KV, epochKey(msg.Epoch), &rec)
	if err != nil {
		return err
	}
	if !ok {
		return CodeEpochNotFound.Errorf("epoch %d", msg.Epoch)
	}
	if ctx.Height > rec.Height+ChallengeBlocks {
		return CodeChallengeClosed.Errorf("epoch %d was posted at height %d; challenges closed at %d", msg.Epoch, rec.Height, rec.Height+ChallengeBlocks)
	}
	if rec.Slashed {
		return CodeChallengeClosed.Errorf("epoch %d's ingest node was already slashed", msg.Epoch)
	}
	root, err := hex.DecodeString(rec.Root)
	if err != nil || len(root) != 32 {
		return errors.New("device: stored epoch root is corrupt")
	}
	if err := merkle.Verify([32]byte(root), merkle.Leaf([]byte(msg.Event)), msg.Proof); err != nil {
		return CodeNoFraud.Errorf("event is not under epoch %d's root: %v", msg.Epoch, err)
	}
	why := m.invalidEvent(ctx.KV, []byte(msg.Event), int64(msg.Epoch)*EpochMillis, int64(msg.Epoch+1)*EpochMillis)
	if why == "" {
		return CodeNoFraud.Errorf("the included event is valid")
	}
	var in Ingest
	if ok, err := store.GetJSON(ctx.KV, ingestKey(rec.Ingest), &in); err != nil {
		return err
	} else if !ok {
		return errors.New("device: epoch names an unknown ingest node")
	}
	reward := in.Stake / 2
	if err := m.bank.Release(ctx.KV, Escrow, ctx.Signer, reward); err != nil {
		return err
	}
	if err := m.bank.MoveModule(ctx.KV, Escrow, Treasury, in.Stake-reward); err != nil {
		return err
	}
	in.Stake = 0
	store.PutJSON(ctx.KV, ingestKey(in.Address), in)
	rec.Slashed = true
	store.PutJSON(ctx.KV, epochKey(msg.Epoch), rec)
	ctx.Emit("device-slashed", "ingest", in.Address.String(), "epoch", u64(msg.Epoch), "reason", why, "challenger", ctx.Signer.String())
	return nil
}

// invalidEvent returns why an included event of the epoch [startMs,
// endMs) could not have been accepted ("" when it passes every rule the
// chain can check without history). An event's time must fall in the
// epoch: an ingest node files each event in the epoch of its time, so a
// reading replayed into another epoch's root is fraud. Pairing is judged
// as it was when the epoch ended: a device unpaired or retired since made
// no earlier post fraudulent.
func (m *Module) invalidEvent(r store.Reader, raw []byte, startMs, endMs int64) string {
	e, _, err := event.Parse(raw)
	if err != nil {
		return "malformed"
	}
	if ms, err := e.Millis(); err != nil || ms < startMs || ms >= endMs {
		return "outside-epoch"
	}
	d, err := loadDevice(r, e.Source)
	if err != nil {
		return "unknown-device"
	}
	off := d.OffMs < endMs // not live and paired since before the epoch ended
	if d.Retired && off {
		return "retired"
	}
	if !d.Paired() && off {
		return "unpaired"
	}
	pub, err := hex.DecodeString(d.PubKey)
	if err != nil {
		return "unknown-device"
	}
	if err := e.Verify(d.KeyType, pub); err != nil {
		return "bad-signature"
	}
	return ""
}
