// Package fixedds is Dawid–Skene truth inference in integer arithmetic, for
// use inside state transitions: no floating point, no maps, no goroutines, no
// I/O, so every validator computes the same bits on every architecture.
//
// Numbers are Q32 fixed point (int64 with 32 fractional bits, see One).
// Probabilities are Q32 in [0, One]; log-likelihoods are base-2 logarithms in
// Q32. Log2 and Exp2 use tables built at initialisation by integer-only
// algorithms (shift-and-square for log2, a Taylor series for 2^-x) plus short
// polynomials; both are accurate to about 2^-31.
//
// The algorithm mirrors aggregate.DawidSkene step for step (majority-vote
// start, M-step with optional smoothing, E-step in log space, gold pinned,
// stop on the log-likelihood change), so the two agree within a tolerance
// that a test in package aggregate checks on the shared datasets: with
// smoothing (the chain's setting) posteriors and worker qualities within 1e-6
// and identical labels where the float posterior margin exceeds 1e-6; without
// smoothing, labels agree on at least 99% of items and accuracy within 0.005.
// Ties go to the lowest class index.
package fixedds

import (
	"errors"
	"fmt"
)

// Label is one answer: worker, item and class indices.
type Label struct {
	Worker, Item, Class int32
}

// NoGold marks an item without a gold label.
const NoGold int32 = -1

// Limits on the input, so no intermediate sum can overflow an int64.
const (
	MaxLabels  = 1 << 24
	MaxClasses = 64
)

// DefaultTol is the default stopping tolerance: 1e-7 nats per label expressed
// in base-2 Q32 (1e-7 · log2(e) · 2^32), the same as aggregate.DefaultTol.
const DefaultTol int64 = 620

// Input is a labelling job to aggregate.
type Input struct {
	Workers, Items, Classes int
	Labels                  []Label
	// Gold holds one entry per item, the known class or NoGold; nil: none.
	Gold []int32
}

// Params tune the EM loop. The zero value means defaults.
type Params struct {
	// MaxIter caps iterations (default 100).
	MaxIter int
	// Tol stops the loop when the log2-likelihood changes by at most Tol
	// (Q32) per label (default DefaultTol).
	Tol int64
	// Smoothing is a Q32 pseudo-count added to every confusion cell.
	Smoothing int64
	// BeforeIteration, when set, runs before every EM iteration; an error
	// stops the run and DawidSkene returns it wrapped. Settlement uses it to
	// charge gas for each iteration before doing its work.
	BeforeIteration func(it int) error
}

// IterationWork is the work of one EM iteration in abstract units of about
// the same cost, for metering: labels × classes (the M-step sums and E-step
// scores, random access), workers × classes² weighted 3 (a logarithm per
// confusion cell) and items × classes weighted 2 (an exponential per
// posterior cell). A whole run does at most MaxIter iterations plus about
// one iteration's work of set-up and worker statistics.
func IterationWork(labels, workers, items, classes uint64) uint64 {
	return labels*classes + 3*workers*classes*classes + 2*items*classes
}

// Result is the outcome of DawidSkene. All probabilities are Q32.
type Result struct {
	K int
	// Labels holds the predicted class per item.
	Labels []int32
	// Post holds posteriors item-major: Post[i*K+k].
	Post []int64
	// Best holds each item's posterior of its predicted class,
	// Post[i*K+Labels[i]].
	Best []int64
	// Priors holds the class priors.
	Priors []int64
	// Confusion holds worker-major confusion matrices:
	// Confusion[(w*K+true)*K+observed].
	Confusion []int64
	// WorkerLabels counts each worker's labels.
	WorkerLabels []int64
	// WorkerQuality is the mean posterior of each worker's labels.
	WorkerQuality []int64
	// WorkerSkill is accuracy above chance (kappa against the inferred
	// truth): 0 for a worker whose answers do not depend on the truth, One
	// for a perfect worker, negative for an adversarial one.
	WorkerSkill []int64
	// Iterations run, whether the tolerance was reached, and the final
	// observed-data log2-likelihood (Q32).
	Iterations    int
	Converged     bool
	LogLikelihood int64
}

