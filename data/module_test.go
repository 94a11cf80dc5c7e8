package data_test

import (
	"crypto/sha256"
	"fmt"
	"testing"

	"emergence/app"
	"emergence/app/apptest"
	"emergence/bank"
	"emergence/data"
	"emergence/tx"
)

// net is a test chain with three registered crawlers and a funded
// requester, alice.
type net struct {
	t     testing.TB
	c     *apptest.Chain
	b     *bank.Bank
	names map[tx.Address]string
}

var crawlerNames = []string{"c1", "c2", "c3", "c4"}

func newNet(t testing.TB, crawlers int, prm *data.Params) *net {
	t.Helper()
	b := bank.New()
	bal := map[string]uint64{"alice": 100_000_000, "bob": 100_000_000, "poor": 150_000}
	for _, n := range crawlerNames {
		bal[n] = 10_000_000
	}
	g := apptest.Genesis{Balances: bal}
	if prm != nil {
		g.Modules = map[string]any{"data": data.Genesis{Params: *prm}}
	}
	n := &net{t: t, c: apptest.New(t, g, b, data.New(b)), b: b, names: map[tx.Address]string{}}
	for _, name := range crawlerNames[:crawlers] {
		n.names[apptest.Addr(name)] = name
		n.c.MustOK(n.c.Deliver(n.c.Sign(name, n.c.Msg(data.MsgRegisterCrawler, data.RegisterCrawler{Stake: 1_000_000})))[0])
	}
	return n
}

func (n *net) deliver(name string, kind string, v any) app.TxResult {
	n.t.Helper()
	return n.c.Deliver(n.c.SignWith(name, 10_000_000, n.c.Msg(kind, v)))[0]
}

func (n *net) job(id uint64) data.Job {
	n.t.Helper()
	var j data.Job
	if err := n.c.Query(fmt.Sprintf("data/job/%d", id), nil, &j); err != nil {
		n.t.Fatal(err)
	}
	return j
}

func (n *net) page(job, idx uint64) data.Page {
	n.t.Helper()
	var p data.Page
	if err := n.c.Query(fmt.Sprintf("data/job/%d/url/%d", job, idx), nil, &p); err != nil {
		n.t.Fatal(err)
	}
	return p
}

func (n *net) crawler(name string) data.CrawlerInfo {
	n.t.Helper()
	var c data.CrawlerInfo
	if err := n.c.Query("data/crawler/"+apptest.Addr(name).String(), nil, &c); err != nil {
		n.t.Fatal(err)
	}
	return c
}

func (n *net) balance(name string) uint64 { return n.b.Balance(n.c.Reader(), apptest.Addr(name)) }

// assigned returns the names of the crawlers assigned URL idx of job.
func (n *net) assigned(job, idx uint64) []string {
	var out []string
	for _, a := range n.page(job, idx).Crawlers {
		out = append(out, n.names[a])
	}
	return out
}

func hash(s string) [32]byte { return sha256.Sum256([]byte(s)) }

// receipt is what an honest crawler reports for a page with text text.
func receipt(job uint64, url, text string, links ...string) data.Receipt {
	return data.Receipt{Job: job, URL: url, FinalURL: url, Status: 200, ContentType: "text/html",
		BodyHash: hash("body " + url), TextHash: hash(text), WARC: hash("warc " + url), Links: links}
}

func salt(name string, idx uint64) [32]byte { return hash(fmt.Sprintf("salt %s %d", name, idx)) }

func (n *net) seal(name string, idx uint64, r data.Receipt) (data.CommitItem, data.RevealItem) {
	n.t.Helper()
	ci, ri, err := data.Seal(r, idx, salt(name, idx), apptest.Addr(name))
	if err != nil {
		n.t.Fatal(err)
	}
	return ci, ri
}

func (n *net) commit(name string, job, idx uint64, r data.Receipt) app.TxResult {
	n.t.Helper()
	ci, _ := n.seal(name, idx, r)
	return n.deliver(name, data.MsgCommitReceipts, data.CommitReceipts{Job: job, Items: []data.CommitItem{ci}})
}

func (n *net) reveal(name string, job, idx uint64, r data.Receipt) app.TxResult {
	n.t.Helper()
	_, ri := n.seal(name, idx, r)
	return n.deliver(name, data.MsgRevealReceipts, data.RevealReceipts{Job: job, Items: []data.RevealItem{ri}})
}

// crawl has every named crawler commit and then reveal r for URL idx.
func (n *net) crawl(job, idx uint64, rs map[string]data.Receipt, order []string) {
	n.t.Helper()
	for _, name := range order {
		n.c.MustOK(n.commit(name, job, idx, rs[name]))
	}
	for _, name := range order {
		n.c.MustOK(n.reveal(name, job, idx, rs[name]))
	}
}

