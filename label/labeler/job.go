package labeler

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"

	"emergence/api"
	"emergence/label"
)

// JobSpec is a labeling job as its requester describes it: everything of
// the create-job message but the items and the gold, which PrepareJob
// adds.
type JobSpec struct {
	Classes                                 []string
	LabelsPerItem, BatchSize, MinReputation uint32
	RewardPerLabel, MinStake                uint64
	RequirePersonhood                       bool
	CommitBlocks, RevealBlocks              int64
}

// Job is a job ready to post: its items and manifest are in the blob
// store, its gold is committed, and Secret holds what reveals the gold.
type Job struct {
	Manifest string
	Items    int
	Secret   GoldSecret
	Msg      label.CreateJobMsg
}

// ErrGold wraps the ways a gold list does not fit the job's items and
// classes.
var ErrGold = errors.New("bad gold")

// PrepareJob checks the gold rows (manifest item id, class name) against
// the items and classes, publishes the items and their manifest to b, and
// commits to the gold with a fresh salt. Bad gold (ErrGold) is found
// before anything is uploaded.
func PrepareJob(ctx context.Context, b Blobs, items []Item, gold [][2]string, spec JobSpec) (*Job, error) {
	local := Manifest{Version: 1}
	for _, it := range items {
		local.Items = append(local.Items, ManifestItem{ID: it.ID})
	}
	if _, err := GoldFromTruth(local, spec.Classes, gold); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrGold, err)
	}
	manifest, man, err := Publish(ctx, b, items)
	if err != nil {
		return nil, err
	}
	g, err := GoldFromTruth(man, spec.Classes, gold)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrGold, err)
	}
	secret, err := NewGoldSecret(manifest, g)
	if err != nil {
		return nil, err
	}
	return &Job{Manifest: manifest, Items: len(items), Secret: secret, Msg: label.CreateJobMsg{
		Manifest: manifest, Items: uint32(len(items)), Classes: spec.Classes, LabelsPerItem: spec.LabelsPerItem,
		BatchSize: spec.BatchSize, RewardPerLabel: spec.RewardPerLabel, MinStake: spec.MinStake, MinReputation: spec.MinReputation,
		RequirePersonhood: spec.RequirePersonhood, GoldCommitment: secret.Commitment(), GoldCount: uint32(len(g)),
		CommitBlocks: spec.CommitBlocks, RevealBlocks: spec.RevealBlocks,
	}}, nil
}

// Gas returns the gas the job's create-job message needs on top of a
// transaction's base limit: the module charges per item.
func (j *Job) Gas() uint64 { return uint64(j.Items) * 2 * label.GasPerItem }

// JobID returns the id of the job a create-job transaction created, read
// from its events.
func JobID(events []api.Event) (uint64, bool) {
	for _, e := range events {
		if e.Type != "label_job" {
			continue
		}
		for _, a := range e.Attrs {
			if a.Key == "id" {
				id, err := strconv.ParseUint(a.Value, 10, 64)
				return id, err == nil
			}
		}
	}
	return 0, false
}

// GoldSecretPath is where the gold secret of job is kept under dir.
func GoldSecretPath(dir string, job uint64) string {
	return filepath.Join(dir, fmt.Sprintf("gold-%d.json", job))
}

// PendingGoldPath is where the gold secret of a job with manifest is kept
// under dir between its upload and the commit of its create-job, so a
// failure in between loses nothing.
func PendingGoldPath(dir, manifest string) string {
	return filepath.Join(dir, "gold-pending-"+manifest[:16]+".json")
}
