package devicesim_test

import (
	"os"
	"testing"

	"emergence/sim/devicesim"
)

// TestCheatersEarnAboutNothing: spoofers, replayers and cloners together
// earn under 5% of what honest vehicles earn, and the chain's payouts match
// an offline recomputation.
func TestCheatersEarnAboutNothing(t *testing.T) {
	rep := devicesim.Run(t, devicesim.Options{PerStrategy: 5, Readings: 30})
	if testing.Verbose() {
		rep.WriteTable(os.Stdout)
	}
	if !rep.Recomputed {
		t.Fatal("offline recomputation differs from the chain's payouts")
	}
	var honest, cheat uint64
	for _, e := range rep.Earnings {
		if e.Strategy == devicesim.Honest {
			honest = e.Earned
		} else {
			cheat += e.Earned
		}
	}
	if honest == 0 || cheat*20 > honest {
		t.Fatalf("honest earned %d, cheaters %d: %+v", honest, cheat, rep.Earnings)
	}
}
