package builder_test

import (
	"reflect"
	"strings"
	"testing"

	"emergence/data/builder"
	"emergence/data/clean"
	"emergence/data/shard"
)

// TestClean keeps a page of prose, drops its near duplicate and a navigation stub, and keeps
// the kept record byte for byte, so its text still hashes to the agreed text hash.
func TestClean(t *testing.T) {
	text := strings.Join([]string{
		"The crawler fetched this page from a small site that documents how a package manager installs and removes software on a computer.",
		"Each command in the manual is explained with an example, and the examples show what the program prints when it finishes its work.",
		"When a package depends on another one, the tool finds the missing parts first and asks the user before it changes anything on the disk.",
		"People who maintain servers read these pages often, because a wrong option can remove a library that many other programs still need.",
		"The last section of the manual lists the files the tool reads at start-up and the order in which their settings are applied.",
		"A reader who wants more detail can follow the links at the bottom of the page to the longer guides written by the same team.",
	}, "\n")
	page := shard.Record{ID: "1-0000000000", URL: "http://site.test/go_mem.html", Text: text, TextHash: "h0", Crawlers: []string{"a", "b"}}
	dup := page
	dup.ID, dup.URL, dup.TextHash = "1-0000000001", "http://site.test/copy.html", "h1"
	stub := shard.Record{ID: "1-0000000002", URL: "http://site.test/nav.html", Text: "Home | Login | Contact", TextHash: "h2"}

	kept, counts := builder.Clean([]shard.Record{page, dup, stub}, clean.Options{})
	if len(kept) != 1 || !reflect.DeepEqual(kept[0], page) {
		t.Fatalf("kept %d records %+v, want the page unchanged", len(kept), kept)
	}
	by := map[string]int{}
	for _, c := range counts {
		by[c.Filter] = c.N
	}
	if by["kept"] != 1 || by["minhash"] != 1 {
		t.Errorf("counts %v: want 1 kept and the copy removed as a near duplicate", counts)
	}
	rejected := 0
	for _, c := range counts {
		if c.Filter != "kept" {
			rejected += c.N
		}
	}
	if rejected != 2 {
		t.Errorf("counts %v: want 2 rejected", counts)
	}
	// The same input gives the same output.
	again, _ := builder.Clean([]shard.Record{page, dup, stub}, clean.Options{})
	if !reflect.DeepEqual(again, kept) {
		t.Error("a second run kept other records")
	}
	// A language filter that excludes the page keeps nothing.
	if none, _ := builder.Clean([]shard.Record{page}, clean.Options{Languages: []string{"fr"}}); len(none) != 0 {
		t.Errorf("--languages fr kept %d English records", len(none))
	}
}
