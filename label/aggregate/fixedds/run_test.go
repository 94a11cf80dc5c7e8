package fixedds

import (
	"errors"
	"slices"
	"testing"
)

// TestResumeEqualsUninterrupted suspends a run after every iteration,
// resumes it from its State on a fresh Run, and checks that the outcome is
// bit for bit what one uninterrupted DawidSkene call computes, with and
// without gold.
func TestResumeEqualsUninterrupted(t *testing.T) {
	in, truth := synth()
	withGold := in
	withGold.Gold = make([]int32, in.Items)
	for i := range withGold.Gold {
		withGold.Gold[i] = NoGold
		if i%7 == 0 {
			withGold.Gold[i] = truth[i]
		}
	}
	for name, in := range map[string]Input{"no gold": in, "gold": withGold} {
		t.Run(name, func(t *testing.T) {
			p := Params{Smoothing: One / 10}
			want, err := DawidSkene(in, p)
			if err != nil {
				t.Fatal(err)
			}
			run, err := NewRun(in, p)
			if err != nil {
				t.Fatal(err)
			}
			for !run.Done() {
				if err := run.Step(); err != nil {
					t.Fatal(err)
				}
				if run, err = ResumeRun(in, p, run.State()); err != nil {
					t.Fatal(err)
				}
			}
			got := run.Result()
			if got.Iterations != want.Iterations || got.Converged != want.Converged || got.LogLikelihood != want.LogLikelihood {
				t.Fatalf("resumed: %d iterations (converged %v, ll %d); uninterrupted: %d (%v, %d)",
					got.Iterations, got.Converged, got.LogLikelihood, want.Iterations, want.Converged, want.LogLikelihood)
			}
			if want.Iterations < 3 {
				t.Fatalf("only %d iterations: nothing was resumed", want.Iterations)
			}
			for _, c := range []struct {
				name      string
				got, want []int64
			}{{"posteriors", got.Post, want.Post}, {"skills", got.WorkerSkill, want.WorkerSkill}, {"qualities", got.WorkerQuality, want.WorkerQuality}} {
				if !slices.Equal(c.got, c.want) {
					t.Errorf("%s differ", c.name)
				}
			}
			if !slices.Equal(got.Labels, want.Labels) {
				t.Error("labels differ")
			}
			if err := run.Step(); err == nil {
				t.Error("a step after the run is done succeeded")
			}
		})
	}
}

func TestResumeRejectsForeignState(t *testing.T) {
	in, _ := synth()
	p := Params{Smoothing: One / 10}
	run, err := NewRun(in, p)
	if err != nil {
		t.Fatal(err)
	}
	good := run.State()
	bad := []State{
		{Post: good.Post[:len(good.Post)-1]},
		{Iterations: 101, Post: good.Post},
		{Iterations: -1, Post: good.Post},
		{Post: append(slices.Clone(good.Post[:len(good.Post)-1]), One+1)},
	}
	for n, st := range bad {
		if _, err := ResumeRun(in, p, st); !errors.Is(err, ErrInput) {
			t.Errorf("state %d: %v, want ErrInput", n, err)
		}
	}
}
