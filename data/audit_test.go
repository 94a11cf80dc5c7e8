package data_test

import (
	"testing"

	"emergence/app/apptest"
	"emergence/data"
)

// TestFullCrawlerSetTakesHigherStake: sybils at the minimum stake fill
// the active set (MaxCrawlers), so that no honest crawler can join and
// every URL of every job goes to them. A newcomer that stakes more than
// the least-staked member takes its place; the displaced sybil leaves as
// if it had unregistered (its stake is locked until its URLs settle,
// then returned, never slashed), and a newcomer that stakes no more than
// the least is still refused.
func TestFullCrawlerSetTakesHigherStake(t *testing.T) {
	prm := data.DefaultParams()
	prm.MaxCrawlers = 4
	n := newNet(t, 4, &prm) // c1..c4, the sybils, at 1 EMG each
	n.c.MustFail(n.deliver("alice", data.MsgRegisterCrawler, data.RegisterCrawler{Stake: 1_000_000}), data.CodeTooManyCrawlers)
	bob := n.balance("bob")
	n.c.MustOK(n.deliver("bob", data.MsgRegisterCrawler, data.RegisterCrawler{Stake: 2_000_000}))
	var active data.Active
	if err := n.c.Query("data/crawlers", nil, &active); err != nil {
		t.Fatal(err)
	}
	var out []string
	inSet := map[string]bool{}
	for _, a := range active.Crawlers {
		inSet[a.String()] = true
	}
	for _, name := range append([]string{"bob"}, crawlerNames...) {
		if !inSet[apptest.Addr(name).String()] {
			out = append(out, name)
		}
	}
	if len(active.Crawlers) != 4 || !inSet[apptest.Addr("bob").String()] || len(out) != 1 {
		t.Fatalf("active set %d crawlers, left out %v; want bob in and one sybil out", len(active.Crawlers), out)
	}
	sybil := out[0]
	c := n.crawler(sybil)
	if c.Active || c.Stake != 1_000_000 || c.Slashed != 0 || c.ReleaseAt == 0 {
		t.Fatalf("displaced %s: %+v", sybil, c.Crawler)
	}
	fee := uint64(10_000_000 / 100) // deliver's gas limit at the minimum gas price
	if got := bob - n.balance("bob"); got != 2_000_000+fee {
		t.Fatalf("bob paid %d, want his 2 EMG stake and the fee", got)
	}
	// A newcomer at no more than the least stake is still refused.
	n.c.MustFail(n.deliver("alice", data.MsgRegisterCrawler, data.RegisterCrawler{Stake: 1_000_000}), data.CodeTooManyCrawlers)
	// Its stake comes back once its URLs have settled.
	n.c.MustFail(n.deliver(sybil, data.MsgWithdraw, data.Withdraw{Amount: 1_000_000}), data.CodeStakeLocked)
	for n.c.Height() < c.ReleaseAt {
		n.c.Deliver()
	}
	before := n.balance(sybil)
	n.c.MustOK(n.deliver(sybil, data.MsgWithdraw, data.Withdraw{Amount: 1_000_000}))
	if got := n.balance(sybil) + fee - before; got != 1_000_000 {
		t.Fatalf("displaced %s withdrew %d, want its whole 1 EMG", sybil, got)
	}
}
