// Package tree is the incremental Merkle tree of identity commitments: a
// binary Poseidon2 tree (package poseidon) of fixed depth whose empty leaves
// are 0, filled left to right, with precomputed zero hashes, O(depth)
// inserts, inclusion proofs, a leaf index for duplicate detection and a
// history of superseded roots that stay valid for an expiry window.
//
// The tree is deterministic so the chain can run it in consensus: no floats,
// no map iteration, no goroutines, no clock and no I/O. Its nodes live behind
// the small Store interface, which the chain module backs with its KV store
// and off-chain code with MemStore. Time is whatever monotonic counter the
// caller passes (the chain passes the block height).
package tree

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"emergence/personhood/poseidon"
)

// DefaultDepth is the production depth (World ID uses 30): 2^30 leaves.
const DefaultDepth = 30

// MaxDepth bounds the depth so leaf indexes fit in a uint64 comfortably.
const MaxDepth = 48

// Errors returned by the tree. Callers match them with errors.Is.
var (
	// ErrTreeFull is returned by Insert when all 2^depth leaves are used.
	ErrTreeFull = errors.New("tree is full")
	// ErrZeroLeaf is returned by Insert for the value 0, which marks empty leaves.
	ErrZeroLeaf = errors.New("leaf 0 is reserved for empty slots")
	// ErrDuplicateLeaf is returned by Insert when the leaf is already in the tree.
	ErrDuplicateLeaf = errors.New("leaf already in tree")
	// ErrUnknownRoot is returned by CheckRoot for a root the tree never had.
	ErrUnknownRoot = errors.New("unknown root")
	// ErrExpiredRoot is returned by CheckRoot for a root superseded longer ago than the expiry window.
	ErrExpiredRoot = errors.New("expired root")
	// ErrRevokedRoot is returned by CheckRoot for a root superseded by a
	// revocation (or before one): it may hold a revoked leaf.
	ErrRevokedRoot = errors.New("root predates a revocation")
	// ErrIndexOutOfRange is returned by Proof for an index not yet filled.
	ErrIndexOutOfRange = errors.New("leaf index out of range")
	// ErrCorrupt is returned when the store holds a value of the wrong shape.
	ErrCorrupt = errors.New("corrupt tree store")
)

// Store is the key-value storage the tree keeps its nodes in. Get returns
// (nil, nil) for an absent key. Keys are short binary strings, all beginning
// with one of the bytes 'n', 'l', 'r', 's', 'v' (see the key functions); a chain
// module gives the tree its own prefix.
type Store interface {
	Get(key []byte) ([]byte, error)
	Set(key, value []byte) error
}

// MemStore is an in-memory Store for tests and off-chain mirrors of the tree.
type MemStore struct{ m map[string][]byte }

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore { return &MemStore{m: make(map[string][]byte)} }

// Get implements Store.
func (s *MemStore) Get(key []byte) ([]byte, error) { return s.m[string(key)], nil }

// Set implements Store.
func (s *MemStore) Set(key, value []byte) error {
	s.m[string(key)] = append([]byte(nil), value...)
	return nil
}

// Tree is an incremental Merkle tree over a Store.
type Tree struct {
	store  Store
	depth  int
	expiry uint64
	zeros  []fr.Element // zeros[i] is the root of an empty subtree of height i
}

// Proof is an inclusion proof: Siblings[i] is the sibling at height i (leaf
// level 0) and bit i of Index says whether the node at height i is a right child.
type Proof struct {
	Index    uint64
	Siblings []fr.Element
}

// New opens the tree kept in store with the given depth (1..MaxDepth) and
// root expiry window (in the caller's time unit; superseded roots stay valid
// while now - supersededAt <= expiry).
func New(store Store, depth int, expiry uint64) (*Tree, error) {
	if depth < 1 || depth > MaxDepth {
		return nil, fmt.Errorf("tree depth %d outside 1..%d", depth, MaxDepth)
	}
	return &Tree{store: store, depth: depth, expiry: expiry, zeros: ZeroHashes(depth)}, nil
}

// ZeroHashes returns the roots of empty subtrees of height 0..depth.
func ZeroHashes(depth int) []fr.Element {
	z := make([]fr.Element, depth+1)
	for i := 1; i <= depth; i++ {
		z[i] = poseidon.Hash(z[i-1], z[i-1])
	}
	return z
}

// Depth returns the tree depth.
func (t *Tree) Depth() int { return t.depth }

// Expiry returns the root expiry window.
func (t *Tree) Expiry() uint64 { return t.expiry }

