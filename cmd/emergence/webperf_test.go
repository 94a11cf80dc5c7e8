package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"emergence/data"
)

// TestWebDataJobsPaged holds the data page to one list query a page: with
// 51 crawl jobs it shows jobs 1 to 50 (against data/jobs) and a link to
// the rest, which shows job 51 alone.
func TestWebDataJobsPaged(t *testing.T) {
	l := startLinkedNet(t, "c1")
	l.do("c1", data.MsgRegisterCrawler, data.RegisterCrawler{Stake: 1_000_000})
	for i := 1; i <= 51; i++ {
		host := fmt.Sprintf("site%d.test", i)
		l.do("alice", data.MsgCreateCrawl, data.CreateCrawl{Seeds: []string{"http://" + host + "/"}, Hosts: []string{host},
			MaxDepth: 1, MaxPages: 1, K: 1, PricePerPage: 1_000, Budget: 10_000, DeadlineBlocks: 400, CommitBlocks: 100,
			RevealBlocks: 100, Licence: "CC-BY-4.0"})
	}
	var first data.Jobs
	if err := l.net.Client.Query(l.ctx, "data", "jobs", map[string][]string{"limit": {"50"}}, &first); err != nil {
		t.Fatal(err)
	}
	if len(first.Jobs) != 50 || first.Next != 50 {
		t.Fatalf("data/jobs?limit=50: %d jobs, next %d; want 50 and next 50", len(first.Jobs), first.Next)
	}
	b := newBrowser(t)
	b.run("open the data market", chromedp.Navigate(l.base+"/data"))
	b.waitText("#crawl-jobs", "site50.test")
	if n := eval[int](b, `document.querySelectorAll("#crawl-jobs tbody tr").length`); n != 50 {
		t.Errorf("the first page shows %d crawl jobs, want 50", n)
	}
	if got := b.text("#crawl-jobs"); strings.Contains(got, "site51.test") {
		t.Errorf("the first page shows job 51: %.200s", got)
	}
	b.shot("market-data-paged")
	b.follow("more crawl jobs", `a[href="/data?jobs_after=50"]`)
	b.waitText("#crawl-jobs", "site51.test")
	if n := eval[int](b, `document.querySelectorAll("#crawl-jobs tbody tr").length`); n != 1 {
		t.Errorf("the second page shows %d crawl jobs, want 1", n)
	}
	if n := eval[int](b, `document.querySelectorAll('a[href^="/data?jobs_after="]').length`); n != 0 {
		t.Errorf("the last page links to %d more pages", n)
	}
}
