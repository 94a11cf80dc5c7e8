package provider

import (
	"context"
	"strconv"
	"testing"
	"time"

	"emergence/compute"
	"emergence/compute/requester"
	"emergence/compute/sandbox"
	"emergence/node/nodetest"
)

// TestSendKeepsWhatPasses: a tx carrying one message the chain refuses
// (here a bid on a job that does not exist) still delivers the others in
// a second tx, notes only those as sent, and leaves the refused one owed,
// so a stale bid never costs a commitment its window and a bid refused
// for a busy core is made again later.
func TestSendKeepsWhatPasses(t *testing.T) {
	par := compute.DefaultParams()
	par.BenchSegments, par.BenchSteps, par.BenchSamples, par.BenchBlocks = 8, 2_000, 4, 200
	net := nodetest.Start(t, nodetest.Options{ExtraKeys: []string{"p1"}, Genesis: map[string]any{compute.Name: compute.Genesis{Params: par}}})
	runner, err := sandbox.NewRunner()
	if err != nil {
		t.Fatal(err)
	}
	defer runner.Close()
	w, err := New(net.Client, Config{Key: net.Key("p1"), Cores: 1, MemMiB: 512, Price: 10, Stake: 2_000_000, WorkDir: t.TempDir(), Runner: runner})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// Register, then answer the benchmark: two steps that each send a tx.
	for i := 0; i < 2; i++ {
		if sent, err := w.Step(ctx); err != nil || !sent {
			t.Fatalf("step %d: sent %v, %v", i, sent, err)
		}
	}
	var p compute.Provider
	if err := net.Client.Query(ctx, compute.Name, "provider/"+w.Address().String(), nil, &p); err != nil || p.Status != compute.ProviderReady {
		t.Fatalf("provider %s (%v), want ready", p.Status, err)
	}
	sub, err := requester.Submit(ctx, net.Client, net.Key("alice"), requester.Spec{Wasm: []byte("module"), MemMiB: 64, WallMs: 1_000, R: 2, PriceCap: 100})
	if err != nil {
		t.Fatal(err)
	}
	var good, stale bool
	sent, err := w.send(ctx, []owed{
		{msg: mustMsg(compute.MsgBid, compute.Bid{Job: sub.ID + 100, Price: 10}), sent: func() { stale = true }},
		{msg: mustMsg(compute.MsgBid, compute.Bid{Job: sub.ID, Price: 10}), sent: func() { good = true }},
	})
	if err != nil || !sent {
		t.Fatalf("send: sent %v, %v", sent, err)
	}
	if !good || stale {
		t.Fatalf("noted good %v stale %v, want only the bid that landed", good, stale)
	}
	var bids compute.BidPage
	if err := net.Client.Query(ctx, compute.Name, "job/"+strconv.FormatUint(sub.ID, 10)+"/bids", nil, &bids); err != nil {
		t.Fatal(err)
	}
	if len(bids.Bids) != 1 || bids.Bids[0].Provider != w.Address() {
		t.Fatalf("bids %+v, want the worker's one", bids.Bids)
	}
}
