package personhood

import (
	"emergence/store"
)

// kvTree adapts the module's state to the tree package's Store: every tree
// key lives under "personhood/t/".
type kvTree struct{ kv store.KV }

var treePrefix = []byte(Name + "/t/")

func treeKey(k []byte) []byte { return store.Key(treePrefix, k) }

// Get implements tree.Store.
func (s kvTree) Get(k []byte) ([]byte, error) { return s.kv.Get(treeKey(k)), nil }

// Set implements tree.Store.
func (s kvTree) Set(k, v []byte) error {
	s.kv.Set(treeKey(k), v)
	return nil
}

// readTree adapts a read-only view; writes through it are a programming error.
type readTree struct{ r store.Reader }

func (s readTree) Get(k []byte) ([]byte, error) {
	return s.r.Get(treeKey(k)), nil
}

func (s readTree) Set(k, v []byte) error { return errReadOnly }
