package circuit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	gmpc "github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
	"github.com/consensys/gnark/logger"

	"emergence/zkml/model"
)

func gnarkPhase1(t *testing.T, b []byte) *gmpc.Phase1 {
	t.Helper()
	p := new(gmpc.Phase1)
	if _, err := p.ReadFrom(bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPhase1MatchesGnark: the ceremony's phase 1 writes gnark's encoding,
// contributions each side makes pass the other's checks, a tampered one
// fails both, and sealing gives gnark's parameters.
func TestPhase1MatchesGnark(t *testing.T) {
	const n = 64
	var a, b bytes.Buffer
	if _, err := initialPhase1(n).WriteTo(&a); err != nil {
		t.Fatal(err)
	}
	if _, err := gmpc.NewPhase1(n).WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("initial state encodes differently from gnark's NewPhase1")
	}

	// gnark's first contribution, decoded and re-encoded unchanged.
	g := gmpc.NewPhase1(n)
	g.Contribute()
	b.Reset()
	if _, err := g.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	b1 := bytes.Clone(b.Bytes())
	p1, err := decodePhase1(b1, n, true)
	if err != nil {
		t.Fatal(err)
	}
	a.Reset()
	if _, err := p1.WriteTo(&a); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b1) {
		t.Fatal("a decoded contribution re-encodes differently")
	}
	if err := initialPhase1(n).verify(p1); err != nil {
		t.Fatalf("gnark's contribution rejected: %v", err)
	}
	if _, err := decodePhase1(b1, n/2, true); err == nil {
		t.Fatal("a contribution decoded for another domain")
	}
	if _, err := decodePhase1(b1[:len(b1)-3], n, true); err == nil {
		t.Fatal("a truncated contribution decoded")
	}

	// Our second contribution passes gnark's check, and ours.
	p1, _ = decodePhase1(b1, n, false)
	var done, total int
	p2 := p1.contribute(false, func(d, tt int) { done, total = d, tt })
	if done != total || total != 7*n-5 {
		t.Fatalf("progress ended at %d of %d", done, total)
	}
	a.Reset()
	if _, err := p2.WriteTo(&a); err != nil {
		t.Fatal(err)
	}
	b2 := bytes.Clone(a.Bytes())
	if err := gnarkPhase1(t, b1).Verify(gnarkPhase1(t, b2)); err != nil {
		t.Fatalf("gnark rejects our contribution: %v", err)
	}
	q1, _ := decodePhase1(b1, n, true)
	q2, _ := decodePhase1(b2, n, true)
	if err := q1.verify(q2); err != nil {
		t.Fatalf("our check rejects our contribution: %v", err)
	}

	// A first contribution by fixed-base multiplication passes gnark's check.
	f := initialPhase1(n).contribute(true, nil)
	a.Reset()
	if _, err := f.WriteTo(&a); err != nil {
		t.Fatal(err)
	}
	if err := gmpc.NewPhase1(n).Verify(gnarkPhase1(t, a.Bytes())); err != nil {
		t.Fatalf("gnark rejects our first contribution: %v", err)
	}

	// Two [τⁱ]₁ swapped: both checks fail.
	bad := bytes.Clone(b2)
	off := phase1Header + g2Size + 3*g1Size
	tmp := bytes.Clone(bad[off : off+g1Size])
	copy(bad[off:off+g1Size], bad[off+g1Size:off+2*g1Size])
	copy(bad[off+g1Size:off+2*g1Size], tmp)
	if err := gnarkPhase1(t, b1).Verify(gnarkPhase1(t, bad)); err == nil {
		t.Fatal("gnark accepts swapped points")
	}
	q1, _ = decodePhase1(b1, n, true)
	qb, err := decodePhase1(bad, n, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := q1.verify(qb); err == nil {
		t.Fatal("our check accepts swapped points")
	}
	// A contribution that extends another one is refused.
	q1, _ = decodePhase1(b1, n, true)
	if err := initialPhase1(n).verify(q2); err == nil {
		t.Fatal("a second contribution verified against the initial state")
	}

	// Sealing: the same parameters as gnark's VerifyPhase1.
	beacon := []byte("a public beacon of sixteen bytes or more")
	want, err := gmpc.VerifyPhase1(n, beacon, gnarkPhase1(t, b1), gnarkPhase1(t, b2))
	if err != nil {
		t.Fatal(err)
	}
	q2, _ = decodePhase1(b2, n, false)
	got := q2.seal(beacon, nil)
	a.Reset()
	b.Reset()
	want.WriteTo(&a)
	got.WriteTo(&b)
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("sealed parameters differ from gnark's")
	}

	// The raw commons file round-trips.
	var c bytes.Buffer
	if err := writeCommons(&c, got); err != nil {
		t.Fatal(err)
	}
	back, err := readCommons(bytes.NewReader(c.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	a.Reset()
	back.WriteTo(&a)
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("commons file does not round-trip")
	}
	if _, err := readCommons(bytes.NewReader(c.Bytes()[:c.Len()-10])); err == nil {
		t.Fatal("a truncated commons file decoded")
	}
}

// tinyExamSpec is an exam of 4 samples for a 2-input model (771
// constraints, a domain of 1,024): a circuit small enough for a whole
// ceremony in seconds.
func tinyExamSpec(t testing.TB) Spec {
	spec, _ := tinyExam(t, 4)
	return spec
}

// tinyExam is an exam of n samples for a 2-input model, and the model.
func tinyExam(t testing.TB, n int) (Spec, *model.Model) {
	t.Helper()
	m := &model.Model{Format: model.ModelFormat, Version: model.ModelVersion, Kind: model.KindLogReg, InputMax: 7, Classes: 3, InputBits: 3,
		Layers: []model.Layer{{LayerShape: model.LayerShape{In: 2, Out: 3, WeightBits: 4, BiasBits: 4}, Weights: [][]int64{{2, -1}, {-1, 3}, {1, 1}}, Bias: []int64{0, -2, 1}}}}
	if err := m.Seal(model.SaltFromBytes([]byte("tiny"))); err != nil {
		t.Fatal(err)
	}
	d := &model.Dataset{Features: 2, Classes: 3, MaxValue: 7}
	for i := 0; i < n; i++ {
		d.X = append(d.X, []int64{int64(i % 8), int64((i * 5) % 8)})
		d.Y = append(d.Y, i%3)
	}
	e, err := model.NewExam("tiny", d)
	if err != nil {
		t.Fatal(err)
	}
	return Spec{Kind: KindExam, Shape: m.Shape(), Exam: e}, m
}

// TestCeremonyProgress: every step of a ceremony prints what it does and
// then either its share done with the time left or an estimate of its
// duration, and an end line. Progress lines are unthrottled here, so the
// test does not depend on the machine's speed.
func TestCeremonyProgress(t *testing.T) {
	logger.Disable()
	dir := t.TempDir()
	if _, err := CeremonyInit(dir, tinyExamSpec(t)); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	step := func(name string, f func(c *Ceremony) error) {
		t.Helper()
		c, err := OpenCeremony(dir)
		if err != nil {
			t.Fatal(err)
		}
		c.Log, c.every = &log, time.Nanosecond
		if err := f(c); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	contribute := func(c *Ceremony) error { _, err := c.Contribute(); return err }
	verify := func(c *Ceremony) error { _, err := c.Verify(); return err }
	step("phase-1 contribution", contribute)
	step("phase-1 contribution", contribute)
	step("verify", verify)
	step("close phase 1", func(c *Ceremony) error {
		_, err := c.Finalize([]byte("first public beacon, 16+ bytes"), "")
		return err
	})
	step("phase-2 contribution", contribute)
	step("verify", verify)
	step("close phase 2", func(c *Ceremony) error {
		_, err := c.Finalize([]byte("second public beacon, 16+ bytes"), filepath.Join(dir, "keys"))
		return err
	})
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	var steps []string
	for i := 0; i < len(lines); i++ {
		if !strings.HasSuffix(lines[i], "...") {
			t.Fatalf("line %d is not a step: %q", i, lines[i])
		}
		steps = append(steps, lines[i])
		left, end := false, false
		for i+1 < len(lines) && strings.HasPrefix(lines[i+1], "  ") {
			i++
			left = left || strings.Contains(lines[i], "left") || strings.Contains(lines[i], "estimated")
			end = strings.Contains(lines[i], "done in")
		}
		if !left || !end {
			t.Fatalf("step %q printed no time left or no end:\n%s", steps[len(steps)-1], log.String())
		}
	}
	for _, want := range []string{
		"phase 1: contributing", "phase 1: checking 2 contributions", "phase 1: sealing",
		"phase 2: initialising", "phase 2: contributing", "phase 2: recomputing", "phase 2: checking 1 contributions", "phase 2: sealing",
	} {
		if !strings.Contains(log.String(), want) {
			t.Fatalf("no step %q:\n%s", want, log.String())
		}
	}
}

// TestCeremonyFromPhase1: one closed phase 1 serves two smaller circuits
// of one domain: a ceremony started from it opens at phase 2 and computes
// the Lagrange bases of its domain, a second circuit started from that
// one's phase 1 reuses them (checked); each verifies alone and makes keys
// that prove and verify. A phase 1 still open, one
// too small for the circuit, Lagrange bases that are not phase 1's and a
// tampered copied contribution are refused.
func TestCeremonyFromPhase1(t *testing.T) {
	logger.Disable()
	root := t.TempDir()
	src := filepath.Join(root, "src")
	spec, m := tinyExam(t, 40)
	if _, err := CeremonyInit(src, spec); err != nil {
		t.Fatal(err)
	}
	run := func(dir string, f func(c *Ceremony) error) string {
		t.Helper()
		c, err := OpenCeremony(dir)
		if err != nil {
			t.Fatal(err)
		}
		var log bytes.Buffer
		c.Log = &log
		if err := f(c); err != nil {
			t.Fatal(err)
		}
		return log.String()
	}
	contribute := func(c *Ceremony) error { _, err := c.Contribute(); return err }
	run(src, contribute)
	if _, err := CeremonyInitFrom(filepath.Join(root, "early"), spec, src, nil); err == nil || !strings.Contains(err.Error(), "not closed") {
		t.Fatalf("started from an open phase 1: %v", err)
	}
	run(src, contribute)
	run(src, func(c *Ceremony) error {
		_, err := c.Finalize([]byte("first public beacon, 16+ bytes"), "")
		return err
	})
	big, _ := tinyExam(t, 120)
	if _, err := CeremonyInitFrom(filepath.Join(root, "big"), big, src, nil); err == nil || !strings.Contains(err.Error(), "circuit needs 2^") {
		t.Fatalf("started from a phase 1 too small for the circuit: %v", err)
	}

	// Two smaller circuits of one domain: the first computes the bases of
	// its domain, the second starts from the first's phase 1 and reuses
	// them, checked (TestZKMLCeremony starts a circuit of phase 1's own
	// domain from it through the CLI).
	small, _ := tinyExam(t, 16)
	other, mo := tinyExam(t, 4)
	for _, tc := range []struct {
		name     string
		spec     Spec
		model    *model.Model
		from     string
		lagrange bool // computes its Lagrange bases
	}{{"smaller", small, m, src, true}, {"other", other, mo, filepath.Join(root, "smaller"), false}} {
		dir := filepath.Join(root, tc.name)
		c, err := OpenCeremony(tc.from)
		if err != nil {
			t.Fatal(err)
		}
		var log bytes.Buffer
		nc, err := CeremonyInitFrom(dir, tc.spec, tc.from, &log)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if nc.Phase != 2 || len(nc.Phase1) != 2 || nc.Beacon1 != c.Beacon1 || nc.Domain != c.Domain {
			t.Fatalf("%s: started at phase %d with %d phase-1 contributions, domain %d", tc.name, nc.Phase, len(nc.Phase1), nc.Domain)
		}
		if got := strings.Contains(log.String(), "computing its Lagrange basis"); got != tc.lagrange {
			t.Fatalf("%s: computed the Lagrange bases: %v, want %v:\n%s", tc.name, got, tc.lagrange, log.String())
		}
		if got := strings.Contains(log.String(), "checking its Lagrange basis"); got == tc.lagrange {
			t.Fatalf("%s: checked copied Lagrange bases: %v, want %v:\n%s", tc.name, got, !tc.lagrange, log.String())
		}
		run(dir, contribute)
		run(dir, func(c *Ceremony) error {
			n, err := c.Verify()
			if err == nil && n != 3 {
				err = fmt.Errorf("verified %d contributions", n)
			}
			return err
		})
		keys := filepath.Join(root, tc.name+"-keys")
		run(dir, func(c *Ceremony) error {
			_, err := c.Finalize([]byte("second public beacon, 16+ bytes"), keys)
			return err
		})
		k, err := LoadKeys(keys)
		if err != nil {
			t.Fatal(err)
		}
		pf, err := NewProofFile(k, tc.model, ProofRequest{Claim: -1})
		if err != nil {
			t.Fatalf("%s: prove with the ceremony's keys: %v", tc.name, err)
		}
		if err := pf.Verify(k, nil); err != nil {
			t.Fatalf("%s: proof from the ceremony's keys rejected: %v", tc.name, err)
		}
		nc2, _ := OpenCeremony(dir)
		if len(nc2.Lagrange) != 1 || !tc.lagrange && nc2.Lagrange[0] != c.Lagrange[len(c.Lagrange)-1] {
			t.Fatalf("%s: Lagrange files %+v, source's %+v", tc.name, nc2.Lagrange, c.Lagrange)
		}
	}

	// Lagrange bases that are not phase 1's (two points swapped, the file's
	// hash updated) fail verify, and a ceremony started from them.
	lagDir := filepath.Join(root, "smaller")
	lc, _ := OpenCeremony(lagDir)
	lf := filepath.Join(lagDir, lc.Lagrange[0].File)
	raw, _ := os.ReadFile(lf)
	const raw1 = curve.SizeOfG1AffineUncompressed
	off := 4 + 5*raw1 // the raw encoding: a length, then points
	tmp := bytes.Clone(raw[off : off+raw1])
	copy(raw[off:off+raw1], raw[off+raw1:off+2*raw1])
	copy(raw[off+raw1:off+2*raw1], tmp)
	os.WriteFile(lf, raw, 0o644)
	h := sha256.Sum256(raw)
	lc.Lagrange[0].SHA256 = hex.EncodeToString(h[:])
	if err := lc.save(); err != nil {
		t.Fatal(err)
	}
	if _, err := lc.Verify(); !errors.Is(err, ErrLagrange) {
		t.Fatalf("verify accepted swapped Lagrange bases: %v", err)
	}
	if _, err := CeremonyInitFrom(filepath.Join(root, "bad"), other, lagDir, nil); !errors.Is(err, ErrLagrange) {
		t.Fatalf("a ceremony started from swapped Lagrange bases: %v", err)
	}

	// A copied phase-1 contribution that is not the source's fails verify.
	dir := filepath.Join(root, "other")
	c, _ := OpenCeremony(dir)
	f := filepath.Join(dir, c.Phase1[1].File)
	raw, _ = os.ReadFile(f)
	off = phase1Header + g2Size + 3*g1Size
	tmp = bytes.Clone(raw[off : off+g1Size])
	copy(raw[off:off+g1Size], raw[off+g1Size:off+2*g1Size])
	copy(raw[off+g1Size:off+2*g1Size], tmp)
	os.WriteFile(f, raw, 0o644)
	h = sha256.Sum256(raw)
	c.Phase1[1].SHA256 = hex.EncodeToString(h[:])
	if _, err := c.Verify(); err == nil || !strings.Contains(err.Error(), "phase 1 contribution 2") {
		t.Fatalf("verify accepted a tampered phase-1 contribution: %v", err)
	}
}
