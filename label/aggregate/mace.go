package aggregate

import "math"

// MACE runs Hovy et al.'s MACE (NAACL 2013) by EM: worker w either knows the
// answer (probability θ_w) and gives the true label, or spams, drawing a label
// from their own distribution ξ_w. Classes have a uniform prior, as in MACE.
// Fractional counts are smoothed by 0.01/K (MACE's default). The first run
// starts from θ = 0.5 and ξ = each worker's answer distribution; o.Restarts
// (default 10) more runs start from seeded pseudo-random parameters, and the
// run with the highest log-likelihood wins, so results are deterministic.
// Each run takes at most o.MaxIter iterations (default 50). Gold items are
// pinned.
func MACE(d *Dataset, o Options) (*Result, error) {
	if err := o.check(d); err != nil {
		return nil, err
	}
	restarts := o.Restarts
	if restarts == 0 {
		restarts = 10
	}
	var best *Result
	for run := 0; run <= restarts; run++ {
		r := maceRun(d, o, uint64(run))
		if best == nil || r.LogLikelihood > best.LogLikelihood {
			best = r
		}
	}
	finish(d, best)
	return best, nil
}

func maceRun(d *Dataset, o Options, run uint64) *Result {
	K := len(d.Classes)
	W := len(d.Workers)
	I := len(d.Items)
	sm := 0.01 / float64(K)
	theta := make([]float64, W)
	spam := make([]float64, W*K)
	if run == 0 {
		for _, l := range d.Labels {
			spam[int(l.Worker)*K+int(l.Class)]++
		}
		for w := 0; w < W; w++ {
			theta[w] = 0.5
			normalise(spam[w*K:(w+1)*K], sm)
		}
	} else {
		rng := splitmix64{state: run * 0x9e3779b97f4a7c15}
		for w := 0; w < W; w++ {
			theta[w] = 0.05 + 0.9*rng.float()
			for k := 0; k < K; k++ {
				spam[w*K+k] = 0.05 + rng.float()
			}
			normalise(spam[w*K:(w+1)*K], 0)
		}
	}
	post := make([]float64, I*K)
	know := make([]float64, W)
	spamCnt := make([]float64, W*K)
	s := make([]float64, K)
	logUniform := -math.Log(float64(K))
	maxIter := o.maxIter(50)
	tol := o.tol() * float64(len(d.Labels))
	r := &Result{Method: MethodMACE, K: K}
	prevLL := math.Inf(-1)
	for it := 1; it <= maxIter; it++ {
		// E-step.
		ll := 0.0
		for i := 0; i < I; i++ {
			for k := range s {
				s[k] = logUniform
			}
			for _, l := range d.ItemLabels(i) {
				th := theta[l.Worker]
				sp := (1 - th) * spam[int(l.Worker)*K+int(l.Class)]
				base := safeLog(sp)
				for k := range s {
					s[k] += base
				}
				s[l.Class] += math.Log(sp+th) - base
			}
			row := post[i*K : (i+1)*K]
			if o.Gold != nil && o.Gold[i] != NoGold {
				ll += s[o.Gold[i]]
				for k := range row {
					row[k] = 0
				}
				row[o.Gold[i]] = 1
				continue
			}
			ll += logSumExp(s)
			copy(row, s)
		}
		if r.endIteration(it, ll, &prevLL, tol) {
			break
		}
		// M-step.
		for w := range know {
			know[w] = 0
		}
		for n := range spamCnt {
			spamCnt[n] = 0
		}
		for _, l := range d.Labels {
			w := int(l.Worker)
			th := theta[w]
			sp := (1 - th) * spam[w*K+int(l.Class)]
			pRight := post[int(l.Item)*K+int(l.Class)]
			nonSpam := pRight * th / (th + sp)
			know[w] += nonSpam
			spamCnt[w*K+int(l.Class)] += 1 - nonSpam
		}
		for w := 0; w < W; w++ {
			theta[w] = (know[w] + sm) / (float64(d.workerCount[w]) + 2*sm)
			copy(spam[w*K:(w+1)*K], spamCnt[w*K:(w+1)*K])
			normalise(spam[w*K:(w+1)*K], sm)
		}
	}
	r.Post = post
	r.Theta = theta
	r.Spam = spam
	r.Priors = make([]float64, K)
	for k := range r.Priors {
		r.Priors[k] = 1 / float64(K)
	}
	return r
}

// normalise adds sm to every entry and scales the slice to sum to 1.
func normalise(p []float64, sm float64) {
	sum := 0.0
	for k := range p {
		p[k] += sm
		sum += p[k]
	}
	if sum <= 0 {
		for k := range p {
			p[k] = 1 / float64(len(p))
		}
		return
	}
	for k := range p {
		p[k] /= sum
	}
}

// splitmix64 is a tiny deterministic generator for MACE's restarts.
type splitmix64 struct{ state uint64 }

func (g *splitmix64) next() uint64 {
	g.state += 0x9e3779b97f4a7c15
	z := g.state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// float returns a value in [0, 1).
func (g *splitmix64) float() float64 { return float64(g.next()>>11) / (1 << 53) }
