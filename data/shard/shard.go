// Package shard turns a crawl job's accepted records into dataset shards:
// Parquet files with Hugging Face style columns, a JSON manifest, and a
// Merkle root over the records from which any one record's inclusion can be
// proven (issue 11 item 5).
//
// Everything here is pure and deterministic: records are sorted by ID, the
// Parquet writer settings are fixed and no timestamps are written, so two
// builds from the same records give the same bytes and the same root.
//
// Merkle tree: leaf i = SHA-256(0x00 || LeafEncoding(record i)), where the
// leaf encoding is every column in schema order, each as an 8-byte
// big-endian length followed by its bytes (integers as 8-byte big-endian,
// crawlers joined as length-prefixed strings). Inner node =
// SHA-256(0x01 || left || right). A level with an odd number of nodes
// carries its last node up unchanged. The root of zero records is
// SHA-256(0x02).
package shard

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/parquet-go/parquet-go"
)

// Record is one dataset row, in Hugging Face style columns.
type Record struct {
	ID            string   `parquet:"id" json:"id"`
	URL           string   `parquet:"url" json:"url"`
	Text          string   `parquet:"text" json:"text"`
	Language      string   `parquet:"language" json:"language"`
	LanguageScore int64    `parquet:"language_score" json:"language_score"` // parts per million
	FetchedAt     int64    `parquet:"fetched_at" json:"fetched_at"`         // block height
	TextHash      string   `parquet:"text_hash" json:"text_hash"`
	WARCBlob      string   `parquet:"warc_blob" json:"warc_blob"`
	Crawlers      []string `parquet:"crawlers,list" json:"crawlers"`
	Licence       string   `parquet:"licence" json:"licence"`
}

// Schema names the columns in leaf-encoding order.
var Schema = []string{"id", "url", "text", "language", "language_score", "fetched_at", "text_hash", "warc_blob", "crawlers", "licence"}

// ErrRootMismatch reports a manifest whose records do not hash to its root.
var ErrRootMismatch = errors.New("dataset root does not match its manifest")

// Manifest describes a built dataset.
type Manifest struct {
	SourceJob uint64      `json:"source_job"`
	Licence   string      `json:"licence"`
	Schema    []string    `json:"schema"`
	Records   int         `json:"records"`
	Root      string      `json:"root"`
	Shards    []ShardInfo `json:"shards"`
}

// ShardInfo names one shard by the SHA-256 of its bytes.
type ShardInfo struct {
	Hash    string `json:"hash"`
	Records int    `json:"records"`
}

// Dataset is a build's output: the shard files, in order, and the manifest.
type Dataset struct {
	Shards   [][]byte
	Manifest Manifest
}

func putBytes(b *bytes.Buffer, p []byte) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(p)))
	b.Write(n[:])
	b.Write(p)
}

func putInt(b *bytes.Buffer, v int64) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(v))
	putBytes(b, n[:])
}

// LeafEncoding is the canonical byte encoding of r hashed into its leaf.
func LeafEncoding(r Record) []byte {
	var b bytes.Buffer
	for _, s := range []string{r.ID, r.URL, r.Text, r.Language} {
		putBytes(&b, []byte(s))
	}
	putInt(&b, r.LanguageScore)
	putInt(&b, r.FetchedAt)
	putBytes(&b, []byte(r.TextHash))
	putBytes(&b, []byte(r.WARCBlob))
	var c bytes.Buffer
	for _, s := range r.Crawlers {
		putBytes(&c, []byte(s))
	}
	putBytes(&b, c.Bytes())
	putBytes(&b, []byte(r.Licence))
	return b.Bytes()
}

// Leaf is the Merkle leaf hash of r.
func Leaf(r Record) [32]byte {
	return sha256.Sum256(append([]byte{0}, LeafEncoding(r)...))
}

func node(l, r [32]byte) [32]byte {
	var p [65]byte
	p[0] = 1
	copy(p[1:], l[:])
	copy(p[33:], r[:])
	return sha256.Sum256(p[:])
}

// Root is the Merkle root over leaves.
func Root(leaves [][32]byte) [32]byte {
	if len(leaves) == 0 {
		return sha256.Sum256([]byte{2})
	}
	level := append([][32]byte(nil), leaves...)
	for len(level) > 1 {
		next := make([][32]byte, 0, (len(level)+1)/2)
		for i := 0; i+1 < len(level); i += 2 {
			next = append(next, node(level[i], level[i+1]))
		}
		if len(level)%2 == 1 {
			next = append(next, level[len(level)-1])
		}
		level = next
	}
	return level[0]
}

// Step is one sibling on a proof's path; Left says the sibling is on the left.
type Step struct {
	Hash string `json:"hash"`
	Left bool   `json:"left"`
}

// Proof shows that record Index of Count records hashes to Root.
type Proof struct {
	Index int    `json:"index"`
	Count int    `json:"count"`
	Leaf  string `json:"leaf"`
	Root  string `json:"root"`
	Path  []Step `json:"path"`
}

// Prove builds the inclusion proof of leaf index.
func Prove(leaves [][32]byte, index int) (Proof, error) {
	if index < 0 || index >= len(leaves) {
		return Proof{}, fmt.Errorf("record %d out of range: dataset has %d records", index, len(leaves))
	}
	p := Proof{Index: index, Count: len(leaves), Leaf: hex.EncodeToString(leaves[index][:])}
	level := append([][32]byte(nil), leaves...)
	i := index
	for len(level) > 1 {
		if sib := i ^ 1; sib < len(level) {
			p.Path = append(p.Path, Step{Hash: hex.EncodeToString(level[sib][:]), Left: sib < i})
		}
		next := make([][32]byte, 0, (len(level)+1)/2)
		for j := 0; j+1 < len(level); j += 2 {
			next = append(next, node(level[j], level[j+1]))
		}
		if len(level)%2 == 1 {
			next = append(next, level[len(level)-1])
		}
		level, i = next, i/2
	}
	r := Root(leaves)
	p.Root = hex.EncodeToString(r[:])
	return p, nil
}

