// Package requester is the compute market's requester side: it uploads a
// job's module and inputs to the blob store, submits the job with its
// budget in escrow, and follows the job until the chain settles it. The
// job submit and job train commands and the compute benchmarks use it.
//
// It talks to a node only through package client, so a requester does not
// link CometBFT or Pebble.
package requester

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

	"emergence/api"
	"emergence/client"
	"emergence/compute"
	"emergence/tx"
)

// Spec is a job to submit: the module and input bytes (uploaded as blobs;
// input i is /in/i in the sandbox) and the job's fields as the chain
// takes them (compute.SubmitJob).
type Spec struct {
	Wasm   []byte
	Inputs [][]byte
	Args   []string
	// MemMiB and WallMs are the sandbox limits; the job is billed in whole
	// seconds of WallMs.
	MemMiB uint32
	WallMs uint64
	// R is the replication (0: compute.DefaultR).
	R uint32
	// PriceCap is the most paid per CPU-second and replica, uemg.
	PriceCap uint64
	// Budget is escrowed (0: DefaultBudget).
	Budget uint64
}

// DefaultBudget is the least budget the chain accepts: r replicas at the
// price cap for the wall time in whole seconds (r 0 is compute.DefaultR).
func DefaultBudget(r uint32, priceCap, wallMs uint64) uint64 {
	if r == 0 {
		r = compute.DefaultR
	}
	return uint64(r) * priceCap * ((wallMs + 999) / 1000)
}

// Submitted is a job the chain accepted.
type Submitted struct {
	ID     uint64
	Tx     string
	Height int64
	// Wasm and Inputs are the blob hashes the job names.
	Wasm   string
	Inputs []string
	Budget uint64
}

// UploadError is a module or input the blob store did not take.
type UploadError struct {
	What string // "module" or "input N"
	Err  error
}

func (e *UploadError) Error() string { return fmt.Sprintf("upload %s: %v", e.What, e.Err) }
func (e *UploadError) Unwrap() error { return e.Err }

// RefusedError is a submission that reached a block and failed there (its
// fee is spent, the budget is not).
type RefusedError struct{ Result *api.TxResult }

func (e *RefusedError) Error() string {
	return fmt.Sprintf("submit refused: code %s/%d: %s", e.Result.Codespace, e.Result.Code, e.Result.Log)
}

// ErrNoJobEvent is returned when a submission committed without naming
// its job, which only a node that is not running this chain does.
var ErrNoJobEvent = errors.New("submission committed without a compute-job event")

// Submit uploads the module and inputs with c (blob uploads signed by
// key), then signs and sends the job and waits for its block. A job the
// chain would refuse is not sent: the error is a *client.WouldFailError
// with the chain's code (compute.CodeLowBudget, compute.CodeBadJob, or the
// bank's for a balance that does not cover the budget).
func Submit(ctx context.Context, c *client.Client, key ed25519.PrivateKey, s Spec) (*Submitted, error) {
	c = c.SignBlobsWith(key)
	put := func(what string, b []byte) (string, error) {
		h := sha256.Sum256(b)
		hx := hex.EncodeToString(h[:])
		if err := c.PutBlob(ctx, hx, b); err != nil {
			return "", &UploadError{What: what, Err: err}
		}
		return hx, nil
	}
	msg := compute.SubmitJob{Args: s.Args, MemMiB: s.MemMiB, WallMs: s.WallMs, R: s.R, PriceCap: s.PriceCap, Budget: s.Budget, Inputs: []string{}}
	if msg.Budget == 0 {
		msg.Budget = DefaultBudget(s.R, s.PriceCap, s.WallMs)
	}
	var err error
	if msg.Wasm, err = put("module", s.Wasm); err != nil {
		return nil, err
	}
	for i, in := range s.Inputs {
		h, err := put("input "+strconv.Itoa(i), in)
		if err != nil {
			return nil, err
		}
		msg.Inputs = append(msg.Inputs, h)
	}
	m, err := tx.NewMsg(compute.MsgSubmitJob, msg)
	if err != nil {
		return nil, err
	}
	res, err := c.SignAndBroadcast(ctx, key, client.TxOptions{GasAuto: true}, m)
	if err != nil {
		return nil, err
	}
	if res.Code != 0 {
		return nil, &RefusedError{Result: res}
	}
	id, ok := JobID(res.Events)
	if !ok {
		return nil, fmt.Errorf("tx %s: %w", res.Hash, ErrNoJobEvent)
	}
	return &Submitted{ID: id, Tx: res.Hash, Height: res.Height, Wasm: msg.Wasm, Inputs: msg.Inputs, Budget: msg.Budget}, nil
}

// JobID reads the job id from a submission's events.
func JobID(evs []api.Event) (uint64, bool) {
	for _, e := range evs {
		if e.Type != "compute-job" {
			continue
		}
		for _, a := range e.Attrs {
			if a.Key == "job" {
				id, err := strconv.ParseUint(a.Value, 10, 64)
				return id, err == nil
			}
		}
	}
	return 0, false
}

// Final reports whether a job in this state is settled: nothing about it
// changes any more.
func Final(status string) bool {
	return status == compute.JobDone || status == compute.JobExpired || status == compute.JobUnresolved
}

// Await reads job id at every block until it is settled or ctx ends. It
// returns the last state read, also with ctx's error when the job was not
// settled in time (nil if it was never read).
func Await(ctx context.Context, c *client.Client, id uint64) (*compute.Job, error) {
	var j *compute.Job
	err := c.Await(ctx, func() (bool, error) {
		var cur compute.Job
		if err := c.Query(ctx, compute.Name, "job/"+strconv.FormatUint(id, 10), nil, &cur); err != nil {
			return false, err
		}
		j = &cur
		return Final(cur.Status), nil
	})
	return j, err
}
