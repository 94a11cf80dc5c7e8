package circuit

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"sync"

	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	cmpc "github.com/consensys/gnark-crypto/ecc/bn254/mpcsetup"
	gmpc "github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
	gio "github.com/consensys/gnark/io"
)

// phase1 is one phase-1 (powers of τ) contribution in gnark's encoding
// (mpcsetup.Phase1's WriteTo, byte for byte: TestPhase1MatchesGnark), with
// its parameters in reach. gnark keeps them unexported and rescales them
// one affine point at a time on one core, decodes them one point at a time
// too, and so spent a third of a two-contributor ceremony here; this type
// contributes, verifies and seals with gnark's own update proofs and ratio
// checks, on every core, and the first contribution (every point still
// the generator) by fixed-base multiplication.
type phase1 struct {
	proofs    [3]cmpc.UpdateProof // τ, α, β
	srs       gmpc.SrsCommons
	challenge []byte // hash of the previous contribution
}

// Phase-1 encoding sizes: three update proofs (a G1 and a G2 point each),
// then the domain as a big-endian uint64.
const (
	g1Size, g2Size = curve.SizeOfG1AffineCompressed, curve.SizeOfG2AffineCompressed
	phase1Header   = 3*(g1Size+g2Size) + 8
)

// phase1Beacon is the domain gnark's Phase1.Seal derives the beacon's
// contributions under.
var phase1Beacon = []byte("Groth16 MPC Setup - Phase 1")

// initialPhase1 is the state before the first contribution: every point
// the generator, as gnark's NewPhase1.
func initialPhase1(n uint64) *phase1 {
	p := new(phase1)
	p.srs = newSRS(n)
	_, _, g1, g2 := curve.Generators()
	for _, s := range [][]curve.G1Affine{p.srs.G1.Tau, p.srs.G1.AlphaTau, p.srs.G1.BetaTau} {
		for i := range s {
			s[i] = g1
		}
	}
	for i := range p.srs.G2.Tau {
		p.srs.G2.Tau[i] = g2
	}
	p.srs.G2.Beta = g2
	return p
}

// newSRS allocates powers of τ for a domain of n with [τ⁰] set.
func newSRS(n uint64) gmpc.SrsCommons {
	var s gmpc.SrsCommons
	s.G1.Tau = make([]curve.G1Affine, 2*n-1)
	s.G1.AlphaTau = make([]curve.G1Affine, n)
	s.G1.BetaTau = make([]curve.G1Affine, n)
	s.G2.Tau = make([]curve.G2Affine, n)
	_, _, s.G1.Tau[0], s.G2.Tau[0] = curve.Generators()
	return s
}

// phase1Size is the length of a contribution's encoding for a domain of n
// with a challenge of c bytes.
func phase1Size(n uint64, c int) uint64 {
	return phase1Header + g2Size + (2*n-2)*g1Size + (n-1)*g2Size + 2*n*g1Size + 1 + uint64(c)
}

