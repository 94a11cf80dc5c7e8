package clean_test

import (
	"os"
	"testing"

	"emergence/data/clean"
)

// BenchmarkPipeline runs the whole pipeline (extraction, language identification, Gopher
// repetition and quality, C4, FineWeb, MinHash dedup, PII masking) over 300 real HTML
// pages of Debian's packaged manuals (../../testdata/site/install-docs.sh installs them)
// and reports documents per second. Run with -cpu 1 for the one-core figure.
func BenchmarkPipeline(b *testing.B) {
	files := docPages(b, 300)
	var pages [][]byte
	for _, f := range files {
		p, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		pages = append(pages, p)
	}
	b.ResetTimer()
	docs, kept := 0, 0
	for i := 0; i < b.N; i++ {
		p := clean.NewPipeline(clean.Options{Languages: []string{"en"}})
		for j, page := range pages {
			docs++
			if p.Process(page, files[j]).Kept {
				kept++
			}
		}
	}
	b.ReportMetric(float64(docs)/b.Elapsed().Seconds(), "docs/s")
	b.ReportMetric(float64(kept)/float64(docs), "kept/doc")
}
