package iris

import (
	"flag"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"
)

// processCPU returns the CPU time consumed so far by the whole process.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// threadCPU returns the CPU time consumed so far by the calling OS thread.
// Benchmarks lock their goroutine to a thread and report work per CPU-second
// next to work per wall-second, since other processes share the machine.
func threadCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

var benchPeople = flag.Int("iris.people", 100_000, "gallery size of BenchmarkSearchTwoEyes (the target figure uses 1000000)")

// impostorGallery returns one eye's store of n synthetic templates.
func impostorGallery(seed uint64, n int) *eyeStore {
	s := NewSynth(seed, DefaultSynthConfig())
	e := &eyeStore{}
	for i := 0; i < n; i++ {
		t := s.Capture(s.Eye())
		e.add(&t)
	}
	return e
}

// BenchmarkEyeComparisonExact measures one core doing exact comparisons:
// one probe eye against one enrolled template, all 31 rotations, all 12,800 bits.
func BenchmarkEyeComparisonExact(b *testing.B) {
	const n = 4096
	g := impostorGallery(11, n)
	s := NewSynth(12, DefaultSynthConfig())
	t := s.Capture(s.Eye())
	pr := newProbe(&t)
	i, sink := 0, 0
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cpu0 := threadCPU(b)
	b.ResetTimer()
	for b.Loop() {
		d, _ := pr.full(&g.prefix[i], &g.rest[i], DefaultMinCommonBits)
		sink += d
		i = (i + 1) % n
	}
	b.ReportMetric(float64(b.N)/(threadCPU(b)-cpu0).Seconds(), "comparisons/cpu-s")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "comparisons/s/core")
	if sink < 0 {
		b.Fatal(sink)
	}
}

// BenchmarkEyeComparisonCascade measures one core doing cascade
// comparisons (prefix stage, then exact for survivors) against impostors.
func BenchmarkEyeComparisonCascade(b *testing.B) {
	const n = 4096
	g := impostorGallery(13, n)
	s := NewSynth(14, DefaultSynthConfig())
	t := s.Capture(s.Eye())
	pr := newProbe(&t)
	early := toFixed(DefaultEarlyReject)
	minPre := DefaultMinCommonBits * prefixWords / Words
	i, survivors := 0, 0
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cpu0 := threadCPU(b)
	b.ResetTimer()
	for b.Loop() {
		if pr.passPrefix(&g.prefix[i], early, minPre) {
			survivors++
			pr.full(&g.prefix[i], &g.rest[i], DefaultMinCommonBits)
		}
		i = (i + 1) % n
	}
	b.ReportMetric(float64(b.N)/(threadCPU(b)-cpu0).Seconds(), "comparisons/cpu-s")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "comparisons/s/core")
	b.ReportMetric(float64(survivors)/float64(b.N), "survivor-fraction")
}

// buildIndex enrols n synthetic people, generated on all cores, and returns
// the index with the eyes of person 0 so a genuine query can be made.
func buildIndex(b *testing.B, n int, cfg Config) (*Index, *Eye, *Eye) {
	x, err := NewIndex(cfg)
	if err != nil {
		b.Fatal(err)
	}
	x.Reserve(n)
	workers := runtime.GOMAXPROCS(0)
	const batch = 4096
	var first [2]*Eye
	for start := 0; start < n; start += batch * workers {
		out := make([][]Person, workers)
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			lo := start + w*batch
			hi := min(lo+batch, n)
			if lo >= hi {
				continue
			}
			wg.Add(1)
			go func(w, lo, hi int) {
				defer wg.Done()
				s := NewSynth(uint64(1000+lo), DefaultSynthConfig())
				for i := lo; i < hi; i++ {
					l, r := s.Eye(), s.Eye()
					if i == 0 {
						first = [2]*Eye{l, r}
					}
					out[w] = append(out[w], s.CapturePerson(l, r))
				}
			}(w, lo, hi)
		}
		wg.Wait()
		for w := range out {
			for i := range out[w] {
				x.Add(&out[w][i])
			}
		}
	}
	return x, first[0], first[1]
}

