package circuit

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
)

// KindPowers is a ceremony of phase 1 alone (powers of τ), for no circuit:
// one universal phase 1 from which every circuit whose domain fits starts
// its own phase 2 (CeremonyInitFrom), as production Groth16 ceremonies
// run phase 2 per circuit on one Powers of Tau.
const KindPowers = "powers"

// The powers of a phase-1 ceremony's domain (2^K): below PowersMin no
// circuit of the project fits (the smallest exam circuit needs 2^10); above
// PowersMax BN254's scalar field has no FFT domain (two-adicity 28).
const (
	PowersMin = 4
	PowersMax = 28
)

// ErrPowers is returned for a phase-1 power out of range.
var ErrPowers = errors.New("unusable power of the phase-1 domain")

// PowersMemory is the memory a phase-1 contribution or seal for a domain of
// 2^k holds at its peak, in bytes: the previous contribution's encoding,
// it decoded and the new one (affine points take twice their compressed
// size).
func PowersMemory(k int) uint64 {
	return 5 * phase1Size(uint64(1)<<k, 32)
}

// PowersInit starts a phase-1-only ceremony for a domain of 2^k in dir.
func PowersInit(dir string, k int) (*Ceremony, error) {
	if k < PowersMin || k > PowersMax {
		return nil, fmt.Errorf("%w: 2^%d is outside 2^%d..2^%d", ErrPowers, k, PowersMin, PowersMax)
	}
	if _, err := os.Stat(filepath.Join(dir, ceremonyFile)); err == nil {
		return nil, fmt.Errorf("%s already holds a ceremony", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("ceremony dir: %w", err)
	}
	c := &Ceremony{Format: CeremonyFormat, Version: FilesVersion, Kind: KindPowers, Domain: uint64(1) << k, Phase: 1, dir: dir}
	return c, c.save()
}

// Power is the K of the ceremony's domain 2^K.
func (c *Ceremony) Power() int {
	k := 0
	for uint64(1)<<k < c.Domain {
		k++
	}
	return k
}

// sealPowers closes a phase-1-only ceremony: the sealed parameters, and
// the Lagrange bases of each domain in lagrange (powers of two up to the
// ceremony's), computed now so that circuits of those domains start
// their phase 2 without the transform; circuits of other domains compute
// theirs on first use, in their own ceremony.
func (c *Ceremony) sealPowers(commons *mpcsetup.SrsCommons, lagrange []uint64) error {
	h := sha256.New()
	if err := writeFile(filepath.Join(c.dir, commonsFile), func(w io.Writer) error { return writeCommons(io.MultiWriter(w, h), commons) }); err != nil {
		return err
	}
	c.Commons = Contribution{File: commonsFile, SHA256: hex.EncodeToString(h.Sum(nil))}
	for _, n := range lagrange {
		if _, err := c.lagrange(truncateCommons(commons, n), true); err != nil {
			return err
		}
	}
	return nil
}

// CheckLagrangeDomains checks domains asked for at the seal of a
// phase-1-only ceremony: powers of two, at least 2^PowersMin, at most the
// ceremony's domain. It returns them sorted, without repeats.
func (c *Ceremony) CheckLagrangeDomains(domains []uint64) ([]uint64, error) {
	seen := map[uint64]bool{}
	var out []uint64
	for _, n := range domains {
		if n < 1<<PowersMin || n > c.Domain || ecc.NextPowerOfTwo(n) != n {
			return nil, fmt.Errorf("%w: a Lagrange basis for a domain of %d (it must be a power of two from %d to the phase's %d)", ErrPowers, n, 1<<PowersMin, c.Domain)
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

// verifyPowersLagrange checks each Lagrange file of a closed phase-1-only
// ceremony against its sealed parameters.
func (c *Ceremony) verifyPowersLagrange(commons *mpcsetup.SrsCommons) error {
	for _, f := range c.Lagrange {
		if f.Domain > c.Domain {
			return fmt.Errorf("%s: a domain of %d is larger than the phase's %d", f.File, f.Domain, c.Domain)
		}
		if _, err := c.lagrange(truncateCommons(commons, f.Domain), false); err != nil {
			return err
		}
	}
	return nil
}

// SealPowers closes a phase-1-only ceremony with the beacon, as Finalize,
// and writes the Lagrange bases of the domains in lagrange.
func (c *Ceremony) SealPowers(beacon []byte, lagrange []uint64) error {
	if c.Kind != KindPowers {
		return fmt.Errorf("%s is a %s ceremony, not a phase-1-only one: close it with finalize", c.dir, c.Kind)
	}
	l, err := c.CheckLagrangeDomains(lagrange)
	if err != nil {
		return err
	}
	c.sealLagrange = l
	_, err = c.Finalize(beacon, "")
	return err
}

// cacheLagrange copies into the phase-1-only ceremony src the Lagrange
// bases that c computed on first use of a domain src has none for, so
// that the next circuit of that domain starting from src checks them
// instead of computing them again. A src that cannot be written (a
// read-only copy of someone's phase 1) keeps none: c's log says so and
// the circuit's ceremony, which has its own copy, goes on.
func cacheLagrange(src, c *Ceremony) {
	if src.Kind != KindPowers {
		return
	}
	for _, f := range c.Lagrange {
		if err := src.addLagrange(c, f); err != nil && c.Log != nil {
			fmt.Fprintf(c.Log, "note: the Lagrange basis for a domain of %d is not cached in %s: %v\n", f.Domain, src.dir, err)
		}
	}
}

// addLagrange copies the Lagrange file f of c into src (hash-checked,
// written under a temporary name then renamed) and records it in src's
// state, read again just before so that an entry another init added
// meanwhile is kept.
func (src *Ceremony) addLagrange(c *Ceremony, f LagrangeFile) error {
	cur, err := OpenCeremony(src.dir)
	if err != nil {
		return err
	}
	for _, g := range cur.Lagrange {
		if g.Domain == f.Domain {
			return nil
		}
	}
	tmp := filepath.Join(src.dir, f.File+".tmp")
	if err := c.readHashed(f.Contribution, func(r io.Reader) error {
		return writeFile(tmp, func(w io.Writer) error { _, err := io.Copy(w, r); return err })
	}); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, filepath.Join(src.dir, f.File)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("cache Lagrange basis: %w", err)
	}
	cur.Lagrange = append(cur.Lagrange, f)
	sort.Slice(cur.Lagrange, func(i, j int) bool { return cur.Lagrange[i].Domain < cur.Lagrange[j].Domain })
	return cur.save()
}