// ErrInput is wrapped by every input validation error.
var ErrInput = errors.New("invalid aggregation input")

func (in *Input) validate() error {
	switch {
	case in.Workers <= 0 || in.Items <= 0:
		return fmt.Errorf("%w: need at least one worker and one item", ErrInput)
	case in.Classes < 2 || in.Classes > MaxClasses:
		return fmt.Errorf("%w: %d classes, want 2..%d", ErrInput, in.Classes, MaxClasses)
	case len(in.Labels) == 0:
		return fmt.Errorf("%w: no labels", ErrInput)
	case len(in.Labels) > MaxLabels:
		return fmt.Errorf("%w: %d labels, at most %d", ErrInput, len(in.Labels), MaxLabels)
	case in.Gold != nil && len(in.Gold) != in.Items:
		return fmt.Errorf("%w: %d gold entries, want %d", ErrInput, len(in.Gold), in.Items)
	}
	for n, l := range in.Labels {
		if l.Worker < 0 || int(l.Worker) >= in.Workers || l.Item < 0 || int(l.Item) >= in.Items || l.Class < 0 || int(l.Class) >= in.Classes {
			return fmt.Errorf("%w: label %d (%d, %d, %d) out of range", ErrInput, n, l.Worker, l.Item, l.Class)
		}
	}
	for i, g := range in.Gold {
		if g != NoGold && (g < 0 || int(g) >= in.Classes) {
			return fmt.Errorf("%w: gold of item %d is class %d, out of range", ErrInput, i, g)
		}
	}
	return nil
}

// DawidSkene runs integer Dawid–Skene EM. It returns an error wrapping
// ErrInput for bad input and never panics on it.
func DawidSkene(in Input, p Params) (*Result, error) {
	run, err := NewRun(in, p)
	if err != nil {
		return nil, err
	}
	for !run.Done() {
		if err := run.Step(); err != nil {
			return nil, err
		}
	}
	r := run.Result()
	r.Priors = make([]int64, run.K)
	for k := range run.prior {
		r.Priors[k] = run.prior[k] / int64(run.I)
	}
	W, K := run.W, run.K
	r.Confusion = make([]int64, W*K*K)
	for w := 0; w < W; w++ {
		for obs := 0; obs < K; obs++ {
			for t := 0; t < K; t++ {
				r.Confusion[(w*K+t)*K+obs] = Exp2(run.m.logE[(w*K+obs)*K+t])
			}
		}
	}
	return r, nil
}

// State is what a Run needs to continue after an interruption: the
// posteriors after the last iteration (item-major, Q32), the iterations run
// so far and the previous iteration's log2-likelihood. Settlement keeps it
// in state between the parts of a job too large for one transaction; a Run
// resumed from a State computes exactly the bits an uninterrupted run does.
type State struct {
	Iterations    int
	Converged     bool
	LogLikelihood int64
	Post          []int64
}

// Run is one Dawid–Skene EM run that can be stepped one iteration at a time
// and suspended between iterations (see State).
type Run struct {
	in      Input
	p       Params
	K, I, W int

	start  []int32
	byItem []Label
	post   []int64

	m                 model
	cnt, prior, s, pw []int64
	logI, tol         int64

	it        int
	converged bool
	ll        int64
}

// NewRun validates the input and starts a run from the majority vote, with
// gold pinned. It returns an error wrapping ErrInput for bad input.
func NewRun(in Input, p Params) (*Run, error) {
	r, err := newRun(in, p)
	if err != nil {
		return nil, err
	}
	K := r.K
	for i := 0; i < r.I; i++ {
		row := r.post[i*K : (i+1)*K]
		n := int64(r.start[i+1] - r.start[i])
		if n == 0 {
			for k := range row {
				row[k] = One / int64(K)
			}
			continue
		}
		for _, l := range r.byItem[r.start[i]:r.start[i+1]] {
			row[l.Class]++
		}
		for k := range row {
			row[k] = row[k] * One / n
		}
	}
	pinGold(r.post, in.Gold, K)
	return r, nil
}

