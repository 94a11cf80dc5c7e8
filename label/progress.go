package label

import (
	"encoding/binary"
	"fmt"
	"net/url"

	"emergence/app"
	"emergence/store"
)

// prefixProgress holds each job's commit and reveal counters: job ‖ four
// big-endian u64 (assignments committed, their labels, assignments
// revealed, their labels). Commit and reveal keep them, so a job's
// progress is one read however many labelers it has.
var prefixProgress = []byte("label/prog/")

func progressKey(job uint64) []byte { return store.Key(prefixProgress, store.BE64(job)) }

// Progress is the answer to "progress/<id>": how far an open job's
// labelers are, from the job record and the counters commit and reveal
// keep.
type Progress struct {
	Job            uint64 `json:"job"`
	Status         string `json:"status"`
	Labels         uint64 `json:"labels"` // items × labels per item
	Assignments    uint32 `json:"assignments"`
	AssignedLabels uint64 `json:"assigned_labels"`
	// Committed counts the assignments whose labeler committed (a
	// replaced commitment counts once), CommittedLabels their labels.
	Committed       uint64 `json:"committed"`
	CommittedLabels uint64 `json:"committed_labels"`
	// Revealed counts the assignments revealed, RevealedLabels their labels.
	Revealed       uint64 `json:"revealed"`
	RevealedLabels uint64 `json:"revealed_labels"`
	CommitDeadline int64  `json:"commit_deadline"`
	RevealDeadline int64  `json:"reveal_deadline"`
}

type counters [4]uint64

func getCounters(r store.Reader, job uint64) (counters, error) {
	var c counters
	v := r.Get(progressKey(job))
	if v == nil {
		return c, nil
	}
	if len(v) != 32 {
		return c, fmt.Errorf("corrupt progress record of job %d (%d bytes)", job, len(v))
	}
	for i := range c {
		c[i] = binary.BigEndian.Uint64(v[8*i:])
	}
	return c, nil
}

// bump adds one assignment of labels labels to counter pair i (0:
// committed, 1: revealed), charging the write like every other record.
func bump(ctx *app.Context, job uint64, i int, labels int) error {
	c, err := getCounters(ctx.KV, job)
	if err != nil {
		return err
	}
	c[2*i]++
	c[2*i+1] += uint64(labels)
	v := make([]byte, 0, 32)
	for _, x := range c {
		v = binary.BigEndian.AppendUint64(v, x)
	}
	return setCharged(ctx, progressKey(job), v, "job progress")
}

func queryProgress(r store.Reader, args []string, _ url.Values) (any, error) {
	id, err := parseID(args[0])
	if err != nil {
		return nil, err
	}
	j, err := getJob(r, id)
	if err != nil {
		return nil, notFound(err)
	}
	c, err := getCounters(r, id)
	if err != nil {
		return nil, err
	}
	return Progress{Job: j.ID, Status: j.Status, Labels: uint64(j.Items) * uint64(j.LabelsPerItem), Assignments: j.Assignments,
		AssignedLabels: j.AssignedLabels, Committed: c[0], CommittedLabels: c[1], Revealed: c[2], RevealedLabels: c[3],
		CommitDeadline: j.CommitDeadline, RevealDeadline: j.RevealDeadline}, nil
}
