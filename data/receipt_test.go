package data_test

import (
	"bytes"
	"fmt"
	"testing"

	"emergence/data"
)

func TestNormalizeURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"HTTP://Example.COM", "http://example.com/"},
		{"https://example.com:443/a/./b/../c#frag", "https://example.com/a/c"},
		{"http://example.com:8080/x?q=1", "http://example.com:8080/x?q=1"},
	} {
		got, err := data.NormalizeURL(tc.in)
		if err != nil {
			t.Fatalf("NormalizeURL(%q): %v", tc.in, err)
		}
		if got != tc.want {
			t.Fatalf("NormalizeURL(%q)=%q, want %q", tc.in, got, tc.want)
		}
	}
	for _, bad := range []string{"", "ftp://example.com/", "/relative", "http://user@example.com/", "mailto:a@b"} {
		if _, err := data.NormalizeURL(bad); err == nil {
			t.Fatalf("NormalizeURL(%q) accepted", bad)
		}
	}
}

func TestScope(t *testing.T) {
	s := data.Scope{Hosts: []string{"example.com"}, PathPrefixes: []string{"/docs/"}, MaxDepth: 2}
	if !s.InScope("http://example.com/docs/a", 2) {
		t.Fatal("in-scope url refused")
	}
	if s.InScope("http://example.com/docs/a", 3) {
		t.Fatal("url past max depth accepted")
	}
	if s.InScope("http://other.com/docs/a", 0) {
		t.Fatal("other host accepted")
	}
	if s.InScope("http://example.com/blog/a", 0) {
		t.Fatal("other path accepted")
	}
}

func TestCommitmentBindsCrawler(t *testing.T) {
	r, err := data.Receipt{Job: 1, URL: "http://example.com/", Status: 200, Links: []string{"http://example.com/b", "http://EXAMPLE.com/b"}}.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Links) != 1 {
		t.Fatalf("links not deduplicated: %v", r.Links)
	}
	var salt [32]byte
	a := data.Commitment(r, salt, []byte("alice"))
	b := data.Commitment(r, salt, []byte("bob"))
	if a == b {
		t.Fatal("a commitment copied to another crawler opens for it")
	}
	r2 := r
	r2.TextHash[0] = 1
	if data.Commitment(r2, salt, []byte("alice")) == a {
		t.Fatal("commitment does not bind the text hash")
	}
}

func TestAssign(t *testing.T) {
	crawlers := [][]byte{[]byte("a"), []byte("b"), []byte("c"), []byte("d")}
	block := bytes.Repeat([]byte{7}, 32)
	got := data.Assign(block, 1, "http://example.com/", crawlers, 2)
	if len(got) != 2 || got[0] == got[1] {
		t.Fatalf("Assign=%v, want 2 distinct crawlers", got)
	}
	again := data.Assign(block, 1, "http://example.com/", crawlers, 2)
	if got[0] != again[0] || got[1] != again[1] {
		t.Fatal("Assign not deterministic")
	}
	if n := len(data.Assign(block, 1, "http://example.com/", crawlers, 9)); n != 4 {
		t.Fatalf("k above crawler count gave %d, want 4", n)
	}
	// Over many URLs every crawler gets work.
	seen := map[int]int{}
	for i := 0; i < 64; i++ {
		for _, c := range data.Assign(block, 1, "http://example.com/"+string(rune('a'+i%26))+string(rune('a'+i/26)), crawlers, 2) {
			seen[c]++
		}
	}
	if len(seen) != 4 {
		t.Fatalf("assignment skips crawlers: %v", seen)
	}
}

// TestFrozen pins the assignment and commitment bytes: both are consensus,
// so a change to either must be a deliberate, versioned one.
func TestFrozen(t *testing.T) {
	crawlers := [][]byte{[]byte("a"), []byte("b"), []byte("c"), []byte("d")}
	if got := data.Assign(bytes.Repeat([]byte{7}, 32), 1, "http://example.com/", crawlers, 2); len(got) != 2 || got[0] != 0 || got[1] != 2 {
		t.Fatalf("Assign=%v, want [0 2]", got)
	}
	c := data.Commitment(data.Receipt{Job: 1, URL: "http://example.com/", Status: 200}, [32]byte{}, []byte("alice"))
	if got, want := fmt.Sprintf("%x", c), "fd1b7a8e2d49c321f2f5d4f7dbc5d4eab16b4b1022dc993823a14bef91e40ed9"; got != want {
		t.Fatalf("Commitment=%s, want %s", got, want)
	}
}
