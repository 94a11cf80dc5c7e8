package circuit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark/logger"
)

// TestPowersCeremony checks a phase-1-only ceremony: its refusals, its
// seal's Lagrange bases (checked by verify and by a circuit started from
// it, and caught when they are not phase 1's), and that a contribution or
// a second seal after the seal is refused.
func TestPowersCeremony(t *testing.T) {
	logger.Disable()
	root := t.TempDir()
	spec, _ := tinyExam(t, 4)
	ccs, err := spec.Compile()
	if err != nil {
		t.Fatal(err)
	}
	domain := ecc.NextPowerOfTwo(uint64(ccs.GetNbConstraints()))
	k := 0
	for uint64(1)<<k < domain {
		k++
	}
	for _, bad := range []int{PowersMin - 1, PowersMax + 1} {
		if _, err := PowersInit(filepath.Join(root, "bad"), bad); !errors.Is(err, ErrPowers) {
			t.Fatalf("power %d: %v", bad, err)
		}
	}
	dir := filepath.Join(root, "ptau")
	if _, err := PowersInit(dir, k); err != nil {
		t.Fatal(err)
	}
	if _, err := PowersInit(dir, k); err == nil {
		t.Fatal("a second ceremony in the same directory")
	}
	open := func(dir string) *Ceremony {
		t.Helper()
		c, err := OpenCeremony(dir)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for range 2 {
		if _, err := open(dir).Contribute(); err != nil {
			t.Fatal(err)
		}
	}
	beacon := []byte("a public beacon of 16+ bytes")
	for _, bad := range [][]uint64{{domain * 2}, {domain - 1}, {8}} {
		if err := open(dir).SealPowers(beacon, bad); !errors.Is(err, ErrPowers) {
			t.Fatalf("Lagrange domains %v: %v", bad, err)
		}
	}
	var log bytes.Buffer
	c := open(dir)
	c.Log = &log
	if err := c.SealPowers(beacon, []uint64{domain, domain}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "sealing it with the beacon") || !strings.Contains(log.String(), "done in") {
		t.Fatalf("no progress: %s", log.String())
	}
	c = open(dir)
	if !c.Finalized || c.Phase != 2 || len(c.Lagrange) != 1 || c.Lagrange[0].Domain != domain || c.Power() != k {
		t.Fatalf("sealed state: %+v", c)
	}
	if n, err := c.Verify(); err != nil || n != 2 {
		t.Fatalf("verify: %d %v", n, err)
	}
	if _, err := c.Contribute(); err == nil {
		t.Fatal("contribution after the seal")
	}
	if err := c.SealPowers([]byte("another public beacon, 16+ bytes"), nil); err == nil {
		t.Fatal("sealed twice")
	}
	// A circuit starts at phase 2 with the sealed basis, copied.
	cer := filepath.Join(root, "cer")
	nc, err := CeremonyInitFrom(cer, spec, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if nc.Phase != 2 || len(nc.Lagrange) != 1 || nc.Lagrange[0] != c.Lagrange[0] {
		t.Fatalf("circuit ceremony from a phase 1: %+v", nc)
	}
	if err := open(cer).SealPowers(beacon, nil); err == nil {
		t.Fatal("SealPowers on a circuit's ceremony")
	}

	// Lagrange bases that are not phase 1's (two points swapped, the
	// file's hash updated) fail verify, and a circuit started from them.
	lf := filepath.Join(dir, c.Lagrange[0].File)
	raw, _ := os.ReadFile(lf)
	const raw1 = curve.SizeOfG1AffineUncompressed
	off := 4 + 3*raw1
	tmp := bytes.Clone(raw[off : off+raw1])
	copy(raw[off:off+raw1], raw[off+raw1:off+2*raw1])
	copy(raw[off+raw1:off+2*raw1], tmp)
	if err := os.WriteFile(lf, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(raw)
	c.Lagrange[0].SHA256 = hex.EncodeToString(h[:])
	if err := c.save(); err != nil {
		t.Fatal(err)
	}
	if _, err := open(dir).Verify(); !errors.Is(err, ErrLagrange) {
		t.Fatalf("verify accepted swapped Lagrange bases: %v", err)
	}
	if _, err := CeremonyInitFrom(filepath.Join(root, "bad-cer"), spec, dir, nil); !errors.Is(err, ErrLagrange) {
		t.Fatalf("a circuit started from swapped Lagrange bases: %v", err)
	}

	// Sealed without bases: the first circuit computes its domain's and
	// caches them in the phase 1, the next circuit checks them.
	lazy := filepath.Join(root, "ptau-lazy")
	if _, err := PowersInit(lazy, k); err != nil {
		t.Fatal(err)
	}
	if _, err := open(lazy).Contribute(); err != nil {
		t.Fatal(err)
	}
	if err := open(lazy).SealPowers(beacon, nil); err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"computing its Lagrange basis", "checking its Lagrange basis"} {
		log.Reset()
		if _, err := CeremonyInitFrom(filepath.Join(root, "lazy-cer", string(rune('a'+i))), spec, lazy, &log); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(log.String(), want) || i == 1 && strings.Contains(log.String(), "computing") {
			t.Fatalf("circuit %d from a phase 1 sealed without bases: %s", i+1, log.String())
		}
		if l := open(lazy).Lagrange; len(l) != 1 || l[0].Domain != domain {
			t.Fatalf("cached Lagrange files: %+v", l)
		}
	}
	if n, err := open(lazy).Verify(); err != nil || n != 1 {
		t.Fatalf("verify with a cached basis: %d %v", n, err)
	}
}
