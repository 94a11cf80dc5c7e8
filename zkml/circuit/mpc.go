package circuit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
	cs "github.com/consensys/gnark/constraint/bn254"

	"emergence/zkml/model"
)

// CeremonyFormat identifies a ceremony directory's state file.
const (
	CeremonyFormat = "emergence.zkml.ceremony"
	ceremonyFile   = "ceremony.json"
	commonsFile    = "phase1-commons.bin"
)

// Contribution is one participant's file in a ceremony.
type Contribution struct {
	File string `json:"file"`
	// SHA256 of the file, which the contributor publishes.
	SHA256 string `json:"sha256"`
}

// Ceremony is the state of a Groth16 MPC setup run as a file exchange
// (gnark's backend/groth16/bn254/mpcsetup). Phase 1 (powers of τ) and
// phase 2 (circuit specific) each take any number of contributions; one
// honest contributor per phase makes the keys trustworthy. Each phase is
// closed by a public random beacon.
type Ceremony struct {
	Format      string      `json:"format"`
	Version     int         `json:"version"`
	Kind        string      `json:"kind"`
	Shape       model.Shape `json:"shape"`
	ExamDigest  string      `json:"examDigest,omitempty"`
	Constraints int         `json:"constraints"`
	// Domain is the FFT domain size (a power of two ≥ constraints).
	Domain  uint64         `json:"domain"`
	Phase   int            `json:"phase"` // 1, 2, or 3 once finalized
	Phase1  []Contribution `json:"phase1"`
	Phase2  []Contribution `json:"phase2"`
	Beacon1 string         `json:"beacon1,omitempty"`
	Beacon2 string         `json:"beacon2,omitempty"`

	dir  string
	spec Spec
}

// CeremonyInit starts a ceremony for spec in dir.
func CeremonyInit(dir string, spec Spec) (*Ceremony, error) {
	if _, err := os.Stat(filepath.Join(dir, ceremonyFile)); err == nil {
		return nil, fmt.Errorf("%s already holds a ceremony", dir)
	}
	ccs, err := spec.Compile()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("ceremony dir: %w", err)
	}
	c := &Ceremony{
		Format: CeremonyFormat, Version: FilesVersion, Kind: spec.Kind, Shape: spec.Shape,
		Constraints: ccs.GetNbConstraints(), Domain: ecc.NextPowerOfTwo(uint64(ccs.GetNbConstraints())),
		Phase: 1, dir: dir, spec: spec,
	}
	if spec.Kind == KindExam {
		c.ExamDigest = model.HexElement(spec.Exam.Digest())
		if err := model.SaveExam(filepath.Join(dir, ExamFile), spec.Exam); err != nil {
			return nil, err
		}
	}
	return c, c.save()
}

// OpenCeremony loads a ceremony directory.
func OpenCeremony(dir string) (*Ceremony, error) {
	b, err := os.ReadFile(filepath.Join(dir, ceremonyFile))
	if err != nil {
		return nil, fmt.Errorf("read ceremony: %w", err)
	}
	var c Ceremony
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("decode ceremony: %w", err)
	}
	if c.Format != CeremonyFormat || c.Version != FilesVersion {
		return nil, fmt.Errorf("not a ceremony file version %d", FilesVersion)
	}
	if c.Domain == 0 || c.Domain > 1<<28 || ecc.NextPowerOfTwo(c.Domain) != c.Domain {
		return nil, fmt.Errorf("ceremony domain %d is not a power of two in range", c.Domain)
	}
	c.dir = dir
	c.spec = Spec{Kind: c.Kind, Shape: c.Shape}
	if c.Kind == KindExam {
		e, err := model.LoadExam(filepath.Join(dir, ExamFile))
		if err != nil {
			return nil, err
		}
		if model.HexElement(e.Digest()) != c.ExamDigest {
			return nil, errors.New("ceremony exam file does not match its digest")
		}
		c.spec.Exam = e
	}
	return &c, nil
}