func nodeKey(level int, index uint64) []byte {
	k := make([]byte, 10)
	k[0] = 'n'
	k[1] = byte(level)
	binary.BigEndian.PutUint64(k[2:], index)
	return k
}

func leafKey(leaf fr.Element) []byte {
	b := leaf.Bytes()
	return append([]byte{'l'}, b[:]...)
}

func rootKey(root fr.Element) []byte {
	b := root.Bytes()
	return append([]byte{'r'}, b[:]...)
}

var sizeKey = []byte{'s'}

// revokedKey holds the time of the last revocation.
var revokedKey = []byte{'v'}

func (t *Tree) getElem(key []byte) (fr.Element, bool, error) {
	v, err := t.store.Get(key)
	if err != nil {
		return fr.Element{}, false, fmt.Errorf("tree store get: %w", err)
	}
	if v == nil {
		return fr.Element{}, false, nil
	}
	e, err := poseidon.FromBytes(v)
	if err != nil {
		return fr.Element{}, false, fmt.Errorf("node %x: %w", key, ErrCorrupt)
	}
	return e, true, nil
}

func (t *Tree) node(level int, index uint64) (fr.Element, error) {
	if level == t.depth {
		return t.Root()
	}
	e, ok, err := t.getElem(nodeKey(level, index))
	if err != nil {
		return e, err
	}
	if !ok {
		return t.zeros[level], nil
	}
	return e, nil
}

// Size returns the number of leaves inserted.
func (t *Tree) Size() (uint64, error) {
	v, err := t.store.Get(sizeKey)
	if err != nil {
		return 0, fmt.Errorf("tree store get: %w", err)
	}
	if v == nil {
		return 0, nil
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("size: %w", ErrCorrupt)
	}
	return binary.BigEndian.Uint64(v), nil
}

// Root returns the current root (the empty-tree root before any insert).
func (t *Tree) Root() (fr.Element, error) {
	e, ok, err := t.getElem(nodeKey(t.depth, 0))
	if err != nil {
		return e, err
	}
	if !ok {
		return t.zeros[t.depth], nil
	}
	return e, nil
}

// IndexOf returns the leaf index of leaf and whether it is in the tree.
func (t *Tree) IndexOf(leaf fr.Element) (uint64, bool, error) {
	v, err := t.store.Get(leafKey(leaf))
	if err != nil {
		return 0, false, fmt.Errorf("tree store get: %w", err)
	}
	if v == nil {
		return 0, false, nil
	}
	if len(v) != 8 {
		return 0, false, fmt.Errorf("leaf index: %w", ErrCorrupt)
	}
	return binary.BigEndian.Uint64(v), true, nil
}

// Insert appends leaf at the next free index at time now and returns its
// index and the new root. The previous root is recorded as superseded at now.
func (t *Tree) Insert(leaf fr.Element, now uint64) (uint64, fr.Element, error) {
	if leaf.IsZero() {
		return 0, fr.Element{}, ErrZeroLeaf
	}
	if _, dup, err := t.IndexOf(leaf); err != nil {
		return 0, fr.Element{}, err
	} else if dup {
		return 0, fr.Element{}, ErrDuplicateLeaf
	}
	size, err := t.Size()
	if err != nil {
		return 0, fr.Element{}, err
	}
	if size >= uint64(1)<<uint(t.depth) {
		return 0, fr.Element{}, ErrTreeFull
	}
	oldRoot, err := t.Root()
	if err != nil {
		return 0, fr.Element{}, err
	}
	index := size
	cur := leaf
	idx := index
	for level := 0; level < t.depth; level++ {
		b := cur.Bytes()
		if err := t.store.Set(nodeKey(level, idx), b[:]); err != nil {
			return 0, fr.Element{}, fmt.Errorf("tree store set: %w", err)
		}
		// Nodes right of the insertion point are always empty, so a right
		// sibling is the zero hash and only left siblings are read.
		if idx&1 == 0 {
			cur = poseidon.Hash(cur, t.zeros[level])
		} else {
			left, err := t.node(level, idx-1)
			if err != nil {
				return 0, fr.Element{}, err
			}
			cur = poseidon.Hash(left, cur)
		}
		idx >>= 1
	}
	rb := cur.Bytes()
	if err := t.store.Set(nodeKey(t.depth, 0), rb[:]); err != nil {
		return 0, fr.Element{}, fmt.Errorf("tree store set: %w", err)
	}
	var at [8]byte
	binary.BigEndian.PutUint64(at[:], now)
	if err := t.store.Set(rootKey(oldRoot), at[:]); err != nil {
		return 0, fr.Element{}, fmt.Errorf("tree store set: %w", err)
	}
	var ib [8]byte
	binary.BigEndian.PutUint64(ib[:], index)
	if err := t.store.Set(leafKey(leaf), ib[:]); err != nil {
		return 0, fr.Element{}, fmt.Errorf("tree store set: %w", err)
	}
	binary.BigEndian.PutUint64(ib[:], size+1)
	if err := t.store.Set(sizeKey, ib[:]); err != nil {
		return 0, fr.Element{}, fmt.Errorf("tree store set: %w", err)
	}
	return index, cur, nil
}

