package device_test

import (
	"encoding/hex"
	"strconv"
	"testing"
	"time"

	"emergence/app/apptest"
	"emergence/bank"
	"emergence/device"
	"emergence/device/devkey"
	"emergence/device/event"
	"emergence/device/merkle"
)

// TestChallengeAfterUnpairSlashesNobody: an honest ingest node posts an
// epoch with a reading of a device that was paired and live all through
// it. Its owner then unpairs the device, or its maker retires it, and
// challenges the reading as "unpaired" or "retired" to take half the
// node's stake. The chain judges a device's pairing as it was when the
// epoch ended, which is what an honest node checked when it closed the
// epoch: the challenges prove nothing and the node keeps its stake. A
// node that did include a reading of a device unpaired before the epoch
// ended is still slashed.
func TestChallengeAfterUnpairSlashesNobody(t *testing.T) {
	c := newChain(t)
	b := bank.New()
	s, id := pairedDevice(t, c, "alice", 2_000_000, "bob", "mallory")
	// The epoch that just ended, and one reading of alice's device in it.
	c.Time = c.Time.Add(device.EpochMillis * time.Millisecond)
	epoch := uint64(c.Time.UnixMilli())/device.EpochMillis - 1
	ms := int64(epoch) * device.EpochMillis
	good, err := event.New(s, "e1", id, event.TypeVehicleStatus, ms+1000, event.VehicleStatus{LatE7: 1, LonE7: 1})
	if err != nil {
		t.Fatal(err)
	}
	leaves := [][32]byte{merkle.Leaf(good.Encode())}
	root := merkle.Root(leaves)
	c.MustOK(c.Deliver(c.Sign("bob", c.Msg(device.MsgPostEpoch, device.PostEpoch{Epoch: epoch, Root: hex.EncodeToString(root[:]), Events: 1,
		Evidence: device.PackEvidence([]device.Evidence{{Device: id, Readings: 1}})})))[0])
	ch := device.Challenge{Epoch: epoch, Event: string(good.Encode()), Proof: merkle.Prove(leaves, 0)}
	stake := func(name string) uint64 {
		t.Helper()
		var in device.Ingest
		if err := c.Query("device/ingest/"+apptest.Addr(name).String(), nil, &in); err != nil {
			t.Fatal(err)
		}
		return in.Stake
	}

	alice := b.Balance(c.Reader(), apptest.Addr("alice"))
	c.MustOK(c.Deliver(c.Sign("alice", c.Msg(device.MsgUnpair, device.DeviceRef{Device: id})))[0])
	c.MustFail(c.Deliver(c.Sign("alice", c.Msg(device.MsgChallenge, ch)))[0], device.CodeNoFraud)
	c.MustOK(c.Deliver(c.Sign("maker", c.Msg(device.MsgRetire, device.DeviceRef{Device: id})))[0])
	c.MustFail(c.Deliver(c.Sign("maker", c.Msg(device.MsgChallenge, ch)))[0], device.CodeNoFraud)
	if got := stake("bob"); got != 2_000_000 {
		t.Fatalf("honest ingest node's stake %d after challenges of a reading its device made while paired", got)
	}
	fees := uint64(2 * 1_000_000 / 100) // apptest's default gas limit at the minimum gas price
	if got := b.Balance(c.Reader(), apptest.Addr("alice")); got != alice-fees {
		t.Fatalf("alice went from %d to %d: her challenge took something", alice, got)
	}

	// A device unpaired during an epoch: a node that still includes its
	// reading of that epoch is slashed, half to the challenger.
	s2 := devkey.NewSecp256k1([32]byte{2})
	id2 := provision(t, c, s2, "S2")
	c.MustOK(c.Deliver(c.Sign("alice", c.Msg(device.MsgPair, pairMsg(s2, id2, apptest.Addr("alice"), 0))))[0])
	c.MustOK(c.Deliver(c.Sign("alice", c.Msg(device.MsgUnpair, device.DeviceRef{Device: id2})))[0])
	late := uint64(c.Time.UnixMilli()) / device.EpochMillis
	bad, err := event.New(s2, "e2", id2, event.TypeVehicleStatus, c.Time.UnixMilli()+1000, event.VehicleStatus{LatE7: 1, LonE7: 1})
	if err != nil {
		t.Fatal(err)
	}
	c.Time = c.Time.Add(device.EpochMillis * time.Millisecond)
	leaves = [][32]byte{merkle.Leaf(bad.Encode())}
	root = merkle.Root(leaves)
	c.MustOK(c.Deliver(c.Sign("mallory", c.Msg(device.MsgPostEpoch, device.PostEpoch{Epoch: late, Root: hex.EncodeToString(root[:]), Events: 1,
		Evidence: device.PackEvidence([]device.Evidence{})})))[0])
	bob := b.Balance(c.Reader(), apptest.Addr("bob"))
	c.MustOK(c.Deliver(c.Sign("bob", c.Msg(device.MsgChallenge, device.Challenge{Epoch: late, Event: string(bad.Encode()), Proof: merkle.Prove(leaves, 0)})))[0])
	if got := b.Balance(c.Reader(), apptest.Addr("bob")); got != bob+1_000_000-1_000_000/100 {
		t.Fatalf("challenger went from %d to %d, want half of mallory's 2 EMG less the fee", bob, got)
	}
	if got := stake("mallory"); got != 0 {
		t.Fatalf("mallory's stake %d after a proven unpaired reading", got)
	}
	var rec device.EpochRecord
	if err := c.Query("device/epoch/"+strconv.FormatUint(late, 10), nil, &rec); err != nil || !rec.Slashed {
		t.Fatalf("epoch %d record %+v, %v", late, rec, err)
	}
}

