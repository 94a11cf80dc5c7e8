package store_test

import (
	"bytes"
	"slices"
)

// memReader is a plain sorted key-value list, the reference the cache tests
// compare against and the parent they put caches over.
type memReader struct {
	keys [][]byte
	vals [][]byte
}

func newMemReader() *memReader { return &memReader{} }

func (m *memReader) find(key []byte) (int, bool) {
	return slices.BinarySearchFunc(m.keys, key, bytes.Compare)
}

func (m *memReader) set(key, value []byte) {
	i, ok := m.find(key)
	v := bytes.Clone(value)
	if v == nil {
		v = []byte{}
	}
	if ok {
		m.vals[i] = v
		return
	}
	m.keys = slices.Insert(m.keys, i, bytes.Clone(key))
	m.vals = slices.Insert(m.vals, i, v)
}

func (m *memReader) delete(key []byte) {
	if i, ok := m.find(key); ok {
		m.keys = slices.Delete(m.keys, i, i+1)
		m.vals = slices.Delete(m.vals, i, i+1)
	}
}

// Get implements store.Reader.
func (m *memReader) Get(key []byte) []byte {
	if i, ok := m.find(key); ok {
		return m.vals[i]
	}
	return nil
}

// Iterate implements store.Reader.
func (m *memReader) Iterate(start, end []byte, fn func(key, value []byte) bool) {
	i, _ := m.find(start)
	for ; i < len(m.keys); i++ {
		if end != nil && bytes.Compare(m.keys[i], end) >= 0 {
			return
		}
		if !fn(m.keys[i], m.vals[i]) {
			return
		}
	}
}

// Set and Delete make memReader a store.KV, so a cache can flush into it.
func (m *memReader) Set(key, value []byte) { m.set(key, value) }
func (m *memReader) Delete(key []byte)     { m.delete(key) }

// clone returns a copy of m.
func (m *memReader) clone() *memReader {
	c := &memReader{keys: make([][]byte, len(m.keys)), vals: make([][]byte, len(m.vals))}
	copy(c.keys, m.keys)
	copy(c.vals, m.vals)
	return c
}
