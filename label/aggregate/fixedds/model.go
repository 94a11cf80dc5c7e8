package fixedds

// model is what an E-step needs from the M-step before it: every worker's
// log2 confusion (logE[(w*K+observed)*K+true], Q32) and the log2 class
// priors, plus scratch for computing them.
type model struct {
	W, K           int
	logE, logPrior []int64
	colSum, logCol []int64
}

func newModel(W, K int) model {
	return model{W: W, K: K, logE: make([]int64, W*K*K), logPrior: make([]int64, K),
		colSum: make([]int64, K), logCol: make([]int64, K)}
}

// mStep turns the summed posteriors into the model: prior[k] sums class
// k's posterior over the I items, cnt[(w*K+observed)*K+true] sums the
// posterior of true over worker w's labels of class observed. It floors
// and smooths cnt and prior in place.
func (m *model) mStep(cnt, prior []int64, smoothing, logI int64, I int) {
	K := m.K
	for k := range prior {
		if prior[k] < int64(I) {
			prior[k] = int64(I) // floor the prior at 2^-32
		}
		m.logPrior[k] = Log2(uint64(prior[k])) - logI - 32*One
	}
	for w := 0; w < m.W; w++ {
		base := w * K * K
		for t := range m.colSum {
			m.colSum[t] = 0
		}
		for n := base; n < base+K*K; n++ {
			v := cnt[n] + smoothing
			if v < 1 {
				v = 1
			}
			cnt[n] = v
			m.colSum[(n-base)%K] += v
		}
		for t, v := range m.colSum {
			m.logCol[t] = Log2(uint64(v))
		}
		for n := base; n < base+K*K; n++ {
			m.logE[n] = Log2(uint64(cnt[n])) - m.logCol[(n-base)%K]
		}
	}
}

// eStepItem computes item i's posterior row from its labels (s and pw are
// scratch of K values) and returns its log2-likelihood term. A gold item's
// row is left as it is (pinned to its class).
func (m *model) eStepItem(labels []Label, gold []int32, i int, s, pw, row []int64) int64 {
	K := m.K
	copy(s, m.logPrior)
	for _, l := range labels {
		e := m.logE[(int(l.Worker)*K+int(l.Class))*K : (int(l.Worker)*K+int(l.Class)+1)*K]
		for k := range s {
			s[k] += e[k]
		}
	}
	if gold != nil && gold[i] != NoGold {
		return s[gold[i]]
	}
	return normalise(s, pw, row)
}
