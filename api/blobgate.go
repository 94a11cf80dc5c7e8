package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"emergence/blob"
	"emergence/tx"
)

// BlobGate returns the read gate of a node's blob handler
// (blob.NewHandler(store, quota, blob.WithGate(api.BlobGate(node)))): a
// shard of a priced dataset of the data module is served only to the
// dataset's buyers.
//
// Which datasets open a blob, so that re-listing someone's shards gains a
// cheater nothing:
//   - a blob that some priced dataset lists is paid, even if a free dataset
//     lists it too (a free re-listing does not make it public);
//   - its owner is the publisher of the first priced dataset listing it;
//     buyers of that owner's priced datasets that list it may read it, and a
//     purchase of someone else's (say, a cheap) re-listing opens nothing;
//   - a dataset's publisher reads it as its buyers do.
//
// The gate learns datasets from the chain's data/dataset/{id} queries, in
// ID order, catching up before every answer so a newly published dataset is
// gated from its first committed block. Its index holds every listed shard
// once per dataset: memory grows with what publish transactions paid for.
func BlobGate(b Backend) blob.Gate {
	return &blobGate{b: b, next: 1, shards: map[[32]byte][]listing{}, publishers: map[uint64]tx.Address{}}
}

type blobGate struct {
	b Backend

	mu         sync.Mutex
	next       uint64 // first dataset id not indexed yet
	shards     map[[32]byte][]listing
	publishers map[uint64]tx.Address // of the priced datasets
}

// listing is one dataset that lists a blob.
type listing struct {
	dataset   uint64
	publisher tx.Address
	priced    bool
}

// dataset is what the gate reads of the data module's Dataset.
type dataset struct {
	ID        uint64     `json:"id"`
	Publisher tx.Address `json:"publisher"`
	Shards    []string   `json:"shards"`
	Price     uint64     `json:"price"`
}

// Access implements blob.Gate.
func (g *blobGate) Access(ctx context.Context, hash [32]byte) ([]uint64, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if err := g.catchUp(ctx); err != nil {
		return nil, err
	}
	var owner *listing
	var out []uint64
	for i, l := range g.shards[hash] {
		if !l.priced {
			continue
		}
		if owner == nil {
			owner = &g.shards[hash][i]
		}
		if l.publisher == owner.publisher {
			out = append(out, l.dataset)
		}
	}
	return out, nil
}

// catchUp indexes the datasets published since the last call.
func (g *blobGate) catchUp(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		v, err := g.b.Query("data/dataset/"+strconv.FormatUint(g.next, 10), nil)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("dataset %d: %w", g.next, err)
		}
		var d dataset
		if err := decodeInto(v, &d); err != nil {
			return fmt.Errorf("dataset %d: %w", g.next, err)
		}
		if d.Price > 0 {
			g.publishers[g.next] = d.Publisher
		}
		for _, s := range d.Shards {
			h, err := blob.ParseHash(s)
			if err != nil {
				continue // the module checks hashes; nothing to serve under a bad one
			}
			ls := g.shards[h]
			if n := len(ls); n > 0 && ls[n-1].dataset == g.next {
				continue // listed twice in one dataset
			}
			g.shards[h] = append(ls, listing{dataset: g.next, publisher: d.Publisher, priced: d.Price > 0})
		}
		g.next++
	}
}

// Bought implements blob.Gate: whether account bought dataset id, or
// published it.
func (g *blobGate) Bought(ctx context.Context, account tx.Address, id uint64) (bool, error) {
	g.mu.Lock()
	pub, ok := g.publishers[id]
	g.mu.Unlock()
	if ok && pub == account {
		return true, nil
	}
	v, err := g.b.Query("data/dataset/"+strconv.FormatUint(id, 10)+"/buyer/"+account.String(), nil)
	if err != nil {
		return false, err
	}
	var p struct {
		Bought bool `json:"bought"`
	}
	if err := decodeInto(v, &p); err != nil {
		return false, err
	}
	return p.Bought, nil
}

// decodeInto converts a query's value into out through its JSON form, the
// form clients see.
func decodeInto(v, out any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, out)
}
