package circuit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/fft"
	"github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
)

// Files of the initialised phase-2 state, one pair per circuit of the
// ceremony, written once when phase 1 closes (their hashes are in
// ceremony.json): the state every first contribution extends and every
// check starts from, and the circuit's evaluations that closing phase 2
// seals into the keys.
const (
	init2File, evals2File         = "phase2-init.bin", "phase2-evals.bin"
	init2LinkFile, evals2LinkFile = "phase2-link-init.bin", "phase2-link-evals.bin"
)

func init2Files(kind string) (string, string) {
	if kind == KindLink {
		return init2LinkFile, evals2LinkFile
	}
	return init2File, evals2File
}

// writeEvals encodes phase-2 evaluations (raw points: the file is the
// coordinator's own and pinned by its hash).
func writeEvals(w io.Writer, e *mpcsetup.Phase2Evaluations) error {
	enc := curve.NewEncoder(w, curve.RawEncoding())
	committed := make([][]uint64, len(e.PublicAndCommitmentCommitted))
	for i, s := range e.PublicAndCommitmentCommitted {
		for _, v := range s {
			committed[i] = append(committed[i], uint64(v))
		}
	}
	for _, v := range []any{e.G1.A, e.G1.B, e.G1.VKK, uint32(len(e.G1.CKK))} {
		if err := enc.Encode(v); err != nil {
			return fmt.Errorf("encode evaluations: %w", err)
		}
	}
	for _, s := range e.G1.CKK {
		if err := enc.Encode(s); err != nil {
			return fmt.Errorf("encode evaluations: %w", err)
		}
	}
	for _, v := range []any{e.G2.B, committed} {
		if err := enc.Encode(v); err != nil {
			return fmt.Errorf("encode evaluations: %w", err)
		}
	}
	return nil
}

// readEvals decodes what writeEvals wrote, without subgroup checks.
func readEvals(r io.Reader) (*mpcsetup.Phase2Evaluations, error) {
	dec := curve.NewDecoder(r, curve.NoSubgroupChecks())
	e := new(mpcsetup.Phase2Evaluations)
	var n uint32
	for _, v := range []any{&e.G1.A, &e.G1.B, &e.G1.VKK, &n} {
		if err := dec.Decode(v); err != nil {
			return nil, fmt.Errorf("decode evaluations: %w", err)
		}
	}
	if n > maxCeremonyCommitments {
		return nil, fmt.Errorf("decode evaluations: %d commitments", n)
	}
	e.G1.CKK = make([][]curve.G1Affine, n)
	for i := range e.G1.CKK {
		if err := dec.Decode(&e.G1.CKK[i]); err != nil {
			return nil, fmt.Errorf("decode evaluations: %w", err)
		}
	}
	var committed [][]uint64
	for _, v := range []any{&e.G2.B, &committed} {
		if err := dec.Decode(v); err != nil {
			return nil, fmt.Errorf("decode evaluations: %w", err)
		}
	}
	e.PublicAndCommitmentCommitted = make([][]int, len(committed))
	for i, s := range committed {
		for _, v := range s {
			e.PublicAndCommitmentCommitted[i] = append(e.PublicAndCommitmentCommitted[i], int(v))
		}
	}
	return e, nil
}

// maxCeremonyCommitments bounds the commitments a ceremony file declares.
const maxCeremonyCommitments = 16

