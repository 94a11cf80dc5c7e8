package builder

import (
	"emergence/data/clean"
	"emergence/data/shard"
)

// Clean runs recs (in ID order, as Records returns them) through the cleaning pipeline
// after extraction (language, Gopher repetition and quality, C4, FineWeb, MinHash; the
// first of a set of near duplicates is kept) and returns the records it keeps and the
// counts per filter. A kept record is returned unchanged, text included: its text still
// hashes to the text hash its crawlers agreed on, so a cleaned dataset checks against the
// chain record by record. The pipeline's line filtering and PII masking, which would
// change the text, are left to 'data clean' and its consumers.
func Clean(recs []shard.Record, opts clean.Options) (kept []shard.Record, counts []clean.Count) {
	p := clean.NewPipeline(opts)
	for _, r := range recs {
		if p.ProcessText(clean.Outcome{URL: r.URL}, r.Text).Kept {
			kept = append(kept, r)
		}
	}
	return kept, p.Counts()
}
