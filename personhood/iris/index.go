package iris

import (
	"fmt"
	"math/bits"
	"runtime"
	"sort"
	"sync"
)

// Rule says how two per-eye decisions make a person match.
type Rule int

const (
	// RuleBothEyes matches a person when both eyes match (World's "both eyes").
	RuleBothEyes Rule = iota
	// RuleEitherEye matches when at least one eye matches: stricter
	// uniqueness, more false matches.
	RuleEitherEye
)

// Config tunes matching and search.
type Config struct {
	// Threshold is the FHD at or below which two eyes match (0 < t < 0.5).
	Threshold float64
	// EarlyReject is the prefix-stage FHD bound of the cascade (>= Threshold).
	EarlyReject float64
	// MinCommonBits is the least commonly unmasked bits for a rotation to count.
	MinCommonBits int
	// Rule combines the two eyes.
	Rule Rule
	// Workers is the number of goroutines a search uses (0: GOMAXPROCS).
	Workers int
}

// DefaultConfig returns the production settings.
func DefaultConfig() Config {
	return Config{Threshold: DefaultThreshold, EarlyReject: DefaultEarlyReject, MinCommonBits: DefaultMinCommonBits, Rule: RuleBothEyes}
}

func (c Config) validate() error {
	if !(c.Threshold > 0 && c.Threshold < 0.5) {
		return fmt.Errorf("threshold %v outside (0, 0.5)", c.Threshold)
	}
	if !(c.EarlyReject >= c.Threshold && c.EarlyReject <= 1) {
		return fmt.Errorf("early reject %v outside [threshold, 1]", c.EarlyReject)
	}
	if c.MinCommonBits < 1 || c.MinCommonBits > CodeBits {
		return fmt.Errorf("min common bits %d outside 1..%d", c.MinCommonBits, CodeBits)
	}
	if c.Rule != RuleBothEyes && c.Rule != RuleEitherEye {
		return fmt.Errorf("unknown rule %d", c.Rule)
	}
	if c.Workers < 0 {
		return fmt.Errorf("negative workers %d", c.Workers)
	}
	return nil
}

// Person is the two eyes of one capture.
type Person struct {
	Left, Right Template
}

// eyeStore holds one eye of every enrolled person in the cascade layout:
// stored position p holds column storedColumn(p), code and mask interleaved.
type eyeStore struct {
	prefix []prefixBlock // one per person
	rest   []restBlock   // one per person
}

// prefixBlock holds the first prefixWords stored columns and restBlock the
// others, each as codes then masks (runs of whole 64-byte lines, so a vector
// unit loads eight codes or eight masks at once).
type (
	prefixBlock struct {
		C, M [prefixWords]uint64
	}
	restBlock struct {
		C, M [restWords]uint64
	}
)

func (e *eyeStore) add(t *Template) {
	var pre prefixBlock
	var rest restBlock
	for p := 0; p < Words; p++ {
		c := storedColumn(p)
		if p < prefixWords {
			pre.C[p], pre.M[p] = t.Code[c], t.Mask[c]
		} else {
			rest.C[p-prefixWords], rest.M[p-prefixWords] = t.Code[c], t.Mask[c]
		}
	}
	e.prefix = append(e.prefix, pre)
	e.rest = append(e.rest, rest)
}

func (e *eyeStore) template(i int) Template {
	var t Template
	pre, rest := &e.prefix[i], &e.rest[i]
	for p := 0; p < Words; p++ {
		c := storedColumn(p)
		if p < prefixWords {
			t.Code[c], t.Mask[c] = pre.C[p], pre.M[p]
		} else {
			q := p - prefixWords
			t.Code[c], t.Mask[c] = rest.C[q], rest.M[q]
		}
	}
	return t
}

// Index is an in-memory gallery of enrolled people. Add is not safe for
// concurrent use with Search; Search may run concurrently with itself.
type Index struct {
	cfg         Config
	n           int
	left, right eyeStore
}

// NewIndex returns an empty index.
func NewIndex(cfg Config) (*Index, error) {
	if cfg.Workers == 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("iris config: %w", err)
	}
	return &Index{cfg: cfg}, nil
}

// Config returns the index settings.
func (x *Index) Config() Config { return x.cfg }

// Len returns the number of enrolled people.
func (x *Index) Len() int { return x.n }

// Reserve preallocates room for n more people.
func (x *Index) Reserve(n int) {
	for _, e := range []*eyeStore{&x.left, &x.right} {
		pre := make([]prefixBlock, len(e.prefix), len(e.prefix)+n)
		copy(pre, e.prefix)
		rest := make([]restBlock, len(e.rest), len(e.rest)+n)
		copy(rest, e.rest)
		e.prefix, e.rest = pre, rest
	}
}

