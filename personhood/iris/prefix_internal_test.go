package iris

import (
	"math/rand/v2"
	"testing"
)

// TestPrefixKernelsAgree checks the vector kernel (when this CPU has one)
// and the scalar passPrefix against prefixCounts on synthetic templates and
// on adversarial masks (all set, all clear, random).
func TestPrefixKernelsAgree(t *testing.T) {
	s := NewSynth(31, DefaultSynthConfig())
	rng := rand.New(rand.NewPCG(1, 2))
	var probes, refs []Template
	for i := 0; i < 20; i++ {
		e := s.Eye()
		probes = append(probes, s.Capture(e))
		refs = append(refs, s.Capture(e), s.Capture(s.Eye()))
	}
	var full, empty, random Template
	for j := range full.Mask {
		full.Code[j], full.Mask[j] = rng.Uint64(), ^uint64(0)
		random.Code[j], random.Mask[j] = rng.Uint64(), rng.Uint64()
	}
	probes = append(probes, full, empty, random)
	refs = append(refs, full, empty, random)
	thr := toFixed(DefaultEarlyReject)
	minPre := DefaultMinCommonBits * prefixWords / Words
	t.Logf("vector kernel available: %v", prefixCountsVector != nil)
	for pi := range probes {
		pr := newProbe(&probes[pi])
		for ri := range refs {
			var st eyeStore
			st.add(&refs[ri])
			g := &st.prefix[0]
			want := false
			var counts [Rotations][2]uint32
			for r := 0; r < Rotations; r++ {
				d, m := prefixCounts(&pr.pre[r], g)
				counts[r] = [2]uint32{uint32(d), uint32(m)}
				if m < minPre || uint64(d)<<fixedShift <= thr*uint64(m) {
					want = true
				}
			}
			if prefixCountsVector != nil {
				var got [Rotations][2]uint32
				prefixCountsVector(&pr.pre, g, &got)
				if got != counts {
					t.Fatalf("probe %d ref %d: vector counts %v, scalar %v", pi, ri, got, counts)
				}
			}
			if got := pr.passPrefix(g, thr, minPre); got != want {
				t.Fatalf("probe %d ref %d: passPrefix %v, want %v", pi, ri, got, want)
			}
			// The scalar path, whatever this CPU has.
			saved := prefixCountsVector
			prefixCountsVector = nil
			got := pr.passPrefix(g, thr, minPre)
			prefixCountsVector = saved
			if got != want {
				t.Fatalf("probe %d ref %d: scalar passPrefix %v, want %v", pi, ri, got, want)
			}
		}
	}
}
