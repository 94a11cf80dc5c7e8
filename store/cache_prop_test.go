package store_test

import (
	"bytes"
	"fmt"
	"math/rand"
	"slices"
	"testing"

	"emergence/store"
)

// propKey draws keys of 0 to 3 bytes from a small alphabet that includes
// 0x00 and 0xff, so keys collide often, prefixes of each other meet, and
// PrefixEnd's carry and no-end cases come up.
func propKey(r *rand.Rand) []byte {
	alphabet := []byte{0x00, 'a', 'b', 0xff}
	k := make([]byte, r.Intn(4))
	for i := range k {
		k[i] = alphabet[r.Intn(len(alphabet))]
	}
	return k
}

// propBounds draws an iteration range: a nil, random or prefix start and a
// nil, random or prefix end.
func propBounds(r *rand.Rand) (start, end []byte) {
	switch r.Intn(3) {
	case 0:
		start = nil
	case 1:
		start = propKey(r)
	default:
		start = propKey(r)
		end = store.PrefixEnd(start)
		return start, end
	}
	if r.Intn(3) > 0 {
		end = propKey(r)
	}
	return start, end
}

type kvPair struct{ k, v []byte }

// collect runs Iterate and returns the pairs it visited, stopping after
// stop pairs (never when stop is 0).
func collect(rd store.Reader, start, end []byte, stop int) []kvPair {
	var out []kvPair
	rd.Iterate(start, end, func(k, v []byte) bool {
		out = append(out, kvPair{bytes.Clone(k), bytes.Clone(v)})
		return stop == 0 || len(out) < stop
	})
	return out
}

// checkSame compares got with the reference want over the whole key space,
// over a random range with a random early stop, and at a random key.
func checkSame(t *testing.T, r *rand.Rand, step string, got store.Reader, want *memReader) {
	t.Helper()
	g, w := collect(got, nil, nil, 0), collect(want, nil, nil, 0)
	if !pairsEqual(g, w) {
		t.Fatalf("%s: full iteration\n got %q\nwant %q", step, g, w)
	}
	for i := 0; i < 3; i++ {
		start, end := propBounds(r)
		stop := r.Intn(4)
		g, w := collect(got, start, end, stop), collect(want, start, end, stop)
		if !pairsEqual(g, w) {
			t.Fatalf("%s: Iterate(%q, %q) stopping after %d\n got %q\nwant %q", step, start, end, stop, g, w)
		}
	}
	k := propKey(r)
	if g, w := got.Get(k), want.Get(k); !bytes.Equal(g, w) || (g == nil) != (w == nil) {
		t.Fatalf("%s: Get(%q) = %q, want %q", step, k, g, w)
	}
}

func pairsEqual(a, b []kvPair) bool {
	return slices.EqualFunc(a, b, func(x, y kvPair) bool {
		return bytes.Equal(x.k, y.k) && bytes.Equal(x.v, y.v)
	})
}

// staged is the test's own record of a cache level's writes, to check
// Cache.Writes (the app hash's input) against.
type staged struct {
	keys []string
	ws   map[string]store.Write
}

func newStaged() *staged { return &staged{ws: map[string]store.Write{}} }

func (s *staged) put(w store.Write) {
	if _, ok := s.ws[string(w.Key)]; !ok {
		s.keys = append(s.keys, string(w.Key))
	}
	s.ws[string(w.Key)] = w
}

func (s *staged) writes() []store.Write {
	keys := slices.Clone(s.keys)
	slices.Sort(keys)
	out := make([]store.Write, len(keys))
	for i, k := range keys {
		out[i] = s.ws[k]
	}
	return out
}

