package data

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/bits"
	"strings"
	"unicode/utf8"

	"emergence/app"
	"emergence/store"
	"emergence/tx"
)

func (m *Module) handlePublish(ctx *app.Context, raw json.RawMessage) error {
	var msg Publish
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	if len(msg.Shards) == 0 || len(msg.Shards) > MaxShards {
		return CodeBadDataset.Errorf("%d shards, want 1 to %d", len(msg.Shards), MaxShards)
	}
	if err := ctx.ConsumeGas(GasPerShard*uint64(len(msg.Shards)), "shards"); err != nil {
		return err
	}
	for _, h := range append([]string{msg.Root, msg.Manifest}, msg.Shards...) {
		if _, err := ParseHash(h); err != nil {
			return CodeBadDataset.Errorf("%v", err)
		}
	}
	if msg.Name == "" || len(msg.Name) > MaxNameLen || !utf8Valid(msg.Name) {
		return CodeBadDataset.Errorf("name must be 1 to %d bytes of UTF-8", MaxNameLen)
	}
	if msg.Licence == "" || len(msg.Licence) > MaxLicenceLen || !utf8Valid(msg.Licence) {
		return CodeBadDataset.Errorf("licence must be 1 to %d bytes of UTF-8", MaxLicenceLen)
	}
	j, err := loadJob(ctx.KV, msg.Job)
	if err != nil {
		return err
	}
	if j.Accepted == 0 {
		return CodeNoAcceptedPages.Errorf("job %d has no accepted pages", j.ID)
	}
	// A dataset holds the job's accepted pages, or the part of them the
	// cleaning filters kept ('data build --clean'): never more, never none.
	if msg.Records == 0 || msg.Records > j.Accepted {
		return CodeRecordMismatch.Errorf("dataset lists %d records, job %d accepted %d pages (a dataset holds 1 to %d)", msg.Records, j.ID, j.Accepted, j.Accepted)
	}
	id := store.GetU64(ctx.KV, keyNextDS) + 1
	store.PutU64(ctx.KV, keyNextDS, id)
	d := Dataset{ID: id, Publisher: ctx.Signer, Job: j.ID, Name: msg.Name, Root: strings.ToLower(msg.Root),
		Manifest: strings.ToLower(msg.Manifest), Shards: msg.Shards, Records: msg.Records, Price: msg.Price,
		Licence: msg.Licence, Height: ctx.Height}
	for i := range d.Shards {
		d.Shards[i] = strings.ToLower(d.Shards[i])
	}
	store.PutJSON(ctx.KV, datasetKey(id), d)
	ctx.KV.Set(byJobKey(j.ID, id), []byte{1})
	root, _ := ParseHash(d.Root)
	ctx.KV.Set(rootKey(root, id), []byte{1})
	ctx.Emit("data-published", "dataset", u64(id), "job", u64(j.ID), "root", d.Root, "records", u64(d.Records))
	return nil
}

func utf8Valid(s string) bool { return utf8.ValidString(s) }

// Split is how one sale of price is divided: each crawler of the job's
// accepted pages in proportion to the pages it agreed on, the requester,
// and the treasury (its share plus every rounding remainder).
type Split struct {
	Crawlers  []JobCrawler `json:"crawlers"`
	Shares    []uint64     `json:"shares"`
	Requester uint64       `json:"requester"`
	Treasury  uint64       `json:"treasury"`
}

// SplitSale divides price between crawlers (their Accepted counts are the
// weights), the requester and the treasury with the permille shares of p.
func SplitSale(price uint64, crawlers []JobCrawler, p Params) Split {
	s := Split{Crawlers: crawlers, Shares: make([]uint64, len(crawlers))}
	pool := mulDiv(price, p.CrawlerShare, 1000)
	s.Requester = mulDiv(price, p.RequesterShare, 1000)
	var weight uint64
	for _, c := range crawlers {
		weight += c.Accepted
	}
	var paid uint64
	if weight > 0 {
		for i, c := range crawlers {
			s.Shares[i] = mulDiv(pool, c.Accepted, weight)
			paid += s.Shares[i]
		}
	}
	s.Treasury = price - paid - s.Requester
	return s
}

