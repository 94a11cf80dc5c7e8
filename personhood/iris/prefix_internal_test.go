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
			var rwant [Rotations][2]uint32
			for r := 0; r < Rotations; r++ {
				d, m := restCounts(&pr.rest[r], &st.rest[0])
				rwant[r] = [2]uint32{uint32(d), uint32(m)}
			}
			if restCountsVector != nil {
				var got [Rotations][2]uint32
				restCountsVector(&pr.rest, &st.rest[0], &got)
				if got != rwant {
					t.Fatalf("probe %d ref %d: vector rest counts %v, scalar %v", pi, ri, got, rwant)
				}
			}
			fd, fm := pr.full(g, &st.rest[0], DefaultMinCommonBits)
			// The exact distance agrees with the reference MinDistance.
			ref, _ := MinDistance(&probes[pi], &refs[ri], DefaultMinCommonBits)
			if got := ratio(fd, fm); got != ref {
				t.Fatalf("probe %d ref %d: full FHD %v, MinDistance %v", pi, ri, got, ref)
			}
			// The scalar path, whatever this CPU has.
			saved, savedRest := prefixCountsVector, restCountsVector
			prefixCountsVector, restCountsVector = nil, nil
			got := pr.passPrefix(g, thr, minPre)
			sd, sm := pr.full(g, &st.rest[0], DefaultMinCommonBits)
			prefixCountsVector, restCountsVector = saved, savedRest
			if got != want {
				t.Fatalf("probe %d ref %d: scalar passPrefix %v, want %v", pi, ri, got, want)
			}
			if sd != fd || sm != fm {
				t.Fatalf("probe %d ref %d: scalar full (%d, %d), vector (%d, %d)", pi, ri, sd, sm, fd, fm)
			}
		}
	}
}
