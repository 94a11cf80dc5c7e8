package data_test

import (
	"encoding/hex"
	"fmt"
	"slices"
	"testing"

	"emergence/app/apptest"
	"emergence/bank"
	"emergence/data"
)

// unassigned returns a registered crawler not assigned URL idx.
func (n *net) unassigned(job, idx uint64, crawlers int) string {
	as := n.assigned(job, idx)
	for _, name := range crawlerNames[:crawlers] {
		if !slices.Contains(as, name) {
			return name
		}
	}
	n.t.Fatalf("every crawler is assigned url %d", idx)
	return ""
}

// A crawler that copies another's commitment cannot open it: the
// commitment binds the committer's address, so the copied reveal fails,
// the copier's commit goes unrevealed and costs it stake.
func TestCopiedCommitFails(t *testing.T) {
	n := newNet(t, 3, nil)
	job := n.createJob(2, "http://site.test/")
	as := n.assigned(job, 0)
	honest, copier := as[0], as[1]
	r := receipt(job, "http://site.test/", "page text")
	ci, ri := n.seal(honest, 0, r)
	n.c.MustOK(n.deliver(honest, data.MsgCommitReceipts, data.CommitReceipts{Job: job, Items: []data.CommitItem{ci}}))
	n.c.MustOK(n.deliver(copier, data.MsgCommitReceipts, data.CommitReceipts{Job: job, Items: []data.CommitItem{ci}}))
	n.c.MustOK(n.deliver(honest, data.MsgRevealReceipts, data.RevealReceipts{Job: job, Items: []data.RevealItem{ri}}))
	n.c.MustFail(n.deliver(copier, data.MsgRevealReceipts, data.RevealReceipts{Job: job, Items: []data.RevealItem{ri}}), data.CodeRevealMismatch)
	stake := n.crawler(copier).Stake
	n.c.NextBlocks(int(n.page(job, 0).RevealBy - n.c.Height()))
	p := n.page(job, 0)
	if p.State != data.StateMissed {
		t.Fatalf("url with one valid reveal of k=2 is %s, want missed", p.State)
	}
	cp := n.crawler(copier)
	if cp.Stake != stake-data.DefaultParams().UnrevealedSlash || cp.Unrevealed != 1 || cp.Earned != 0 {
		t.Fatalf("copier: stake %d (was %d), unrevealed %d, earned %d", cp.Stake, stake, cp.Unrevealed, cp.Earned)
	}
	if h := n.crawler(honest); h.Stake != stake || h.Disagreed != 0 {
		t.Fatalf("honest crawler lost stake or reputation: %+v", h)
	}
}

// A crawler that waits for its partner's reveal to copy it cannot commit
// afterwards: reveals open only once every assigned crawler committed or
// the commit window closed, and then commits are refused.
func TestLazyCopierCannotCommitAfterReveals(t *testing.T) {
	n := newNet(t, 3, nil)
	job := n.createJob(2, "http://site.test/")
	as := n.assigned(job, 0)
	honest, lazy := as[0], as[1]
	r := receipt(job, "http://site.test/", "page text")
	n.c.MustOK(n.commit(honest, job, 0, r))
	n.c.MustFail(n.reveal(honest, job, 0, r), data.CodeRevealEarly)
	n.c.NextBlocks(int(n.page(job, 0).CommitBy - n.c.Height()))
	// The only commit is revealed after the window: the page settles at
	// once (missed: one receipt of k=2), and the copier has nothing to
	// commit to or reveal.
	n.c.MustOK(n.reveal(honest, job, 0, r))
	n.c.MustFail(n.commit(lazy, job, 0, r), data.CodeWindowClosed)
	n.c.MustFail(n.reveal(lazy, job, 0, r), data.CodeWindowClosed)
	if p := n.page(job, 0); p.State != data.StateMissed || n.crawler(lazy).Earned != 0 {
		t.Fatalf("url %s, lazy earned %d", p.State, n.crawler(lazy).Earned)
	}
	if l := n.crawler(lazy); l.Reputation.Availability != 0 {
		t.Fatalf("lazy crawler's availability %d, want 0", l.Reputation.Availability)
	}
}

