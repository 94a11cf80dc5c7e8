package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"slices"

	"github.com/google/btree"
)

// Write is one staged change: a set, or a delete when Deleted is true.
type Write struct {
	Key     []byte
	Value   []byte
	Deleted bool
}

type entry struct {
	value   []byte
	deleted bool
}

// Cache stages writes over a parent Reader. Reads see the cache's own writes
// first. A Cache over another Cache gives nested, discardable scopes: a
// transaction's writes are flushed into the block's cache with Write, or
// dropped by simply abandoning the Cache.
//
// A Cache also remembers what it read from its parent, so hot keys (the fee
// pool, busy accounts) are read from Pebble once per block. This is sound
// because a parent never changes while a Cache over it is in use: the
// committed store changes only at Commit, after which the app makes new
// caches, and a block's cache changes only when a transaction's cache,
// already finished, is flushed into it.
//
// The staged keys are also kept in order in a B-tree, so an iteration costs
// O(log n + keys visited) however many writes the cache holds, not a sort
// of them all: a scan late in a block costs what the scan reads, not the
// block's writes so far. Keys enter the B-tree at the first Iterate after
// they were staged, not at each write, since most caches (a transaction's
// fee and nonce, the mempool's view) are never iterated: each key is
// indexed once, whenever that comes.
//
// A Cache is not safe for concurrent use.
type Cache struct {
	parent Reader
	writes map[string]entry
	keys   []string              // the keys of writes, in the order first staged
	index  *btree.BTreeG[string] // keys[:indexed], in order; nil until needed
	// indexed is how many of keys the index holds.
	indexed int
	reads   map[string][]byte // nil value: absent in the parent
	err     *error
}

// indexDegree is the B-tree's degree: nodes of 31 to 63 keys.
const indexDegree = 32

var _ KV = (*Cache)(nil)

// NewCache returns an empty cache over parent. Read errors from the store
// are recorded in errp (see the package doc).
func NewCache(parent Reader, errp *error) *Cache {
	return &Cache{parent: parent, writes: make(map[string]entry), reads: make(map[string][]byte), err: errp}
}

// Err returns the first read error recorded by the underlying store readers.
func (c *Cache) Err() error {
	if c.err == nil {
		return nil
	}
	return *c.err
}

// Get implements Reader.
func (c *Cache) Get(key []byte) []byte {
	if e, ok := c.writes[string(key)]; ok {
		if e.deleted {
			return nil
		}
		return e.value
	}
	if v, ok := c.reads[string(key)]; ok {
		return v
	}
	v := c.parent.Get(key)
	c.reads[string(key)] = v
	return v
}

// Set implements KV. The cache keeps its own copy of key and value.
func (c *Cache) Set(key, value []byte) {
	v := bytes.Clone(value)
	if v == nil {
		v = []byte{}
	}
	c.stage(string(key), entry{value: v})
}

// Delete implements KV.
func (c *Cache) Delete(key []byte) {
	c.stage(string(key), entry{deleted: true})
}

// stage records e as key's staged write, listing key if it is new.
func (c *Cache) stage(key string, e entry) {
	n := len(c.writes)
	c.writes[key] = e
	if len(c.writes) != n {
		c.keys = append(c.keys, key)
	}
}

// syncIndex puts the keys staged since the last call into the index.
func (c *Cache) syncIndex() {
	if c.indexed == len(c.keys) {
		return
	}
	if c.index == nil {
		c.index = btree.NewOrderedG[string](indexDegree)
	}
	for _, k := range c.keys[c.indexed:] {
		c.index.ReplaceOrInsert(k)
	}
	c.indexed = len(c.keys)
}

// Len returns the number of staged writes.
func (c *Cache) Len() int { return len(c.writes) }

// Iterate implements Reader, merging staged writes with the parent's keys:
// a staged write replaces the parent's value of its key, a staged delete
// hides it. Writes fn makes to this cache during the iteration are
// applied, but whether the iteration sees them is unspecified.
func (c *Cache) Iterate(start, end []byte, fn func(key, value []byte) bool) {
	if len(c.keys) == 0 {
		c.parent.Iterate(start, end, fn)
		return
	}
	c.syncIndex()
	own := ownKeys{index: c.index, end: end}
	own.seek(string(start), false)
	// emitOwn emits own keys strictly below upto (all if upto is nil) and
	// reports whether fn asked for more.
	emitOwn := func(upto []byte) bool {
		for own.ok && (upto == nil || own.key() < string(upto)) {
			k := own.key()
			own.next()
			if e := c.writes[k]; !e.deleted && !fn([]byte(k), e.value) {
				return false
			}
		}
		return true
	}
	stopped := false
	c.parent.Iterate(start, end, func(k, v []byte) bool {
		if !emitOwn(k) {
			stopped = true
			return false
		}
		if own.ok && own.key() == string(k) {
			own.next()
			e := c.writes[string(k)]
			if e.deleted {
				return true
			}
			v = e.value
		}
		if !fn(k, v) {
			stopped = true
			return false
		}
		return true
	})
	if !stopped {
		emitOwn(nil)
	}
}

