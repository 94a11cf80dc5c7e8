package personhood

import (
	"emergence/store"
)

// kvTree adapts the module's state to the tree package's Store: every tree
// key lives under "personhood/t/".
type kvTree struct{ kv store.KV }

var treePrefix = []byte(Name + "/t/")

func (s kvTree) key(k []byte) []byte { return append(append([]byte{}, treePrefix...), k...) }

// Get implements tree.Store.
func (s kvTree) Get(k []byte) ([]byte, error) { return s.kv.Get(s.key(k)), nil }

// Set implements tree.Store.
func (s kvTree) Set(k, v []byte) error {
	s.kv.Set(s.key(k), v)
	return nil
}

// readTree adapts a read-only view; writes through it are a programming error.
type readTree struct{ r store.Reader }

func (s readTree) Get(k []byte) ([]byte, error) {
	return s.r.Get(append(append([]byte{}, treePrefix...), k...)), nil
}

func (s readTree) Set(k, v []byte) error { return errReadOnly }
