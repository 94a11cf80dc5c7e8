package device_test

import (
	"fmt"
	"testing"
	"time"

	"emergence/device"
)

func TestRewardsProRata(t *testing.T) {
	ev := []device.Evidence{{Device: "a", Readings: 100, Cells: 2}, {Device: "b", Readings: 300, Cells: 6}, {Device: "c"}}
	got := device.Rewards(1_000, ev)
	if got[0] != 250 || got[1] != 750 || got[2] != 0 {
		t.Fatalf("rewards %v, want [250 750 0]", got)
	}
	// Capped: a device posting absurd counts earns no more than the cap.
	got = device.Rewards(1_000, []device.Evidence{{Device: "a", Readings: 1 << 60, Cells: 1 << 60}, {Device: "b", Readings: 1_000, Cells: 64}})
	if got[0] != got[1] {
		t.Fatalf("capped rewards differ: %v", got)
	}
	if got := device.Rewards(0, ev); got[1] != 0 {
		t.Fatalf("empty budget paid %v", got)
	}
}

func hundredThousand() []device.Evidence {
	ev := make([]device.Evidence, 100_000)
	for i := range ev {
		ev[i] = device.Evidence{Device: fmt.Sprintf("%040x", i), Readings: uint64(i % 1500), Cells: uint64(i % 70)}
	}
	return ev
}

// BenchmarkRewards100k is the epoch computation for 100,000 devices (the
// target is 200 ms in consensus).
func BenchmarkRewards100k(b *testing.B) {
	ev := hundredThousand()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		device.Rewards(1_000_000_000_000, ev)
	}
	b.ReportMetric(float64(time.Since(start).Milliseconds())/float64(b.N), "ms/epoch")
}

// TestSplitIsRewards: what `emergence device rewards` recomputes from an
// epoch record's points is what the chain's rule paid from the evidence.
func TestSplitIsRewards(t *testing.T) {
	ev := hundredThousand()[:1000]
	points := make([]uint64, len(ev))
	for i, e := range ev {
		points[i] = device.Points(e)
	}
	got, want := device.Split(123_456_789, points), device.Rewards(123_456_789, ev)
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("device %d: split %d, rewards %d", i, got[i], want[i])
		}
	}
}
