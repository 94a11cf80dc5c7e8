package requester_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"emergence/client"
	"emergence/compute"
	"emergence/compute/requester"
	"emergence/node/nodetest"
)

// start runs a node whose bid windows outlast the tests, so a job without
// providers stays open.
func start(t *testing.T) *nodetest.Net {
	par := compute.DefaultParams()
	par.BidBlocks = 100_000
	return nodetest.Start(t, nodetest.Options{Genesis: map[string]any{compute.Name: compute.Genesis{Params: par}}})
}

// TestSubmitUploadsAndEscrows: the module and inputs become blobs the job
// names, the budget (r x cap x seconds by default) leaves the requester
// into escrow, and Await, with no provider to run the job, returns the
// job as last read with the deadline's error.
func TestSubmitUploadsAndEscrows(t *testing.T) {
	net := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	before, err := net.Client.Account(ctx, net.Addr("alice"))
	if err != nil {
		t.Fatal(err)
	}
	spec := requester.Spec{Wasm: []byte("\x00asm module"), Inputs: [][]byte{[]byte("a"), []byte("b")}, Args: []string{"x"}, MemMiB: 64, WallMs: 2_500, R: 3, PriceCap: 40}
	sub, err := requester.Submit(ctx, net.Client, net.Key("alice"), spec)
	if err != nil {
		t.Fatal(err)
	}
	if sub.Budget != 3*40*3 {
		t.Fatalf("budget %d, want 3 replicas x 40 x 3 s", sub.Budget)
	}
	var j compute.Job
	if err := net.Client.Query(ctx, compute.Name, "job/1", nil, &j); err != nil || sub.ID != 1 {
		t.Fatalf("job %d: %v", sub.ID, err)
	}
	for i, b := range append([][]byte{spec.Wasm}, spec.Inputs...) {
		h := sha256.Sum256(b)
		want := hex.EncodeToString(h[:])
		name := j.Wasm
		if i > 0 {
			name = j.Inputs[i-1]
		}
		got, err := net.Client.GetBlob(ctx, name)
		if name != want || err != nil || string(got) != string(b) {
			t.Fatalf("blob %d: job names %s, want %s (%v)", i, name, want, err)
		}
	}
	if j.Escrow != sub.Budget || j.R != 3 || j.Status != compute.JobBidding {
		t.Fatalf("job %+v", j)
	}
	after, err := net.Client.Account(ctx, net.Addr("alice"))
	if err != nil {
		t.Fatal(err)
	}
	if spent := before.Balance - after.Balance; spent < sub.Budget {
		t.Fatalf("requester spent %d, want at least the budget %d", spent, sub.Budget)
	}
	actx, acancel := context.WithTimeout(ctx, time.Second)
	defer acancel()
	got, err := requester.Await(actx, net.Client, sub.ID)
	if !errors.Is(err, context.DeadlineExceeded) || got == nil || requester.Final(got.Status) {
		t.Fatalf("await without providers: %+v, %v; want the open job and the deadline", got, err)
	}
}

// TestSubmitRefusedBeforeSending: a budget below r x cap x seconds is
// refused by simulation with the chain's code, and nothing is charged.
func TestSubmitRefusedBeforeSending(t *testing.T) {
	net := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	before, err := net.Client.Account(ctx, net.Addr("alice"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = requester.Submit(ctx, net.Client, net.Key("alice"), requester.Spec{Wasm: []byte("\x00asm"), MemMiB: 64, WallMs: 10_000, R: 2, PriceCap: 100, Budget: 10})
	var wf *client.WouldFailError
	if !errors.As(err, &wf) || wf.Result.Codespace != compute.Name || wf.Result.Code != compute.CodeLowBudget.Num {
		t.Fatalf("err %v, want a would-fail with compute/%d", err, compute.CodeLowBudget.Num)
	}
	after, err := net.Client.Account(ctx, net.Addr("alice"))
	if err != nil {
		t.Fatal(err)
	}
	if after.Balance != before.Balance || after.Nonce != before.Nonce {
		t.Fatalf("balance %d -> %d, nonce %d -> %d: something was sent", before.Balance, after.Balance, before.Nonce, after.Nonce)
	}
	var page compute.JobPage
	if err := net.Client.Query(ctx, compute.Name, "jobs", nil, &page); err != nil || len(page.Jobs) != 0 {
		t.Fatalf("jobs %+v (%v), want none", page.Jobs, err)
	}
}