func checkWrites(t *testing.T, step string, c *store.Cache, s *staged) {
	t.Helper()
	got, want := c.Writes(), s.writes()
	if c.Len() != len(want) || len(got) != len(want) {
		t.Fatalf("%s: %d writes (Len %d), want %d", step, len(got), c.Len(), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if !bytes.Equal(g.Key, w.Key) || g.Deleted != w.Deleted || (!w.Deleted && !bytes.Equal(g.Value, w.Value)) {
			t.Fatalf("%s: write %d is %+v, want %+v", step, i, g, w)
		}
	}
}

// TestCacheAgainstReference applies random sets, deletes, flushes and
// discards to a transaction's cache over a block's cache over a memory
// parent (the app's layering) and after every operation compares both
// caches with plain sorted lists holding what each level should show:
// full and bounded iterations with early stops, point reads, and the
// staged writes the app hash is taken over.
func TestCacheAgainstReference(t *testing.T) {
	for seed := int64(1); seed <= 40; seed++ {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			r := rand.New(rand.NewSource(seed))
			var err error
			parent := newMemReader()
			for i := 0; i < r.Intn(30); i++ {
				parent.set(propKey(r), []byte(fmt.Sprint("p", i)))
			}
			block := store.NewCache(parent, &err)
			tx := store.NewCache(block, &err)
			blockRef, txRef := parent.clone(), parent.clone()
			blockW, txW := newStaged(), newStaged()
			for op := 0; op < 300; op++ {
				var step string
				switch n := r.Intn(100); {
				case n < 45:
					k, v := propKey(r), []byte(fmt.Sprint("v", op))
					if r.Intn(8) == 0 {
						v = []byte{}
					}
					step = fmt.Sprintf("op %d: Set(%q, %q)", op, k, v)
					tx.Set(k, v)
					txRef.set(k, v)
					txW.put(store.Write{Key: k, Value: v})
				case n < 75:
					k := propKey(r)
					step = fmt.Sprintf("op %d: Delete(%q)", op, k)
					tx.Delete(k)
					txRef.delete(k)
					txW.put(store.Write{Key: k, Deleted: true})
				case n < 82:
					// Delete every key of a range from inside the iteration,
					// as a module pruning an index might.
					start, end := propBounds(r)
					step = fmt.Sprintf("op %d: delete [%q, %q) while iterating", op, start, end)
					var seen []kvPair
					tx.Iterate(start, end, func(k, v []byte) bool {
						seen = append(seen, kvPair{bytes.Clone(k), bytes.Clone(v)})
						tx.Delete(k)
						return true
					})
					if want := collect(txRef, start, end, 0); !pairsEqual(seen, want) {
						t.Fatalf("%s: visited\n %q\nwant %q", step, seen, want)
					}
					for _, p := range seen {
						txRef.delete(p.k)
						txW.put(store.Write{Key: p.k, Deleted: true})
					}
				case n < 92:
					step = fmt.Sprintf("op %d: flush the transaction", op)
					for _, w := range txW.writes() {
						blockW.put(w)
					}
					tx.WriteTo(block)
					blockRef, txW = txRef.clone(), newStaged()
				case n < 97:
					step = fmt.Sprintf("op %d: discard the transaction", op)
					tx.Reset()
					txRef, txW = blockRef.clone(), newStaged()
				default:
					// Commit: the block flushes into the parent, and the next
					// block starts over it. The transaction's cache must
					// start over too, as the app's does.
					step = fmt.Sprintf("op %d: commit the block", op)
					for _, w := range txW.writes() {
						blockW.put(w)
					}
					tx.WriteTo(block)
					block.WriteTo(parent)
					checkSame(t, r, step+" (parent)", parent, txRef)
					blockRef, blockW, txW = txRef.clone(), newStaged(), newStaged()
				}
				checkSame(t, r, step+" (transaction)", tx, txRef)
				checkSame(t, r, step+" (block)", block, blockRef)
				checkWrites(t, step+" (transaction)", tx, txW)
				checkWrites(t, step+" (block)", block, blockW)
				if err != nil {
					t.Fatalf("%s: read error %v", step, err)
				}
			}
		})
	}
}

// TestCacheUnindexedAgainstReference is TestCacheAgainstReference for caches
// that are never iterated until the end, as a transaction's and the
// mempool's mostly are: their keys wait to be indexed, so Writes sorts them
// and WriteTo flushes them in the order they were staged. Point reads,
// Writes and the flushed contents are compared after every operation, then
// a first iteration over many unindexed writes.
func TestCacheUnindexedAgainstReference(t *testing.T) {
	for seed := int64(1); seed <= 40; seed++ {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			r := rand.New(rand.NewSource(seed))
			var err error
			parent := newMemReader()
			for i := 0; i < r.Intn(30); i++ {
				parent.set(propKey(r), []byte(fmt.Sprint("p", i)))
			}
			block := store.NewCache(parent, &err)
			tx := store.NewCache(block, &err)
			blockRef, txRef := parent.clone(), parent.clone()
			blockW, txW := newStaged(), newStaged()
			for op := 0; op < 300; op++ {
				var step string
				switch n := r.Intn(100); {
				case n < 50:
					k, v := propKey(r), []byte(fmt.Sprint("v", op))
					step = fmt.Sprintf("op %d: Set(%q, %q)", op, k, v)
					tx.Set(k, v)
					txRef.set(k, v)
					txW.put(store.Write{Key: k, Value: v})
				case n < 80:
					k := propKey(r)
					step = fmt.Sprintf("op %d: Delete(%q)", op, k)
					tx.Delete(k)
					txRef.delete(k)
					txW.put(store.Write{Key: k, Deleted: true})
				case n < 92:
					step = fmt.Sprintf("op %d: flush the transaction", op)
					for _, w := range txW.writes() {
						blockW.put(w)
					}
					tx.WriteTo(block)
					blockRef, txW = txRef.clone(), newStaged()
				case n < 97:
					step = fmt.Sprintf("op %d: discard the transaction", op)
					tx.Reset()
					txRef, txW = blockRef.clone(), newStaged()
				default:
					step = fmt.Sprintf("op %d: commit the block", op)
					for _, w := range txW.writes() {
						blockW.put(w)
					}
					tx.WriteTo(block)
					block.WriteTo(parent)
					checkSame(t, r, step+" (parent)", parent, txRef)
					blockRef, blockW, txW = txRef.clone(), newStaged(), newStaged()
				}
				for i := 0; i < 8; i++ {
					k := propKey(r)
					if got, want := tx.Get(k), txRef.Get(k); !bytes.Equal(got, want) || (got == nil) != (want == nil) {
						t.Fatalf("%s: tx Get(%q) = %q, want %q", step, k, got, want)
					}
					if got, want := block.Get(k), blockRef.Get(k); !bytes.Equal(got, want) || (got == nil) != (want == nil) {
						t.Fatalf("%s: block Get(%q) = %q, want %q", step, k, got, want)
					}
				}
				checkWrites(t, step+" (transaction)", tx, txW)
				checkWrites(t, step+" (block)", block, blockW)
			}
			checkSame(t, r, "first iteration (transaction)", tx, txRef)
			checkSame(t, r, "first iteration (block)", block, blockRef)
			checkWrites(t, "after the first iteration (block)", block, blockW)
			if err != nil {
				t.Fatalf("read error %v", err)
			}
		})
	}
}