func decodeHash(s string) ([32]byte, error) {
	var h [32]byte
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return h, fmt.Errorf("bad hash %q: want 64 hex digits", s)
	}
	copy(h[:], b)
	return h, nil
}

// Verify checks p against root; when rec is non-nil its leaf must match too.
func Verify(p Proof, rec *Record, root string) error {
	leaf, err := decodeHash(p.Leaf)
	if err != nil {
		return fmt.Errorf("proof leaf: %w", err)
	}
	if rec != nil && Leaf(*rec) != leaf {
		return errors.New("record does not hash to the proof's leaf")
	}
	if p.Index < 0 || p.Index >= p.Count {
		return fmt.Errorf("proof index %d out of range of %d records", p.Index, p.Count)
	}
	// Recompute which levels have a sibling, so a proof cannot skip or add steps.
	h, i, n, k := leaf, p.Index, p.Count, 0
	for n > 1 {
		if sib := i ^ 1; sib < n {
			if k >= len(p.Path) {
				return errors.New("proof path too short")
			}
			s, err := decodeHash(p.Path[k].Hash)
			if err != nil {
				return fmt.Errorf("proof step %d: %w", k, err)
			}
			if p.Path[k].Left != (sib < i) {
				return fmt.Errorf("proof step %d on the wrong side", k)
			}
			if sib < i {
				h = node(s, h)
			} else {
				h = node(h, s)
			}
			k++
		}
		i, n = i/2, (n+1)/2
	}
	if k != len(p.Path) {
		return errors.New("proof path too long")
	}
	want, err := decodeHash(root)
	if err != nil {
		return fmt.Errorf("root: %w", err)
	}
	if h != want {
		return errors.New("proof does not lead to the dataset root")
	}
	return nil
}

// Sort orders records by ID, the order shards and the tree use.
func Sort(recs []Record) {
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].ID < recs[j].ID })
}

// Build sorts recs by ID and writes them into shards of at most perShard
// records, returning the shards and a manifest with the Merkle root.
func Build(recs []Record, job uint64, licence string, perShard int) (Dataset, error) {
	if perShard <= 0 {
		return Dataset{}, fmt.Errorf("records per shard must be positive, got %d", perShard)
	}
	recs = append([]Record(nil), recs...)
	Sort(recs)
	for i := 1; i < len(recs); i++ {
		if recs[i].ID == recs[i-1].ID {
			return Dataset{}, fmt.Errorf("duplicate record id %q", recs[i].ID)
		}
	}
	d := Dataset{Manifest: Manifest{SourceJob: job, Licence: licence, Schema: Schema, Records: len(recs)}}
	for start := 0; start < len(recs); start += perShard {
		end := min(start+perShard, len(recs))
		b, err := writeParquet(recs[start:end])
		if err != nil {
			return Dataset{}, err
		}
		h := sha256.Sum256(b)
		d.Shards = append(d.Shards, b)
		d.Manifest.Shards = append(d.Manifest.Shards, ShardInfo{Hash: hex.EncodeToString(h[:]), Records: end - start})
	}
	r := Root(Leaves(recs))
	d.Manifest.Root = hex.EncodeToString(r[:])
	return d, nil
}

// Leaves hashes recs in order.
func Leaves(recs []Record) [][32]byte {
	out := make([][32]byte, len(recs))
	for i, r := range recs {
		out[i] = Leaf(r)
	}
	return out
}

func writeParquet(recs []Record) ([]byte, error) {
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[Record](&buf, parquet.CreatedBy("emergence", "1", ""))
	if _, err := w.Write(recs); err != nil {
		return nil, fmt.Errorf("write parquet: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("close parquet: %w", err)
	}
	return buf.Bytes(), nil
}

// ReadShard decodes one Parquet shard.
func ReadShard(b []byte) ([]Record, error) {
	recs, err := parquet.Read[Record](bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, fmt.Errorf("read parquet shard: %w", err)
	}
	return recs, nil
}

// Check verifies that shards match the manifest: each shard hashes to its
// entry, record counts agree, and the records hash to the manifest's root.
// It returns the records in order.
func Check(m Manifest, shards [][]byte) ([]Record, error) {
	if len(shards) != len(m.Shards) {
		return nil, fmt.Errorf("manifest lists %d shards, got %d", len(m.Shards), len(shards))
	}
	var all []Record
	for i, b := range shards {
		h := sha256.Sum256(b)
		if hex.EncodeToString(h[:]) != m.Shards[i].Hash {
			return nil, fmt.Errorf("shard %d hashes to %x, manifest says %s", i, h, m.Shards[i].Hash)
		}
		recs, err := ReadShard(b)
		if err != nil {
			return nil, fmt.Errorf("shard %d: %w", i, err)
		}
		if len(recs) != m.Shards[i].Records {
			return nil, fmt.Errorf("shard %d has %d records, manifest says %d", i, len(recs), m.Shards[i].Records)
		}
		all = append(all, recs...)
	}
	if len(all) != m.Records {
		return nil, fmt.Errorf("shards hold %d records, manifest says %d", len(all), m.Records)
	}
	r := Root(Leaves(all))
	if hex.EncodeToString(r[:]) != m.Root {
		return nil, fmt.Errorf("%w: records hash to %x, manifest claims %s", ErrRootMismatch, r, m.Root)
	}
	return all, nil
}

// MarshalManifest encodes m as indented JSON (deterministic: struct field order).
func MarshalManifest(m Manifest) ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	return append(b, '\n'), nil
}
