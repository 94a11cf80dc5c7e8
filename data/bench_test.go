package data_test

import (
	"fmt"
	"testing"
	"time"

	"emergence/app/apptest"
	"emergence/bank"
	"emergence/data"
)

// BenchmarkAcceptPages runs the chain's side of a crawl of 2,048 pages by
// three crawlers with k=2 through the real app: the job, every crawler's
// batched commits and reveals (each page carrying 16 links, already seen),
// and reports accepted pages per second of block execution.
func BenchmarkAcceptPages(b *testing.B) {
	const pages = 2048
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		bk := bank.New()
		bal := map[string]uint64{"alice": 1_000_000_000}
		for _, n := range crawlerNames[:3] {
			bal[n] = 100_000_000
		}
		c := apptest.New(b, apptest.Genesis{Balances: bal}, bk, data.New(bk))
		for _, n := range crawlerNames[:3] {
			c.MustOK(c.Deliver(c.Sign(n, c.Msg(data.MsgRegisterCrawler, data.RegisterCrawler{Stake: 1_000_000})))[0])
		}
		var urls []string
		for p := 0; p < pages; p++ {
			urls = append(urls, fmt.Sprintf("http://site.test/doc/%04d.html", p))
		}
		var elapsed time.Duration
		deliver := func(txs ...[]byte) {
			t0 := time.Now()
			for _, r := range c.Deliver(txs...) {
				c.MustOK(r)
			}
			elapsed += time.Since(t0)
		}
		deliver(c.SignWith("alice", 50_000_000, c.Msg(data.MsgCreateCrawl, data.CreateCrawl{Seeds: urls[:data.MaxSeeds],
			Hosts: []string{"site.test"}, MaxDepth: 1, MaxPages: pages, PricePerPage: 1_000, Budget: pages * 1_000,
			DeadlineBlocks: 1_000, Licence: "CC-BY-4.0"})))
		for s := data.MaxSeeds; s < pages; s += data.MaxSeeds {
			deliver(c.SignWith("alice", 50_000_000, c.Msg(data.MsgAddURLs, data.AddURLs{Job: 1, URLs: urls[s : s+data.MaxSeeds]})))
		}
		commits := map[string][]data.CommitItem{}
		reveals := map[string][]data.RevealItem{}
		for p := 0; p < pages; p++ {
			var pg data.Page
			if err := c.Query(fmt.Sprintf("data/job/1/url/%d", p), nil, &pg); err != nil {
				b.Fatal(err)
			}
			r := receipt(1, pg.URL, "text of "+pg.URL, urls[(p+1)%pages:min(pages, (p+1)%pages+16)]...)
			for _, a := range pg.Crawlers {
				name := ""
				for _, n := range crawlerNames[:3] {
					if apptest.Addr(n) == a {
						name = n
					}
				}
				ci, ri, err := data.Seal(r, uint64(p), salt(name, uint64(p)), a)
				if err != nil {
					b.Fatal(err)
				}
				commits[name] = append(commits[name], ci)
				reveals[name] = append(reveals[name], ri)
			}
		}
		b.StartTimer()
		for off := 0; ; off += data.MaxBatch {
			var txs [][]byte
			for _, n := range crawlerNames[:3] {
				if off < len(commits[n]) {
					items := commits[n][off:min(len(commits[n]), off+data.MaxBatch)]
					txs = append(txs, c.SignWith(n, 10_000_000, c.Msg(data.MsgCommitReceipts, data.CommitReceipts{Job: 1, Items: items})))
				}
			}
			if len(txs) == 0 {
				break
			}
			deliver(txs...)
		}
		for off := 0; ; off += 128 {
			var txs [][]byte
			for _, n := range crawlerNames[:3] {
				if off < len(reveals[n]) {
					items := reveals[n][off:min(len(reveals[n]), off+128)]
					txs = append(txs, c.SignWith(n, 50_000_000, c.Msg(data.MsgRevealReceipts, data.RevealReceipts{Job: 1, Items: items})))
				}
			}
			if len(txs) == 0 {
				break
			}
			deliver(txs...)
		}
		var j data.Job
		if err := c.Query("data/job/1", nil, &j); err != nil {
			b.Fatal(err)
		}
		if j.Accepted != pages {
			b.Fatalf("%d of %d pages accepted", j.Accepted, pages)
		}
		b.ReportMetric(float64(pages)/elapsed.Seconds(), "pages/s")
	}
}
