package crawler

import (
	"context"
	"testing"
)

// TestWaitBatchKeepsABatchThatArrivesWithTheBlock pins the sender's wait: a batch handed
// over at the moment the block arrives (here the wait itself hands it over and returns at
// once) is returned every time, never left in the receiver's hands; a block with no
// batch returns nil; a batch during a long wait cuts it short.
func TestWaitBatchKeepsABatchThatArrivesWithTheBlock(t *testing.T) {
	ctx := context.Background()
	for i := 0; i < 20000; i++ {
		in := make(chan []*pendingItem)
		sent := []*pendingItem{{Job: uint64(i)}}
		got := waitBatch(ctx, in, func(context.Context) { in <- sent })
		if len(got) != 1 || got[0] != sent[0] {
			t.Fatalf("try %d: batch handed over with the block lost (got %v)", i, got)
		}
	}
	in := make(chan []*pendingItem, 1)
	if got := waitBatch(ctx, in, func(context.Context) {}); got != nil {
		t.Fatalf("block with no batch returned %v", got)
	}
	sent := []*pendingItem{{Job: 1}}
	go func() { in <- sent }()
	got := waitBatch(ctx, in, func(wctx context.Context) { <-wctx.Done() })
	if len(got) != 1 || got[0] != sent[0] {
		t.Fatalf("batch during the wait: got %v", got)
	}
}
