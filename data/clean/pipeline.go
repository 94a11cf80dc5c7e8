package clean

// Filters names the pipeline's stages in the order they run, as datatrove's FineWeb
// pipeline orders them: extraction, language, Gopher repetition, Gopher quality, C4,
// FineWeb, MinHash near-duplicate removal. PII masking runs last on kept text and rejects
// nothing.
var Filters = []string{"extract", "language", "gopher_repetition", "gopher_quality", "c4_quality", "fineweb_quality", "minhash"}

// Options configures a Pipeline.
type Options struct {
	// Languages are the ISO 639-1 codes kept; empty keeps every language (datatrove's
	// default is English only: pass []string{"en"} for that).
	Languages []string
}

// Outcome is what the pipeline decided about one document. A rejected document keeps its
// Reason, as datatrove's exclusion writer keeps each filter's rejects.
type Outcome struct {
	URL   string
	Title string
	// Text is the kept text: extracted, C4-line-filtered and PII-masked. For a rejected
	// document it is the extracted text as the failing filter saw it.
	Text          string
	Language      string
	LanguageScore int64
	Kept          bool
	Reason        Reason
}

// Pipeline runs documents through every filter in order. It is deterministic for a given
// input order (the first of a set of near duplicates is kept) and not safe for
// concurrent use.
type Pipeline struct {
	opts   Options
	dedup  *Deduper
	counts map[string]int
}

// NewPipeline returns an empty pipeline.
func NewPipeline(opts Options) *Pipeline {
	return &Pipeline{opts: opts, dedup: NewDeduper(), counts: map[string]int{}}
}

// Process runs one HTML page through the pipeline.
func (p *Pipeline) Process(html []byte, url string) Outcome {
	out := Outcome{URL: url}
	d, err := Extract(html, url)
	if err != nil {
		return p.reject(out, Reason{Filter: "extract", Rule: "no_readable_content"})
	}
	out.Title = d.Title
	return p.ProcessText(out, d.Text)
}

// ProcessText runs already extracted, normalised text (out.URL and out.Title set by the
// caller) through the filters after extraction. Process calls it; callers that extracted
// the text themselves count the document with it.
func (p *Pipeline) ProcessText(out Outcome, text string) Outcome {
	out.Text = text
	lang, score, r, ok := LanguageFilter(text, p.opts.Languages)
	out.Language, out.LanguageScore = lang, score
	if !ok {
		return p.reject(out, r)
	}
	tk := tokenise(text)
	if r, ok := gopherRepetition(tk); !ok {
		return p.reject(out, r)
	}
	if r, ok := gopherQuality(tk); !ok {
		return p.reject(out, r)
	}
	kept, r, ok := C4Quality(text)
	if !ok {
		return p.reject(out, r)
	}
	out.Text = kept
	if r, ok := FineWebQuality(kept); !ok {
		return p.reject(out, r)
	}
	if p.dedup.Add(kept) {
		return p.reject(out, Reason{Filter: "minhash", Rule: "near_duplicate"})
	}
	out.Text = MaskPII(kept)
	out.Kept = true
	p.counts["kept"]++
	return out
}

func (p *Pipeline) reject(out Outcome, r Reason) Outcome {
	out.Reason = r
	p.counts[r.Filter]++
	return out
}

// Count is how many documents one filter rejected (or, for "kept", kept).
type Count struct {
	Filter string
	N      int
}

// Counts returns the rejections per filter in Filters order, then the kept count.
func (p *Pipeline) Counts() []Count {
	out := make([]Count, 0, len(Filters)+1)
	for _, f := range Filters {
		out = append(out, Count{f, p.counts[f]})
	}
	return append(out, Count{"kept", p.counts["kept"]})
}
