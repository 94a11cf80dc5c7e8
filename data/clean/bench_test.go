package clean_test

import (
	"os"
	"syscall"
	"testing"
	"time"

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
	cpu0 := cpuTime(b)
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
	// The process's CPU time is the honest figure on a shared machine, where the wall
	// clock also counts other processes' turns.
	b.ReportMetric(float64(docs)/(cpuTime(b)-cpu0).Seconds(), "docs/cpu-s")
	b.ReportMetric(float64(kept)/float64(docs), "kept/doc")
}

// cpuTime is the user and system CPU time this process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
