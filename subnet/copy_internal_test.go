package subnet

import (
	"testing"

	"emergence/subnet/yuma"
)

func row(vals ...uint16) []yuma.Entry {
	var r []yuma.Entry
	for i, v := range vals {
		if v > 0 {
			r = append(r, yuma.Entry{UID: uint16(i), Value: v})
		}
	}
	return r
}

// TestCopiedWeights: weights that follow the consensus of their commit
// epoch while this epoch's moved are flagged; weights that follow this
// epoch's consensus, or any weights while the consensus stands still, or
// differences below CopyMinDistance, are not.
func TestCopiedWeights(t *testing.T) {
	old := []uint16{0, 40000, 20000, 5000, 0}   // consensus of the commit epoch
	moved := []uint16{0, 20000, 40000, 5000, 0} // miners 1 and 2 swapped since
	cases := []struct {
		name      string
		w         []yuma.Entry
		now, prev []uint16
		want      bool
	}{
		{"copy of the commit epoch's consensus", row(0, 65535, 32767, 8191), moved, old, true},
		{"noisy copy", row(0, 65535, 36000, 6000), moved, old, true},
		{"honest: follows this epoch's consensus", row(0, 32767, 65535, 8191), moved, old, false},
		{"honest with noise", row(0, 30000, 65535, 12000), moved, old, false},
		{"consensus did not move", row(0, 65535, 32767, 8191), old, old, false},
		{"halfway between", row(0, 65535, 65535, 8191), moved, old, false},
		{"close to both", row(0, 40000, 38000, 5000), []uint16{0, 39000, 40000, 5000, 0}, []uint16{0, 40000, 39000, 5000, 0}, false},
		{"shapes differ", row(0, 65535), moved, old[:3], false},
		{"no consensus", row(0, 65535), make([]uint16, 5), old, false},
	}
	for _, c := range cases {
		got, dNow, dPrev := copiedWeights(c.w, newConsensusProportions(c.now), newConsensusProportions(c.prev))
		if got {
			if want := l1(proportions(dense(c.w, len(c.now))), proportions(widen(c.now))); dNow != want {
				t.Errorf("%s: sparse distance %d, dense %d", c.name, dNow, want)
			}
		}
		if got != c.want {
			t.Errorf("%s: copied = %v (distance now %d, at commit %d), want %v", c.name, got, dNow, dPrev, c.want)
		}
	}
}

func dense(w []yuma.Entry, n int) []uint64 {
	out := make([]uint64, n)
	for _, e := range w {
		out[e.UID] = uint64(e.Value)
	}
	return out
}

func widen(v []uint16) []uint64 {
	out := make([]uint64, len(v))
	for i, x := range v {
		out[i] = uint64(x)
	}
	return out
}

func TestProportionsSumAndDistance(t *testing.T) {
	p := proportions([]uint64{65535, 65535, 0, 1})
	var sum uint64
	for _, x := range p {
		sum += x
	}
	if sum > 1<<32 || sum < 1<<32-4 {
		t.Fatalf("proportions sum to %d", sum)
	}
	if d := l1(p, proportions([]uint64{0, 0, 7, 0})); d < 2<<32-8 || d > 2<<32 {
		t.Fatalf("disjoint supports at distance %d, want 2^33", d)
	}
	if proportions([]uint64{0, 0}) != nil {
		t.Fatal("zero vector has proportions")
	}
}

// BenchmarkCopyCheck is the copy check of the largest admitted epoch
// (4,096 uids, 253 validators with dense weights); it reports ns per unit
// of EpochWork, which the epoch fee charges 20 gas for.
func BenchmarkCopyCheck(b *testing.B) {
	const n, v = 4096, 253
	now, prev := make([]uint16, n), make([]uint16, n)
	w := make([]yuma.Entry, n)
	for j := range now {
		now[j], prev[j] = uint16(j*7%65535), uint16(j*13%65535)
		w[j] = yuma.Entry{UID: uint16(j), Value: uint16(j * 11 % 65535)}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		nowP, prevP := newConsensusProportions(now), newConsensusProportions(prev)
		for k := 0; k < v; k++ {
			copiedWeights(w, nowP, prevP)
		}
	}
	h := Hyperparams{MaxValidators: v}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(EpochWork(&h, n)), "ns/work")
}
