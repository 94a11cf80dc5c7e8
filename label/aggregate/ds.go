package aggregate

import "math"

// DawidSkene runs Dawid–Skene EM with a full confusion matrix per worker.
//
// It starts from the majority-vote posteriors (gold pinned), then alternates
// an M-step (class priors = mean posterior; confusion cell (true k, observed
// l) = expected count of the worker answering l on items of class k, plus
// o.Smoothing, floored at 1e-10, normalised over l) and an E-step (posterior ∝
// prior × Π confusion, in log space). It stops after o.MaxIter iterations or
// when the observed-data log-likelihood changes by less than o.Tol nats per
// label. Unlike crowd-kit it does not stop on its per-annotation "ELBO",
// which is not monotone (crowd.md §3).
func DawidSkene(d *Dataset, o Options) (*Result, error) {
	if err := o.check(d); err != nil {
		return nil, err
	}
	K := len(d.Classes)
	W := len(d.Workers)
	I := len(d.Items)
	post := mvPosterior(d)
	pinGold(post, o.Gold, K)

	logE := make([]float64, W*K*K) // [(w*K+obs)*K+true]
	cnt := make([]float64, W*K*K)
	logPrior := make([]float64, K)
	prior := make([]float64, K)
	s := make([]float64, K)
	maxIter := o.maxIter(100)
	tol := o.tol() * float64(len(d.Labels))
	r := &Result{Method: MethodDS, K: K}
	prevLL := math.Inf(-1)
	for it := 1; it <= maxIter; it++ {
		// M-step.
		dsMStep(d, post, cnt, logE, prior, logPrior, o.Smoothing)
		// E-step.
		ll := 0.0
		for i := 0; i < I; i++ {
			row := post[i*K : (i+1)*K]
			copy(s, logPrior)
			for _, l := range d.ItemLabels(i) {
				e := logE[(int(l.Worker)*K+int(l.Class))*K:][:len(s)]
				for k, v := range e {
					s[k] += v
				}
			}
			ll += foldItem(s, row, o.gold(i))
		}
		if r.endIteration(it, ll, &prevLL, tol) {
			break
		}
	}
	r.Post = post
	r.Priors = append([]float64(nil), prior...)
	r.Confusion = make([]float64, W*K*K)
	for w := 0; w < W; w++ {
		for obs := 0; obs < K; obs++ {
			for t := 0; t < K; t++ {
				r.Confusion[(w*K+t)*K+obs] = math.Exp(logE[(w*K+obs)*K+t])
			}
		}
	}
	finish(d, r)
	return r, nil
}

// dsMStep computes class priors and log confusion matrices from posteriors.
func dsMStep(d *Dataset, post, cnt, logE, prior, logPrior []float64, smoothing float64) {
	K := len(prior)
	W := len(d.Workers)
	I := len(d.Items)
	for k := range prior {
		prior[k] = 0
	}
	for i := 0; i < I; i++ {
		row := post[i*K : (i+1)*K]
		for k, v := range row {
			prior[k] += v
		}
	}
	for k := range prior {
		prior[k] /= float64(I)
		logPrior[k] = safeLog(prior[k])
	}
	for n := range cnt {
		cnt[n] = 0
	}
	// Walk labels item by item so each posterior row is read once.
	for i := 0; i < I; i++ {
		row := post[i*K : (i+1)*K]
		for _, l := range d.ItemLabels(i) {
			c := cnt[(int(l.Worker)*K+int(l.Class))*K:][:K]
			for k, v := range row {
				c[k] += v
			}
		}
	}
	colSum := make([]float64, K)
	for w := 0; w < W; w++ {
		base := w * K * K
		for t := range colSum {
			colSum[t] = 0
		}
		for obs := 0; obs < K; obs++ {
			for t := 0; t < K; t++ {
				v := cnt[base+obs*K+t] + smoothing
				if v < Epsilon {
					v = Epsilon
				}
				cnt[base+obs*K+t] = v
				colSum[t] += v
			}
		}
		for obs := 0; obs < K; obs++ {
			for t := 0; t < K; t++ {
				logE[base+obs*K+t] = math.Log(cnt[base+obs*K+t] / colSum[t])
			}
		}
	}
}

// OneCoin runs one-coin Dawid–Skene: each worker has a single skill s (the
// mean posterior probability of the labels they gave); their confusion matrix
// is s on the diagonal and (1-s)/(K-1) elsewhere, clipped to [1e-10, 1-1e-10].
// Same start, loop, gold pinning and stopping rule as DawidSkene.
func OneCoin(d *Dataset, o Options) (*Result, error) {
	if err := o.check(d); err != nil {
		return nil, err
	}
	K := len(d.Classes)
	W := len(d.Workers)
	I := len(d.Items)
	post := mvPosterior(d)
	pinGold(post, o.Gold, K)
	skill := make([]float64, W)
	logRight := make([]float64, W)
	logWrong := make([]float64, W)
	prior := make([]float64, K)
	logPrior := make([]float64, K)
	s := make([]float64, K)
	maxIter := o.maxIter(100)
	tol := o.tol() * float64(len(d.Labels))
	r := &Result{Method: MethodOneCoin, K: K}
	prevLL := math.Inf(-1)
	for it := 1; it <= maxIter; it++ {
		for k := range prior {
			prior[k] = 0
		}
		for i := 0; i < I; i++ {
			for k := 0; k < K; k++ {
				prior[k] += post[i*K+k]
			}
		}
		for k := range prior {
			prior[k] /= float64(I)
			logPrior[k] = safeLog(prior[k])
		}
		for w := range skill {
			skill[w] = 0
		}
		for _, l := range d.Labels {
			skill[l.Worker] += post[int(l.Item)*K+int(l.Class)]
		}
		for w := range skill {
			sk := (skill[w] + o.Smoothing) / (float64(d.workerCount[w]) + 2*o.Smoothing)
			sk = math.Min(math.Max(sk, Epsilon), 1-Epsilon)
			skill[w] = sk
			logRight[w] = math.Log(sk)
			wrong := (1 - sk)
			if K > 1 {
				wrong /= float64(K - 1)
			}
			logWrong[w] = safeLog(wrong)
		}
		ll := 0.0
		for i := 0; i < I; i++ {
			labels := d.ItemLabels(i)
			copy(s, logPrior)
			for _, l := range labels {
				lw, lr := logWrong[l.Worker], logRight[l.Worker]
				for k := range s {
					s[k] += lw
				}
				s[l.Class] += lr - lw
			}
			ll += foldItem(s, post[i*K:(i+1)*K], o.gold(i))
		}
		if r.endIteration(it, ll, &prevLL, tol) {
			break
		}
	}
	r.Post = post
	r.Priors = append([]float64(nil), prior...)
	r.Confusion = make([]float64, W*K*K)
	for w := 0; w < W; w++ {
		wrong := math.Exp(logWrong[w])
		for t := 0; t < K; t++ {
			for obs := 0; obs < K; obs++ {
				v := wrong
				if obs == t {
					v = skill[w]
				}
				r.Confusion[(w*K+t)*K+obs] = v
			}
		}
	}
	finish(d, r)
	return r, nil
}
