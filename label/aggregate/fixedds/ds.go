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

	// Group labels by item (counting sort, keeps input order).
	start := make([]int32, I+1)
	for _, l := range in.Labels {
		start[l.Item+1]++
	}
	for i := 0; i < I; i++ {
		start[i+1] += start[i]
	}
	byItem := make([]Label, len(in.Labels))
	next := make([]int32, I)
	copy(next, start[:I])
	for _, l := range in.Labels {
		byItem[next[l.Item]] = l
		next[l.Item]++
	}

	// Majority-vote start.
	post := make([]int64, I*K)
	for i := 0; i < I; i++ {
		row := post[i*K : (i+1)*K]
		n := int64(start[i+1] - start[i])
		if n == 0 {
			for k := range row {
				row[k] = One / int64(K)
			}
			continue
		}
		for _, l := range byItem[start[i]:start[i+1]] {
			row[l.Class]++
		}
		for k := range row {
			row[k] = row[k] * One / n
		}
	}
	pinGold(post, in.Gold, K)

	logE := make([]int64, W*K*K) // [(w*K+obs)*K+true]
	cnt := make([]int64, W*K*K)
	colSum := make([]int64, K)
	logCol := make([]int64, K)
	prior := make([]int64, K)
	logPrior := make([]int64, K)
	s := make([]int64, K)
	pw := make([]int64, K)
	logI := Log2(uint64(I))
	tol := p.Tol * int64(len(in.Labels))
	r := &Result{K: K}
	var prevLL int64
	for it := 1; it <= p.MaxIter; it++ {
		if p.BeforeIteration != nil {
			if err := p.BeforeIteration(it); err != nil {
				return nil, fmt.Errorf("iteration %d: %w", it, err)
			}
		}
		// M-step: priors.
		for k := range prior {
			prior[k] = 0
		}
		for i := 0; i < I; i++ {
			for k := 0; k < K; k++ {
				prior[k] += post[i*K+k]
			}
		}
		for k := range prior {
			if prior[k] < int64(I) {
				prior[k] = int64(I) // floor the prior at 2^-32
			}
			logPrior[k] = Log2(uint64(prior[k])) - logI - 32*One
		}
		// M-step: confusion matrices.
		for n := range cnt {
			cnt[n] = 0
		}
		for _, l := range in.Labels {
			row := post[int(l.Item)*K : int(l.Item+1)*K]
			c := cnt[(int(l.Worker)*K+int(l.Class))*K : (int(l.Worker)*K+int(l.Class)+1)*K]
			for k, v := range row {
				c[k] += v
			}
		}
		for w := 0; w < W; w++ {
			base := w * K * K
			for t := range colSum {
				colSum[t] = 0
			}
			for n := base; n < base+K*K; n++ {
				v := cnt[n] + p.Smoothing
				if v < 1 {
					v = 1
				}
				cnt[n] = v
				colSum[(n-base)%K] += v
			}
			for t, v := range colSum {
				logCol[t] = Log2(uint64(v))
			}
			for n := base; n < base+K*K; n++ {
				logE[n] = Log2(uint64(cnt[n])) - logCol[(n-base)%K]
			}
		}
		// E-step.
		var ll int64
		for i := 0; i < I; i++ {
			copy(s, logPrior)
			for _, l := range byItem[start[i]:start[i+1]] {
				e := logE[(int(l.Worker)*K+int(l.Class))*K : (int(l.Worker)*K+int(l.Class)+1)*K]
				for k := range s {
					s[k] += e[k]
				}
			}
			if in.Gold != nil && in.Gold[i] != NoGold {
				ll += s[in.Gold[i]]
				continue
			}
			ll += normalise(s, pw, post[i*K:(i+1)*K])
		}
		r.Iterations = it
		r.LogLikelihood = ll
		if it > 1 && abs(ll-prevLL) <= tol {
			r.Converged = true
			break
		}
		prevLL = ll
	}

	r.Post = post
	r.Priors = make([]int64, K)
	for k := range prior {
		r.Priors[k] = prior[k] / int64(I)
	}
	r.Confusion = make([]int64, W*K*K)
	for w := 0; w < W; w++ {
		for obs := 0; obs < K; obs++ {
			for t := 0; t < K; t++ {
				r.Confusion[(w*K+t)*K+obs] = Exp2(logE[(w*K+obs)*K+t])
			}
		}
	}
	r.Labels = make([]int32, I)
	for i := 0; i < I; i++ {
		r.Labels[i] = int32(argmax(post[i*K : (i+1)*K]))
	}
	workerStats(in, post, r)
	return r, nil
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
