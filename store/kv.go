package store

import "bytes"

// Reader is read access to ordered key-value state.
type Reader interface {
	// Get returns the value of key, or nil if the key is absent.
	Get(key []byte) []byte
	// Iterate calls fn for each key in [start, end) in ascending order until
	// fn returns false. A nil end means no upper bound. fn must not keep
	// key or value after it returns.
	Iterate(start, end []byte, fn func(key, value []byte) bool)
}

// KV is read-write access to state. Writes are staged, never applied to disk
// directly: see Cache.
type KV interface {
	Reader
	// Set stages key = value. Empty values are allowed.
	Set(key, value []byte)
	// Delete stages the removal of key.
	Delete(key []byte)
}

// prefixEnd returns the smallest key greater than every key with prefix p,
// or nil if there is none.
func prefixEnd(p []byte) []byte {
	end := bytes.Clone(p)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// PrefixEnd returns the end bound for iterating all keys with prefix p.
func PrefixEnd(p []byte) []byte { return prefixEnd(p) }
