package aggregate_test

import (
	"math"
	"testing"

	"emergence/label/aggregate"
)

// Stated tolerance between float DS and the chain's integer DS.
//
// With smoothing (any positive pseudo-count; the chain always smooths): every
// posterior and worker quality within postTol, and identical labels wherever
// the float margin between the best and second-best class exceeds postTol.
//
// Without smoothing, confusion cells can collapse to the 2^-32 floor and
// posteriors underflow Q32 where float keeps them; on web, where EM has not
// converged after 100 iterations, that moves a few items. There the stated
// tolerance is: labels agree on at least 99% of items and accuracy against
// truth differs by at most 0.005.
const postTol = 1e-6

func TestFixedMatchesFloat(t *testing.T) {
	for _, s := range crowdSets {
		d, truth := loadCrowd(t, s)
		gold, _, err := d.GoldVector(truth[:len(truth)/10])
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range []aggregate.Options{{}, {Gold: gold}, {Smoothing: 0.01}, {Smoothing: 0.5}, {Smoothing: 0.1, Gold: gold}} {
			fl, err := aggregate.DawidSkene(d, o)
			if err != nil {
				t.Fatal(err)
			}
			fx, err := aggregate.DawidSkeneFixed(d, o)
			if err != nil {
				t.Fatal(err)
			}
			maxDiff, qDiff := 0.0, 0.0
			for n := range fl.Post {
				maxDiff = math.Max(maxDiff, math.Abs(fl.Post[n]-fx.Post[n]))
			}
			for w := range fl.WorkerQuality {
				qDiff = math.Max(qDiff, math.Abs(fl.WorkerQuality[w]-fx.WorkerQuality[w]))
			}
			t.Logf("%s smoothing=%v gold=%v: iterations %d/%d, max posterior diff %.2e, quality diff %.2e", s.name, o.Smoothing, o.Gold != nil, fl.Iterations, fx.Iterations, maxDiff, qDiff)
			if o.Smoothing == 0 {
				agree := 0
				for i := range fl.Labels {
					if fl.Labels[i] == fx.Labels[i] {
						agree++
					}
				}
				c1, n := d.Accuracy(fl.Labels, truth)
				c2, _ := d.Accuracy(fx.Labels, truth)
				if float64(agree) < 0.99*float64(len(fl.Labels)) || math.Abs(float64(c1-c2))/float64(n) > 0.005 {
					t.Errorf("%s unsmoothed: labels agree on %d/%d, accuracy %d vs %d of %d", s.name, agree, len(fl.Labels), c1, c2, n)
				}
				continue
			}
			if maxDiff > postTol || qDiff > postTol {
				t.Errorf("%s: posterior diff %.2e, quality diff %.2e, tolerance %.0e", s.name, maxDiff, qDiff, postTol)
			}
			for i := range fl.Labels {
				p := fl.Posterior(i)
				best := p[fl.Labels[i]]
				second := 0.0
				for k, v := range p {
					if k != fl.Labels[i] && v > second {
						second = v
					}
				}
				if best-second > postTol && fx.Labels[i] != fl.Labels[i] {
					t.Errorf("%s item %d: fixed label %d, float %d (margin %.2e)", s.name, i, fx.Labels[i], fl.Labels[i], best-second)
				}
			}
		}
	}
}