// ownKeys walks a cache's index from a key up to an end bound. It reads the
// B-tree in batches and calls no one while the tree is being walked, so fn
// in Iterate may write to the cache (the B-tree must not change during its
// own walk; new keys wait in Cache.keys anyway).
type ownKeys struct {
	index *btree.BTreeG[string]
	end   []byte   // nil: no bound
	buf   []string // the batch; buf[pos] is the current key
	pos   int
	more  bool // the tree may hold keys after buf's last
	ok    bool // there is a current key
}

// Batches start small, since many scans stop at their first key, and grow
// for long scans.
const (
	firstBatch = 8
	maxBatch   = 64
)

// seek loads the batch of keys from pivot on (after it when exclusive).
func (o *ownKeys) seek(pivot string, exclusive bool) {
	size := firstBatch
	if cap(o.buf) > 0 {
		size = min(2*cap(o.buf), maxBatch)
	}
	buf := o.buf[:0]
	if cap(buf) < size {
		buf = make([]string, 0, size)
	}
	o.more = false
	o.index.AscendGreaterOrEqual(pivot, func(k string) bool {
		if exclusive && k == pivot {
			return true
		}
		if o.end != nil && k >= string(o.end) {
			return false
		}
		if len(buf) == size {
			o.more = true
			return false
		}
		buf = append(buf, k)
		return true
	})
	o.buf, o.pos, o.ok = buf, 0, len(buf) > 0
}

// key returns the current key; o.ok must be true.
func (o *ownKeys) key() string { return o.buf[o.pos] }

// next moves to the following key.
func (o *ownKeys) next() {
	o.pos++
	if o.pos < len(o.buf) {
		return
	}
	if !o.more {
		o.ok = false
		return
	}
	o.seek(o.buf[len(o.buf)-1], true)
}

// WriteTo flushes the staged writes into dst and empties the cache (its
// remembered reads too: they predate the flushed writes). Into another
// Cache the writes go in the order they were first staged, and the values
// move without a copy (this cache lets go of them); into any other KV, in
// key order. Either way dst ends the same.
func (c *Cache) WriteTo(dst KV) {
	if d, ok := dst.(*Cache); ok {
		for _, k := range c.keys {
			d.stage(k, c.writes[k])
		}
	} else {
		for _, w := range c.Writes() {
			if w.Deleted {
				dst.Delete(w.Key)
			} else {
				dst.Set(w.Key, w.Value)
			}
		}
	}
	c.Reset()
}

// Writes returns the staged writes sorted by key.
func (c *Cache) Writes() []Write {
	out := make([]Write, 0, len(c.writes))
	add := func(k string) bool {
		e := c.writes[k]
		out = append(out, Write{Key: []byte(k), Value: e.value, Deleted: e.deleted})
		return true
	}
	if c.index != nil {
		c.syncIndex()
		c.index.Ascend(add)
		return out
	}
	// Never iterated: one sort costs less than building the index.
	sorted := slices.Clone(c.keys)
	slices.Sort(sorted)
	for _, k := range sorted {
		add(k)
	}
	return out
}

// Reset discards all staged writes and remembered reads.
func (c *Cache) Reset() {
	clear(c.writes)
	clear(c.reads)
	clear(c.keys) // let go of the key strings
	c.keys, c.indexed = c.keys[:0], 0
	if c.index != nil {
		c.index.Clear(true)
	}
}

// HashVersion is the version byte of the app hash format.
const HashVersion byte = 1

// WriteSetHash returns the next app hash of the chain:
//
//	SHA-256(HashVersion ‖ prev ‖ uint64be(height) ‖ uint32be(n) ‖ for each write in key order:
//	        uint32be(len key) ‖ key ‖ op ‖ [uint32be(len value) ‖ value])
//
// where op is 0 for a set and 1 for a delete (which carries no value).
// writes must be sorted by key, as Cache.Writes returns them.
func WriteSetHash(prev []byte, height int64, writes []Write) []byte {
	h := sha256.New()
	var buf [8]byte
	h.Write([]byte{HashVersion})
	binary.BigEndian.PutUint32(buf[:4], uint32(len(prev)))
	h.Write(buf[:4])
	h.Write(prev)
	binary.BigEndian.PutUint64(buf[:], uint64(height))
	h.Write(buf[:])
	binary.BigEndian.PutUint32(buf[:4], uint32(len(writes)))
	h.Write(buf[:4])
	for _, w := range writes {
		binary.BigEndian.PutUint32(buf[:4], uint32(len(w.Key)))
		h.Write(buf[:4])
		h.Write(w.Key)
		if w.Deleted {
			h.Write([]byte{1})
			continue
		}
		h.Write([]byte{0})
		binary.BigEndian.PutUint32(buf[:4], uint32(len(w.Value)))
		h.Write(buf[:4])
		h.Write(w.Value)
	}
	return h.Sum(nil)
}
