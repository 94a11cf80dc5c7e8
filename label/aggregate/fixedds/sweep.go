package fixedds

import "fmt"

// Sweeping. A Run keeps every item's posterior, items × classes values,
// and one Step touches all of them. A Sweeper runs the same EM as passes
// over the items that can be cut into item ranges anywhere: between ranges
// it needs only the model the pass uses (the M-step's output, workers ×
// classes² + classes values) and the sums the pass has added so far (the
// next M-step's input, as many values), never a posterior. Integer sums do
// not depend on the order they are added in, so a run swept in any ranges
// computes exactly the bits DawidSkene does. Settlement keeps Model and
// Sums in state between the parts of a job whose single iteration does not
// fit in one transaction.
//
// A run is: a vote pass (majority-vote posteriors, gold pinned) summed into
// the first M-step's input; then E-step passes, each under the model of the
// sums before it, until the log-likelihood change is within the tolerance
// or MaxIter passes ran; then a final pass under the last model that
// recomputes its posteriors for the labels and worker statistics.

// Model is the M-step's output an E-step pass uses: LogE holds every
// worker's log2 confusion, LogE[(w*K+observed)*K+true], LogPrior the log2
// class priors, both Q32.
type Model struct {
	LogE, LogPrior []int64
}

// Sums is what a pass adds up over the items it swept: Cnt and Prior are
// the next M-step's input (Cnt[(w*K+observed)*K+true] the posterior of true
// summed over worker w's labels of class observed, Prior each class's
// posterior summed over items), LL the pass's log2-likelihood so far.
type Sums struct {
	Cnt, Prior []int64
	LL         int64
}

// Final is what the final pass adds up: each item's predicted class and
// its posterior, and per worker the posterior of its own answers (Quality)
// and of each class (Mass[w*K+k]), summed over its labels.
type Final struct {
	Labels  []int32
	Best    []int64
	Quality []int64
	Mass    []int64
}

// Sweeper runs passes of one input's Dawid–Skene EM over item ranges.
type Sweeper struct {
	in      Input
	p       Params
	K, I, W int
	start   []int32
	byItem  []Label
	m       model
	logI    int64
	tol     int64
	s, pw   []int64
	row     []int64
}

// NewSweeper validates the input and groups its labels by item. It
// returns an error wrapping ErrInput for bad input.
func NewSweeper(in Input, p Params) (*Sweeper, error) {
	r, err := newRun(in, p)
	if err != nil {
		return nil, err
	}
	return &Sweeper{in: r.in, p: r.p, K: r.K, I: r.I, W: r.W, start: r.start, byItem: r.byItem,
		m: newModel(r.W, r.K), logI: r.logI, tol: r.tol, s: r.s, pw: r.pw, row: make([]int64, r.K)}, nil
}

// MaxIter is the run's iteration bound (Params.MaxIter or its default).
func (sw *Sweeper) MaxIter() int { return sw.p.MaxIter }

// ItemLabels returns how many labels items [from, to) have, for metering.
func (sw *Sweeper) ItemLabels(from, to int) int { return int(sw.start[to] - sw.start[from]) }

// NewSums returns zero sums of the input's shape.
func (sw *Sweeper) NewSums() *Sums {
	return &Sums{Cnt: make([]int64, sw.W*sw.K*sw.K), Prior: make([]int64, sw.K)}
}

// NewFinal returns empty final sums of the input's shape.
func (sw *Sweeper) NewFinal() *Final {
	return &Final{Labels: make([]int32, sw.I), Best: make([]int64, sw.I), Quality: make([]int64, sw.W), Mass: make([]int64, sw.W*sw.K)}
}

// CheckSums reports whether s has the input's shape.
func (sw *Sweeper) CheckSums(s *Sums) error {
	if len(s.Cnt) != sw.W*sw.K*sw.K || len(s.Prior) != sw.K {
		return fmt.Errorf("%w: sums of %d counts and %d priors, want %d and %d", ErrInput, len(s.Cnt), len(s.Prior), sw.W*sw.K*sw.K, sw.K)
	}
	return nil
}

// CheckModel reports whether m has the input's shape.
func (sw *Sweeper) CheckModel(m *Model) error {
	if len(m.LogE) != sw.W*sw.K*sw.K || len(m.LogPrior) != sw.K {
		return fmt.Errorf("%w: model of %d confusion cells and %d priors, want %d and %d", ErrInput, len(m.LogE), len(m.LogPrior), sw.W*sw.K*sw.K, sw.K)
	}
	return nil
}

// CheckFinal reports whether f has the input's shape.
func (sw *Sweeper) CheckFinal(f *Final) error {
	if len(f.Labels) != sw.I || len(f.Best) != sw.I || len(f.Quality) != sw.W || len(f.Mass) != sw.W*sw.K {
		return fmt.Errorf("%w: final sums do not fit %d items, %d workers, %d classes", ErrInput, sw.I, sw.W, sw.K)
	}
	return nil
}