// TestReplayedReadingIsFraud: a reading signed in one epoch, valid there,
// is replayed into the next epoch's root (padding that epoch's dataset,
// which buyers pay for, with old readings). An ingest node files every
// event in the epoch of its time, so the chain judges a reading outside
// its epoch as fraud: the replaying node is slashed, half to the
// challenger, and the honest post of the reading's own epoch stands.
func TestReplayedReadingIsFraud(t *testing.T) {
	c := newChain(t)
	b := bank.New()
	s, id := pairedDevice(t, c, "alice", 2_000_000, "bob", "mallory")
	first := uint64(c.Time.UnixMilli()) / device.EpochMillis
	reading, err := event.New(s, "e1", id, event.TypeVehicleStatus, c.Time.UnixMilli(), event.VehicleStatus{LatE7: 1, LonE7: 1})
	if err != nil {
		t.Fatal(err)
	}
	c.Time = c.Time.Add(device.EpochMillis * time.Millisecond)
	honest := [][32]byte{merkle.Leaf(reading.Encode())}
	root := merkle.Root(honest)
	c.MustOK(c.Deliver(c.Sign("bob", c.Msg(device.MsgPostEpoch, device.PostEpoch{Epoch: first, Root: hex.EncodeToString(root[:]), Events: 1,
		Evidence: device.PackEvidence([]device.Evidence{{Device: id, Readings: 1}})})))[0])
	// The next epoch: mallory's root holds a fresh reading and the replay.
	fresh, err := event.New(s, "e2", id, event.TypeVehicleStatus, c.Time.UnixMilli(), event.VehicleStatus{LatE7: 2, LonE7: 2})
	if err != nil {
		t.Fatal(err)
	}
	c.Time = c.Time.Add(device.EpochMillis * time.Millisecond)
	padded := [][32]byte{merkle.Leaf(fresh.Encode()), merkle.Leaf(reading.Encode())}
	root = merkle.Root(padded)
	c.MustOK(c.Deliver(c.Sign("mallory", c.Msg(device.MsgPostEpoch, device.PostEpoch{Epoch: first + 1, Root: hex.EncodeToString(root[:]), Events: 2,
		Evidence: device.PackEvidence([]device.Evidence{{Device: id, Readings: 2}})})))[0])

	ch := func(epoch uint64, e event.Event, leaves [][32]byte, i int) []byte {
		return c.Sign("alice", c.Msg(device.MsgChallenge, device.Challenge{Epoch: epoch, Event: string(e.Encode()), Proof: merkle.Prove(leaves, i)}))
	}
	c.MustFail(c.Deliver(ch(first, reading, honest, 0))[0], device.CodeNoFraud)
	c.MustFail(c.Deliver(ch(first+1, fresh, padded, 0))[0], device.CodeNoFraud)
	alice := b.Balance(c.Reader(), apptest.Addr("alice"))
	c.MustOK(c.Deliver(ch(first+1, reading, padded, 1))[0])
	if got := b.Balance(c.Reader(), apptest.Addr("alice")); got != alice+1_000_000-1_000_000/100 {
		t.Fatalf("challenger went from %d to %d, want half of mallory's 2 EMG less the fee", alice, got)
	}
	for name, want := range map[string]uint64{"mallory": 0, "bob": 2_000_000} {
		var in device.Ingest
		if err := c.Query("device/ingest/"+apptest.Addr(name).String(), nil, &in); err != nil || in.Stake != want {
			t.Fatalf("%s: stake %d (%v), want %d", name, in.Stake, err, want)
		}
	}
}

