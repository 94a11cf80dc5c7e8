package abciapp

import (
	"container/list"
	"sync"

	"emergence/tx"
)

// txCache holds decoded, signature-checked transactions by their encoding,
// with their hashes, bounded by bytes: the oldest entries go first when a new
// one would exceed the budget. Looking a tx up by its bytes costs a map
// probe, not the SHA-256 of the whole tx that a lookup by hash needs (CheckTx
// looks up every tx at its first check and at each recheck). It is safe for
// concurrent use.
type txCache struct {
	mu     sync.Mutex
	max    int
	bytes  int
	byRaw  map[string]*list.Element
	byHash map[[32]byte]*list.Element
	order  *list.List // of *cachedTx, oldest first
}

// cachedTx is a decoded tx with its encoding and hash.
type cachedTx struct {
	raw  string
	hash [32]byte
	tx   *tx.Tx
}

// size is what an entry holds: its key, a copy of the encoding, and the
// decoded tx, whose fields point into the encoding it was decoded from.
func (e *cachedTx) size() int { return 2 * len(e.raw) }

// newCachedTx is the entry for t, decoded from raw, whose hash is hash.
func newCachedTx(raw []byte, hash [32]byte, t *tx.Tx) *cachedTx {
	return &cachedTx{raw: string(raw), hash: hash, tx: t}
}

func newTxCache(maxBytes int) *txCache {
	return &txCache{max: maxBytes, byRaw: make(map[string]*list.Element), byHash: make(map[[32]byte]*list.Element), order: list.New()}
}

// get returns the cached entry of the tx encoded as raw.
func (c *txCache) get(raw []byte) (*cachedTx, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byRaw[string(raw)]; ok {
		return e.Value.(*cachedTx), true
	}
	return nil, false
}

// put remembers e, evicting the oldest entries past the budget. An entry
// larger than the whole budget is not kept.
func (c *txCache) put(e *cachedTx) {
	size := e.size()
	if size > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byRaw[e.raw]; ok {
		return
	}
	for c.bytes+size > c.max {
		c.removeLocked(c.order.Front())
	}
	el := c.order.PushBack(e)
	c.byRaw[e.raw] = el
	c.byHash[e.hash] = el
	c.bytes += size
}

// take removes and returns the cached entry of the tx encoded as raw.
func (c *txCache) take(raw []byte) (*cachedTx, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byRaw[string(raw)]
	if !ok {
		return nil, false
	}
	c.removeLocked(el)
	return el.Value.(*cachedTx), true
}

// remove forgets the tx of this hash, if cached.
func (c *txCache) remove(hash [32]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byHash[hash]; ok {
		c.removeLocked(el)
	}
}

// removeRaw forgets the tx encoded as raw, if cached.
func (c *txCache) removeRaw(raw []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byRaw[string(raw)]; ok {
		c.removeLocked(el)
	}
}

func (c *txCache) removeLocked(el *list.Element) {
	e := c.order.Remove(el).(*cachedTx)
	delete(c.byRaw, e.raw)
	delete(c.byHash, e.hash)
	c.bytes -= e.size()
}

// stats returns the number of cached txs and the bytes they hold.
func (c *txCache) stats() (n, bytes int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.byRaw), c.bytes
}
