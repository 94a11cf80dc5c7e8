package tree_test

import (
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"emergence/personhood/poseidon"
	"emergence/personhood/tree"
)

// naiveRoot recomputes the root of a depth-d tree from all its leaves.
func naiveRoot(leaves []fr.Element, depth int) fr.Element {
	level := make([]fr.Element, 1<<uint(depth))
	copy(level, leaves)
	for len(level) > 1 {
		next := make([]fr.Element, len(level)/2)
		for i := range next {
			next[i] = poseidon.Hash(level[2*i], level[2*i+1])
		}
		level = next
	}
	return level[0]
}

func mustTree(t *testing.T, depth int, expiry uint64) *tree.Tree {
	t.Helper()
	tr, err := tree.New(tree.NewMemStore(), depth, expiry)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestInsertMatchesNaiveRootAndProofsVerify(t *testing.T) {
	const depth = 5
	tr := mustTree(t, depth, 10)
	empty, _ := tr.Root()
	if want := naiveRoot(nil, depth); !empty.Equal(&want) {
		t.Fatal("empty root differs from naive root")
	}
	var leaves []fr.Element
	for i := 0; i < 1<<depth; i++ {
		leaf := poseidon.FromUint64(uint64(1000 + i))
		idx, root, err := tr.Insert(leaf, uint64(i))
		if err != nil {
			t.Fatal(err)
		}
		if idx != uint64(i) {
			t.Fatalf("index = %d, want %d", idx, i)
		}
		leaves = append(leaves, leaf)
		if want := naiveRoot(leaves, depth); !root.Equal(&want) {
			t.Fatalf("root after %d inserts differs from naive root", i+1)
		}
		for j := range leaves {
			p, err := tr.Proof(uint64(j))
			if err != nil {
				t.Fatal(err)
			}
			if !tree.Verify(leaves[j], p, root) {
				t.Fatalf("proof of leaf %d after %d inserts does not verify", j, i+1)
			}
		}
	}
	if _, _, err := tr.Insert(poseidon.FromUint64(1), 99); !errors.Is(err, tree.ErrTreeFull) {
		t.Fatalf("insert into full tree: err = %v, want ErrTreeFull", err)
	}
}

func TestInsertRejectsZeroAndDuplicate(t *testing.T) {
	tr := mustTree(t, 4, 10)
	if _, _, err := tr.Insert(fr.Element{}, 0); !errors.Is(err, tree.ErrZeroLeaf) {
		t.Fatalf("zero leaf: err = %v", err)
	}
	leaf := poseidon.FromUint64(7)
	if _, _, err := tr.Insert(leaf, 0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := tr.Insert(leaf, 0); !errors.Is(err, tree.ErrDuplicateLeaf) {
		t.Fatalf("duplicate: err = %v", err)
	}
	if idx, ok, err := tr.IndexOf(leaf); err != nil || !ok || idx != 0 {
		t.Fatalf("IndexOf = %d %v %v", idx, ok, err)
	}
	if n, _ := tr.Size(); n != 1 {
		t.Fatalf("size = %d after rejected inserts, want 1", n)
	}
}

func TestProofRejectsWrongLeafRootOrIndex(t *testing.T) {
	tr := mustTree(t, 6, 10)
	for i := 1; i <= 9; i++ {
		if _, _, err := tr.Insert(poseidon.FromUint64(uint64(i)), 0); err != nil {
			t.Fatal(err)
		}
	}
	root, _ := tr.Root()
	p, err := tr.Proof(3)
	if err != nil {
		t.Fatal(err)
	}
	if !tree.Verify(poseidon.FromUint64(4), p, root) {
		t.Fatal("valid proof rejected")
	}
	if tree.Verify(poseidon.FromUint64(5), p, root) {
		t.Fatal("proof accepted for wrong leaf")
	}
	bad := tree.Proof{Index: p.Index ^ 1, Siblings: p.Siblings}
	if tree.Verify(poseidon.FromUint64(4), bad, root) {
		t.Fatal("proof accepted with wrong index")
	}
	over := tree.Proof{Index: p.Index | 1<<6, Siblings: p.Siblings}
	if tree.Verify(poseidon.FromUint64(4), over, root) {
		t.Fatal("proof accepted with index beyond depth")
	}
	if _, err := tr.Proof(9); !errors.Is(err, tree.ErrIndexOutOfRange) {
		t.Fatalf("proof of unfilled index: err = %v", err)
	}
}

func TestRootHistoryExpiry(t *testing.T) {
	tr := mustTree(t, 8, 5)
	r0, _ := tr.Root()
	_, r1, _ := tr.Insert(poseidon.FromUint64(1), 100) // r0 superseded at 100
	_, r2, _ := tr.Insert(poseidon.FromUint64(2), 103) // r1 superseded at 103
	tests := []struct {
		name string
		root fr.Element
		now  uint64
		want error
	}{
		{"latest root never expires", r2, 10_000, nil},
		{"superseded root inside window", r0, 105, nil},
		{"superseded root past window", r0, 106, tree.ErrExpiredRoot},
		{"second root inside window", r1, 108, nil},
		{"second root past window", r1, 109, tree.ErrExpiredRoot},
		{"unknown root", poseidon.FromUint64(42), 100, tree.ErrUnknownRoot},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tr.CheckRoot(tc.root, tc.now); !errors.Is(err, tc.want) {
				t.Fatalf("CheckRoot = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestReopenFromStore(t *testing.T) {
	st := tree.NewMemStore()
	a, _ := tree.New(st, 10, 3)
	for i := 1; i <= 5; i++ {
		if _, _, err := a.Insert(poseidon.FromUint64(uint64(i)), 1); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := tree.New(st, 10, 3)
	ra, _ := a.Root()
	rb, _ := b.Root()
	if !ra.Equal(&rb) {
		t.Fatal("reopened tree has a different root")
	}
	if _, _, err := b.Insert(poseidon.FromUint64(6), 2); err != nil {
		t.Fatal(err)
	}
	if n, _ := a.Size(); n != 6 {
		t.Fatalf("size seen through first handle = %d, want 6", n)
	}
}

func TestNewRejectsBadDepth(t *testing.T) {
	for _, d := range []int{0, -1, tree.MaxDepth + 1} {
		if _, err := tree.New(tree.NewMemStore(), d, 0); err == nil {
			t.Fatalf("depth %d accepted", d)
		}
	}
}

func TestCorruptStoreIsAnError(t *testing.T) {
	st := tree.NewMemStore()
	tr, _ := tree.New(st, 4, 0)
	if err := st.Set([]byte{'s'}, []byte{1, 2}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := tr.Insert(poseidon.FromUint64(1), 0); !errors.Is(err, tree.ErrCorrupt) {
		t.Fatalf("insert over corrupt size: err = %v, want ErrCorrupt", err)
	}
}

// BenchmarkInsert100k inserts 100,000 identities into a depth-30 tree and
// reports inserts per second.
func BenchmarkInsert100k(b *testing.B) {
	const n = 100_000
	cpu := func() time.Duration {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			b.Fatal(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	cpu0 := cpu()
	for b.Loop() {
		tr, _ := tree.New(tree.NewMemStore(), tree.DefaultDepth, 100)
		for i := 1; i <= n; i++ {
			if _, _, err := tr.Insert(poseidon.FromUint64(uint64(i)), uint64(i)); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "inserts/s")
	b.ReportMetric(float64(n)*float64(b.N)/(cpu()-cpu0).Seconds(), "inserts/cpu-s")
}

func TestInsertBatchMatchesSequentialInserts(t *testing.T) {
	const depth = 7
	seq := mustTree(t, depth, 5)
	bat := mustTree(t, depth, 5)
	next := uint64(1)
	batch := func(k int) []fr.Element {
		var out []fr.Element
		for i := 0; i < k; i++ {
			out = append(out, poseidon.FromUint64(next*7919))
			next++
		}
		return out
	}
	var all []fr.Element
	for _, k := range []int{1, 3, 8, 5, 16, 1, 30, 2} {
		leaves := batch(k)
		var want fr.Element
		for _, l := range leaves {
			var err error
			if _, want, err = seq.Insert(l, 1); err != nil {
				t.Fatal(err)
			}
		}
		first, got, err := bat.InsertBatch(leaves, 1)
		if err != nil {
			t.Fatal(err)
		}
		if first != uint64(len(all)) {
			t.Fatalf("first index %d, want %d", first, len(all))
		}
		all = append(all, leaves...)
		if !got.Equal(&want) {
			t.Fatalf("batch of %d: root differs from sequential inserts", k)
		}
		if naive := naiveRoot(all, depth); !got.Equal(&naive) {
			t.Fatalf("batch of %d: root differs from naive root", k)
		}
	}
	root, _ := bat.Root()
	for i, l := range all {
		p, err := bat.Proof(uint64(i))
		if err != nil || !tree.Verify(l, p, root) {
			t.Fatalf("proof of leaf %d fails after batches (%v)", i, err)
		}
		if idx, ok, _ := bat.IndexOf(l); !ok || idx != uint64(i) {
			t.Fatalf("IndexOf leaf %d = %d %v", i, idx, ok)
		}
	}
	// Single inserts continue correctly after batches.
	l := poseidon.FromUint64(999_999)
	_, r1, _ := seq.Insert(l, 2)
	_, r2, _ := bat.Insert(l, 2)
	if !r1.Equal(&r2) {
		t.Fatal("single insert after batches differs")
	}
}

func TestInsertBatchRejectsWithoutWriting(t *testing.T) {
	tr := mustTree(t, 3, 5)
	if _, _, err := tr.InsertBatch([]fr.Element{poseidon.FromUint64(1)}, 0); err != nil {
		t.Fatal(err)
	}
	root, _ := tr.Root()
	cases := []struct {
		name   string
		leaves []fr.Element
		want   error
	}{
		{"duplicate inside batch", []fr.Element{poseidon.FromUint64(2), poseidon.FromUint64(2)}, tree.ErrDuplicateLeaf},
		{"duplicate of tree leaf", []fr.Element{poseidon.FromUint64(3), poseidon.FromUint64(1)}, tree.ErrDuplicateLeaf},
		{"zero leaf", []fr.Element{poseidon.FromUint64(4), {}}, tree.ErrZeroLeaf},
		{"does not fit", func() []fr.Element {
			var out []fr.Element
			for i := 10; i < 18; i++ {
				out = append(out, poseidon.FromUint64(uint64(i)))
			}
			return out
		}(), tree.ErrTreeFull},
	}
	for _, tc := range cases {
		if _, _, err := tr.InsertBatch(tc.leaves, 1); !errors.Is(err, tc.want) {
			t.Fatalf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
		if n, _ := tr.Size(); n != 1 {
			t.Fatalf("%s: size %d after a refused batch", tc.name, n)
		}
		if r, _ := tr.Root(); !r.Equal(&root) {
			t.Fatalf("%s: root changed after a refused batch", tc.name)
		}
	}
}

// BenchmarkInsertBatch100k enrols 100,000 identities into a depth-30 tree in
// batches of 1,000 (World ID's sequencer batches 10/100/1000).
func BenchmarkInsertBatch100k(b *testing.B) {
	const n, batch = 100_000, 1000
	for b.Loop() {
		tr, _ := tree.New(tree.NewMemStore(), tree.DefaultDepth, 100)
		leaves := make([]fr.Element, batch)
		for start := 1; start <= n; start += batch {
			for i := range leaves {
				leaves[i] = poseidon.FromUint64(uint64(start + i))
			}
			if _, _, err := tr.InsertBatch(leaves, uint64(start)); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "inserts/s")
}

// TestRevoke: revoked leaves become empty (the root is the naive root of
// the leaves with zeros there), stay duplicates, and every earlier root
// stops being valid at once while later ones keep the expiry window.
func TestRevoke(t *testing.T) {
	const depth = 4
	tr := mustTree(t, depth, 100)
	var leaves []fr.Element
	var roots []fr.Element
	for i := 1; i <= 6; i++ {
		var l fr.Element
		l.SetUint64(uint64(1000 + i))
		if _, r, err := tr.Insert(l, uint64(i)); err != nil {
			t.Fatal(err)
		} else {
			roots = append(roots, r)
		}
		leaves = append(leaves, l)
	}
	root, err := tr.Revoke([]uint64{1, 4}, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := append([]fr.Element(nil), leaves...)
	want[1], want[4] = fr.Element{}, fr.Element{}
	if n := naiveRoot(want, depth); !root.Equal(&n) {
		t.Fatal("root after revocation is not the root of the remaining leaves")
	}
	if cur, _ := tr.Root(); !cur.Equal(&root) {
		t.Fatal("Revoke did not return the current root")
	}
	for i, r := range roots {
		if err := tr.CheckRoot(r, 11); !errors.Is(err, tree.ErrRevokedRoot) {
			t.Fatalf("root %d from before the revocation: %v", i, err)
		}
	}
	if err := tr.CheckRoot(root, 11); err != nil {
		t.Fatalf("current root: %v", err)
	}
	if _, _, err := tr.Insert(leaves[1], 12); !errors.Is(err, tree.ErrDuplicateLeaf) {
		t.Fatalf("revoked leaf enrolled again: %v", err)
	}
	var l fr.Element
	l.SetUint64(77)
	if _, _, err := tr.Insert(l, 12); err != nil {
		t.Fatal(err)
	}
	if err := tr.CheckRoot(root, 13); err != nil {
		t.Fatalf("root after the revocation, superseded by an insert: %v", err)
	}
	if size, _ := tr.Size(); size != 7 {
		t.Fatalf("size %d after revoking, want 7", size)
	}
	if _, err := tr.Revoke([]uint64{7}, 14); !errors.Is(err, tree.ErrIndexOutOfRange) {
		t.Fatalf("revoke beyond size: %v", err)
	}
	p, _ := tr.Proof(2)
	cur, _ := tr.Root()
	if !tree.Verify(leaves[2], p, cur) {
		t.Fatal("a kept leaf no longer proves against the root")
	}
}
