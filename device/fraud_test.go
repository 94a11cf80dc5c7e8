package device_test

import (
	"encoding/hex"
	"strconv"
	"testing"

	"emergence/app/apptest"
	"emergence/bank"
	"emergence/device"
	"emergence/device/devkey"
	"emergence/device/event"
	"emergence/device/merkle"
)

// TestFraudProofSlashesIngest: an ingest node whose root includes an event
// the device never signed is slashed, half to the challenger; a challenge
// of a valid event or of an event not under the root proves nothing.
func TestFraudProofSlashesIngest(t *testing.T) {
	c := newChain(t)
	s, id := pairedDevice(t, c, "alice", 2_000_000, "mallory")

	ms := c.Time.UnixMilli() - device.EpochMillis
	good, err := event.New(s, "e1", id, event.TypeVehicleStatus, ms, event.VehicleStatus{LatE7: 1, LonE7: 1})
	if err != nil {
		t.Fatal(err)
	}
	forged, err := event.New(devkey.NewSecp256k1([32]byte{9}), "e2", id, event.TypeVehicleStatus, ms+1000, event.VehicleStatus{LatE7: 2, LonE7: 2})
	if err != nil {
		t.Fatal(err)
	}
	leaves := [][32]byte{merkle.Leaf(good.Encode()), merkle.Leaf(forged.Encode())}
	root := merkle.Root(leaves)
	epoch := uint64(ms) / device.EpochMillis
	c.MustOK(c.Deliver(c.Sign("mallory", c.Msg(device.MsgPostEpoch, device.PostEpoch{Epoch: epoch, Root: hex.EncodeToString(root[:]), Events: 2, Evidence: device.PackEvidence([]device.Evidence{})})))[0])

	ch := func(e event.Event, i int) device.Challenge {
		return device.Challenge{Epoch: epoch, Event: string(e.Encode()), Proof: merkle.Prove(leaves, i)}
	}
	c.MustFail(c.Deliver(c.Sign("bob", c.Msg(device.MsgChallenge, ch(good, 0))))[0], device.CodeNoFraud)
	c.MustFail(c.Deliver(c.Sign("bob", c.Msg(device.MsgChallenge, ch(forged, 0))))[0], device.CodeNoFraud) // wrong proof
	c.MustFail(c.Deliver(c.Sign("bob", c.Msg(device.MsgChallenge, device.Challenge{Epoch: epoch + 5, Event: "{}"})))[0], device.CodeEpochNotFound)

	b := bank.New()
	before := b.Balance(c.Reader(), apptest.Addr("bob"))
	c.MustOK(c.Deliver(c.Sign("bob", c.Msg(device.MsgChallenge, ch(forged, 1))))[0])
	if after := b.Balance(c.Reader(), apptest.Addr("bob")); after < before+900_000 { // half the 2,000,000 stake, less the fee
		t.Fatalf("challenger went from %d to %d", before, after)
	}
	var in device.Ingest
	if err := c.Query("device/ingest/"+apptest.Addr("mallory").String(), nil, &in); err != nil {
		t.Fatal(err)
	}
	if in.Stake != 0 {
		t.Fatalf("ingest stake %d after slashing", in.Stake)
	}
	var rec device.EpochRecord
	if err := c.Query("device/epoch/"+strconv.FormatUint(epoch, 10), nil, &rec); err != nil || !rec.Slashed {
		t.Fatalf("epoch record %+v, %v", rec, err)
	}
	c.MustFail(c.Deliver(c.Sign("bob", c.Msg(device.MsgChallenge, ch(forged, 1))))[0], device.CodeChallengeClosed)
}