// initPhase2Files computes the initial phase-2 state of one circuit of the
// ceremony and writes it with its evaluations; it returns both files as
// contributions (name and hash).
func (c *Ceremony) initPhase2Files(kind string, commons *mpcsetup.SrsCommons) ([2]Contribution, error) {
	var out [2]Contribution
	r1cs, commons, err := c.phase2Inputs(kind, commons)
	if err != nil {
		return out, err
	}
	lag, err := c.lagrange(commons, true)
	if err != nil {
		return out, err
	}
	pr := c.progress(fmt.Sprintf("phase 2: initialising the %s circuit (%d constraints, once for the whole ceremony)", kind, r1cs.GetNbConstraints()))
	p, evals, _ := initPhase2(r1cs, commons, lag, pr.fraction)
	pr.done()
	names := [2]string{}
	names[0], names[1] = init2Files(kind)
	if out[0].SHA256, err = writeHashed(filepath.Join(c.dir, names[0]), p); err != nil {
		return out, err
	}
	out[0].File = names[0]
	h := sha256.New()
	if err := writeFile(filepath.Join(c.dir, names[1]), func(w io.Writer) error { return writeEvals(io.MultiWriter(w, h), evals) }); err != nil {
		return out, err
	}
	out[1] = Contribution{File: names[1], SHA256: hex.EncodeToString(h.Sum(nil))}
	return out, nil
}

// LagrangeFile is a file of phase 1's Lagrange bases for one domain.
type LagrangeFile struct {
	Domain uint64 `json:"domain"`
	Contribution
}

// lagrange returns the Lagrange bases of commons's domain. A file of
// them in the ceremony (made when its phase 1 closed, or copied with the
// phase 1 it started from) is read with its points' subgroup checks and
// checked against commons (checkLagrange: two multi-scalar
// multiplications a basis instead of its FFT), so neither a verifier nor a
// ceremony starting from another's phase 1 trusts the file; without one
// the bases are computed, and keep writes them to a new file.
func (c *Ceremony) lagrange(commons *mpcsetup.SrsCommons, keep bool) (*lagrangeBases, error) {
	n := uint64(len(commons.G1.AlphaTau))
	for _, f := range c.Lagrange {
		if f.Domain != n {
			continue
		}
		pr := c.progress(fmt.Sprintf("phase 1: checking its Lagrange basis for a domain of %d against its powers of tau", n))
		defer pr.done()
		var l *lagrangeBases
		if err := c.readHashed(f.Contribution, func(r io.Reader) error { var err error; l, err = readLagrange(r, n); return err }); err != nil {
			return nil, err
		}
		if err := checkLagrange(l, commons, pr.fraction); err != nil {
			return nil, fmt.Errorf("%s: %w", f.File, err)
		}
		return l, nil
	}
	pr := c.progress(fmt.Sprintf("phase 1: computing its Lagrange basis for a domain of %d (once per domain)", n))
	l := newLagrangeBases(commons, pr.fraction)
	pr.done()
	if !keep {
		return l, nil
	}
	name := fmt.Sprintf("phase1-lagrange-%d.bin", n)
	h := sha256.New()
	if err := writeFile(filepath.Join(c.dir, name), func(w io.Writer) error { return writeLagrange(io.MultiWriter(w, h), l) }); err != nil {
		return nil, err
	}
	c.Lagrange = append(c.Lagrange, LagrangeFile{Domain: n, Contribution: Contribution{File: name, SHA256: hex.EncodeToString(h.Sum(nil))}})
	return l, nil
}

// ErrLagrange is returned for Lagrange bases that are not those of the
// phase 1 they are checked against.
var ErrLagrange = errors.New("the Lagrange basis is not its phase 1's")

