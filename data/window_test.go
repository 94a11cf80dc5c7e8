package data_test

import (
	"fmt"
	"testing"

	"emergence/data"
)

// TestLateCommitBatchMisses replays the TestCrawlEndToEnd flake block by block: one
// crawler, fallen behind a job whose URLs all share one commit window, sends its batch of
// commitments in the block after the window closed. The chain refuses the whole batch
// (one late item is enough), each partner's reveal after the window then settles its
// URL at once with one receipt of k=2 (missed), and the URLs that crawler did not share
// are accepted. A batch in the window's last block counts in full. Nobody is slashed:
// the late crawler committed nothing, its partners revealed what they committed, and the
// requester gets every missed URL's price back.
func TestLateCommitBatchMisses(t *testing.T) {
	n := newNet(t, 3, nil)
	var seeds []string
	for i := 0; i < 6; i++ {
		seeds = append(seeds, fmt.Sprintf("http://site.test/p%d", i))
	}
	job := n.createJob(2, seeds...)
	late := "c1"
	rs := map[uint64]data.Receipt{}
	var mine, theirs []uint64
	for i, u := range seeds {
		idx := uint64(i)
		rs[idx] = receipt(job, u, "text of "+u)
		as := n.assigned(job, idx)
		if as[0] == late || as[1] == late {
			mine = append(mine, idx)
		} else {
			theirs = append(theirs, idx)
		}
		// The partners (and both crawlers of the URLs late does not share) commit at once.
		for _, c := range as {
			if c != late {
				n.c.MustOK(n.commit(c, job, idx, rs[idx]))
			}
		}
	}
	if len(mine) == 0 || len(theirs) == 0 {
		t.Fatalf("assignment gave %s %d of %d urls; the test needs some of each", late, len(mine), len(seeds))
	}
	commitBy := n.page(job, mine[0]).CommitBy
	for _, idx := range mine {
		if n.page(job, idx).CommitBy != commitBy {
			t.Fatalf("url %d commit_by %d, url %d %d: one add, one window", idx, n.page(job, idx).CommitBy, mine[0], commitBy)
		}
	}
	// While late has not committed, its partners may not reveal.
	for _, idx := range mine {
		for _, c := range n.assigned(job, idx) {
			if c != late {
				n.c.MustFail(n.reveal(c, job, idx, rs[idx]), data.CodeRevealEarly)
			}
		}
	}
	// late's batch lands one block after the window.
	n.c.NextBlocks(int(commitBy - n.c.Height()))
	batch := data.CommitReceipts{Job: job}
	for _, idx := range mine {
		ci, _ := n.seal(late, idx, rs[idx])
		batch.Items = append(batch.Items, ci)
	}
	n.c.MustFail(n.deliver(late, data.MsgCommitReceipts, batch), data.CodeWindowClosed)
	if h := n.c.Height(); h != commitBy+1 {
		t.Fatalf("late batch in block %d, want %d", h, commitBy+1)
	}
	for _, idx := range mine {
		if p := n.page(job, idx); p.Commits != 1 || p.State != data.StateOpen {
			t.Fatalf("url %d after the late batch: %d commits, %s", idx, p.Commits, p.State)
		}
	}
	// Each partner's reveal after the window settles its URL at once: missed.
	for _, idx := range mine {
		for _, c := range n.assigned(job, idx) {
			if c != late {
				n.c.MustOK(n.reveal(c, job, idx, rs[idx]))
			}
		}
		if p := n.page(job, idx); p.State != data.StateMissed || p.Settled != n.c.Height() || p.Reveals != 1 {
			t.Fatalf("url %d: %s settled at %d (now %d) with %d reveals, want missed at once with 1", idx, p.State, p.Settled, n.c.Height(), p.Reveals)
		}
	}
	for _, idx := range theirs {
		for _, c := range n.assigned(job, idx) {
			n.c.MustOK(n.reveal(c, job, idx, rs[idx]))
		}
		if p := n.page(job, idx); p.State != data.StateAccepted {
			t.Fatalf("url %d not shared with %s: %s, want accepted", idx, late, p.State)
		}
	}
	j := n.job(job)
	if j.Missed != uint64(len(mine)) || j.Accepted != uint64(len(theirs)) || j.Open != 0 || j.Reserved != 0 {
		t.Fatalf("job: %d missed (want %d), %d accepted (want %d), %d open, %d reserved", j.Missed, len(mine), j.Accepted, len(theirs), j.Open, j.Reserved)
	}
	for _, c := range crawlerNames[:3] {
		if ci := n.crawler(c); ci.Slashed != 0 {
			t.Fatalf("%s slashed %d: nobody broke a rule", c, ci.Slashed)
		}
	}

	// The same batch in the window's last block counts: every url accepted.
	job2 := n.createJob(2, seeds...)
	var mine2 []uint64
	for i := range seeds {
		idx := uint64(i)
		rs[idx] = receipt(job2, seeds[i], "text of "+seeds[i])
		as := n.assigned(job2, idx)
		for _, c := range as {
			if c != late {
				n.c.MustOK(n.commit(c, job2, idx, rs[idx]))
			} else {
				mine2 = append(mine2, idx)
			}
		}
	}
	if len(mine2) == 0 {
		t.Fatalf("assignment gave %s none of job %d", late, job2)
	}
	commitBy = n.page(job2, mine2[0]).CommitBy
	n.c.NextBlocks(int(commitBy - n.c.Height() - 1))
	batch = data.CommitReceipts{Job: job2}
	for _, idx := range mine2 {
		ci, _ := n.seal(late, idx, rs[idx])
		batch.Items = append(batch.Items, ci)
	}
	n.c.MustOK(n.deliver(late, data.MsgCommitReceipts, batch))
	if h := n.c.Height(); h != commitBy {
		t.Fatalf("batch in block %d, want the window's last block %d", h, commitBy)
	}
	for i := range seeds {
		idx := uint64(i)
		for _, c := range n.assigned(job2, idx) {
			n.c.MustOK(n.reveal(c, job2, idx, rs[idx]))
		}
		if p := n.page(job2, idx); p.State != data.StateAccepted {
			t.Fatalf("job %d url %d: %s, want accepted", job2, idx, p.State)
		}
	}
	if j := n.job(job2); j.Accepted != uint64(len(seeds)) || j.Missed != 0 {
		t.Fatalf("job %d: %d accepted, %d missed", job2, j.Accepted, j.Missed)
	}
}