func (c *Ceremony) save() error {
	b, _ := json.MarshalIndent(c, "", "  ")
	if err := os.WriteFile(filepath.Join(c.dir, ceremonyFile), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write ceremony: %w", err)
	}
	return nil
}

func writeHashed(path string, w io.WriterTo) (string, error) {
	f, err := os.Create(path)
	if err != nil {
		return "", fmt.Errorf("write contribution: %w", err)
	}
	h := sha256.New()
	if _, err := w.WriteTo(io.MultiWriter(f, h)); err != nil {
		f.Close()
		return "", fmt.Errorf("write contribution: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("write contribution: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func readFrom(path string, r io.ReaderFrom) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("read contribution: %w", err)
	}
	defer f.Close()
	if _, err := r.ReadFrom(f); err != nil {
		return fmt.Errorf("decode %s: %w", filepath.Base(path), err)
	}
	return nil
}

func (c *Ceremony) loadPhase1() ([]*mpcsetup.Phase1, error) {
	out := make([]*mpcsetup.Phase1, len(c.Phase1))
	for i, ct := range c.Phase1 {
		out[i] = new(mpcsetup.Phase1)
		if err := readFrom(filepath.Join(c.dir, ct.File), out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (c *Ceremony) loadPhase2() ([]*mpcsetup.Phase2, error) {
	out := make([]*mpcsetup.Phase2, len(c.Phase2))
	for i, ct := range c.Phase2 {
		out[i] = new(mpcsetup.Phase2)
		if err := readFrom(filepath.Join(c.dir, ct.File), out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (c *Ceremony) commons() (*mpcsetup.SrsCommons, error) {
	var s mpcsetup.SrsCommons
	if err := readFrom(filepath.Join(c.dir, commonsFile), &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// Contribute adds one contribution to the current phase, with fresh
// randomness that is discarded afterwards, and returns it.
func (c *Ceremony) Contribute() (Contribution, error) {
	var ct Contribution
	var err error
	switch c.Phase {
	case 1:
		p := mpcsetup.NewPhase1(c.Domain)
		if n := len(c.Phase1); n > 0 {
			p = new(mpcsetup.Phase1)
			if err := readFrom(filepath.Join(c.dir, c.Phase1[n-1].File), p); err != nil {
				return ct, err
			}
		}
		p.Contribute()
		ct.File = fmt.Sprintf("phase1-%04d.bin", len(c.Phase1)+1)
		if ct.SHA256, err = writeHashed(filepath.Join(c.dir, ct.File), p); err != nil {
			return ct, err
		}
		c.Phase1 = append(c.Phase1, ct)
	case 2:
		p := new(mpcsetup.Phase2)
		if n := len(c.Phase2); n > 0 {
			if err := readFrom(filepath.Join(c.dir, c.Phase2[n-1].File), p); err != nil {
				return ct, err
			}
		} else {
			r1cs, commons, err := c.phase2Inputs()
			if err != nil {
				return ct, err
			}
			p.Initialize(r1cs, commons)
		}
		p.Contribute()
		ct.File = fmt.Sprintf("phase2-%04d.bin", len(c.Phase2)+1)
		if ct.SHA256, err = writeHashed(filepath.Join(c.dir, ct.File), p); err != nil {
			return ct, err
		}
		c.Phase2 = append(c.Phase2, ct)
	default:
		return ct, errors.New("the ceremony is finalized")
	}
	return ct, c.save()
}

func (c *Ceremony) phase2Inputs() (*cs.R1CS, *mpcsetup.SrsCommons, error) {
	r1cs, err := c.spec.Compile()
	if err != nil {
		return nil, nil, err
	}
	if r1cs.GetNbConstraints() != c.Constraints {
		return nil, nil, fmt.Errorf("circuit compiles to %d constraints, the ceremony was started for %d", r1cs.GetNbConstraints(), c.Constraints)
	}
	commons, err := c.commons()
	if err != nil {
		return nil, nil, err
	}
	return r1cs, commons, nil
}

// Verify checks every contribution of the phases so far: file hashes and
// gnark's proofs that each contribution extends the previous one. It
// returns the number of contributions checked.
func (c *Ceremony) Verify() (int, error) {
	for _, ct := range append(append([]Contribution(nil), c.Phase1...), c.Phase2...) {
		b, err := os.ReadFile(filepath.Join(c.dir, ct.File))
		if err != nil {
			return 0, fmt.Errorf("read contribution: %w", err)
		}
		if h := sha256.Sum256(b); hex.EncodeToString(h[:]) != ct.SHA256 {
			return 0, fmt.Errorf("%s does not match its published hash", ct.File)
		}
	}
	p1, err := c.loadPhase1()
	if err != nil {
		return 0, err
	}
	prev := mpcsetup.NewPhase1(c.Domain)
	for i, p := range p1 {
		if err := prev.Verify(p); err != nil {
			return 0, fmt.Errorf("phase 1 contribution %d: %w", i+1, err)
		}
		prev = p
	}
	if c.Phase < 2 {
		return len(p1), nil
	}
	p2, err := c.loadPhase2()
	if err != nil {
		return 0, err
	}
	if len(p2) > 0 {
		r1cs, commons, err := c.phase2Inputs()
		if err != nil {
			return 0, err
		}
		prev2 := new(mpcsetup.Phase2)
		prev2.Initialize(r1cs, commons)
		for i, p := range p2 {
			if err := prev2.Verify(p); err != nil {
				return 0, fmt.Errorf("phase 2 contribution %d: %w", i+1, err)
			}
			prev2 = p
		}
	}
	return len(p1) + len(p2), nil
}

// Finalize closes the current phase with a public beacon. Closing phase 1
// writes the circuit-independent parameters and opens phase 2; closing
// phase 2 verifies every contribution and writes the keys to keysDir.
func (c *Ceremony) Finalize(beacon []byte, keysDir string) (*KeysInfo, error) {
	if len(beacon) < 16 {
		return nil, errors.New("the beacon needs at least 16 bytes of public randomness")
	}
	switch c.Phase {
	case 1:
		if len(c.Phase1) == 0 {
			return nil, errors.New("phase 1 has no contribution yet")
		}
		p1, err := c.loadPhase1()
		if err != nil {
			return nil, err
		}
		commons, err := mpcsetup.VerifyPhase1(c.Domain, beacon, p1...)
		if err != nil {
			return nil, fmt.Errorf("verify phase 1: %w", err)
		}
		if _, err := writeHashed(filepath.Join(c.dir, commonsFile), &commons); err != nil {
			return nil, err
		}
		c.Beacon1 = hex.EncodeToString(beacon)
		c.Phase = 2
		return nil, c.save()
	case 2:
		if len(c.Phase2) == 0 {
			return nil, errors.New("phase 2 has no contribution yet")
		}
		r1cs, commons, err := c.phase2Inputs()
		if err != nil {
			return nil, err
		}
		p2, err := c.loadPhase2()
		if err != nil {
			return nil, err
		}
		pk, vk, err := mpcsetup.VerifyPhase2(r1cs, commons, beacon, p2...)
		if err != nil {
			return nil, fmt.Errorf("verify phase 2: %w", err)
		}
		note := fmt.Sprintf("mpc ceremony (gnark mpcsetup): %d phase-1 and %d phase-2 contributions, beacons %s / %s",
			len(c.Phase1), len(c.Phase2), c.Beacon1, hex.EncodeToString(beacon))
		info, err := WriteKeys(keysDir, c.spec, r1cs.GetNbConstraints(), pk, vk, note)
		if err != nil {
			return nil, err
		}
		c.Beacon2 = hex.EncodeToString(beacon)
		c.Phase = 3
		return info, c.save()
	}
	return nil, errors.New("the ceremony is already finalized")
}
