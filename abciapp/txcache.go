package abciapp

import (
	"container/list"
	"sync"

	"emergence/tx"
)

// txCache holds decoded, signature-checked transactions by hash, bounded by
// the total size of their encodings: the oldest entries go first when a new
// one would exceed the budget. It is safe for concurrent use.
type txCache struct {
	mu    sync.Mutex
	max   int
	bytes int
	byKey map[[32]byte]*list.Element
	order *list.List // of *txEntry, oldest first
}

type txEntry struct {
	hash [32]byte
	tx   *tx.Tx
	size int
}

func newTxCache(maxBytes int) *txCache {
	return &txCache{max: maxBytes, byKey: make(map[[32]byte]*list.Element), order: list.New()}
}

// get returns the cached tx for hash.
func (c *txCache) get(hash [32]byte) (*tx.Tx, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[hash]; ok {
		return e.Value.(*txEntry).tx, true
	}
	return nil, false
}

// put remembers t, whose encoding is size bytes long, evicting the oldest
// entries past the budget. A tx larger than the whole budget is not kept.
func (c *txCache) put(hash [32]byte, t *tx.Tx, size int) {
	if size > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byKey[hash]; ok {
		return
	}
	for c.bytes+size > c.max {
		c.removeLocked(c.order.Front())
	}
	c.byKey[hash] = c.order.PushBack(&txEntry{hash: hash, tx: t, size: size})
	c.bytes += size
}

// take removes and returns the cached tx for hash.
func (c *txCache) take(hash [32]byte) (*tx.Tx, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byKey[hash]
	if !ok {
		return nil, false
	}
	t := e.Value.(*txEntry).tx
	c.removeLocked(e)
	return t, true
}

// remove forgets hash, if cached.
func (c *txCache) remove(hash [32]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[hash]; ok {
		c.removeLocked(e)
	}
}

func (c *txCache) removeLocked(e *list.Element) {
	ent := c.order.Remove(e).(*txEntry)
	delete(c.byKey, ent.hash)
	c.bytes -= ent.size
}

// stats returns the number of cached txs and their total encoded size.
func (c *txCache) stats() (n, bytes int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.byKey), c.bytes
}