// decodePhase1 decodes a contribution for a domain of n, on every core;
// check adds the subgroup checks a verifier needs (a contributor, who
// vouches only for its own randomness, skips them).
func decodePhase1(b []byte, n uint64, check bool) (*phase1, error) {
	if len(b) < phase1Header {
		return nil, errors.New("phase-1 contribution too short")
	}
	p := new(phase1)
	r := bytes.NewReader(b)
	for i := range p.proofs {
		if _, err := p.proofs[i].ReadFrom(r); err != nil {
			return nil, fmt.Errorf("phase-1 update proof: %w", err)
		}
	}
	off := len(b) - r.Len()
	if off != phase1Header-8 {
		return nil, errors.New("phase-1 update proofs are not compressed points")
	}
	if got := binary.BigEndian.Uint64(b[off:]); got != n {
		return nil, fmt.Errorf("phase-1 contribution for a domain of %d, the ceremony's is %d", got, n)
	}
	off += 8
	if uint64(len(b)) < phase1Size(n, 0) || uint64(len(b)) != phase1Size(n, int(b[phase1Size(n, 0)-1])) {
		return nil, fmt.Errorf("phase-1 contribution is %d bytes, not the size of a domain of %d", len(b), n)
	}
	p.srs = newSRS(n)
	var opts []func(*curve.Decoder)
	if !check {
		opts = append(opts, curve.NoSubgroupChecks())
	}
	beta := []curve.G2Affine{{}}
	parts := []struct {
		g1 []curve.G1Affine
		g2 []curve.G2Affine
	}{
		{g2: beta}, {g1: p.srs.G1.Tau[1:]}, {g2: p.srs.G2.Tau[1:]}, {g1: p.srs.G1.BetaTau}, {g1: p.srs.G1.AlphaTau},
	}
	for _, part := range parts {
		size := len(part.g1)*g1Size + len(part.g2)*g2Size
		var err error
		if part.g1 != nil {
			err = decodePoints(part.g1, b[off:off+size], g1Size, opts)
		} else {
			err = decodePoints(part.g2, b[off:off+size], g2Size, opts)
		}
		if err != nil {
			return nil, fmt.Errorf("phase-1 parameters: %w", err)
		}
		off += size
	}
	p.srs.G2.Beta = beta[0]
	if l := int(b[off]); l > 0 {
		p.challenge = bytes.Clone(b[off+1 : off+1+l])
	}
	return p, nil
}

