package circuit

import (
	"bytes"
	"testing"

	gmpc "github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
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
