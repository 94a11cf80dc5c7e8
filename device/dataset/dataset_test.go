package dataset_test

import (
	"encoding/hex"
	"errors"
	"fmt"
	"testing"

	"emergence/data/shard"
	"emergence/device/dataset"
	"emergence/device/devkey"
	"emergence/device/event"
	"emergence/device/merkle"
)

// TestBuildAndCheck: a dataset of an epoch's events rebuilds the epoch
// root, each record proves its inclusion in the dataset root, and a
// changed, dropped or reordered record no longer rebuilds the epoch root.
func TestBuildAndCheck(t *testing.T) {
	s := devkey.NewSecp256k1([32]byte{5})
	var evs []dataset.Event
	var leaves [][32]byte
	for i := 0; i < 25; i++ {
		e, err := event.New(s, fmt.Sprintf("r%d", i), "dev1", event.TypeVehicleStatus, 1_700_000_000_000+int64(i)*10_000, event.VehicleStatus{LatE7: 525_000_000 + int64(i)})
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, dataset.Event{JSON: string(e.Encode()), Owner: "emg1owner"})
		leaves = append(leaves, merkle.Leaf(e.Encode()))
	}
	root := merkle.Root(leaves)
	epochRoot := hex.EncodeToString(root[:])
	ds, err := dataset.Build(7, evs, "CC-BY-4.0", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Shards) != 3 || ds.Manifest.Records != 25 || ds.Manifest.SourceJob != 7 {
		t.Fatalf("manifest %+v", ds.Manifest)
	}
	recs, err := shard.Check(ds.Manifest, ds.Shards)
	if err != nil {
		t.Fatal(err)
	}
	if err := dataset.CheckEpoch(7, recs, epochRoot); err != nil {
		t.Fatal(err)
	}
	dl := shard.Leaves(recs)
	p, err := shard.Prove(dl, 13)
	if err != nil {
		t.Fatal(err)
	}
	if err := shard.Verify(p, &recs[13], ds.Manifest.Root); err != nil {
		t.Fatalf("record 13: %v", err)
	}
	if err := merkle.Verify(root, merkle.Leaf([]byte(recs[13].Text)), merkle.Prove(leaves, 13)); err != nil {
		t.Fatalf("record 13 under the epoch root: %v", err)
	}
	changed := append([]shard.Record(nil), recs...)
	changed[4].Text = changed[5].Text
	dropped := recs[:24]
	swapped := append([]shard.Record(nil), recs...)
	swapped[1], swapped[2] = swapped[2], swapped[1]
	for name, rs := range map[string][]shard.Record{"changed": changed, "dropped": dropped, "swapped": swapped} {
		if err := dataset.CheckEpoch(7, rs, epochRoot); !errors.Is(err, dataset.ErrEpochMismatch) {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if err := dataset.CheckEpoch(8, recs, epochRoot); !errors.Is(err, dataset.ErrEpochMismatch) {
		t.Fatalf("another epoch: %v", err)
	}
}