// TestFraudulentEpochsDatasetStopsSelling: an ingest node publishes its
// epoch's dataset at once, before anyone proves the epoch's root holds a
// forged reading. After the fraud proof slashes it, the dataset of the
// proven-bad epoch must not sell on: each sale paid the slashed node 20%
// of the price for data the chain knows is corrupt.
func TestFraudulentEpochsDatasetStopsSelling(t *testing.T) {
	c := newChain(t)
	b := bank.New()
	s, id := pairedDevice(t, c, "mallory", 2_000_000, "mallory")
	c.Time = c.Time.Add(device.EpochMillis * time.Millisecond)
	epoch := uint64(c.Time.UnixMilli())/device.EpochMillis - 1
	ms := int64(epoch) * device.EpochMillis
	good, err := event.New(s, "e1", id, event.TypeVehicleStatus, ms+1000, event.VehicleStatus{LatE7: 1, LonE7: 1})
	if err != nil {
		t.Fatal(err)
	}
	forged, err := event.New(devkey.NewSecp256k1([32]byte{9}), "e2", id, event.TypeVehicleStatus, ms+2000, event.VehicleStatus{LatE7: 2, LonE7: 2})
	if err != nil {
		t.Fatal(err)
	}
	leaves := [][32]byte{merkle.Leaf(good.Encode()), merkle.Leaf(forged.Encode())}
	root := merkle.Root(leaves)
	c.MustOK(c.Deliver(c.Sign("mallory", c.Msg(device.MsgPostEpoch, device.PostEpoch{Epoch: epoch, Root: hex.EncodeToString(root[:]), Events: 2,
		Evidence: device.PackEvidence([]device.Evidence{{Device: id, Readings: 2}})})))[0])
	h := hex.EncodeToString(root[:])
	c.MustOK(c.Deliver(c.Sign("mallory", c.Msg(device.MsgPublishDataset, device.PublishDataset{Epoch: epoch, Name: "drives", Root: h, Manifest: h,
		Shards: []string{h}, Records: 2, Price: 1_000_000, Licence: "CC0-1.0"})))[0])
	c.MustOK(c.Deliver(c.Sign("bob", c.Msg(device.MsgBuyDataset, device.BuyDataset{Epoch: epoch})))[0])
	c.MustOK(c.Deliver(c.Sign("alice", c.Msg(device.MsgChallenge, device.Challenge{Epoch: epoch, Event: string(forged.Encode()), Proof: merkle.Prove(leaves, 1)})))[0])

	mallory, alice := b.Balance(c.Reader(), apptest.Addr("mallory")), b.Balance(c.Reader(), apptest.Addr("alice"))
	c.MustFail(c.Deliver(c.Sign("alice", c.Msg(device.MsgBuyDataset, device.BuyDataset{Epoch: epoch})))[0], device.CodeBadDataset)
	fee := uint64(1_000_000 / 100)
	if got := b.Balance(c.Reader(), apptest.Addr("alice")); got != alice-fee {
		t.Fatalf("alice went from %d to %d buying a fraud-proven epoch's dataset", alice, got)
	}
	if got := b.Balance(c.Reader(), apptest.Addr("mallory")); got != mallory {
		t.Fatalf("the slashed node went from %d to %d", mallory, got)
	}
	// What bob's earlier purchase owes the owners stays claimable.
	c.MustOK(c.Deliver(c.Sign("mallory", c.Msg(device.MsgClaimSales, device.ClaimSales{Epochs: []uint64{epoch}})))[0])
}

