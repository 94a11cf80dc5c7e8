package label_test

import (
	"testing"

	"emergence/label"
)

// TestProgress: an open job's progress counts the assignments committed
// and revealed with their labels; a replaced commitment counts once, a
// refused reveal not at all. The invariants (after every block) hold the
// counters to the assignments.
func TestProgress(t *testing.T) {
	c := newChain(t)
	labelers := []string{"bob", "carol", "mallory"}
	c.MustOK(c.Deliver(c.Sign("alice", c.Msg("label/create-job", createMsg())))[0])
	progress := func() label.Progress {
		t.Helper()
		var p label.Progress
		if err := c.Query("label/progress/1", nil, &p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	check := func(what string, committed, revealed uint64) {
		t.Helper()
		p := progress()
		if p.Committed != committed || p.CommittedLabels != committed*nItems || p.Revealed != revealed || p.RevealedLabels != revealed*nItems {
			t.Fatalf("%s: progress %+v, want %d committed and %d revealed assignments of %d labels", what, p, committed, revealed, nItems)
		}
	}
	for _, n := range labelers {
		c.MustOK(c.Deliver(c.Sign(n, c.Msg("label/stake", label.StakeMsg{Amount: stake})))[0])
		c.MustOK(c.Deliver(c.Sign(n, c.Msg("label/request", label.JobMsg{Job: 1})))[0])
	}
	if p := progress(); p.Assignments != 3 || p.AssignedLabels != 3*nItems || p.Labels != nItems*perItem || p.Status != label.StatusOpen {
		t.Fatalf("after requests: %+v", p)
	}
	check("after requests", 0, 0)
	items, ans := map[string][]uint32{}, map[string][]uint32{}
	for k, n := range labelers {
		items[n] = assignment(t, c, 1, n).Items
		ans[n] = answer(n, items[n])
		c.MustOK(c.Deliver(c.Sign(n, commitMsg(c, 1, n, items[n], ans[n])))[0])
		check("after a commit", uint64(k+1), 0)
	}
	// bob commits again (other answers, then his own): still one.
	c.MustOK(c.Deliver(c.Sign("bob", commitMsg(c, 1, "bob", items["bob"], answer("mallory", items["bob"]))))[0])
	c.MustOK(c.Deliver(c.Sign("bob", commitMsg(c, 1, "bob", items["bob"], ans["bob"])))[0])
	check("after a replaced commitment", 3, 0)
	j := getJob(t, c, 1)
	for c.Height() < j.CommitDeadline {
		c.NextBlocks(1)
	}
	c.MustFail(c.Deliver(c.Sign("carol", revealMsg(c, 1, "carol", items["carol"], ans["bob"])))[0], label.CodeRevealMismatch)
	check("after a refused reveal", 3, 0)
	for k, n := range labelers[:2] {
		c.MustOK(c.Deliver(c.Sign(n, revealMsg(c, 1, n, items[n], ans[n])))[0])
		check("after a reveal", 3, uint64(k+1))
	}
	c.MustFail(c.Deliver(c.Sign("bob", revealMsg(c, 1, "bob", items["bob"], ans["bob"])))[0], label.CodeAlreadyRevealed)
	check("after a second reveal", 3, 2)
	if err := c.Query("label/progress/99", nil, &label.Progress{}); err == nil {
		t.Fatal("progress of a job that does not exist")
	}
}
