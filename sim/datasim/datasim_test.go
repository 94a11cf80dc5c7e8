package datasim_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"emergence/sim/datasim"
)

// TestCheatersEarnLess runs honest crawlers with a liar, a free-rider and
// two colluders on a real node, k = 3: every cheating strategy nets less
// per crawler than the honest one, the honest crawlers gain, and no lie is
// accepted (two colluders never make three). With four cheaters in ten an
// honest crawler disputes more pages than it agrees on, so the strike rule
// may cost it some stake: its net must stay positive all the same.
func TestCheatersEarnLess(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := datasim.Run(ctx, datasim.Config{
		Counts: map[string]int{datasim.Honest: 6, datasim.Liar: 1, datasim.FreeRider: 1, datasim.Colluder: 2},
		Pages:  30, K: 3, PricePerPage: 60_000, Seed: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	rep.WriteTable(&buf)
	t.Log("\n" + buf.String())
	var honest int64
	for _, g := range rep.Groups {
		if g.Strategy == datasim.Honest {
			honest = g.NetPerCrawler
			if g.Net <= 0 {
				t.Errorf("honest crawlers: net %d, slashed %d", g.Net, g.Slashed)
			}
		}
	}
	for _, g := range rep.Groups {
		if g.Strategy != datasim.Honest && g.NetPerCrawler >= honest {
			t.Errorf("%s nets %d per crawler, honest %d", g.Strategy, g.NetPerCrawler, honest)
		}
	}
	for _, j := range rep.Jobs {
		if j.Accepted == 0 || j.Lies != 0 {
			t.Errorf("job %d: %d accepted, %d lies accepted", j.ID, j.Accepted, j.Lies)
		}
	}
}
