package aggregate

import (
	"fmt"
	"math"
	"slices"
)

// Method names an aggregation method.
type Method string

// The aggregation methods.
const (
	MethodMV      Method = "mv"
	MethodDS      Method = "ds"
	MethodOneCoin Method = "onecoin"
	MethodGLAD    Method = "glad"
	MethodMACE    Method = "mace"
)

// Methods lists all methods.
var Methods = []Method{MethodMV, MethodDS, MethodOneCoin, MethodGLAD, MethodMACE}

// Options tune the iterative methods. The zero value means defaults.
type Options struct {
	// MaxIter caps EM iterations (default 100; for MACE, per restart, default 50).
	MaxIter int
	// Tol stops EM when the observed-data log-likelihood changes by less than
	// Tol nats per label between iterations (default 1e-7).
	Tol float64
	// Smoothing is a pseudo-count added to every confusion-matrix cell (DS)
	// before normalising (default 0: only the 1e-10 floor, as crowd-kit).
	Smoothing float64
	// Gold holds one entry per item: the known class index, or NoGold. Gold
	// items are pinned to their label after every E-step. nil: no gold.
	Gold []int
	// Restarts is the number of extra seeded random restarts for MACE
	// (default 10); the run with the best likelihood wins.
	Restarts int
}

// DefaultTol is the default log-likelihood tolerance, in nats per label.
const DefaultTol = 1e-7

// Epsilon is the floor applied to confusion counts and probabilities before
// taking logs, as in crowd-kit. (The integer DS floors at 2^-32, its smallest
// unit.)
const Epsilon = 1e-10

func (o Options) maxIter(def int) int {
	if o.MaxIter > 0 {
		return o.MaxIter
	}
	return def
}

func (o Options) tol() float64 {
	if o.Tol > 0 {
		return o.Tol
	}
	return DefaultTol
}

func (o Options) check(d *Dataset) error {
	if o.Gold != nil && len(o.Gold) != len(d.Items) {
		return fmt.Errorf("gold vector has %d entries, want one per item (%d)", len(o.Gold), len(d.Items))
	}
	for i, g := range o.Gold {
		if g != NoGold && (g < 0 || g >= len(d.Classes)) {
			return fmt.Errorf("gold for item %d: class %d out of range", i, g)
		}
	}
	if o.Smoothing < 0 || math.IsNaN(o.Smoothing) {
		return fmt.Errorf("negative smoothing %v", o.Smoothing)
	}
	if o.Tol < 0 || math.IsNaN(o.Tol) {
		return fmt.Errorf("negative tolerance %v", o.Tol)
	}
	return nil
}

// Result is the outcome of an aggregation.
type Result struct {
	Method Method
	// K is the number of classes.
	K int
	// Labels holds the predicted class index per item.
	Labels []int
	// Post holds the posteriors, item-major: Post[i*K+k] = P(item i is k).
	Post []float64
	// Priors are the class priors (nil for MV).
	Priors []float64
	// WorkerQuality is the mean posterior probability of each worker's labels.
	WorkerQuality []float64
	// WorkerSkill is accuracy above chance, see the package doc.
	WorkerSkill []float64
	// Confusion holds, for DS and one-coin, the per-worker confusion matrices,
	// worker-major: Confusion[(w*K+true)*K+observed].
	Confusion []float64
	// Alpha is GLAD's worker ability; Beta its item easiness (exp(b)).
	Alpha, Beta []float64
	// Theta is MACE's worker competence (probability of not spamming);
	// Spam is its spamming distribution, worker-major [w*K+label].
	Theta, Spam []float64
	// Iterations run, whether the tolerance was reached, and the final
	// observed-data log-likelihood in nats (0 for MV).
	Iterations    int
	Converged     bool
	LogLikelihood float64
}

// Posterior returns the posterior of item i (a view into Post).
func (r *Result) Posterior(i int) []float64 { return r.Post[i*r.K : (i+1)*r.K] }

// Confidence returns the posterior probability of item i's predicted label.
func (r *Result) Confidence(i int) float64 { return r.Post[i*r.K+r.Labels[i]] }

// Known reports whether m is a method Run runs: one of Methods or
// MethodDSFixed.
func (m Method) Known() bool {
	return m == MethodDSFixed || slices.Contains(Methods, m)
}

// Run aggregates d with the named method.
func Run(d *Dataset, m Method, o Options) (*Result, error) {
	switch m {
	case MethodMV:
		return MajorityVote(d, o)
	case MethodDS:
		return DawidSkene(d, o)
	case MethodOneCoin:
		return OneCoin(d, o)
	case MethodGLAD:
		return GLAD(d, o)
	case MethodMACE:
		return MACE(d, o)
	case MethodDSFixed:
		return DawidSkeneFixed(d, o)
	}
	return nil, fmt.Errorf("unknown method %q (want mv, ds, onecoin, glad, mace or ds-fixed)", m)
}