// BenchmarkSearchTwoEyes runs two-eye uniqueness queries against a gallery
// of -iris.people enrolled people (built before timing) on all cores. Each
// iteration is one query; every other query is a genuine re-capture of an
// enrolled person, the rest are strangers, so FNMR and FMR are counted at the
// default threshold over the queries made.
func BenchmarkSearchTwoEyes(b *testing.B) {
	for _, rule := range []struct {
		name string
		r    Rule
	}{{"both-eyes", RuleBothEyes}, {"either-eye", RuleEitherEye}} {
		b.Run(rule.name, func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.Rule = rule.r
			n := *benchPeople
			x, l0, r0 := buildIndex(b, n, cfg)
			s := NewSynth(99, DefaultSynthConfig())
			var queries, genuine, missed, falseMatches, full, compared int
			cpu0 := processCPU(b)
			b.ResetTimer()
			for b.Loop() {
				var q Person
				isGenuine := queries%2 == 0
				if isGenuine {
					q = s.CapturePerson(l0, r0)
				} else {
					q = s.CapturePerson(s.Eye(), s.Eye())
				}
				ms, st := x.Search(&q)
				queries++
				full += st.FullComparisons
				compared += st.EyeComparisons
				found := false
				for _, m := range ms {
					if isGenuine && m.ID == 0 {
						found = true
					} else {
						falseMatches++
					}
				}
				if isGenuine {
					genuine++
					if !found {
						missed++
					}
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/query")
			b.ReportMetric((processCPU(b)-cpu0).Seconds()/float64(b.N), "cpu-s/query")
			b.ReportMetric(float64(n), "people")
			b.ReportMetric(float64(compared)/b.Elapsed().Seconds(), "eye-comparisons/s")
			b.ReportMetric(float64(full)/float64(compared), "survivor-fraction")
			b.ReportMetric(float64(missed)/float64(genuine), "FNMR")
			b.ReportMetric(float64(falseMatches)/(float64(queries)*float64(n)), "FMR")
		})
	}
}

// BenchmarkErrorRates measures single-eye and two-eye FNMR/FMR at the
// default threshold with exact distances over a synthetic population: every
// genuine pair and every impostor pair among 1,500 people.
func BenchmarkErrorRates(b *testing.B) {
	const n = 3000
	s := NewSynth(21, DefaultSynthConfig())
	var enrol, query []Person
	for i := 0; i < n; i++ {
		l, r := s.Eye(), s.Eye()
		enrol = append(enrol, s.CapturePerson(l, r))
		query = append(query, s.CapturePerson(l, r))
	}
	for b.Loop() {
		x, _ := NewIndex(DefaultConfig())
		for i := range enrol {
			x.Add(&enrol[i])
		}
		thr := toFixed(DefaultThreshold)
		var gen, genMiss, imp, impMatch, person, personFM, personMiss int
		for i := 0; i < n; i++ {
			pl, pr := newProbe(&query[i].Left), newProbe(&query[i].Right)
			for j := 0; j < n; j++ {
				ld, lc := pl.full(&x.left.prefix[j], &x.left.rest[j], DefaultMinCommonBits)
				rd, rc := pr.full(&x.right.prefix[j], &x.right.rest[j], DefaultMinCommonBits)
				lm := lc > 0 && uint64(ld)<<fixedShift <= thr*uint64(lc)
				rm := rc > 0 && uint64(rd)<<fixedShift <= thr*uint64(rc)
				if i == j {
					gen += 2
					person++
					if !lm {
						genMiss++
					}
					if !rm {
						genMiss++
					}
					if !(lm && rm) {
						personMiss++
					}
				} else {
					imp += 2
					person++
					if lm {
						impMatch++
					}
					if rm {
						impMatch++
					}
					if lm && rm {
						personFM++
					}
				}
			}
		}
		b.ReportMetric(float64(genMiss)/float64(gen), "eye-FNMR")
		b.ReportMetric(float64(impMatch)/float64(imp), "eye-FMR")
		b.ReportMetric(float64(personMiss)/float64(n), "person-FNMR")
		b.ReportMetric(float64(personFM)/float64(person-n), "person-FMR")
		b.ReportMetric(float64(imp), "impostor-eye-pairs")
	}
}
