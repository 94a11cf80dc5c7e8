package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"sort"
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
// A Cache is not safe for concurrent use.
type Cache struct {
	parent Reader
	writes map[string]entry
	reads  map[string][]byte // nil value: absent in the parent
	err    *error
}

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
	c.writes[string(key)] = entry{value: v}
}

// Delete implements KV.
func (c *Cache) Delete(key []byte) {
	c.writes[string(key)] = entry{deleted: true}
}

// Len returns the number of staged writes.
func (c *Cache) Len() int { return len(c.writes) }

// Iterate implements Reader, merging staged writes with the parent's keys.
func (c *Cache) Iterate(start, end []byte, fn func(key, value []byte) bool) {
	var keys []string
	//determinism:ok the keys are sorted below
	for k := range c.writes {
		if k >= string(start) && (end == nil || k < string(end)) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	i := 0
	stopped := false
	emitOwn := func(upto []byte) bool {
		// Emit own keys strictly below upto (all if upto is nil).
		for i < len(keys) && (upto == nil || keys[i] < string(upto)) {
			e := c.writes[keys[i]]
			if !e.deleted && !fn([]byte(keys[i]), e.value) {
				return false
			}
			i++
		}
		return true
	}
	c.parent.Iterate(start, end, func(k, v []byte) bool {
		if !emitOwn(k) {
			stopped = true
			return false
		}
		if i < len(keys) && keys[i] == string(k) {
			e := c.writes[keys[i]]
			i++
			if e.deleted {
				return true
			}
			if !fn(k, e.value) {
				stopped = true
				return false
			}
			return true
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

// WriteTo flushes the staged writes into dst and empties the cache (its
// remembered reads too: they predate the flushed writes).
func (c *Cache) WriteTo(dst KV) {
	for _, w := range c.Writes() {
		if w.Deleted {
			dst.Delete(w.Key)
		} else {
			dst.Set(w.Key, w.Value)
		}
	}
	c.Reset()
}

// Writes returns the staged writes sorted by key.
func (c *Cache) Writes() []Write {
	keys := make([]string, 0, len(c.writes))
	//determinism:ok the keys are sorted below
	for k := range c.writes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]Write, len(keys))
	for i, k := range keys {
		e := c.writes[k]
		out[i] = Write{Key: []byte(k), Value: e.value, Deleted: e.deleted}
	}
	return out
}

// Reset discards all staged writes and remembered reads.
func (c *Cache) Reset() {
	clear(c.writes)
	clear(c.reads)
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