// ResumeRun continues a run from st, which must come from State of a run
// over the same input and parameters. It returns an error wrapping ErrInput
// when st does not fit the input.
func ResumeRun(in Input, p Params, st State) (*Run, error) {
	r, err := newRun(in, p)
	if err != nil {
		return nil, err
	}
	if len(st.Post) != len(r.post) || st.Iterations < 0 || st.Iterations > r.p.MaxIter {
		return nil, fmt.Errorf("%w: saved state of %d posteriors after %d iterations does not fit %d items × %d classes, at most %d iterations",
			ErrInput, len(st.Post), st.Iterations, r.I, r.K, r.p.MaxIter)
	}
	for _, v := range st.Post {
		if v < 0 || v > One {
			return nil, fmt.Errorf("%w: saved posterior %d out of [0, One]", ErrInput, v)
		}
	}
	copy(r.post, st.Post)
	r.it, r.converged, r.ll = st.Iterations, st.Converged, st.LogLikelihood
	return r, nil
}

func newRun(in Input, p Params) (*Run, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	if p.MaxIter <= 0 {
		p.MaxIter = 100
	}
	if p.Tol <= 0 {
		p.Tol = DefaultTol
	}
	if p.Smoothing < 0 {
		return nil, fmt.Errorf("%w: negative smoothing", ErrInput)
	}
	K, I, W := in.Classes, in.Items, in.Workers
	r := &Run{in: in, p: p, K: K, I: I, W: W}

	// Group labels by item (counting sort, keeps input order).
	r.start = make([]int32, I+1)
	for _, l := range in.Labels {
		r.start[l.Item+1]++
	}
	for i := 0; i < I; i++ {
		r.start[i+1] += r.start[i]
	}
	r.byItem = make([]Label, len(in.Labels))
	next := make([]int32, I)
	copy(next, r.start[:I])
	for _, l := range in.Labels {
		r.byItem[next[l.Item]] = l
		next[l.Item]++
	}
	r.post = make([]int64, I*K)
	r.m = newModel(W, K)
	r.cnt = make([]int64, W*K*K)
	r.prior = make([]int64, K)
	r.s = make([]int64, K)
	r.pw = make([]int64, K)
	r.logI = Log2(uint64(I))
	r.tol = p.Tol * int64(len(in.Labels))
	return r, nil
}

// Done reports whether the run has converged or used its iterations.
func (r *Run) Done() bool { return r.converged || r.it >= r.p.MaxIter }

// Iterations returns the iterations run so far.
func (r *Run) Iterations() int { return r.it }

// State returns what ResumeRun needs to continue the run (a copy).
func (r *Run) State() State {
	return State{Iterations: r.it, Converged: r.converged, LogLikelihood: r.ll, Post: append([]int64(nil), r.post...)}
}

// Step runs one EM iteration (M-step, then E-step), calling the
// BeforeIteration hook first. It must not be called once Done.
func (r *Run) Step() error {
	if r.Done() {
		return errors.New("fixedds: step after the run is done")
	}
	it := r.it + 1
	if r.p.BeforeIteration != nil {
		if err := r.p.BeforeIteration(it); err != nil {
			return fmt.Errorf("iteration %d: %w", it, err)
		}
	}
	K, I := r.K, r.I
	post, prior, cnt := r.post, r.prior, r.cnt
	// M-step: priors and confusion counts summed over the posteriors.
	for k := range prior {
		prior[k] = 0
	}
	for i := 0; i < I; i++ {
		for k := 0; k < K; k++ {
			prior[k] += post[i*K+k]
		}
	}
	for n := range cnt {
		cnt[n] = 0
	}
	for _, l := range r.in.Labels {
		row := post[int(l.Item)*K : int(l.Item+1)*K]
		c := cnt[(int(l.Worker)*K+int(l.Class))*K : (int(l.Worker)*K+int(l.Class)+1)*K]
		for k, v := range row {
			c[k] += v
		}
	}
	r.m.mStep(cnt, prior, r.p.Smoothing, r.logI, I)
	// E-step.
	var ll int64
	for i := 0; i < I; i++ {
		ll += r.m.eStepItem(r.byItem[r.start[i]:r.start[i+1]], r.in.Gold, i, r.s, r.pw, post[i*K:(i+1)*K])
	}
	if it > 1 && abs(ll-r.ll) <= r.tol {
		r.converged = true
	}
	r.it, r.ll = it, ll
	return nil
}