// checkLagrange checks that l is the Lagrange basis of commons's domain
// of n: for random r, Σ rᵢ·[Lᵢ(τ)] = Σ cₖ·[τᵏ] where c is the inverse FFT
// of r (Lᵢ(X) = Σₖ cᵢₖXᵏ with cᵢₖ = ω⁻ⁱᵏ/n), for each of the four bases
// with its own r. A wrong basis passes with probability 1/|Fr| per basis
// (the points are in the group: readLagrange checks). progress hears of
// the bases checked.
func checkLagrange(l *lagrangeBases, commons *mpcsetup.SrsCommons, progress func(done, total int)) error {
	n := len(commons.G1.AlphaTau)
	if len(l.Tau1) != n || len(l.AlphaTau1) != n || len(l.BetaTau1) != n || len(l.Tau2) != n {
		return fmt.Errorf("%w: it has the wrong number of points for a domain of %d", ErrLagrange, n)
	}
	domain := fft.NewDomain(uint64(n))
	coeffs := func() ([]fr.Element, []fr.Element, error) {
		r := make([]fr.Element, n)
		for i := range r {
			if _, err := r[i].SetRandom(); err != nil {
				return nil, nil, fmt.Errorf("random challenge: %w", err)
			}
		}
		c := slices.Clone(r)
		domain.FFTInverse(c, fft.DIF)
		fft.BitReverse(c)
		return r, c, nil
	}
	cfg := ecc.MultiExpConfig{}
	g1 := []struct {
		name       string
		lag, power []curve.G1Affine
	}{{"[L(τ)]₁", l.Tau1, commons.G1.Tau[:n]}, {"[αL(τ)]₁", l.AlphaTau1, commons.G1.AlphaTau}, {"[βL(τ)]₁", l.BetaTau1, commons.G1.BetaTau}}
	for i, b := range g1 {
		r, c, err := coeffs()
		if err != nil {
			return err
		}
		var x, y curve.G1Affine
		if _, err := x.MultiExp(b.lag, r, cfg); err != nil {
			return fmt.Errorf("check Lagrange basis: %w", err)
		}
		if _, err := y.MultiExp(b.power, c, cfg); err != nil {
			return fmt.Errorf("check Lagrange basis: %w", err)
		}
		if !x.Equal(&y) {
			return fmt.Errorf("%w: %s differs", ErrLagrange, b.name)
		}
		progress(i+1, 4)
	}
	r, c, err := coeffs()
	if err != nil {
		return err
	}
	var x, y curve.G2Affine
	if _, err := x.MultiExp(l.Tau2, r, cfg); err != nil {
		return fmt.Errorf("check Lagrange basis: %w", err)
	}
	if _, err := y.MultiExp(commons.G2.Tau[:n], c, cfg); err != nil {
		return fmt.Errorf("check Lagrange basis: %w", err)
	}
	if !x.Equal(&y) {
		return fmt.Errorf("%w: [L(τ)]₂ differs", ErrLagrange)
	}
	progress(4, 4)
	return nil
}

// writeLagrange encodes Lagrange bases as raw points (the file is pinned
// by its hash).
func writeLagrange(w io.Writer, l *lagrangeBases) error {
	enc := curve.NewEncoder(w, curve.RawEncoding())
	for _, v := range []any{l.Tau1, l.AlphaTau1, l.BetaTau1, l.Tau2} {
		if err := enc.Encode(v); err != nil {
			return fmt.Errorf("encode Lagrange bases: %w", err)
		}
	}
	return nil
}

// readLagrange decodes what writeLagrange wrote for a domain of n, with
// the points' subgroup checks.
func readLagrange(r io.Reader, n uint64) (*lagrangeBases, error) {
	l := new(lagrangeBases)
	dec := curve.NewDecoder(r)
	for _, v := range []any{&l.Tau1, &l.AlphaTau1, &l.BetaTau1, &l.Tau2} {
		if err := dec.Decode(v); err != nil {
			return nil, fmt.Errorf("decode Lagrange bases: %w", err)
		}
	}
	for _, m := range []int{len(l.Tau1), len(l.AlphaTau1), len(l.BetaTau1), len(l.Tau2)} {
		if uint64(m) != n {
			return nil, fmt.Errorf("decode Lagrange bases: %d points for a domain of %d", m, n)
		}
	}
	return l, nil
}

// init2 returns the files of a circuit's initial phase-2 state.
func (c *Ceremony) init2(kind string) ([2]Contribution, error) {
	f := c.Init2
	if kind == KindLink {
		f = c.Init2Link
	}
	if f[0].File == "" {
		return f, fmt.Errorf("the ceremony has no initial phase-2 state for the %s circuit (close phase 1 first)", kind)
	}
	return f, nil
}