// decodePoints decodes compressed points, one per size bytes of src, on
// every core.
func decodePoints[T any](dst []T, src []byte, size int, opts []func(*curve.Decoder)) error {
	var mu sync.Mutex
	var first error
	parallel(len(dst), func(lo, hi int) {
		chunk := src[lo*size : hi*size]
		dec := curve.NewDecoder(bytes.NewReader(chunk), opts...)
		for i := lo; i < hi; i++ {
			if err := dec.Decode(&dst[i]); err != nil {
				mu.Lock()
				first = cmpErr(first, fmt.Errorf("point %d: %w", i, err))
				mu.Unlock()
				return
			}
		}
		if dec.BytesRead() != int64(len(chunk)) {
			mu.Lock()
			first = cmpErr(first, errors.New("points are not all compressed"))
			mu.Unlock()
		}
	})
	return first
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// WriteTo encodes p as gnark's Phase1.WriteTo does.
func (p *phase1) WriteTo(w io.Writer) (int64, error) {
	var n int64
	for i := range p.proofs {
		dn, err := p.proofs[i].WriteTo(w)
		if n += dn; err != nil {
			return n, err
		}
	}
	dn, err := p.srs.WriteTo(w)
	if n += dn; err != nil {
		return n, err
	}
	dn, err = gio.WriteBytesShort(p.challenge, w)
	return n + dn, err
}

// hash is the challenge of the contribution after p.
func (p *phase1) hash() []byte {
	h := sha256.New()
	if _, err := p.WriteTo(h); err != nil {
		panic(err) // a hash takes every write
	}
	return h.Sum(nil)
}

// contribute returns the next contribution, with fresh secrets that are
// dropped afterwards; it reuses p's points. fresh says p is the initial
// state, whose points are all the generator. progress, when not nil,
// hears of the work done (from one goroutine at a time).
func (p *phase1) contribute(fresh bool, progress func(done, total int)) *phase1 {
	next := &phase1{srs: p.srs, challenge: p.hash()}
	var tau, alpha, beta fr.Element
	next.proofs[0] = cmpc.UpdateValues(&tau, next.challenge, gmpc.DST_TAU)
	next.proofs[1] = cmpc.UpdateValues(&alpha, next.challenge, gmpc.DST_ALPHA)
	next.proofs[2] = cmpc.UpdateValues(&beta, next.challenge, gmpc.DST_BETA)
	updateSRS(&next.srs, &tau, &alpha, &beta, fresh, progress)
	tau.SetZero()
	alpha.SetZero()
	beta.SetZero()
	return next
}

// verify checks that next extends p, with the checks of gnark's
// Phase1.Verify: the challenge, the update proofs of τ, α and β, and
// that every sequence is powers of the same τ. next must come from
// decodePhase1 with its subgroup checks.
func (p *phase1) verify(next *phase1) error {
	challenge := p.hash()
	if len(next.challenge) != 0 && !bytes.Equal(next.challenge, challenge) {
		return errors.New("the challenge does not match the previous contribution's hash")
	}
	next.challenge = challenge
	if len(next.srs.G2.Tau) != len(p.srs.G2.Tau) {
		return errors.New("domain size mismatch")
	}
	if err := next.proofs[0].Verify(challenge, gmpc.DST_TAU, cmpc.ValueUpdate{Previous: &p.srs.G1.Tau[1], Next: &next.srs.G1.Tau[1]}); err != nil {
		return fmt.Errorf("failed to verify contribution to τ: %w", err)
	}
	if err := next.proofs[1].Verify(challenge, gmpc.DST_ALPHA, cmpc.ValueUpdate{Previous: &p.srs.G1.AlphaTau[0], Next: &next.srs.G1.AlphaTau[0]}); err != nil {
		return fmt.Errorf("failed to verify contribution to α: %w", err)
	}
	if err := next.proofs[2].Verify(challenge, gmpc.DST_BETA,
		cmpc.ValueUpdate{Previous: &p.srs.G1.BetaTau[0], Next: &next.srs.G1.BetaTau[0]},
		cmpc.ValueUpdate{Previous: &p.srs.G2.Beta, Next: &next.srs.G2.Beta}); err != nil {
		return fmt.Errorf("failed to verify contribution to β: %w", err)
	}
	return cmpc.SameRatioMany(next.srs.G1.Tau, next.srs.G2.Tau, next.srs.G1.AlphaTau, next.srs.G1.BetaTau)
}

// seal makes the beacon's contribution, as gnark's Phase1.Seal, and
// returns the parameters phase 2 starts from; it reuses p's points.
func (p *phase1) seal(beacon []byte, progress func(done, total int)) *gmpc.SrsCommons {
	c := cmpc.BeaconContributions(p.hash(), phase1Beacon, beacon, 3)
	updateSRS(&p.srs, &c[0], &c[1], &c[2], false, progress)
	return &p.srs
}

// updateSRS multiplies τ by tau, α by alpha and β by beta: [τⁱ] by tauⁱ,
// [ατⁱ] by alpha·tauⁱ, [βτⁱ] by beta·tauⁱ, [β]₂ by beta. fresh says every
// point is the generator (the first contribution), which fixed-base
// multiplication computes several times faster.
func updateSRS(s *gmpc.SrsCommons, tau, alpha, beta *fr.Element, fresh bool, progress func(done, total int)) {
	n := len(s.G2.Tau)
	pw := make([]fr.Element, len(s.G1.Tau))
	pw[0].SetOne()
	for i := 1; i < len(pw); i++ {
		pw[i].Mul(&pw[i-1], tau)
	}
	ap, bp := make([]fr.Element, n), make([]fr.Element, n)
	for i := range n {
		ap[i].Mul(&pw[i], alpha)
		bp[i].Mul(&pw[i], beta)
	}
	defer func() {
		for _, s := range [][]fr.Element{pw, ap, bp} {
			clear(s)
		}
	}()
	var bb big.Int
	beta.BigInt(&bb)
	s.G2.Beta.ScalarMultiplication(&s.G2.Beta, &bb)
	if fresh {
		freshSRS(s, pw, ap, bp, progress)
		return
	}
	scalePoints(
		[]g1Scale{{p: s.G1.Tau[1:], k: pw[1:]}, {p: s.G1.AlphaTau, k: ap}, {p: s.G1.BetaTau, k: bp}},
		[]g2Scale{{p: s.G2.Tau[1:], k: pw[1:n]}},
		progress)
}

// freshSRS sets the points of the first contribution from the generators,
// by fixed-base multiplication in batches (mulFixed: 32 batch additions a
// point, no doublings), on every core.
func freshSRS(s *gmpc.SrsCommons, pw, ap, bp []fr.Element, progress func(done, total int)) {
	_, _, g1, g2 := curve.Generators()
	n := len(s.G2.Tau)
	t1, t2 := fixedTableG1(&g1), fixedTableG2(&g2)
	total := len(pw) - 1 + 2*n + 3*(n-1)
	done := 0
	report := func(w int) func(int) {
		return func(d int) {
			done += w * d
			if progress != nil {
				progress(done, total)
			}
		}
	}
	for _, p := range []struct {
		dst []curve.G1Affine
		k   []fr.Element
	}{{s.G1.Tau[1:], pw[1:]}, {s.G1.AlphaTau, ap}, {s.G1.BetaTau, bp}} {
		batchMulJobs(len(p.dst), getScaleBatch, putScaleBatch, func(b *scaleBatch, lo, hi int) {
			b.g1.mulFixed(p.dst[lo:hi], p.k[lo:hi], t1)
		}, report(1))
	}
	dst, k := s.G2.Tau[1:n], pw[1:n]
	batchMulJobs(len(dst), getScaleBatch, putScaleBatch, func(b *scaleBatch, lo, hi int) {
		b.g2.mulFixed(dst[lo:hi], k[lo:hi], t2)
	}, report(3))
}

// g1Scale is points to multiply, point i by k[i], or every point by one
// when k is nil.
type g1Scale struct {
	p   []curve.G1Affine
	k   []fr.Element
	one *fr.Element
}

func (s *g1Scale) scalar(i int) *fr.Element {
	if s.k == nil {
		return s.one
	}
	return &s.k[i]
}

// g2Scale is g1Scale in G2.
type g2Scale struct {
	p   []curve.G2Affine
	k   []fr.Element
	one *fr.Element
}

func (s *g2Scale) scalar(i int) *fr.Element {
	if s.k == nil {
		return s.one
	}
	return &s.k[i]
}

// scalePoints multiplies every point by its scalar, in batches that share
// their inversions (mpcbatch.go), shared by one goroutine per core. A G2
// point counts as three G1 points of work.
func scalePoints(g1 []g1Scale, g2 []g2Scale, progress func(done, total int)) {
	type task struct {
		g1     *g1Scale
		g2     *g2Scale
		one    *glvDigits // every point's scalar, or nil
		lo, hi int
	}
	var tasks []task
	total := 0
	for i := range g1 {
		var one *glvDigits
		if g1[i].k == nil {
			d := newGLVDigits(g1[i].one)
			one = &d
		}
		for lo := 0; lo < len(g1[i].p); lo += batchLanes {
			tasks = append(tasks, task{g1: &g1[i], one: one, lo: lo, hi: min(lo+batchLanes, len(g1[i].p))})
		}
		total += len(g1[i].p)
	}
	for i := range g2 {
		var one *glvDigits
		if g2[i].k == nil {
			d := newGLVDigits(g2[i].one)
			one = &d
		}
		for lo := 0; lo < len(g2[i].p); lo += batchLanes {
			tasks = append(tasks, task{g2: &g2[i], one: one, lo: lo, hi: min(lo+batchLanes, len(g2[i].p))})
		}
		total += 3 * len(g2[i].p)
	}
	var mu sync.Mutex
	done := 0
	batchMulJobs(len(tasks)*batchLanes, getScaleBatch, putScaleBatch, func(s *scaleBatch, lo, _ int) {
		tk := tasks[lo/batchLanes]
		work := tk.hi - tk.lo
		dig := func(i int) *glvDigits {
			if tk.one != nil {
				return tk.one
			}
			return &s.dig[i]
		}
		if tk.g1 != nil {
			if tk.one == nil {
				for i := tk.lo; i < tk.hi; i++ {
					s.dig[i-tk.lo] = newGLVDigits(&tk.g1.k[i])
				}
			}
			p := tk.g1.p[tk.lo:tk.hi]
			s.g1.mul(p, p, dig)
		} else {
			if tk.one == nil {
				for i := tk.lo; i < tk.hi; i++ {
					s.dig[i-tk.lo] = newGLVDigits(&tk.g2.k[i])
				}
			}
			p := tk.g2.p[tk.lo:tk.hi]
			s.g2.mul(p, p, dig)
			work *= 3
		}
		mu.Lock()
		done += work
		if progress != nil {
			progress(done, total)
		}
		mu.Unlock()
	}, nil)
}

// scaleBatch is the scratch of scalePoints's goroutines.
type scaleBatch struct {
	g1  *g1Batch
	g2  *g2Batch
	dig [batchLanes]glvDigits
}

var scaleBatches = sync.Pool{New: func() any { return &scaleBatch{g1: newG1Batch(), g2: newG2Batch()} }}

func getScaleBatch() *scaleBatch  { return scaleBatches.Get().(*scaleBatch) }
func putScaleBatch(s *scaleBatch) { scaleBatches.Put(s) }

// writeCommons encodes the sealed phase-1 parameters as raw points: the
// file is the coordinator's, pinned by its hash in ceremony.json, and
// every later step reads it without decompressing a point.
func writeCommons(w io.Writer, s *gmpc.SrsCommons) error {
	enc := curve.NewEncoder(w, curve.RawEncoding())
	for _, v := range []any{s.G1.Tau, s.G1.AlphaTau, s.G1.BetaTau, s.G2.Tau, &s.G2.Beta} {
		if err := enc.Encode(v); err != nil {
			return fmt.Errorf("encode phase-1 parameters: %w", err)
		}
	}
	return nil
}

// readCommons decodes what writeCommons wrote.
func readCommons(r io.Reader) (*gmpc.SrsCommons, error) {
	s := new(gmpc.SrsCommons)
	dec := curve.NewDecoder(r, curve.NoSubgroupChecks())
	for _, v := range []any{&s.G1.Tau, &s.G1.AlphaTau, &s.G1.BetaTau, &s.G2.Tau, &s.G2.Beta} {
		if err := dec.Decode(v); err != nil {
			return nil, fmt.Errorf("decode phase-1 parameters: %w", err)
		}
	}
	n := len(s.G2.Tau)
	if n == 0 || len(s.G1.Tau) != 2*n-1 || len(s.G1.AlphaTau) != n || len(s.G1.BetaTau) != n {
		return nil, errors.New("decode phase-1 parameters: inconsistent lengths")
	}
	return s, nil
}

// commonsHash is the SHA-256 of writeCommons's encoding of s.
func commonsHash(s *gmpc.SrsCommons) ([]byte, error) {
	h := sha256.New()
	if err := writeCommons(h, s); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}

// contributePhase2 does what gnark's Phase2.Contribute does (the same
// update proofs and points; the next contribution's check is gnark's), on
// every core and with progress.
func contributePhase2(p *gmpc.Phase2, progress func(done, total int)) error {
	if len(p.Parameters.G1.SigmaCKK) > 255 {
		return errors.New("too many commitments for a phase-2 contribution")
	}
	h := sha256.New()
	if _, err := p.WriteTo(h); err != nil {
		return fmt.Errorf("hash phase-2 state: %w", err)
	}
	p.Challenge = h.Sum(nil)
	var delta, deltaInv fr.Element
	p.Delta = cmpc.UpdateValues(&delta, p.Challenge, gmpc.DST_DELTA)
	sigma := make([]fr.Element, len(p.Parameters.G1.SigmaCKK))
	g1 := make([]g1Scale, 0, len(sigma)+2)
	g2 := make([]g2Scale, 0, len(sigma))
	for i := range sigma {
		p.Sigmas[i] = cmpc.UpdateValues(&sigma[i], p.Challenge, gmpc.DST_SIGMA+byte(i))
		g1 = append(g1, g1Scale{p: p.Parameters.G1.SigmaCKK[i], one: &sigma[i]})
		g2 = append(g2, g2Scale{p: p.Parameters.G2.Sigma[i : i+1], one: &sigma[i]})
	}
	deltaInv.Inverse(&delta)
	var d big.Int
	delta.BigInt(&d)
	p.Parameters.G1.Delta.ScalarMultiplication(&p.Parameters.G1.Delta, &d)
	p.Parameters.G2.Delta.ScalarMultiplication(&p.Parameters.G2.Delta, &d)
	g1 = append(g1, g1Scale{p: p.Parameters.G1.Z, one: &deltaInv}, g1Scale{p: p.Parameters.G1.PKK, one: &deltaInv})
	scalePoints(g1, g2, progress)
	delta.SetZero()
	deltaInv.SetZero()
	clear(sigma)
	return nil
}
