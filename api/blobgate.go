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
// A crawl job's WARC records are gated too, since anyone holding them can rebuild the
// dataset with data build: once the job's requester publishes a priced dataset of the
// job, the WARC blobs of the job's accepted pages (the hashes in their agreed receipts)
// are served only to the buyers of the requester's priced datasets of that job, the
// requester and the job's agreeing crawlers. A priced dataset someone else publishes
// from the job gates and opens nothing, so buying a cheap re-listing cannot read them.
// Before that publish the records are public, so anyone can build a free dataset.
//
// The gate learns datasets from the chain's data/dataset/{id} queries, in
// ID order, catching up before every answer so a newly published dataset is
// gated from its first committed block. Its index holds every listed shard
// once per dataset: memory grows with what publish transactions paid for.
func BlobGate(b Backend) blob.Gate {
	return &blobGate{b: b, next: 1, shards: map[[32]byte][]listing{}, publishers: map[uint64]tx.Address{},
		warcs: map[[32]byte]uint64{}, jobs: map[uint64]*gatedJob{}, datasetJob: map[uint64]uint64{}}
}

// gatedJob is a crawl job whose requester sells a dataset of it.
type gatedJob struct {
	requester tx.Address
	crawlers  map[tx.Address]bool
	datasets  []uint64 // the requester's priced datasets of the job
}

type blobGate struct {
	b Backend

	mu         sync.Mutex
	next       uint64 // first dataset id not indexed yet
	shards     map[[32]byte][]listing
	publishers map[uint64]tx.Address // of the priced datasets
	warcs      map[[32]byte]uint64   // WARC blob -> gated job
	jobs       map[uint64]*gatedJob
	datasetJob map[uint64]uint64 // the requester's priced dataset -> its job
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
	Job       uint64     `json:"job"`
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
	if owner == nil {
		if j, ok := g.warcs[hash]; ok {
			out = append(out, g.jobs[j].datasets...)
		}
	}
	return out, nil
}

// gateJob indexes the WARC records of the accepted pages of dataset d's job when the
// job's requester published d at a price.
func (g *blobGate) gateJob(d dataset) error {
	jid := strconv.FormatUint(d.Job, 10)
	v, err := g.b.Query("data/job/"+jid, nil)
	if err != nil {
		return fmt.Errorf("job %s: %w", jid, err)
	}
	var job struct {
		Requester tx.Address `json:"requester"`
	}
	if err := decodeInto(v, &job); err != nil {
		return fmt.Errorf("job %s: %w", jid, err)
	}
	if job.Requester != d.Publisher {
		return nil
	}
	gj := g.jobs[d.Job]
	if gj == nil {
		gj = &gatedJob{requester: job.Requester, crawlers: map[tx.Address]bool{}}
		g.jobs[d.Job] = gj
	}
	gj.datasets = append(gj.datasets, d.ID)
	g.datasetJob[d.ID] = d.Job
	// Pages accepted since an earlier dataset of the job are indexed too.
	params := map[string][]string{"state": {"accepted"}, "limit": {"100"}}
	for {
		v, err := g.b.Query("data/job/"+jid+"/urls", params)
		if err != nil {
			return fmt.Errorf("job %s pages: %w", jid, err)
		}
		var ps struct {
			Pages []struct {
				Agreed []tx.Address `json:"agreed"`
				WARCs  []string     `json:"warcs"`
			} `json:"pages"`
			Next *uint64 `json:"next"`
		}
		if err := decodeInto(v, &ps); err != nil {
			return fmt.Errorf("job %s pages: %w", jid, err)
		}
		for _, p := range ps.Pages {
			for _, a := range p.Agreed {
				gj.crawlers[a] = true
			}
			for _, w := range p.WARCs {
				if h, err := blob.ParseHash(w); err == nil {
					g.warcs[h] = d.Job
				}
			}
		}
		if ps.Next == nil {
			return nil
		}
		params["after"] = []string{strconv.FormatUint(*ps.Next, 10)}
	}
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
			if err := g.gateJob(d); err != nil {
				return fmt.Errorf("dataset %d: %w", g.next, err)
			}
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
// published it, or (for the WARC records of the dataset's job only, never
// its shards) crawled that job.
func (g *blobGate) Bought(ctx context.Context, account tx.Address, hash [32]byte, id uint64) (bool, error) {
	g.mu.Lock()
	pub, ok := g.publishers[id]
	crawled := false
	if j, gated := g.datasetJob[id]; gated && g.warcs[hash] == j {
		crawled = g.jobs[j].crawlers[account]
	}
	g.mu.Unlock()
	if ok && pub == account || crawled {
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