func TestRevealMismatchAndBadReceipts(t *testing.T) {
	n := newNet(t, 3, nil)
	job := n.createJob(2, "http://site.test/")
	as := n.assigned(job, 0)
	r := receipt(job, "http://site.test/", "page text")
	for _, name := range as {
		n.c.MustOK(n.commit(name, job, 0, r))
	}
	// Another text hash than committed.
	n.c.MustFail(n.reveal(as[0], job, 0, receipt(job, "http://site.test/", "other text")), data.CodeRevealMismatch)
	// The right receipt with another salt.
	_, ri := n.seal(as[0], 0, r)
	ri.Salt = hex.EncodeToString(make([]byte, 32))
	n.c.MustFail(n.deliver(as[0], data.MsgRevealReceipts, data.RevealReceipts{Job: job, Items: []data.RevealItem{ri}}), data.CodeRevealMismatch)
	// A receipt for another URL than the index names.
	n.c.MustFail(n.reveal(as[0], job, 0, receipt(job, "http://site.test/x", "page text")), data.CodeBadReceipt)
	// Malformed hashes and links.
	_, ri = n.seal(as[0], 0, r)
	ri.Receipt.TextHash = "zz"
	n.c.MustFail(n.deliver(as[0], data.MsgRevealReceipts, data.RevealReceipts{Job: job, Items: []data.RevealItem{ri}}), data.CodeBadReceipt)
	_, ri = n.seal(as[0], 0, r)
	ri.Receipt.Links = []string{"javascript:alert(1)"}
	n.c.MustFail(n.deliver(as[0], data.MsgRevealReceipts, data.RevealReceipts{Job: job, Items: []data.RevealItem{ri}}), data.CodeBadReceipt)
	// The honest reveals still settle the page.
	for _, name := range as {
		n.c.MustOK(n.reveal(name, job, 0, r))
	}
	if p := n.page(job, 0); p.State != data.StateAccepted {
		t.Fatalf("url %s, want accepted", p.State)
	}
}

func TestUnassignedAndDuplicateReceipts(t *testing.T) {
	n := newNet(t, 3, nil)
	job := n.createJob(2, "http://site.test/", "http://site.test/2")
	as := n.assigned(job, 0)
	other := n.unassigned(job, 0, 3)
	r := receipt(job, "http://site.test/", "page text")
	n.c.MustFail(n.commit(other, job, 0, r), data.CodeNotAssigned)
	n.c.MustFail(n.commit("bob", job, 0, r), data.CodeCrawlerNotFound)
	n.c.MustFail(n.commit(as[0], job, 7, r), data.CodePageNotFound)
	n.c.MustFail(n.commit(as[0], 99, 0, r), data.CodeJobNotFound)
	// The same index twice in one batch, and again in a later block.
	ci, _ := n.seal(as[0], 0, r)
	n.c.MustFail(n.deliver(as[0], data.MsgCommitReceipts, data.CommitReceipts{Job: job, Items: []data.CommitItem{ci, ci}}), data.CodeDuplicate)
	n.c.MustOK(n.commit(as[0], job, 0, r))
	n.c.MustFail(n.commit(as[0], job, 0, r), data.CodeDuplicate)
	n.c.MustOK(n.commit(as[1], job, 0, r))
	n.c.MustFail(n.reveal(other, job, 0, r), data.CodeNotAssigned)
	n.c.MustOK(n.reveal(as[0], job, 0, r))
	n.c.MustFail(n.reveal(as[0], job, 0, r), data.CodeDuplicate)
	n.c.MustOK(n.reveal(as[1], job, 0, r))
	// Settled: no more reveals.
	n.c.MustFail(n.reveal(as[1], job, 0, r), data.CodeWindowClosed)
	// Too many items in one message.
	items := make([]data.CommitItem, data.MaxBatch+1)
	n.c.MustFail(n.deliver(as[0], data.MsgCommitReceipts, data.CommitReceipts{Job: job, Items: items}), data.CodeTooManyItems)
	if j := n.job(job); j.Accepted != 1 || j.Paid != 1_000 {
		t.Fatalf("job accepted %d, paid %d", j.Accepted, j.Paid)
	}
}

// lie is a receipt with a made-up text (a crawler that never fetched).
func lie(job uint64, url string) data.Receipt { return receipt(job, url, "invented by a liar") }