// InsertBatch appends leaves at the next free indexes at time now and
// returns the first index and the new root. It hashes each changed node once
// (about 2k + depth hashes for k leaves instead of k*depth), so bulk
// enrolment, genesis import and off-chain mirrors should use it. Only the
// root before the batch enters the history: intermediate roots never
// existed. It fails without writing if any leaf is zero, already in the
// tree or repeated in the batch, or if the batch does not fit.
func (t *Tree) InsertBatch(leaves []fr.Element, now uint64) (uint64, fr.Element, error) {
	size, err := t.Size()
	if err != nil {
		return 0, fr.Element{}, err
	}
	oldRoot, err := t.Root()
	if err != nil {
		return 0, fr.Element{}, err
	}
	if len(leaves) == 0 {
		return size, oldRoot, nil
	}
	if uint64(len(leaves)) > uint64(1)<<uint(t.depth)-size {
		return 0, fr.Element{}, ErrTreeFull
	}
	seen := make(map[fr.Element]struct{}, len(leaves)) // membership lookups only, never iterated
	for _, leaf := range leaves {
		if leaf.IsZero() {
			return 0, fr.Element{}, ErrZeroLeaf
		}
		if _, dup := seen[leaf]; dup {
			return 0, fr.Element{}, ErrDuplicateLeaf
		}
		seen[leaf] = struct{}{}
		if _, dup, err := t.IndexOf(leaf); err != nil {
			return 0, fr.Element{}, err
		} else if dup {
			return 0, fr.Element{}, ErrDuplicateLeaf
		}
	}
	var ib [8]byte
	for i, leaf := range leaves {
		b := leaf.Bytes()
		if err := t.store.Set(nodeKey(0, size+uint64(i)), b[:]); err != nil {
			return 0, fr.Element{}, fmt.Errorf("tree store set: %w", err)
		}
		binary.BigEndian.PutUint64(ib[:], size+uint64(i))
		if err := t.store.Set(leafKey(leaf), ib[:]); err != nil {
			return 0, fr.Element{}, fmt.Errorf("tree store set: %w", err)
		}
	}
	lo, hi := size, size+uint64(len(leaves))-1 // changed range at the current level
	var cur fr.Element
	for level := 0; level < t.depth; level++ {
		plo, phi := lo>>1, hi>>1
		for p := plo; p <= phi; p++ {
			left, err := t.node(level, 2*p)
			if err != nil {
				return 0, fr.Element{}, err
			}
			right, err := t.node(level, 2*p+1)
			if err != nil {
				return 0, fr.Element{}, err
			}
			cur = poseidon.Hash(left, right)
			if level+1 < t.depth {
				cb := cur.Bytes()
				if err := t.store.Set(nodeKey(level+1, p), cb[:]); err != nil {
					return 0, fr.Element{}, fmt.Errorf("tree store set: %w", err)
				}
			}
		}
		lo, hi = plo, phi
	}
	rb := cur.Bytes()
	if err := t.store.Set(nodeKey(t.depth, 0), rb[:]); err != nil {
		return 0, fr.Element{}, fmt.Errorf("tree store set: %w", err)
	}
	var at [8]byte
	binary.BigEndian.PutUint64(at[:], now)
	if err := t.store.Set(rootKey(oldRoot), at[:]); err != nil {
		return 0, fr.Element{}, fmt.Errorf("tree store set: %w", err)
	}
	binary.BigEndian.PutUint64(ib[:], size+uint64(len(leaves)))
	if err := t.store.Set(sizeKey, ib[:]); err != nil {
		return 0, fr.Element{}, fmt.Errorf("tree store set: %w", err)
	}
	return size, cur, nil
}

