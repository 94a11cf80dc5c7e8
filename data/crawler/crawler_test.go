package crawler_test

import (
	"fmt"
	"strings"
	"testing"

	"emergence/data"
	"emergence/data/crawl"
	"emergence/data/crawler"
)

// TestReceiptIsCanonical checks the receipt two honest crawlers of one page build: links
// normalised, in scope, sorted and cut to the chain's bound in the same way whatever
// order the page listed them in, no links at the job's depth, no text hash on a skip,
// and an over-long content type cut to its media type.
func TestReceiptIsCanonical(t *testing.T) {
	j := data.Job{ID: 7, Hosts: []string{"127.0.0.1:8080"}, MaxDepth: 2}
	a := data.Assignment{Job: 7, Index: 3, URL: "http://127.0.0.1:8080/a.html", Depth: 1}
	var links, reversed []string
	for i := 0; i < 100; i++ {
		links = append(links, fmt.Sprintf("http://127.0.0.1:8080/p%03d.html#frag", i))
	}
	links = append(links, "http://elsewhere.example/x.html", "http://127.0.0.1:8080/./p000.html")
	for i := len(links) - 1; i >= 0; i-- {
		reversed = append(reversed, links[i])
	}
	res := crawl.Result{URL: a.URL, FinalURL: "HTTP://127.0.0.1:8080/a.html", Status: 200,
		ContentType: "text/html; charset=utf-8; " + strings.Repeat("x=y; ", 40), TextHash: [32]byte{1}, BodyHash: [32]byte{2}, Links: links}
	r1 := crawler.Receipt(j, a, res)
	res.Links = reversed
	r2 := crawler.Receipt(j, a, res)
	if strings.Join(r1.Links, " ") != strings.Join(r2.Links, " ") {
		t.Fatal("link order on the page changed the receipt")
	}
	if len(r1.Links) != data.MaxLinksPerReceipt || r1.Links[0] != "http://127.0.0.1:8080/p000.html" {
		t.Fatalf("links %d, first %q", len(r1.Links), r1.Links[0])
	}
	for _, l := range r1.Links {
		if strings.Contains(l, "elsewhere") || strings.Contains(l, "#") {
			t.Fatalf("link %q kept", l)
		}
	}
	if r1.FinalURL != "http://127.0.0.1:8080/a.html" || r1.ContentType != "text/html" {
		t.Fatalf("final url %q content type %q", r1.FinalURL, r1.ContentType)
	}
	c, err := r1.Canonical()
	if err != nil {
		t.Fatalf("receipt the chain would refuse: %v", err)
	}
	if strings.Join(c.Links, " ") != strings.Join(r1.Links, " ") {
		t.Fatal("receipt links are not already canonical")
	}
	a.Depth = 2
	if r := crawler.Receipt(j, a, res); len(r.Links) != 0 {
		t.Fatalf("links at the job's depth: %d", len(r.Links))
	}
	res.Reason = crawl.ReasonRobots
	if r := crawler.Receipt(j, a, res); r.TextHash != ([32]byte{}) || r.Skip != "robots-disallowed" || len(r.Links) != 0 {
		t.Fatalf("skipped receipt %+v", r)
	}
}