// One liar among k=3 crawlers: the page is disputed, nobody is paid, the
// liar alone is in the minority; from its third disagreement (its
// consistency is 0) each one is a strike, and from the third strike each
// costs stake; the requester's price comes back.
func TestMinorityCrawler(t *testing.T) {
	n := newNet(t, 3, nil)
	var seeds []string
	const pages = 6
	for i := 0; i < pages; i++ {
		seeds = append(seeds, fmt.Sprintf("http://site.test/%d", i))
	}
	job := n.createJob(3, seeds...)
	liar := "c3"
	stake := n.crawler(liar).Stake
	// Every crawler commits its receipts in one batch, then reveals them
	// in one batch.
	reveals := map[string][]data.RevealItem{}
	for _, name := range crawlerNames[:3] {
		var cis []data.CommitItem
		for i := uint64(0); i < pages; i++ {
			r := receipt(job, seeds[i], "text "+seeds[i])
			if name == liar {
				r = lie(job, seeds[i])
			}
			ci, ri := n.seal(name, i, r)
			cis = append(cis, ci)
			reveals[name] = append(reveals[name], ri)
		}
		n.c.MustOK(n.deliver(name, data.MsgCommitReceipts, data.CommitReceipts{Job: job, Items: cis}))
	}
	for _, name := range crawlerNames[:3] {
		n.c.MustOK(n.deliver(name, data.MsgRevealReceipts, data.RevealReceipts{Job: job, Items: reveals[name]}))
	}
	for i := uint64(0); i < pages; i++ {
		if p := n.page(job, i); p.State != data.StateDisputed {
			t.Fatalf("url %d: %s, want disputed", i, p.State)
		}
	}
	prm := data.DefaultParams()
	l := n.crawler(liar)
	if l.Disagreed != pages || l.Strikes != pages-2 || l.Earned != 0 || l.Stake != stake-2*prm.DisagreeSlash || l.Reputation.Consistency != 0 {
		t.Fatalf("liar: disagreed %d, earned %d, stake %d (was %d), consistency %d", l.Disagreed, l.Earned, l.Stake, stake, l.Reputation.Consistency)
	}
	for _, h := range []string{"c1", "c2"} {
		if c := n.crawler(h); c.Disagreed != 0 || c.Stake != stake || c.Earned != 0 {
			t.Fatalf("honest %s: %+v", h, c)
		}
	}
	if j := n.job(job); j.Paid != 0 || j.Reserved != 0 || j.Disputed != pages || j.Available() != j.Budget {
		t.Fatalf("job after disputes: %+v", j)
	}
}

// Two colluding liars and one honest crawler with k=3: no three receipts
// agree, so the page is disputed and the liars earn nothing; they are the
// majority of the reveals, so the honest crawler is counted a
// disagreement, but no strike (its consistency stays at or above 50 %), and
// the assignment from block data keeps the liars from choosing to meet it
// again.
func TestColludingPairAgainstHonestK3(t *testing.T) {
	n := newNet(t, 3, nil)
	job := n.createJob(3, "http://site.test/", "http://site.test/next")
	liars := []string{"c1", "c2"}
	rs := map[string]data.Receipt{"c3": receipt(job, "http://site.test/", "true text")}
	for _, l := range liars {
		rs[l] = lie(job, "http://site.test/")
	}
	n.crawl(job, 0, rs, []string{"c1", "c2", "c3"})
	if p := n.page(job, 0); p.State != data.StateDisputed || len(p.Agreed) != 0 {
		t.Fatalf("url 0: %s with %d agreed, want disputed", p.State, len(p.Agreed))
	}
	for _, l := range liars {
		if c := n.crawler(l); c.Earned != 0 || c.Disagreed != 0 {
			t.Fatalf("liar %s: %+v", l, c)
		}
	}
	if h := n.crawler("c3"); h.Disagreed != 1 || h.Strikes != 0 {
		t.Fatalf("honest crawler: %+v", h)
	}
	// The next page all three fetch honestly: all three are paid.
	rs = map[string]data.Receipt{}
	for _, name := range crawlerNames[:3] {
		rs[name] = receipt(job, "http://site.test/next", "next text")
	}
	n.crawl(job, 1, rs, []string{"c1", "c2", "c3"})
	if h := n.crawler("c3"); h.Strikes != 0 || h.Earned != 333 {
		t.Fatalf("honest crawler after an agreement: %+v", h)
	}
	if j := n.job(job); j.Paid != 999 || j.Accepted != 1 {
		t.Fatalf("job: %+v", j)
	}
}

// With k=2 a liar and an honest crawler tie: both are counted a
// disagreement; strikes and stake loss come only to a crawler that then
// disagrees more than it agrees (TestCheatersEarnNothing).
func TestLiarK2(t *testing.T) {
	n := newNet(t, 2, nil)
	job := n.createJob(2, "http://site.test/")
	rs := map[string]data.Receipt{"c1": receipt(job, "http://site.test/", "true"), "c2": lie(job, "http://site.test/")}
	n.crawl(job, 0, rs, []string{"c1", "c2"})
	if p := n.page(job, 0); p.State != data.StateDisputed {
		t.Fatalf("url 0: %s", p.State)
	}
	for _, name := range []string{"c1", "c2"} {
		if c := n.crawler(name); c.Disagreed != 1 || c.Earned != 0 {
			t.Fatalf("%s: %+v", name, c)
		}
	}
}