// TestNoPostsFromSlashedNodesOrAncientEpochs: an ingest node slashed to
// nothing by a fraud proof kept posting (its next fraud would cost it
// nothing), and any node could post every epoch since 1970, each
// reserving an epoch budget, and take the whole pool in one block. A
// node posts only with IngestStake at stake (a slashed one tops up with
// device/register-ingest), and only epochs of the last MaxEpochAge.
func TestNoPostsFromSlashedNodesOrAncientEpochs(t *testing.T) {
	c := newChain(t)
	b := bank.New()
	c.MustOK(c.Deliver(c.Sign("bob", c.Msg(device.MsgFundPool, device.FundPool{Amount: 5_000_000})))[0])
	_, id := pairedDevice(t, c, "mallory", 1_000_000, "mallory")
	c.Time = c.Time.Add(2 * device.EpochMillis * time.Millisecond)
	cur := uint64(c.Time.UnixMilli()) / device.EpochMillis
	post := func(epoch uint64, root [32]byte) []byte {
		return c.Sign("mallory", c.Msg(device.MsgPostEpoch, device.PostEpoch{Epoch: epoch, Root: hex.EncodeToString(root[:]), Events: 1,
			Evidence: device.PackEvidence([]device.Evidence{{Device: id, Readings: 1_000}})}))
	}
	c.MustFail(c.Deliver(post(0, [32]byte{7}))[0], device.CodeBadEpoch)
	c.MustFail(c.Deliver(post(cur-device.MaxEpochAge-1, [32]byte{7}))[0], device.CodeBadEpoch)
	if got := b.ModuleBalance(c.Reader(), "pool/device"); got != 5_000_000 {
		t.Fatalf("pool %d after refused ancient posts", got)
	}
	// An epoch whose root holds a forged reading: slashed to nothing.
	forged, err := event.New(devkey.NewSecp256k1([32]byte{9}), "f", id, event.TypeVehicleStatus, int64(cur-2)*device.EpochMillis+1000, event.VehicleStatus{LatE7: 1, LonE7: 1})
	if err != nil {
		t.Fatal(err)
	}
	leaves := [][32]byte{merkle.Leaf(forged.Encode())}
	c.MustOK(c.Deliver(post(cur-2, merkle.Root(leaves)))[0])
	c.MustOK(c.Deliver(c.Sign("alice", c.Msg(device.MsgChallenge, device.Challenge{Epoch: cur - 2, Event: string(forged.Encode()), Proof: merkle.Prove(leaves, 0)})))[0])
	c.MustFail(c.Deliver(post(cur-1, [32]byte{8}))[0], device.CodeLowStake)
	c.MustFail(c.Deliver(c.Sign("mallory", c.Msg(device.MsgRegisterIngest, device.RegisterIngest{Stake: 1})))[0], device.CodeLowStake)
	c.MustOK(c.Deliver(c.Sign("mallory", c.Msg(device.MsgRegisterIngest, device.RegisterIngest{Stake: 1_000_000})))[0])
	c.MustFail(c.Deliver(c.Sign("mallory", c.Msg(device.MsgRegisterIngest, device.RegisterIngest{Stake: 1_000_000})))[0], device.CodeIngestExists)
	c.MustOK(c.Deliver(post(cur-1, [32]byte{8}))[0])
}