// mulDiv is a*b/c without overflow (c > 0 and a*b/c < 2^64 for the callers:
// b <= c).
func mulDiv(a, b, c uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	q, _ := bits.Div64(hi, lo, c)
	return q
}

func (m *Module) handleBuy(ctx *app.Context, raw json.RawMessage) error {
	var msg Buy
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	d, err := loadDataset(ctx.KV, msg.Dataset)
	if err != nil {
		return err
	}
	if ctx.KV.Get(boughtKey(d.ID, ctx.Signer)) != nil {
		return CodeAlreadyBought.Errorf("dataset %d by %s", d.ID, ctx.Signer)
	}
	j, err := loadJob(ctx.KV, d.Job)
	if err != nil {
		return err
	}
	if err := ctx.ConsumeGas(GasPerShare*j.Crawlers, "sale shares"); err != nil {
		return err
	}
	prm, err := m.params(ctx.KV)
	if err != nil {
		return err
	}
	if d.Price > 0 {
		if err := m.bank.Lock(ctx.KV, ctx.Signer, Escrow, d.Price); err != nil {
			return err
		}
		jcs, err := store.ListJSON[JobCrawler](ctx.KV, jcPrefix(j.ID), store.PrefixEnd(jcPrefix(j.ID)), 0)
		if err != nil {
			return err
		}
		s := SplitSale(d.Price, jcs, prm)
		for i, c := range s.Crawlers {
			if s.Shares[i] == 0 {
				continue
			}
			if err := m.bank.Release(ctx.KV, Escrow, c.Crawler, s.Shares[i]); err != nil {
				return fmt.Errorf("pay crawler %s: %w", c.Crawler, err)
			}
		}
		if s.Requester > 0 {
			if err := m.bank.Release(ctx.KV, Escrow, j.Requester, s.Requester); err != nil {
				return fmt.Errorf("pay requester: %w", err)
			}
		}
		if s.Treasury > 0 {
			if err := m.bank.MoveModule(ctx.KV, Escrow, Treasury, s.Treasury); err != nil {
				return fmt.Errorf("pay treasury: %w", err)
			}
		}
	}
	d.Buyers++
	d.Revenue += d.Price
	store.PutJSON(ctx.KV, datasetKey(d.ID), d)
	store.PutU64(ctx.KV, boughtKey(d.ID, ctx.Signer), uint64(ctx.Height))
	ctx.Emit("data-bought", "dataset", u64(d.ID), "buyer", ctx.Signer.String(), "price", u64(d.Price))
	return nil
}

// DatasetsWithRoot returns the ids of the datasets registered with Merkle
// root root, oldest first, at most MaxPage of them. The zkml module asks it
// to refuse an attestation naming an unregistered dataset root.
func DatasetsWithRoot(r store.Reader, root [32]byte) []uint64 {
	base := store.Key(prefixRoot, root[:])
	var ids []uint64
	r.Iterate(base, store.PrefixEnd(base), func(k, _ []byte) bool {
		ids = append(ids, store.U64(k[len(base):]))
		return len(ids) < MaxPage
	})
	return ids
}

// DatasetExists reports whether dataset id is registered (a label job that
// takes its items from a dataset names it).
func DatasetExists(r store.Reader, id uint64) bool { return r.Get(datasetKey(id)) != nil }

// Bought reports whether buyer bought dataset id (the blob server's gate
// for paid shards asks this through the purchase query).
func Bought(r store.Reader, id uint64, buyer tx.Address) bool {
	return r.Get(boughtKey(id, buyer)) != nil
}

