package data

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"emergence/store"
)

type emptyReader struct{}

func (emptyReader) Get([]byte) []byte                             { return nil }
func (emptyReader) Iterate(_, _ []byte, _ func(k, v []byte) bool) {}

// BenchmarkDatasetLink reads the largest dataset record a provenance link
// can name (MaxShards shard hashes) the way the label and zkml modules do,
// and reports the nanoseconds per gas unit the cheaper of the two charges
// (label's GasDatasetLink plus 10 gas per byte) buys.
func BenchmarkDatasetLink(b *testing.B) {
	var err error
	kv := store.NewCache(emptyReader{}, &err)
	d := Dataset{ID: 1, Job: 1, Name: "n", Root: hex.EncodeToString(make([]byte, 32)), Records: 1, Licence: "CC0"}
	for i := 0; i < MaxShards; i++ {
		h := sha256.Sum256([]byte{byte(i), byte(i >> 8)})
		d.Shards = append(d.Shards, hex.EncodeToString(h[:]))
	}
	store.PutJSON(kv, datasetKey(1), d)
	m := &Module{}
	var size int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, _, n, ok := m.DatasetRecords(kv, 1)
		if !ok {
			b.Fatal("dataset not read")
		}
		size = n
	}
	b.StopTimer()
	gas := 2_000 + 10*size
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(gas), "ns/gas")
	b.ReportMetric(float64(size), "bytes")
}
