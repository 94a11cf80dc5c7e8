package iris

import (
	"math/rand/v2"
)

// SynthConfig shapes the synthetic iris codes. The defaults aim at the
// published shape of real distance distributions: impostor FHD centred near
// 0.5 before rotation (near 0.47 after the minimum over 31 rotations) with a
// spread set by the bit correlation along the angular axis, and genuine FHD
// mostly 0.05-0.25 with a thin tail of poor captures reaching the threshold.
type SynthConfig struct {
	// PersistenceBits sets the correlation of neighbouring columns: each bit
	// flips from one column to the next with probability 2^-PersistenceBits.
	PersistenceBits int
	// NoiseMin and NoiseMax bound a normal capture's bit-flip rate.
	NoiseMin, NoiseMax float64
	// PoorRate is the fraction of poor captures, whose flip rate is drawn
	// from NoiseMax..PoorNoiseMax instead.
	PoorRate, PoorNoiseMax float64
	// MaxRotation is the largest head-tilt rotation of one capture, in columns.
	MaxRotation int
	// FragileRate is the fraction of bits masked as fragile in a capture.
	FragileRate float64
	// MaxEyelidRows is the deepest upper-eyelid occlusion, in rows.
	MaxEyelidRows int
}

// DefaultSynthConfig returns the calibrated defaults.
func DefaultSynthConfig() SynthConfig {
	return SynthConfig{
		PersistenceBits: 5,
		NoiseMin:        0.02,
		NoiseMax:        0.12,
		PoorRate:        0.04,
		PoorNoiseMax:    0.28,
		MaxRotation:     7,
		FragileRate:     0.08,
		MaxEyelidRows:   6,
	}
}

// Synth generates synthetic eyes and captures of them. It is deterministic
// for a seed and not safe for concurrent use.
type Synth struct {
	cfg SynthConfig
	rng *rand.Rand
}

// NewSynth returns a generator seeded with seed.
func NewSynth(seed uint64, cfg SynthConfig) *Synth {
	return &Synth{cfg: cfg, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// Eye is the true, noise-free iris code of one synthetic eye.
type Eye struct {
	code [Words]uint64
}

// Eye draws a new eye: each of the 64 bit tracks is a Markov chain along
// the angular axis, so neighbouring columns are correlated like real codes.
func (s *Synth) Eye() *Eye {
	e := new(Eye)
	e.code[0] = s.rng.Uint64()
	for j := 1; j < Words; j++ {
		flip := ^uint64(0)
		for k := 0; k < s.cfg.PersistenceBits; k++ {
			flip &= s.rng.Uint64()
		}
		e.code[j] = e.code[j-1] ^ flip
	}
	return e
}

// bernoulli returns a word whose bits are 1 with probability q (to 1/256).
func (s *Synth) bernoulli(q float64) uint64 {
	q8 := int(q*256 + 0.5)
	if q8 <= 0 {
		return 0
	}
	if q8 >= 256 {
		return ^uint64(0)
	}
	var m uint64
	for i := 0; i < 8; i++ {
		r := s.rng.Uint64()
		if q8>>i&1 == 1 {
			m |= r
		} else {
			m &= r
		}
	}
	return m
}

func (s *Synth) uniform(lo, hi float64) float64 { return lo + (hi-lo)*s.rng.Float64() }

// topRows is the mask word with the k outermost rows (highest row index) set.
func topRows(k int) uint64 {
	if k <= 0 {
		return 0
	}
	if k >= Rows {
		return ^uint64(0)
	}
	return ^uint64(0) << uint(BitsPerCell*(Rows-k))
}

// Capture returns one noisy capture of e: rotated, with bit flips, fragile
// bits masked and eyelids occluding the outer rows near the top and bottom.
func (s *Synth) Capture(e *Eye) Template {
	var t Template
	c := s.cfg
	rot := 0
	if c.MaxRotation > 0 {
		rot = s.rng.IntN(2*c.MaxRotation+1) - c.MaxRotation
	}
	q := s.uniform(c.NoiseMin, c.NoiseMax)
	if s.rng.Float64() < c.PoorRate {
		q = s.uniform(c.NoiseMax, c.PoorNoiseMax)
	}
	upper := 0
	if c.MaxEyelidRows > 0 {
		upper = s.rng.IntN(c.MaxEyelidRows + 1)
	}
	lower := upper / 2
	const upperCentre, lowerCentre, halfArc = Cols / 4, 3 * Cols / 4, Cols / 5
	for j := 0; j < Words; j++ {
		src := ((j+rot)%Cols + Cols) % Cols
		t.Code[j] = e.code[src] ^ s.bernoulli(q)
		mask := ^s.bernoulli(c.FragileRate)
		if d := abs(j - upperCentre); d < halfArc {
			mask &^= topRows(upper - upper*d/halfArc)
		}
		if d := abs(j - lowerCentre); d < halfArc {
			mask &^= topRows(lower - lower*d/halfArc)
		}
		t.Mask[j] = mask
	}
	return t
}

// CapturePerson captures both eyes.
func (s *Synth) CapturePerson(left, right *Eye) Person {
	return Person{Left: s.Capture(left), Right: s.Capture(right)}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