// End-of-block settlement is bounded: URLs due in the same block settle in
// queue order, as many per block as SettleWorkPerBlock allows.
func TestSettlementBoundedPerBlock(t *testing.T) {
	prm := data.DefaultParams()
	prm.SettleWorkPerBlock = 10
	n := newNet(t, 3, &prm)
	job := n.createJob(2, "http://site.test/0", "http://site.test/1", "http://site.test/2")
	due := n.page(job, 0).RevealBy
	n.c.NextBlocks(int(due - n.c.Height()))
	settled := func() (k int) {
		for i := uint64(0); i < 3; i++ {
			if n.page(job, i).State != data.StateOpen {
				k++
			}
		}
		return k
	}
	for want := 1; want <= 3; want++ {
		if got := settled(); got != want {
			t.Fatalf("at height %d: %d urls settled, want %d", n.c.Height(), got, want)
		}
		if want < 3 && n.page(job, uint64(want)).State != data.StateOpen {
			t.Fatalf("url %d settled before url %d", want, want-1)
		}
		n.c.NextBlocks(1)
	}
}

func TestPublishBuyAndProvenance(t *testing.T) {
	n := newNet(t, 3, nil)
	job := n.createJob(2, "http://site.test/", "http://site.test/2")
	h := func(s string) string { x := hash(s); return hex.EncodeToString(x[:]) }
	pub := data.Publish{Job: job, Name: "site", Root: h("root"), Manifest: h("manifest"), Shards: []string{h("shard")},
		Records: 1, Price: 100_000, Licence: "CC-BY-4.0"}
	n.c.MustFail(n.deliver("alice", data.MsgPublish, pub), data.CodeNoAcceptedPages)
	rs := map[string]data.Receipt{}
	for _, name := range n.assigned(job, 0) {
		rs[name] = receipt(job, "http://site.test/", "home")
	}
	n.crawl(job, 0, rs, n.assigned(job, 0))
	bad := pub
	bad.Records = 2
	n.c.MustFail(n.deliver("alice", data.MsgPublish, bad), data.CodeRecordMismatch)
	bad.Records = 0
	n.c.MustFail(n.deliver("alice", data.MsgPublish, bad), data.CodeRecordMismatch)
	bad = pub
	bad.Root = "nothex"
	n.c.MustFail(n.deliver("alice", data.MsgPublish, bad), data.CodeBadDataset)
	n.c.MustOK(n.deliver("alice", data.MsgPublish, pub))

	// Buying without funds fails and changes nothing.
	n.c.MustFail(n.deliver("poor", data.MsgBuy, data.Buy{Dataset: 1}), bank.CodeInsufficientFunds)
	n.c.MustFail(n.deliver("bob", data.MsgBuy, data.Buy{Dataset: 9}), data.CodeDatasetNotFound)
	var pu data.Purchase
	if err := n.c.Query("data/dataset/1/buyer/"+apptest.Addr("poor").String(), nil, &pu); err != nil || pu.Bought {
		t.Fatalf("poor bought: %+v %v", pu, err)
	}
	crawlers := n.assigned(job, 0)
	before := map[string]uint64{"alice": n.balance("alice")}
	for _, c := range crawlers {
		before[c] = n.balance(c)
	}
	treasury := n.b.ModuleBalance(n.c.Reader(), data.Treasury)
	n.c.MustOK(n.deliver("bob", data.MsgBuy, data.Buy{Dataset: 1}))
	n.c.MustFail(n.deliver("bob", data.MsgBuy, data.Buy{Dataset: 1}), data.CodeAlreadyBought)
	// 70% to the two crawlers (one page each: 35,000 each), 20% to alice,
	// 10% to the treasury (plus the fees the treasury collects anyway).
	for _, c := range crawlers {
		if got := n.balance(c) - before[c]; got != 35_000 {
			t.Fatalf("crawler %s got %d of the sale, want 35000", c, got)
		}
	}
	if got := n.balance("alice") - before["alice"]; got != 20_000 {
		t.Fatalf("requester got %d, want 20000", got)
	}
	if got := n.b.ModuleBalance(n.c.Reader(), data.Treasury) - treasury; got < 10_000 {
		t.Fatalf("treasury got %d, want at least 10000", got)
	}
	if err := n.c.Query("data/dataset/1/buyer/"+apptest.Addr("bob").String(), nil, &pu); err != nil || !pu.Bought || pu.Free {
		t.Fatalf("bob's purchase: %+v %v", pu, err)
	}
	var rd data.RootDatasets
	if err := n.c.Query("data/root/"+pub.Root, nil, &rd); err != nil || len(rd.Datasets) != 1 || rd.Datasets[0] != 1 {
		t.Fatalf("datasets with root: %+v %v", rd, err)
	}
	var pv data.Provenance
	if err := n.c.Query("data/provenance/1", nil, &pv); err != nil {
		t.Fatal(err)
	}
	if pv.Job.ID != job || pv.Dataset.Root != pub.Root || len(pv.Crawlers) != 2 || pv.Crawlers[0].Accepted != 1 {
		t.Fatalf("provenance %+v", pv)
	}
}