// Result returns the run's outcome so far: labels, posteriors, worker
// statistics and the iteration count. Priors and Confusion are left nil
// (DawidSkene fills them); they are not part of a run's State.
func (r *Run) Result() *Result {
	res := &Result{K: r.K, Post: append([]int64(nil), r.post...), Iterations: r.it, Converged: r.converged, LogLikelihood: r.ll}
	res.Labels = make([]int32, r.I)
	res.Best = make([]int64, r.I)
	for i := 0; i < r.I; i++ {
		res.Labels[i] = int32(argmax(res.Post[i*r.K : (i+1)*r.K]))
		res.Best[i] = res.Post[i*r.K+int(res.Labels[i])]
	}
	workerStats(r.in, res.Post, res)
	return res
}

// normalise turns log2 scores s into Q32 probabilities in out (pw is
// scratch) and returns log2 of the sum of 2^s, in Q32.
func normalise(s, pw, out []int64) int64 {
	m := s[0]
	for _, v := range s[1:] {
		if v > m {
			m = v
		}
	}
	var sum int64
	for k, v := range s {
		pw[k] = Exp2(v - m)
		sum += pw[k]
	}
	// sum >= One because the maximum term is exactly One.
	inv := reciprocal(uint64(sum))
	for k := range out {
		out[k] = mulShift32(uint64(pw[k]), inv)
	}
	return m + Log2(uint64(sum)) - 32*One
}

func pinGold(post []int64, gold []int32, K int) {
	for i, g := range gold {
		if g == NoGold {
			continue
		}
		row := post[i*K : (i+1)*K]
		for k := range row {
			row[k] = 0
		}
		row[g] = One
	}
}

// argmax returns the index of the largest value, the lowest on ties.
func argmax(p []int64) int {
	best := 0
	for k := 1; k < len(p); k++ {
		if p[k] > p[best] {
			best = k
		}
	}
	return best
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// workerStats fills label counts, quality and skill.
func workerStats(in Input, post []int64, r *Result) {
	K, W := in.Classes, in.Workers
	r.WorkerLabels = make([]int64, W)
	r.WorkerQuality = make([]int64, W)
	r.WorkerSkill = make([]int64, W)
	given := make([]int64, W*K)
	mass := make([]int64, W*K)
	for _, l := range in.Labels {
		w := int(l.Worker)
		row := post[int(l.Item)*K : int(l.Item+1)*K]
		r.WorkerLabels[w]++
		r.WorkerQuality[w] += row[l.Class]
		given[w*K+int(l.Class)]++
		for k, v := range row {
			mass[w*K+k] += v
		}
	}
	skills(r, given, mass, K, W)
}

// skills turns summed worker statistics into means and skills: r holds
// each worker's label count and the summed posterior of its answers in
// WorkerQuality, given[w*K+k] counts its answers of class k, mass[w*K+k]
// sums class k's posterior over its labels.
func skills(r *Result, given, mass []int64, K, W int) {
	for w := 0; w < W; w++ {
		n := r.WorkerLabels[w]
		if n == 0 {
			continue
		}
		acc := r.WorkerQuality[w] / n
		r.WorkerQuality[w] = acc
		var chance int64
		for k := 0; k < K; k++ {
			chance += given[w*K+k] * (mass[w*K+k] / n) / n
		}
		if chance < One {
			r.WorkerSkill[w] = MulDiv(acc-chance, One, One-chance)
		}
	}
}
