package shard_test

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"emergence/data/shard"
)

func records(n int) []shard.Record {
	var out []shard.Record
	for i := n - 1; i >= 0; i-- { // reversed: Build must sort
		out = append(out, shard.Record{
			ID: fmt.Sprintf("r%03d", i), URL: fmt.Sprintf("http://example.com/%d", i),
			Text: fmt.Sprintf("page %d text", i), Language: "en", LanguageScore: 990000,
			FetchedAt: int64(10 + i), TextHash: "th", WARCBlob: "wb",
			Crawlers: []string{"emg1a", "emg1b"}, Licence: "CC-BY-4.0",
		})
	}
	return out
}

func TestBuildDeterministic(t *testing.T) {
	a, err := shard.Build(records(7), 3, "CC-BY-4.0", 3)
	if err != nil {
		t.Fatal(err)
	}
	b, err := shard.Build(records(7), 3, "CC-BY-4.0", 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Shards) != 3 || a.Manifest.Records != 7 {
		t.Fatalf("got %d shards, %d records", len(a.Shards), a.Manifest.Records)
	}
	for i := range a.Shards {
		if !bytes.Equal(a.Shards[i], b.Shards[i]) {
			t.Fatalf("shard %d differs between builds", i)
		}
	}
	if a.Manifest.Root != b.Manifest.Root {
		t.Fatal("roots differ")
	}
	recs, err := shard.Check(a.Manifest, a.Shards)
	if err != nil {
		t.Fatal(err)
	}
	if recs[0].ID != "r000" || recs[6].ID != "r006" || recs[6].Crawlers[1] != "emg1b" {
		t.Fatalf("round trip: %+v", recs)
	}
}

func TestProveVerify(t *testing.T) {
	for n := 1; n <= 9; n++ {
		recs := records(n)
		shard.Sort(recs)
		leaves := shard.Leaves(recs)
		root := shard.Root(leaves)
		rootHex := fmt.Sprintf("%x", root)
		for i := 0; i < n; i++ {
			p, err := shard.Prove(leaves, i)
			if err != nil {
				t.Fatal(err)
			}
			if err := shard.Verify(p, &recs[i], rootHex); err != nil {
				t.Fatalf("n=%d i=%d: %v", n, i, err)
			}
			other := recs[(i+1)%n]
			if n > 1 {
				if err := shard.Verify(p, &other, rootHex); err == nil {
					t.Fatalf("n=%d i=%d: proof accepted for another record", n, i)
				}
			}
			if len(p.Path) > 0 {
				p.Path = p.Path[:len(p.Path)-1]
				if err := shard.Verify(p, &recs[i], rootHex); err == nil {
					t.Fatalf("n=%d i=%d: truncated proof accepted", n, i)
				}
			}
		}
	}
	if _, err := shard.Prove(shard.Leaves(records(2)), 2); err == nil {
		t.Fatal("out-of-range record proven")
	}
}

func TestCheckRefusesWrongRoot(t *testing.T) {
	d, err := shard.Build(records(4), 1, "x", 2)
	if err != nil {
		t.Fatal(err)
	}
	m := d.Manifest
	m.Root = fmt.Sprintf("%064x", 1)
	if _, err := shard.Check(m, d.Shards); !errors.Is(err, shard.ErrRootMismatch) {
		t.Fatalf("wrong root: got %v", err)
	}
	d.Shards[1] = append([]byte(nil), d.Shards[0]...)
	if _, err := shard.Check(d.Manifest, d.Shards); err == nil {
		t.Fatal("swapped shard accepted")
	}
}