// DatasetRecords returns dataset id's record count, Merkle root (hex)
// and the size in bytes of its stored record (up to MaxShards shard
// hashes, so callers charge gas for it), ok false when it is not
// registered. The label module reads it for a job that takes its items
// from a dataset.
func (m *Module) DatasetRecords(r store.Reader, id uint64) (records uint64, root string, size int, ok bool) {
	raw := r.Get(datasetKey(id))
	if raw == nil {
		return 0, "", 0, false
	}
	var d struct {
		Records uint64 `json:"records"`
		Root    string `json:"root"`
	}
	if json.Unmarshal(raw, &d) != nil {
		return 0, "", len(raw), false
	}
	return d.Records, d.Root, len(raw), true
}

// DatasetRoot returns dataset id's Merkle root (hex) and the size of its
// stored record, ok false when it is not registered. The zkml module reads
// it to check the dataset an attestation names.
func (m *Module) DatasetRoot(r store.Reader, id uint64) (string, int, bool) {
	_, root, size, ok := m.DatasetRecords(r, id)
	return root, size, ok
}

// HasRoot reports whether a registered dataset has Merkle root root (hex).
func (m *Module) HasRoot(r store.Reader, root string) bool {
	h, err := ParseHash(root)
	if err != nil {
		return false
	}
	base := store.Key(prefixRoot, h[:])
	found := false
	r.Iterate(base, store.PrefixEnd(base), func(_, _ []byte) bool {
		found = true
		return false
	})
	return found
}

// Evidence returns dataset id's provenance (its crawl job and the crawlers
// of its pages, at most MaxPage of them), ok false when it is not
// registered. The zkml module's provenance query reads it.
func (m *Module) Evidence(r store.Reader, id uint64) (any, bool) {
	p, err := m.qProvenance(r, []string{fmt.Sprint(id)}, nil)
	if err != nil {
		return nil, false
	}
	return p, true
}

// Kinds of use in the prefixUse index.
const (
	useLabelJob    byte = 'l'
	useAttestation byte = 'a'
)

func useKey(ds uint64, kind byte, id uint64) []byte {
	return store.Key(prefixUse, store.BE64(ds), []byte{kind}, store.BE64(id))
}

// NoteLabelJob records that labeling job job takes its items from dataset
// ds, so the dataset's provenance lists it. The label module calls it when
// it creates such a job and charges for the one 26-byte key
// (label.GasDatasetNote); zkml charges zkml.GasLinkNote for
// NoteAttestation, which also scans the root index once.
func (m *Module) NoteLabelJob(kv store.KV, ds, job uint64) {
	kv.Set(useKey(ds, useLabelJob, job), []byte{1})
}

// NoteAttestation records that zkml attestation id names dataset ds (or,
// when ds is 0, the first registered dataset with Merkle root root), so the
// dataset's provenance lists it. The zkml module calls it when it records
// an attestation whose links it checked.
func (m *Module) NoteAttestation(kv store.KV, ds uint64, root string, id uint64) {
	if ds == 0 {
		h, err := ParseHash(root)
		if err != nil {
			return
		}
		base := store.Key(prefixRoot, h[:])
		kv.Iterate(base, store.PrefixEnd(base), func(k, _ []byte) bool {
			if len(k) == len(base)+8 {
				ds = binary.BigEndian.Uint64(k[len(base):])
			}
			return false
		})
		if ds == 0 {
			return
		}
	}
	kv.Set(useKey(ds, useAttestation, id), []byte{1})
}

// uses lists up to max ids of one kind built on dataset ds, in id order,
// and whether more follow.
func uses(r store.Reader, ds uint64, kind byte, max int) (ids []uint64, more bool) {
	base := store.Key(prefixUse, store.BE64(ds), []byte{kind})
	ids = []uint64{}
	r.Iterate(base, store.PrefixEnd(base), func(k, _ []byte) bool {
		if len(ids) == max {
			more = true
			return false
		}
		if len(k) == len(base)+8 {
			ids = append(ids, binary.BigEndian.Uint64(k[len(base):]))
		}
		return true
	})
	return ids, more
}
