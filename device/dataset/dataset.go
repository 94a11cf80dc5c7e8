// Package dataset turns an epoch's accepted device events into a dataset
// in the data market's format (package data/shard: Parquet shards, a JSON
// manifest and a Merkle root over the records), and checks such a dataset
// against the epoch's root posted on chain.
//
// Record i is the epoch's accepted event i, in the order the epoch's
// Merkle tree (package device/merkle) has them: ID "N/iiiiiiiiii" (epoch
// and zero-padded index, so shard.Build's sort by ID keeps the order), URL
// "device:SOURCE/ID", Text the event's JSON exactly as its epoch leaf
// hashes it, TextHash that leaf (hex), FetchedAt the event time in Unix
// milliseconds, Crawlers the device's owner, and the manifest's SourceJob
// the epoch number. A buyer rebuilds the epoch root from the records'
// texts ([CheckEpoch]) and so traces every reading to the root the ingest
// node posted, and proves any one record with data/shard's proofs.
package dataset

import (
	"encoding/hex"
	"errors"
	"fmt"

	"emergence/data/shard"
	"emergence/device/event"
	"emergence/device/merkle"
)

// Event is one accepted event: its JSON as the epoch leaf hashes it and the
// owner its device was paired with.
type Event struct {
	JSON  string
	Owner string
}

// ErrEpochMismatch is returned when a dataset's records do not rebuild the
// epoch root.
var ErrEpochMismatch = errors.New("dataset records do not rebuild the epoch root")

// Records returns the dataset records of epoch n's accepted events, in
// epoch order.
func Records(n uint64, evs []Event, licence string) ([]shard.Record, error) {
	out := make([]shard.Record, len(evs))
	for i, ev := range evs {
		e, _, err := event.Parse([]byte(ev.JSON))
		if err != nil {
			return nil, fmt.Errorf("event %d: %w", i, err)
		}
		ms, _ := e.Millis()
		leaf := merkle.Leaf([]byte(ev.JSON))
		out[i] = shard.Record{ID: fmt.Sprintf("%d/%010d", n, i), URL: "device:" + e.Source + "/" + e.ID, Text: ev.JSON,
			FetchedAt: ms, TextHash: hex.EncodeToString(leaf[:]), Crawlers: []string{ev.Owner}, Licence: licence}
	}
	return out, nil
}

// Build returns epoch n's dataset of evs, perShard records a shard.
func Build(n uint64, evs []Event, licence string, perShard int) (shard.Dataset, error) {
	recs, err := Records(n, evs, licence)
	if err != nil {
		return shard.Dataset{}, err
	}
	return shard.Build(recs, n, licence, perShard)
}

// CheckEpoch checks that recs (in dataset order) are epoch n's events
// under epochRoot (hex): ids in order, each text hashing to its text hash,
// and the leaves rebuilding the root.
func CheckEpoch(n uint64, recs []shard.Record, epochRoot string) error {
	leaves := make([][32]byte, len(recs))
	for i, r := range recs {
		if want := fmt.Sprintf("%d/%010d", n, i); r.ID != want {
			return fmt.Errorf("record %d has id %q, want %q: %w", i, r.ID, want, ErrEpochMismatch)
		}
		leaves[i] = merkle.Leaf([]byte(r.Text))
		if hex.EncodeToString(leaves[i][:]) != r.TextHash {
			return fmt.Errorf("record %d: text does not hash to its text hash: %w", i, ErrEpochMismatch)
		}
	}
	root := merkle.Root(leaves)
	if got := hex.EncodeToString(root[:]); got != epochRoot {
		return fmt.Errorf("records give root %s, the epoch's is %s: %w", got, epochRoot, ErrEpochMismatch)
	}
	return nil
}