func (n *net) createJob(k uint32, seeds ...string) uint64 {
	n.t.Helper()
	res := n.deliver("alice", data.MsgCreateCrawl, data.CreateCrawl{
		Seeds: seeds, Hosts: []string{"site.test"}, MaxDepth: 2, MaxPages: 10, K: k,
		PricePerPage: 1_000, Budget: 10_000, DeadlineBlocks: 100, CommitBlocks: 20, RevealBlocks: 20, Licence: "CC-BY-4.0"})
	n.c.MustOK(res)
	var last uint64
	for id := uint64(1); ; id++ {
		var j data.Job
		if err := n.c.Query(fmt.Sprintf("data/job/%d", id), nil, &j); err != nil {
			return last
		}
		last = id
	}
}

func TestCrawlAcceptPayAndRefund(t *testing.T) {
	n := newNet(t, 3, nil)
	aliceBefore := n.balance("alice")
	job := n.createJob(2, "http://site.test/")
	as := n.assigned(job, 0)
	if len(as) != 2 || as[0] == as[1] {
		t.Fatalf("url 0 assigned to %v, want 2 distinct crawlers", as)
	}
	links := []string{"http://site.test/b", "http://site.test/a", "http://other.test/x", "http://site.test/a#frag"}
	rs := map[string]data.Receipt{}
	for _, name := range as {
		r := receipt(job, "http://site.test/", "home page text", links...)
		r.BodyHash = hash("dynamic body of " + name) // raw bytes differ, text agrees
		rs[name] = r
	}
	before := map[string]uint64{as[0]: n.balance(as[0]), as[1]: n.balance(as[1])}
	n.crawl(job, 0, rs, as)
	p := n.page(job, 0)
	if p.State != data.StateAccepted || len(p.Agreed) != 2 || p.Links != 2 {
		t.Fatalf("url 0: state %s, %d agreed, %d links; want accepted, 2, 2", p.State, len(p.Agreed), p.Links)
	}
	j := n.job(job)
	if j.URLs != 3 || j.Accepted != 1 || j.Paid != 1_000 || j.Reserved != 2_000 {
		t.Fatalf("job: %d urls, %d accepted, paid %d, reserved %d", j.URLs, j.Accepted, j.Paid, j.Reserved)
	}
	for _, name := range as {
		// Each agreeing crawler gets half the price (less its tx fees).
		if got := n.crawler(name); got.Earned != 500 || got.Agreed != 1 || got.Reputation.Score != 1000 {
			t.Fatalf("%s: earned %d, agreed %d, score %d", name, got.Earned, got.Agreed, got.Reputation.Score)
		}
		if n.balance(name) > before[name]+500 {
			t.Fatalf("%s gained more than its share", name)
		}
	}
	// The new URLs are listed by state and in their crawlers' assignments.
	var pages data.Pages
	if err := n.c.Query(fmt.Sprintf("data/job/%d/urls", job), map[string][]string{"state": {"open"}}, &pages); err != nil {
		t.Fatal(err)
	}
	if len(pages.Pages) != 2 || pages.Pages[0].URL != "http://site.test/a" || pages.Pages[0].Depth != 1 {
		t.Fatalf("open urls %+v", pages.Pages)
	}
	var asg data.Assignments
	if err := n.c.Query("data/assignments/"+apptest.Addr(as[0]).String(), nil, &asg); err != nil {
		t.Fatal(err)
	}
	if len(asg.Assignments) == 0 || asg.Assignments[0].URL != "http://site.test/" || asg.Assignments[0].Commits != 2 || asg.Assignments[0].Crawlers != 2 {
		t.Fatalf("assignments of %s: %+v", as[0], asg.Assignments)
	}
	// Nobody fetches the new URLs: at the end of their windows they are
	// missed, and at the deadline alice gets every unpaid uemg back.
	n.c.NextBlocks(int(j.Deadline - n.c.Height() + 1))
	j = n.job(job)
	if !j.Closed || j.Missed != 2 || j.Refunded != 9_000 || j.Reserved != 0 {
		t.Fatalf("closed job: closed %v, missed %d, refunded %d, reserved %d", j.Closed, j.Missed, j.Refunded, j.Reserved)
	}
	if got := n.balance("alice"); got != aliceBefore-1_000-n.c.App.Params().MinFee(10_000_000) {
		t.Fatalf("alice has %d, want %d less the fee", got, aliceBefore-1_000)
	}
}

