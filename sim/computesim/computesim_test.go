package computesim_test

import (
	"os"
	"testing"

	"emergence/sim/computesim"
)

// TestCheatersLoseHonestEarn runs the market at the default p and holds
// every cheating strategy to a loss and the honest providers to a gain.
func TestCheatersLoseHonestEarn(t *testing.T) {
	rep := computesim.Run(t, computesim.Options{RecheckPermille: 100})
	if err := rep.WriteTable(os.Stdout); err != nil {
		t.Fatal(err)
	}
	for _, e := range rep.Earnings {
		switch e.Strategy {
		case computesim.Honest:
			if e.Net <= 0 || e.Paid == 0 {
				t.Errorf("honest providers: net %d over %d paid runs, want a gain", e.Net, e.Paid)
			}
		default:
			if e.Net >= 0 {
				t.Errorf("%s: net %d, want a loss", e.Strategy, e.Net)
			}
		}
	}
	if rep.Done+rep.Expired != rep.Jobs || rep.Done == 0 {
		t.Errorf("%d of %d jobs done, %d expired", rep.Done, rep.Jobs, rep.Expired)
	}
}

// TestCatchRateFollowsP measures how often the colluding pair is caught
// when it is both replicas of every job (only the pair bids; honest
// providers referee; a 0.1% slash keeps the pair in the market), for a
// few p: never at p = 0, always at p = 1000 permille, and the measured
// rate in between is logged (the figures in compute/README.md come from
// this test).
func TestCatchRateFollowsP(t *testing.T) {
	for _, p := range []uint32{0, 100, 250, 500, 1000} {
		rep := computesim.Run(t, computesim.Options{RecheckPermille: p, Jobs: 100, PerBlock: 1, PairOnly: true, SlashPermille: 1})
		t.Logf("p = %4d permille: pair alone on %3d jobs, caught on %3d: %4d permille; colluders net %d uemg",
			p, rep.PairJobs, rep.PairCaught, rep.CatchPermille, rep.Earnings[1].Net)
		if rep.PairJobs == 0 {
			t.Fatalf("p = %d: the pair was never both replicas of a job", p)
		}
		switch p {
		case 0:
			if rep.PairCaught != 0 {
				t.Errorf("p = 0: caught %d times without re-checks", rep.PairCaught)
			}
		case 1000:
			if rep.PairCaught != rep.PairJobs {
				t.Errorf("p = 1000: caught %d of %d", rep.PairCaught, rep.PairJobs)
			}
		}
	}
}