// readHashed reads a ceremony file, checks it against its recorded hash
// and decodes it with r.
func (c *Ceremony) readHashed(ct Contribution, r func(io.Reader) error) error {
	b, err := os.ReadFile(filepath.Join(c.dir, ct.File))
	if err != nil {
		return fmt.Errorf("read %s: %w", ct.File, err)
	}
	if h := sha256.Sum256(b); hex.EncodeToString(h[:]) != ct.SHA256 {
		return fmt.Errorf("%s does not match its hash in %s", ct.File, ceremonyFile)
	}
	return r(bytes.NewReader(b))
}

// loadInit2 reads a circuit's initial phase-2 state (and, with evals, its
// evaluations).
func (c *Ceremony) loadInit2(kind string, evals bool) (*mpcsetup.Phase2, *mpcsetup.Phase2Evaluations, error) {
	f, err := c.init2(kind)
	if err != nil {
		return nil, nil, err
	}
	p := new(mpcsetup.Phase2)
	if err := c.readHashed(f[0], func(r io.Reader) error { _, err := p.ReadFrom(r); return err }); err != nil {
		return nil, nil, err
	}
	if !evals {
		return p, nil, nil
	}
	var e *mpcsetup.Phase2Evaluations
	if err := c.readHashed(f[1], func(r io.Reader) error { var err error; e, err = readEvals(r); return err }); err != nil {
		return nil, nil, err
	}
	return p, e, nil
}

// progressLine prints a long step's progress to the ceremony's Log: a
// line when it starts, one at most every few seconds with the share done
// and an estimate of the time left, and one when it ends.
type progressLine struct {
	w     io.Writer
	what  string
	every time.Duration
	start time.Time
	last  time.Time
	est   time.Duration
	stop  chan struct{}
	ended chan struct{}
}

// progress starts a progress line for a step.
func (c *Ceremony) progress(what string) *progressLine {
	p := &progressLine{w: c.Log, what: what, start: time.Now(), last: time.Now(), every: c.every}
	if p.every == 0 {
		p.every = 3 * time.Second
	}
	if p.w != nil {
		fmt.Fprintf(p.w, "%s...\n", what)
	}
	return p
}

// fraction reports done out of total.
func (p *progressLine) fraction(done, total int) {
	if p.w == nil || total == 0 || time.Since(p.last) < p.every || done == 0 {
		return
	}
	p.last = time.Now()
	el := time.Since(p.start)
	left := time.Duration(float64(el) * float64(total-done) / float64(done))
	fmt.Fprintf(p.w, "  %3d%%  %s elapsed, about %s left\n", 100*done/total, el.Round(time.Second), left.Round(time.Second))
}

// estimate reports, every few seconds until done, the time elapsed and
// what is left of an estimated duration, for steps that run inside gnark
// and cannot report their own progress.
func (p *progressLine) estimate(d time.Duration) {
	if p.w == nil {
		return
	}
	p.est = d
	fmt.Fprintf(p.w, "  about %s (estimated from this machine's speed)\n", d.Round(time.Second))
	p.stop, p.ended = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(p.ended)
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				el := time.Since(p.start)
				left := max(p.est-el, 0)
				fmt.Fprintf(p.w, "  %s elapsed, about %s left\n", el.Round(time.Second), left.Round(time.Second))
			}
		}
	}()
}

// done ends the line.
func (p *progressLine) done() {
	if p.stop != nil {
		close(p.stop)
		<-p.ended
		p.stop = nil
	}
	if p.w != nil {
		fmt.Fprintf(p.w, "  done in %s\n", time.Since(p.start).Round(time.Millisecond))
	}
}

// g1MulTime is the time of one G1 scalar multiplication on this machine
// per core, measured once, to estimate gnark's steps.
func g1MulTime() time.Duration {
	_, _, g, _ := curve.Generators()
	var s [32]byte
	for i := range s {
		s[i] = byte(7*i + 1)
	}
	const n = 32
	start := time.Now()
	var p curve.G1Affine
	for i := 0; i < n; i++ {
		p.ScalarMultiplication(&g, new(big.Int).SetBytes(s[:]))
	}
	return time.Since(start) / n
}