func TestCreateCrawlBadInput(t *testing.T) {
	n := newNet(t, 1, nil)
	ok := data.CreateCrawl{Seeds: []string{"http://site.test/"}, Hosts: []string{"site.test"}, MaxPages: 10,
		PricePerPage: 1_000, Budget: 10_000, DeadlineBlocks: 100, Licence: "CC0-1.0"}
	// One crawler cannot serve k=2.
	n.c.MustFail(n.deliver("alice", data.MsgCreateCrawl, ok), data.CodeFewCrawlers)
	n.c.MustOK(n.deliver("c2", data.MsgRegisterCrawler, data.RegisterCrawler{Stake: 1_000_000}))
	n.c.MustFail(n.deliver("c3", data.MsgRegisterCrawler, data.RegisterCrawler{Stake: 10}), data.CodeLowStake)
	for name, mut := range map[string]func(m *data.CreateCrawl){
		"out of scope":  func(m *data.CreateCrawl) { m.Seeds = []string{"http://elsewhere.test/"} },
		"malformed url": func(m *data.CreateCrawl) { m.Seeds = []string{"ftp://site.test/"} },
		"duplicate":     func(m *data.CreateCrawl) { m.Seeds = []string{"http://site.test/", "http://SITE.test:80/#x"} },
	} {
		m := ok
		mut(&m)
		if r := n.deliver("alice", data.MsgCreateCrawl, m); r.Code == 0 || r.Codespace != data.Name {
			t.Fatalf("%s: code %d %s, want a data code", name, r.Code, r.Log)
		} else if r.Code != data.CodeBadURL.Num {
			t.Fatalf("%s: %s", name, r.Log)
		}
	}
	for name, mut := range map[string]func(m *data.CreateCrawl){
		"no licence":     func(m *data.CreateCrawl) { m.Licence = "" },
		"k too large":    func(m *data.CreateCrawl) { m.K = 99 },
		"zero price":     func(m *data.CreateCrawl) { m.PricePerPage = 0 },
		"short deadline": func(m *data.CreateCrawl) { m.DeadlineBlocks = 3 },
		"no pages":       func(m *data.CreateCrawl) { m.MaxPages = 0 },
	} {
		m := ok
		mut(&m)
		n.c.MustFail(n.deliver("alice", data.MsgCreateCrawl, m), data.CodeBadJob)
		_ = name
	}
	small := ok
	small.Budget = 10
	n.c.MustFail(n.deliver("alice", data.MsgCreateCrawl, small), data.CodeBudgetTooSmall)
	poor := ok
	poor.Budget = 1_000_000
	r := n.deliver("poor", data.MsgCreateCrawl, poor)
	if r.Code == 0 {
		t.Fatal("a job without the funds for its budget was created")
	}
	n.c.ResyncNonce("poor")
	n.c.MustOK(n.deliver("alice", data.MsgCreateCrawl, ok))
}

// A crawler's stake is never frozen: it withdraws down to the minimum
// while active, and everything once it left and its assignments settled.
func TestWithdrawStake(t *testing.T) {
	n := newNet(t, 3, nil)
	n.c.MustOK(n.deliver("c1", data.MsgRegisterCrawler, data.RegisterCrawler{Stake: 500_000}))
	n.c.MustFail(n.deliver("c1", data.MsgWithdraw, data.Withdraw{Amount: 600_000}), data.CodeStakeLocked)
	n.c.MustOK(n.deliver("c1", data.MsgWithdraw, data.Withdraw{Amount: 500_000}))
	n.c.MustOK(n.deliver("c1", data.MsgUnregister, data.Unregister{}))
	n.c.MustFail(n.deliver("c1", data.MsgUnregister, data.Unregister{}), data.CodeCrawlerNotActive)
	var act data.Active
	if err := n.c.Query("data/crawlers", nil, &act); err != nil || len(act.Crawlers) != 2 {
		t.Fatalf("active set %v %v", act.Crawlers, err)
	}
	n.c.MustFail(n.deliver("c1", data.MsgWithdraw, data.Withdraw{Amount: 1_000_000}), data.CodeStakeLocked)
	c := n.crawler("c1")
	n.c.NextBlocks(int(c.ReleaseAt - n.c.Height()))
	before := n.balance("c1")
	n.c.MustOK(n.deliver("c1", data.MsgWithdraw, data.Withdraw{Amount: 1_000_000}))
	if got := n.balance("c1"); got+n.c.App.Params().MinFee(10_000_000) != before+1_000_000 {
		t.Fatalf("c1 has %d after withdrawing, had %d", got, before)
	}
	// Back in with fresh stake.
	n.c.MustOK(n.deliver("c1", data.MsgRegisterCrawler, data.RegisterCrawler{Stake: 1_000_000}))
	if !n.crawler("c1").Active {
		t.Fatal("re-registered crawler is not active")
	}
}

func TestQueriesBadInput(t *testing.T) {
	n := newNet(t, 2, nil)
	job := n.createJob(2, "http://site.test/")
	var v any
	for path, want := range map[string]error{
		"data/job/x":                          nil,
		"data/job/99":                         nil,
		fmt.Sprintf("data/job/%d/url/5", job): nil,
		"data/crawler/notanaddress":           nil,
		"data/root/abcd":                      nil,
		"data/dataset/1":                      nil,
		"data/nothing":                        nil,
	} {
		_ = want
		if err := n.c.Query(path, nil, &v); err == nil {
			t.Fatalf("%s answered %v", path, v)
		}
	}
	if err := n.c.Query(fmt.Sprintf("data/job/%d/urls", job), map[string][]string{"state": {"weird"}}, &v); err == nil {
		t.Fatal("unknown state accepted")
	}
	if err := n.c.Query(fmt.Sprintf("data/job/%d/urls", job), map[string][]string{"limit": {"1000"}}, &v); err == nil {
		t.Fatal("limit above the page size accepted")
	}
	var jobs data.Jobs
	if err := n.c.Query("data/jobs", nil, &jobs); err != nil || len(jobs.Jobs) != 1 {
		t.Fatalf("jobs %+v %v", jobs, err)
	}
}