// argmax returns the index of the largest value, the lowest index on ties.
func argmax(p []float64) int {
	best := 0
	for k := 1; k < len(p); k++ {
		if p[k] > p[best] {
			best = k
		}
	}
	return best
}

// pinGold overwrites gold items' posteriors with one-hot vectors.
func pinGold(post []float64, gold []int, K int) {
	for i, g := range gold {
		if g == NoGold {
			continue
		}
		row := post[i*K : (i+1)*K]
		for k := range row {
			row[k] = 0
		}
		row[g] = 1
	}
}

// finish fills labels, worker quality and skill from the posteriors.
func finish(d *Dataset, r *Result) {
	K := r.K
	r.Labels = make([]int, len(d.Items))
	for i := range r.Labels {
		r.Labels[i] = argmax(r.Post[i*K : (i+1)*K])
	}
	W := len(d.Workers)
	r.WorkerQuality = make([]float64, W)
	r.WorkerSkill = make([]float64, W)
	// answer distribution and expected agreement per worker
	given := make([]float64, W*K)
	truthMass := make([]float64, W*K)
	for _, l := range d.Labels {
		p := r.Post[int(l.Item)*K : int(l.Item+1)*K]
		r.WorkerQuality[l.Worker] += p[l.Class]
		given[int(l.Worker)*K+int(l.Class)]++
		for k, v := range p {
			truthMass[int(l.Worker)*K+k] += v
		}
	}
	for w := 0; w < W; w++ {
		n := float64(d.workerCount[w])
		if n == 0 {
			continue
		}
		acc := r.WorkerQuality[w] / n
		r.WorkerQuality[w] = acc
		chance := 0.0
		for k := 0; k < K; k++ {
			chance += (given[w*K+k] / n) * (truthMass[w*K+k] / n)
		}
		if chance < 1-1e-12 {
			r.WorkerSkill[w] = (acc - chance) / (1 - chance)
		}
	}
}

// mvPosterior returns normalised vote shares per item.
func mvPosterior(d *Dataset) []float64 {
	K := len(d.Classes)
	post := make([]float64, len(d.Items)*K)
	for i := range d.Items {
		labels := d.ItemLabels(i)
		row := post[i*K : (i+1)*K]
		for _, l := range labels {
			row[l.Class]++
		}
		if len(labels) == 0 {
			for k := range row {
				row[k] = 1 / float64(K)
			}
			continue
		}
		inv := 1 / float64(len(labels))
		for k := range row {
			row[k] *= inv
		}
	}
	return post
}

// MajorityVote predicts the most frequent label per item (ties to the lowest
// class index). Posteriors are the vote shares; gold items are pinned.
func MajorityVote(d *Dataset, o Options) (*Result, error) {
	if err := o.check(d); err != nil {
		return nil, err
	}
	r := &Result{Method: MethodMV, K: len(d.Classes), Post: mvPosterior(d), Converged: true}
	pinGold(r.Post, o.Gold, r.K)
	finish(d, r)
	return r, nil
}

// logSumExp normalises s in place into probabilities and returns
// log(sum(exp(s))).
func logSumExp(s []float64) float64 {
	m := s[0]
	for _, v := range s[1:] {
		if v > m {
			m = v
		}
	}
	sum := 0.0
	for k, v := range s {
		// exp(-60) is below 1e-26: it cannot change the normalised values
		// at float64 precision, so skip the call.
		e := 0.0
		if d := v - m; d > -60 {
			e = math.Exp(d)
		}
		s[k] = e
		sum += e
	}
	inv := 1 / sum
	for k := range s {
		s[k] *= inv
	}
	return m + math.Log(sum)
}

func safeLog(x float64) float64 {
	if x < Epsilon {
		x = Epsilon
	}
	return math.Log(x)
}

// endIteration records EM iteration it and its log-likelihood ll in r and
// reports whether EM has converged: the log-likelihood changed by at most
// tol since the previous iteration (kept in *prev).
func (r *Result) endIteration(it int, ll float64, prev *float64, tol float64) bool {
	r.Iterations = it
	r.LogLikelihood = ll
	if it > 1 && math.Abs(ll-*prev) <= tol {
		r.Converged = true
		return true
	}
	*prev = ll
	return false
}

// foldItem returns an item's contribution to the log-likelihood from its
// class log scores s: the pinned class's score for a gold item, else the
// log-sum over classes, after which s (as logSumExp leaves it) becomes the
// item's posterior row.
func foldItem(s, row []float64, gold int) float64 {
	if gold != NoGold {
		return s[gold]
	}
	ll := logSumExp(s)
	copy(row, s)
	return ll
}

// gold returns item i's pinned class, or NoGold.
func (o Options) gold(i int) int {
	if o.Gold == nil {
		return NoGold
	}
	return o.Gold[i]
}
