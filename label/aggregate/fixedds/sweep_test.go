package fixedds

import (
	"slices"
	"testing"
)

// sweepAll runs a whole Dawid–Skene run as passes cut into ranges of the
// given lengths (cycled), the way settlement does between parts.
func sweepAll(t *testing.T, in Input, p Params, ranges []int) *Result {
	t.Helper()
	sw, err := NewSweeper(in, p)
	if err != nil {
		t.Fatal(err)
	}
	cut := 0
	pass := func(f func(from, to int)) {
		for from := 0; from < in.Items; {
			to := min(in.Items, from+ranges[cut%len(ranges)])
			cut++
			f(from, to)
			from = to
		}
	}
	s := sw.NewSums()
	pass(func(from, to int) { sw.Vote(from, to, s) })
	m := sw.MStep(s)
	var prev int64
	for it := 1; ; it++ {
		s = sw.NewSums()
		pass(func(from, to int) { sw.EStep(m, from, to, s) })
		done, converged := sw.Converged(it, s.LL, prev)
		prev = s.LL
		if done {
			f := sw.NewFinal()
			pass(func(from, to int) { sw.Finish(m, from, to, f) })
			return sw.Result(f, it, converged, s.LL)
		}
		m = sw.MStep(s)
	}
}

// TestSweepEqualsDawidSkene: a run swept in uneven item ranges (down to
// one item) computes the labels, each label's posterior, worker qualities
// and skills, iterations and log-likelihood of one DawidSkene call bit for
// bit, with and without gold, converging or stopped by MaxIter.
func TestSweepEqualsDawidSkene(t *testing.T) {
	in, truth := synth()
	withGold := in
	withGold.Gold = make([]int32, in.Items)
	for i := range withGold.Gold {
		withGold.Gold[i] = NoGold
		if i%7 == 0 {
			withGold.Gold[i] = truth[i]
		}
	}
	for _, c := range []struct {
		name string
		in   Input
		p    Params
	}{
		{"no gold", in, Params{Smoothing: One / 10}},
		{"gold", withGold, Params{Smoothing: One / 10}},
		{"max iterations", in, Params{Smoothing: One / 10, MaxIter: 3}},
		{"no smoothing", withGold, Params{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			want, err := DawidSkene(c.in, c.p)
			if err != nil {
				t.Fatal(err)
			}
			if want.Iterations < 3 {
				t.Fatalf("only %d iterations", want.Iterations)
			}
			for _, ranges := range [][]int{{c.in.Items}, {1}, {7, 1, 40, 3}} {
				got := sweepAll(t, c.in, c.p, ranges)
				if got.Iterations != want.Iterations || got.Converged != want.Converged || got.LogLikelihood != want.LogLikelihood {
					t.Fatalf("ranges %v: %d iterations (converged %v, ll %d), want %d (%v, %d)", ranges,
						got.Iterations, got.Converged, got.LogLikelihood, want.Iterations, want.Converged, want.LogLikelihood)
				}
				if !slices.Equal(got.Labels, want.Labels) || !slices.Equal(got.Best, want.Best) {
					t.Errorf("ranges %v: labels or their posteriors differ", ranges)
				}
				if !slices.Equal(got.WorkerSkill, want.WorkerSkill) || !slices.Equal(got.WorkerQuality, want.WorkerQuality) ||
					!slices.Equal(got.WorkerLabels, want.WorkerLabels) {
					t.Errorf("ranges %v: worker statistics differ", ranges)
				}
			}
		})
	}
}