// Add enrols p and returns its id (0, 1, 2, ...).
func (x *Index) Add(p *Person) int {
	x.left.add(&p.Left)
	x.right.add(&p.Right)
	x.n++
	return x.n - 1
}

// Person returns the enrolled person with the given id.
func (x *Index) Person(id int) (Person, error) {
	if id < 0 || id >= x.n {
		return Person{}, fmt.Errorf("person %d not in index of %d", id, x.n)
	}
	return Person{Left: x.left.template(id), Right: x.right.template(id)}, nil
}

// probe is one query eye, rotated 31 ways, in the stored column order.
type probe struct {
	pre  [Rotations]prefixBlock
	rest [Rotations]restBlock
}

func newProbe(t *Template) *probe {
	pr := new(probe)
	for r := 0; r < Rotations; r++ {
		s := r - MaxShift
		for p := 0; p < Words; p++ {
			c := (storedColumn(p) + s + Cols) % Cols
			if p < prefixWords {
				pr.pre[r].C[p], pr.pre[r].M[p] = t.Code[c], t.Mask[c]
			} else {
				pr.rest[r].C[p-prefixWords], pr.rest[r].M[p-prefixWords] = t.Code[c], t.Mask[c]
			}
		}
	}
	return pr
}

// passPrefix reports whether some rotation's prefix distance is <= thr (or
// has too few common bits to judge). With AVX-512 VPOPCNTDQ the counts of
// all 31 rotations come from prefixCountsVector; otherwise two rotations run
// per pass over the template so their popcount chains overlap.
func (pr *probe) passPrefix(ga *prefixBlock, thr uint64, minBits int) bool {
	if prefixCountsVector != nil {
		var out [Rotations][2]uint32
		prefixCountsVector(&pr.pre, ga, &out)
		for r := range out {
			d, m := uint64(out[r][0]), out[r][1]
			if int(m) < minBits || d<<fixedShift <= thr*uint64(m) {
				return true
			}
		}
		return false
	}
	for r := 0; r+1 < Rotations; r += 2 {
		qa := &pr.pre[r]
		qb := &pr.pre[r+1]
		var da, ma, db, mb int
		for k := range ga.C {
			gc, gm := ga.C[k], ga.M[k]
			mma := qa.M[k] & gm
			mmb := qb.M[k] & gm
			da += bits.OnesCount64((qa.C[k] ^ gc) & mma)
			db += bits.OnesCount64((qb.C[k] ^ gc) & mmb)
			ma += bits.OnesCount64(mma)
			mb += bits.OnesCount64(mmb)
		}
		if ma < minBits || uint64(da)<<fixedShift <= thr*uint64(ma) ||
			mb < minBits || uint64(db)<<fixedShift <= thr*uint64(mb) {
			return true
		}
	}
	d, m := prefixCounts(&pr.pre[Rotations-1], ga)
	return m < minBits || uint64(d)<<fixedShift <= thr*uint64(m)
}

// prefixCounts returns the prefix (diff, common) counts of one rotation.
func prefixCounts(q, g *prefixBlock) (d, m int) {
	for k := range g.C {
		mm := q.M[k] & g.M[k]
		d += bits.OnesCount64((q.C[k] ^ g.C[k]) & mm)
		m += bits.OnesCount64(mm)
	}
	return d, m
}

// full returns the minimum exact distance over rotations with at least
// minBits common bits, as (diff, common); common is 0 when none qualifies.
func (pr *probe) full(pre *prefixBlock, rest *restBlock, minBits int) (bestD, bestM int) {
	var pc, rc [Rotations][2]uint32
	if prefixCountsVector != nil && restCountsVector != nil {
		prefixCountsVector(&pr.pre, pre, &pc)
		restCountsVector(&pr.rest, rest, &rc)
	} else {
		for r := 0; r < Rotations; r++ {
			d, m := prefixCounts(&pr.pre[r], pre)
			pc[r] = [2]uint32{uint32(d), uint32(m)}
			d, m = restCounts(&pr.rest[r], rest)
			rc[r] = [2]uint32{uint32(d), uint32(m)}
		}
	}
	for r := 0; r < Rotations; r++ {
		d, m := int(pc[r][0]+rc[r][0]), int(pc[r][1]+rc[r][1])
		if m >= minBits && (bestM == 0 || d*bestM < bestD*m) {
			bestD, bestM = d, m
		}
	}
	return bestD, bestM
}

