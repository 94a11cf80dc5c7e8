package clean_test

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"emergence/data/clean"
)

// BenchmarkPipeline runs extraction, PII masking, the Gopher and C4 filters and MinHash
// dedup over real HTML: the testdata pages and Go's own HTML docs under GOROOT/doc.
func BenchmarkPipeline(b *testing.B) {
	files, _ := filepath.Glob("testdata/*.html")
	more, _ := filepath.Glob(filepath.Join(runtime.GOROOT(), "doc", "*.html"))
	files = append(files, more...)
	var pages [][]byte
	for _, f := range files {
		p, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		pages = append(pages, p)
	}
	b.ResetTimer()
	docs := 0
	for i := 0; i < b.N; i++ {
		dd := clean.NewDeduper()
		for _, p := range pages {
			docs++
			d, err := clean.Extract(p, "")
			if err != nil {
				continue
			}
			text := clean.MaskPII(d.Text)
			if _, ok := clean.GopherQuality(text); !ok {
				continue
			}
			clean.C4Quality(text)
			dd.Add(text)
		}
	}
	b.ReportMetric(float64(docs)/b.Elapsed().Seconds(), "docs/s")
}