// add adds item i's posterior row to the M-step sums.
func (sw *Sweeper) add(i int, row []int64, s *Sums) {
	K := sw.K
	for k, v := range row {
		s.Prior[k] += v
	}
	for _, l := range sw.byItem[sw.start[i]:sw.start[i+1]] {
		c := s.Cnt[(int(l.Worker)*K+int(l.Class))*K : (int(l.Worker)*K+int(l.Class)+1)*K]
		for k, v := range row {
			c[k] += v
		}
	}
}

// gold pins row to item i's gold class and reports whether it has one.
func (sw *Sweeper) gold(i int, row []int64) bool {
	if sw.in.Gold == nil || sw.in.Gold[i] == NoGold {
		return false
	}
	for k := range row {
		row[k] = 0
	}
	row[sw.in.Gold[i]] = One
	return true
}

// Vote adds the majority-vote posteriors of items [from, to), gold pinned,
// to s: the vote pass.
func (sw *Sweeper) Vote(from, to int, s *Sums) {
	row := sw.row
	for i := from; i < to; i++ {
		labels := sw.byItem[sw.start[i]:sw.start[i+1]]
		for k := range row {
			row[k] = 0
		}
		if n := int64(len(labels)); n == 0 {
			for k := range row {
				row[k] = One / int64(sw.K)
			}
		} else {
			for _, l := range labels {
				row[l.Class]++
			}
			for k := range row {
				row[k] = row[k] * One / n
			}
		}
		sw.gold(i, row)
		sw.add(i, row, s)
	}
}

// MStep returns the model of complete pass sums s (every item added). It
// floors and smooths s in place; s must not be added to afterwards.
func (sw *Sweeper) MStep(s *Sums) *Model {
	sw.m.mStep(s.Cnt, s.Prior, sw.p.Smoothing, sw.logI, sw.I)
	return &Model{LogE: append([]int64(nil), sw.m.logE...), LogPrior: append([]int64(nil), sw.m.logPrior...)}
}

func (sw *Sweeper) use(m *Model) {
	copy(sw.m.logE, m.LogE)
	copy(sw.m.logPrior, m.LogPrior)
}

// estep computes item i's posterior under the model in use into sw.row
// and returns its log-likelihood term.
func (sw *Sweeper) estep(i int) int64 {
	row := sw.row
	if sw.gold(i, row) {
		return sw.m.eStepItem(sw.byItem[sw.start[i]:sw.start[i+1]], sw.in.Gold, i, sw.s, sw.pw, row)
	}
	return sw.m.eStepItem(sw.byItem[sw.start[i]:sw.start[i+1]], nil, i, sw.s, sw.pw, row)
}

// EStep runs the E-step under m on items [from, to) and adds their
// posteriors and log-likelihood to s: part of an E-step pass.
func (sw *Sweeper) EStep(m *Model, from, to int, s *Sums) {
	sw.use(m)
	for i := from; i < to; i++ {
		s.LL += sw.estep(i)
		sw.add(i, sw.row, s)
	}
}

// Converged reports whether E-step pass it (from 1) with log-likelihood ll
// ends the run, prev being pass it-1's: the change is within the
// tolerance, or it is the last pass MaxIter allows. It says which.
func (sw *Sweeper) Converged(it int, ll, prev int64) (done, converged bool) {
	converged = it > 1 && abs(ll-prev) <= sw.tol
	return converged || it >= sw.p.MaxIter, converged
}

// Finish runs the final pass under m (the last E-step pass's model) on
// items [from, to), adding to f.
func (sw *Sweeper) Finish(m *Model, from, to int, f *Final) {
	sw.use(m)
	K := sw.K
	for i := from; i < to; i++ {
		sw.estep(i)
		row := sw.row
		best := argmax(row)
		f.Labels[i], f.Best[i] = int32(best), row[best]
		for _, l := range sw.byItem[sw.start[i]:sw.start[i+1]] {
			w := int(l.Worker)
			f.Quality[w] += row[l.Class]
			mass := f.Mass[w*K : (w+1)*K]
			for k, v := range row {
				mass[k] += v
			}
		}
	}
}

// Result is the outcome of a run whose final pass f is complete: labels,
// each item's posterior of its label (Best), worker statistics and the
// iteration count. Post, Priors and Confusion are left nil.
func (sw *Sweeper) Result(f *Final, iterations int, converged bool, ll int64) *Result {
	K, W := sw.K, sw.W
	r := &Result{K: K, Labels: append([]int32(nil), f.Labels...), Best: append([]int64(nil), f.Best...),
		Iterations: iterations, Converged: converged, LogLikelihood: ll}
	r.WorkerLabels = make([]int64, W)
	r.WorkerQuality = append([]int64(nil), f.Quality...)
	r.WorkerSkill = make([]int64, W)
	given := make([]int64, W*K)
	for _, l := range sw.in.Labels {
		r.WorkerLabels[l.Worker]++
		given[int(l.Worker)*K+int(l.Class)]++
	}
	skills(r, given, f.Mass, K, W)
	return r
}