// restCounts returns the (diff, common) counts of the rest of one rotation.
func restCounts(q, g *restBlock) (d, m int) {
	for k := range g.C {
		mm := q.M[k] & g.M[k]
		d += bits.OnesCount64((q.C[k] ^ g.C[k]) & mm)
		m += bits.OnesCount64(mm)
	}
	return d, m
}

// Match is an enrolled person that matched a query, with each eye's
// minimum FHD (1 when no rotation had enough common bits).
type Match struct {
	ID          int
	Left, Right float64
}

// Stats counts the work of one search.
type Stats struct {
	// People is the number of enrolled people scanned.
	People int
	// EyeComparisons is the number of one-eye-vs-one-template comparisons
	// (each over 31 rotations) started.
	EyeComparisons int
	// FullComparisons is how many of those went past the prefix stage.
	FullComparisons int
}

func ratio(d, m int) float64 {
	if m == 0 {
		return 1
	}
	return float64(d) / float64(m)
}

// Search returns the enrolled people matching p under the index's rule,
// sorted by id, and counts of the work done.
func (x *Index) Search(p *Person) ([]Match, Stats) {
	return x.search(p, true)
}

// SearchExact is Search without the early-reject cascade: every comparison
// is the exact minimum over 31 rotations. It is the reference for tests.
func (x *Index) SearchExact(p *Person) ([]Match, Stats) {
	return x.search(p, false)
}

func (x *Index) search(p *Person, cascade bool) ([]Match, Stats) {
	pl, pr := newProbe(&p.Left), newProbe(&p.Right)
	workers := x.cfg.Workers
	if workers > x.n {
		workers = x.n
	}
	if workers < 1 {
		return nil, Stats{}
	}
	results := make([][]Match, workers)
	stats := make([]Stats, workers)
	var wg sync.WaitGroup
	chunk := (x.n + workers - 1) / workers
	for w := 0; w < workers; w++ {
		lo, hi := w*chunk, min((w+1)*chunk, x.n)
		wg.Add(1)
		go func(w, lo, hi int) {
			defer wg.Done()
			results[w], stats[w] = x.scan(pl, pr, lo, hi, cascade)
		}(w, lo, hi)
	}
	wg.Wait()
	var all []Match
	var st Stats
	for w := range results {
		all = append(all, results[w]...)
		st.People += stats[w].People
		st.EyeComparisons += stats[w].EyeComparisons
		st.FullComparisons += stats[w].FullComparisons
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	return all, st
}

func (x *Index) scan(pl, pr *probe, lo, hi int, cascade bool) ([]Match, Stats) {
	thr := toFixed(x.cfg.Threshold)
	early := toFixed(x.cfg.EarlyReject)
	minFull := x.cfg.MinCommonBits
	minPre := minFull * prefixWords / Words
	var out []Match
	st := Stats{People: hi - lo}
	for i := lo; i < hi; i++ {
		lpre, rpre := &x.left.prefix[i], &x.right.prefix[i]
		lPass, rPass := true, true
		if cascade {
			st.EyeComparisons++
			lPass = pl.passPrefix(lpre, early, minPre)
			if x.cfg.Rule == RuleBothEyes && !lPass {
				continue
			}
			st.EyeComparisons++
			rPass = pr.passPrefix(rpre, early, minPre)
			if x.cfg.Rule == RuleBothEyes && !rPass || !lPass && !rPass {
				continue
			}
		} else {
			st.EyeComparisons += 2
		}
		lm, rm := false, false
		ld, lc := 0, 0
		rd, rc := 0, 0
		if lPass {
			st.FullComparisons++
			ld, lc = pl.full(lpre, &x.left.rest[i], minFull)
			lm = lc > 0 && uint64(ld)<<fixedShift <= thr*uint64(lc)
		}
		if rPass {
			st.FullComparisons++
			rd, rc = pr.full(rpre, &x.right.rest[i], minFull)
			rm = rc > 0 && uint64(rd)<<fixedShift <= thr*uint64(rc)
		}
		match := lm && rm
		if x.cfg.Rule == RuleEitherEye {
			match = lm || rm
		}
		if match {
			out = append(out, Match{ID: i, Left: ratio(ld, lc), Right: ratio(rd, rc)})
		}
	}
	return out, st
}

// Unique reports whether p matches nobody enrolled, with the matches found.
func (x *Index) Unique(p *Person) (bool, []Match) {
	m, _ := x.Search(p)
	return len(m) == 0, m
}