// CheckRoot reports whether root may be used at time now: the current root
// always may; a superseded root may while now - supersededAt <= expiry.
// It returns ErrUnknownRoot or ErrExpiredRoot otherwise.
func (t *Tree) CheckRoot(root fr.Element, now uint64) error {
	cur, err := t.Root()
	if err != nil {
		return err
	}
	if cur.Equal(&root) {
		return nil
	}
	v, err := t.store.Get(rootKey(root))
	if err != nil {
		return fmt.Errorf("tree store get: %w", err)
	}
	if v == nil {
		return ErrUnknownRoot
	}
	if len(v) != 8 {
		return fmt.Errorf("root history: %w", ErrCorrupt)
	}
	at := binary.BigEndian.Uint64(v)
	if rv, err := t.store.Get(revokedKey); err != nil {
		return fmt.Errorf("tree store get: %w", err)
	} else if len(rv) == 8 && at <= binary.BigEndian.Uint64(rv) {
		return ErrRevokedRoot
	}
	if now >= at && now-at > t.expiry {
		return ErrExpiredRoot
	}
	return nil
}

// Revoke empties the leaves at the given indexes (each below Size) at time
// now and returns the new root. Each costs depth hashes. The leaves stay
// in the duplicate index, so a revoked commitment cannot be enrolled
// again, and every root superseded at or before now stops being valid at
// once (ErrRevokedRoot), since it may prove a revoked leaf; Size is
// unchanged.
func (t *Tree) Revoke(indexes []uint64, now uint64) (fr.Element, error) {
	size, err := t.Size()
	if err != nil {
		return fr.Element{}, err
	}
	oldRoot, err := t.Root()
	if err != nil {
		return fr.Element{}, err
	}
	for _, index := range indexes {
		if index >= size {
			return fr.Element{}, fmt.Errorf("revoke index %d, size %d: %w", index, size, ErrIndexOutOfRange)
		}
	}
	var cur fr.Element
	for _, index := range indexes {
		cur = fr.Element{}
		idx := index
		for level := 0; level < t.depth; level++ {
			b := cur.Bytes()
			if err := t.store.Set(nodeKey(level, idx), b[:]); err != nil {
				return fr.Element{}, fmt.Errorf("tree store set: %w", err)
			}
			sib, err := t.node(level, idx^1)
			if err != nil {
				return fr.Element{}, err
			}
			if idx&1 == 0 {
				cur = poseidon.Hash(cur, sib)
			} else {
				cur = poseidon.Hash(sib, cur)
			}
			idx >>= 1
		}
		rb := cur.Bytes()
		if err := t.store.Set(nodeKey(t.depth, 0), rb[:]); err != nil {
			return fr.Element{}, fmt.Errorf("tree store set: %w", err)
		}
	}
	if len(indexes) == 0 {
		return oldRoot, nil
	}
	var at [8]byte
	binary.BigEndian.PutUint64(at[:], now)
	if err := t.store.Set(rootKey(oldRoot), at[:]); err != nil {
		return fr.Element{}, fmt.Errorf("tree store set: %w", err)
	}
	if err := t.store.Set(revokedKey, at[:]); err != nil {
		return fr.Element{}, fmt.Errorf("tree store set: %w", err)
	}
	return cur, nil
}

// Proof returns the inclusion proof of the leaf at index against the current root.
func (t *Tree) Proof(index uint64) (Proof, error) {
	size, err := t.Size()
	if err != nil {
		return Proof{}, err
	}
	if index >= size {
		return Proof{}, fmt.Errorf("index %d, size %d: %w", index, size, ErrIndexOutOfRange)
	}
	p := Proof{Index: index, Siblings: make([]fr.Element, t.depth)}
	idx := index
	for level := 0; level < t.depth; level++ {
		s, err := t.node(level, idx^1)
		if err != nil {
			return Proof{}, err
		}
		p.Siblings[level] = s
		idx >>= 1
	}
	return p, nil
}

// Leaf returns the leaf at index.
func (t *Tree) Leaf(index uint64) (fr.Element, error) {
	size, err := t.Size()
	if err != nil {
		return fr.Element{}, err
	}
	if index >= size {
		return fr.Element{}, fmt.Errorf("index %d, size %d: %w", index, size, ErrIndexOutOfRange)
	}
	return t.node(0, index)
}

// ComputeRoot folds leaf up the proof's path and returns the root it implies.
func ComputeRoot(leaf fr.Element, p Proof) fr.Element {
	cur := leaf
	for level, s := range p.Siblings {
		if (p.Index>>uint(level))&1 == 0 {
			cur = poseidon.Hash(cur, s)
		} else {
			cur = poseidon.Hash(s, cur)
		}
	}
	return cur
}

// Verify reports whether p proves leaf under root.
func Verify(leaf fr.Element, p Proof, root fr.Element) bool {
	if len(p.Siblings) < 64 && p.Index>>uint(len(p.Siblings)) != 0 {
		return false
	}
	r := ComputeRoot(leaf, p)
	return r.Equal(&root)
}