func TestSplitSaleConserves(t *testing.T) {
	prm := data.DefaultParams()
	for _, price := range []uint64{0, 1, 7, 999, 1_000_003, ^uint64(0)} {
		cs := []data.JobCrawler{{Accepted: 3}, {Accepted: 1}, {Accepted: 0}, {Accepted: 5}}
		s := data.SplitSale(price, cs, prm)
		sum := s.Requester + s.Treasury
		for _, x := range s.Shares {
			sum += x
		}
		if sum != price || s.Shares[2] != 0 || s.Shares[3] < s.Shares[0] {
			t.Fatalf("price %d split %+v sums to %d", price, s, sum)
		}
	}
}

// Over many pages with k=2, a liar (made-up hashes) and a free-rider
// (commits, never reveals) earn nothing and lose stake, while the two
// honest crawlers are paid for every page they shared: cheating does not
// pay, and the requester pays only for pages two honest crawlers agreed on.
func TestCheatersEarnNothing(t *testing.T) {
	n := newNet(t, 4, nil)
	var seeds []string
	for i := 0; i < 40; i++ {
		seeds = append(seeds, fmt.Sprintf("http://site.test/p%d", i))
	}
	res := n.deliver("alice", data.MsgCreateCrawl, data.CreateCrawl{
		Seeds: seeds, Hosts: []string{"site.test"}, MaxPages: 40, PricePerPage: 1_000, Budget: 40_000,
		DeadlineBlocks: 200, CommitBlocks: 10, RevealBlocks: 10, Licence: "CC-BY-4.0"})
	n.c.MustOK(res)
	const job = 1
	liar, rider := "c3", "c4"
	stake := n.crawler(liar).Stake
	commits := map[string][]data.CommitItem{}
	reveals := map[string][]data.RevealItem{}
	honestPairs := 0
	for i := uint64(0); i < 40; i++ {
		as := n.assigned(job, i)
		if !slices.Contains(as, liar) && !slices.Contains(as, rider) {
			honestPairs++
		}
		for _, name := range as {
			r := receipt(job, seeds[i], "text "+seeds[i])
			if name == liar {
				r = lie(job, seeds[i])
			}
			ci, ri := n.seal(name, i, r)
			commits[name] = append(commits[name], ci)
			if name != rider {
				reveals[name] = append(reveals[name], ri)
			}
		}
	}
	for _, name := range crawlerNames {
		if len(commits[name]) > 0 {
			n.c.MustOK(n.deliver(name, data.MsgCommitReceipts, data.CommitReceipts{Job: job, Items: commits[name]}))
		}
	}
	for _, name := range crawlerNames {
		if len(reveals[name]) > 0 {
			n.c.MustOK(n.deliver(name, data.MsgRevealReceipts, data.RevealReceipts{Job: job, Items: reveals[name]}))
		}
	}
	n.c.NextBlocks(int(n.page(job, 0).RevealBy - n.c.Height() + 1))
	j := n.job(job)
	if j.Open != 0 || j.Accepted != uint64(honestPairs) || j.Paid != uint64(honestPairs)*1_000 {
		t.Fatalf("job: %d open, %d accepted (honest pairs %d), paid %d", j.Open, j.Accepted, honestPairs, j.Paid)
	}
	for _, cheat := range []string{liar, rider} {
		c := n.crawler(cheat)
		if c.Earned != 0 || c.Stake >= stake || c.Reputation.Score >= 1000 {
			t.Fatalf("%s: earned %d, stake %d of %d, score %d", cheat, c.Earned, c.Stake, stake, c.Reputation.Score)
		}
		t.Logf("%s: stake %d -> %d, reputation %+v", cheat, stake, c.Stake, c.Reputation)
	}
	var honestEarned uint64
	for _, h := range []string{"c1", "c2"} {
		c := n.crawler(h)
		honestEarned += c.Earned
		if c.Slashed != 0 {
			t.Fatalf("honest %s slashed %d", h, c.Slashed)
		}
	}
	if honestEarned != j.Paid {
		t.Fatalf("honest crawlers earned %d, job paid %d", honestEarned, j.Paid)
	}
}
