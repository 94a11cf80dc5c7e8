package aggregate

import "math"

// GLAD runs Whitehill et al.'s GLAD (NIPS 2009), generalised to K classes as
// crowd-kit does: worker w labels item i correctly with probability
// σ(α_w·β_i), β_i = exp(b_i), and otherwise picks one of the K-1 wrong classes
// uniformly. Priors: α ~ N(1, 1), b ~ N(0, 1). EM starts from majority vote;
// each M-step takes three rounds of diagonal Newton steps on α and b (Fisher
// curvature, steps clipped to ±1). Gold items are pinned; stopping as
// DawidSkene.
func GLAD(d *Dataset, o Options) (*Result, error) {
	if err := o.check(d); err != nil {
		return nil, err
	}
	K := len(d.Classes)
	W := len(d.Workers)
	I := len(d.Items)
	post := mvPosterior(d)
	pinGold(post, o.Gold, K)
	alpha := make([]float64, W)
	for w := range alpha {
		alpha[w] = 1
	}
	b := make([]float64, I)
	beta := make([]float64, I)
	for i := range beta {
		beta[i] = 1
	}
	prior := make([]float64, K)
	logPrior := make([]float64, K)
	gA := make([]float64, W)
	hA := make([]float64, W)
	s := make([]float64, K)
	logWrongK := 0.0
	if K > 1 {
		logWrongK = math.Log(float64(K - 1))
	}
	maxIter := o.maxIter(100)
	tol := o.tol() * float64(len(d.Labels))
	r := &Result{Method: MethodGLAD, K: K}
	prevLL := math.Inf(-1)
	for it := 1; it <= maxIter; it++ {
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
			prior[k] /= float64(I)
			logPrior[k] = safeLog(prior[k])
		}
		// M-step: alpha and b by diagonal Newton.
		for round := 0; round < 3; round++ {
			for w := range gA {
				gA[w] = -(alpha[w] - 1)
				hA[w] = 1
			}
			for i := 0; i < I; i++ {
				for _, l := range d.ItemLabels(i) {
					p := post[i*K+int(l.Class)]
					sg := sigmoid(alpha[l.Worker] * beta[i])
					gA[l.Worker] += (p - sg) * beta[i]
					hA[l.Worker] += sg * (1 - sg) * beta[i] * beta[i]
				}
			}
			for w := range alpha {
				alpha[w] += clip(gA[w]/hA[w], 1)
			}
			for i := 0; i < I; i++ {
				g, h := -b[i], 1.0
				for _, l := range d.ItemLabels(i) {
					p := post[i*K+int(l.Class)]
					a := alpha[l.Worker]
					sg := sigmoid(a * beta[i])
					g += (p - sg) * a * beta[i]
					h += sg * (1 - sg) * a * a * beta[i] * beta[i]
				}
				b[i] += clip(g/h, 1)
				if b[i] > 10 {
					b[i] = 10
				} else if b[i] < -10 {
					b[i] = -10
				}
				beta[i] = math.Exp(b[i])
			}
		}
		// E-step.
		ll := 0.0
		for i := 0; i < I; i++ {
			copy(s, logPrior)
			for _, l := range d.ItemLabels(i) {
				x := alpha[l.Worker] * beta[i]
				right := logSigmoid(x)
				wrong := logSigmoid(-x) - logWrongK
				for k := range s {
					s[k] += wrong
				}
				s[l.Class] += right - wrong
			}
			ll += foldItem(s, post[i*K:(i+1)*K], o.gold(i))
		}
		if r.endIteration(it, ll, &prevLL, tol) {
			break
		}
	}
	r.Post = post
	r.Priors = append([]float64(nil), prior...)
	r.Alpha = alpha
	r.Beta = beta
	finish(d, r)
	return r, nil
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// logSigmoid returns log σ(x) without overflow.
func logSigmoid(x float64) float64 {
	if x >= 0 {
		return -math.Log1p(math.Exp(-x))
	}
	return x - math.Log1p(math.Exp(x))
}

func clip(x, lim float64) float64 {
	if x > lim {
		return lim
	}
	if x < -lim {
		return -lim
	}
	if math.IsNaN(x) {
		return 0
	}
	return x
}
