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
	"runtime"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
	cs "github.com/consensys/gnark/constraint/bn254"

	"emergence/zkml/model"
	"emergence/zkml/verifier"
)

// ErrBeacon is returned by Finalize for a beacon that cannot close a phase:
// too short, or one that already closed an earlier phase.
var ErrBeacon = errors.New("unusable beacon")

// CeremonyFormat identifies a ceremony directory's state file.
const (
	CeremonyFormat = "emergence.zkml.ceremony"
	ceremonyFile   = "ceremony.json"
	commonsFile    = "phase1-commons.bin"
	// Inference ceremonies keep the Groth16 keys of phase 2 here while the
	// binding key is made (phase 3).
	cerPK, cerVK         = "inference-pk.bin", "inference-vk.bin"
	cerLinkPK, cerLinkVK = "link-pk.bin", "link-vk.bin"
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
//
// An inference ceremony sets up two circuits, the inference and the link
// circuit: phase 1 is sized for the larger, each phase-2 contribution
// contributes to both, and a phase 3 makes the binding key between their
// commitments the same way (see bindmpc.go).
type Ceremony struct {
	Format      string      `json:"format"`
	Version     int         `json:"version"`
	Kind        string      `json:"kind"`
	Shape       model.Shape `json:"shape"`
	ExamDigest  string      `json:"examDigest,omitempty"`
	Constraints int         `json:"constraints"`
	// LinkConstraints is the link circuit's size (inference ceremonies).
	LinkConstraints int `json:"linkConstraints,omitempty"`
	// Domain is the FFT domain size of phase 1 (a power of two ≥ the
	// constraints of every circuit of the ceremony).
	Domain uint64 `json:"domain"`
	// Phase is 1, 2, or 3 (the binding key, inference ceremonies).
	Phase      int            `json:"phase"`
	Finalized  bool           `json:"finalized"`
	Phase1     []Contribution `json:"phase1"`
	Phase2     []Contribution `json:"phase2"`
	Phase2Link []Contribution `json:"phase2Link,omitempty"`
	Phase3     []Contribution `json:"phase3,omitempty"`
	Beacon1    string         `json:"beacon1,omitempty"`
	Beacon2    string         `json:"beacon2,omitempty"`
	Beacon3    string         `json:"beacon3,omitempty"`
	// Init2 and Init2Link are the initial phase-2 state and evaluations
	// of the circuit (and of the link circuit), computed once when phase 1
	// closes.
	Init2     [2]Contribution `json:"init2"`
	Init2Link [2]Contribution `json:"init2Link,omitempty"`
	// Commons is the file of the sealed phase-1 parameters, written when
	// phase 1 closes ('ceremony verify' seals phase 1 again and compares).
	Commons Contribution `json:"commons,omitempty"`
	// Lagrange holds phase 1 in the Lagrange basis of each circuit's
	// domain, computed once and reused by ceremonies that start from
	// this one's phase 1 (CeremonyInitFrom).
	Lagrange []LagrangeFile `json:"lagrange,omitempty"`

	// Log, when set, receives the progress of long steps.
	Log io.Writer `json:"-"`
	// every is the least time between two progress lines of a step
	// (default 3 s).
	every time.Duration

	dir  string
	spec Spec
	// sealLagrange lists the domains whose Lagrange bases closing a
	// phase-1-only ceremony writes (SealPowers).
	sealLagrange []uint64
}

// CeremonyInit starts a ceremony for spec in dir.
func CeremonyInit(dir string, spec Spec) (*Ceremony, error) {
	c, err := newCeremony(dir, spec)
	if err != nil {
		return nil, err
	}
	return c, c.save()
}

// CeremonyInitFrom starts a ceremony for spec in dir from the closed
// phase 1 of the ceremony in from, whose domain must hold the circuit:
// phase 1 (powers of τ) does not depend on the circuit, so one phase 1
// serves every circuit of its size and the new ceremony opens at phase 2.
// Its contributions, beacon and parameters are copied (hash-checked) so
// that the new directory verifies alone, and so are the Lagrange bases of
// the circuit's domain when from has them: what is left to do is the
// circuit's own phase 2. log, when not nil, receives the progress.
func CeremonyInitFrom(dir string, spec Spec, from string, log io.Writer) (*Ceremony, error) {
	src, err := OpenCeremony(from)
	if err != nil {
		return nil, fmt.Errorf("phase 1 from %s: %w", from, err)
	}
	if src.Phase < 2 || src.Commons.File == "" {
		return nil, fmt.Errorf("phase 1 of the ceremony in %s is not closed (or was closed by an older version)", from)
	}
	c, err := newCeremony(dir, spec)
	if err != nil {
		return nil, err
	}
	c.Log = log
	if c.Domain > src.Domain {
		return nil, fmt.Errorf("circuit needs 2^%d, phase 1 has 2^%d (in %s): start from a phase 1 of at least 2^%d", (&Ceremony{Domain: c.Domain}).Power(), src.Power(), from, (&Ceremony{Domain: c.Domain}).Power())
	}
	c.Domain, c.Phase1, c.Beacon1, c.Commons = src.Domain, src.Phase1, src.Beacon1, src.Commons
	need := map[uint64]bool{ecc.NextPowerOfTwo(uint64(c.Constraints)): true}
	if c.LinkConstraints > 0 {
		need[ecc.NextPowerOfTwo(uint64(c.LinkConstraints))] = true
	}
	files := append(append([]Contribution(nil), c.Phase1...), c.Commons)
	for _, f := range src.Lagrange {
		if need[f.Domain] {
			c.Lagrange = append(c.Lagrange, f)
			files = append(files, f.Contribution)
		}
	}
	for _, f := range files {
		if err := src.readHashed(f, func(r io.Reader) error {
			return writeFile(filepath.Join(dir, f.File), func(w io.Writer) error { _, err := io.Copy(w, r); return err })
		}); err != nil {
			return nil, err
		}
	}
	commons, err := c.commons()
	if err != nil {
		return nil, err
	}
	if c.Init2, err = c.initPhase2Files(c.Kind, commons); err != nil {
		return nil, err
	}
	if c.Kind == KindInference {
		if c.Init2Link, err = c.initPhase2Files(KindLink, commons); err != nil {
			return nil, err
		}
	}
	c.Phase = 2
	if err := c.save(); err != nil {
		return nil, err
	}
	cacheLagrange(src, c)
	return c, nil
}

// newCeremony compiles spec's circuit (and the link circuit of an
// inference ceremony) and makes the directory of a ceremony at phase 1.
func newCeremony(dir string, spec Spec) (*Ceremony, error) {
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
	if spec.Kind == KindInference {
		link, err := (Spec{Kind: KindLink, Shape: spec.Shape}).Compile()
		if err != nil {
			return nil, err
		}
		c.LinkConstraints = link.GetNbConstraints()
		c.Domain = max(c.Domain, ecc.NextPowerOfTwo(uint64(c.LinkConstraints)))
	}
	if spec.Kind == KindExam {
		c.ExamDigest = model.HexElement(spec.Exam.Digest())
		if err := model.SaveExam(filepath.Join(dir, ExamFile), spec.Exam); err != nil {
			return nil, err
		}
	}
	return c, nil
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

// readPhase1 reads and decodes one phase-1 contribution; check adds the
// subgroup checks of a verifier.
func (c *Ceremony) readPhase1(ct Contribution, check bool) (*phase1, error) {
	b, err := os.ReadFile(filepath.Join(c.dir, ct.File))
	if err != nil {
		return nil, fmt.Errorf("read contribution: %w", err)
	}
	p, err := decodePhase1(b, c.Domain, check)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ct.File, err)
	}
	return p, nil
}

// verifyPhase1 checks every phase-1 contribution against the one before,
// holding two at a time, and returns the last.
func (c *Ceremony) verifyPhase1() (*phase1, error) {
	pr := c.progress(fmt.Sprintf("phase 1: checking %d contributions", len(c.Phase1)))
	defer pr.done()
	prev := initialPhase1(c.Domain)
	for i, ct := range c.Phase1 {
		p, err := c.readPhase1(ct, true)
		if err != nil {
			return nil, err
		}
		if err := prev.verify(p); err != nil {
			return nil, fmt.Errorf("phase 1 contribution %d: %w", i+1, err)
		}
		prev = p
		pr.fraction(i+1, len(c.Phase1))
	}
	return prev, nil
}

// sealPhase1 seals the last phase-1 contribution with the beacon.
func (c *Ceremony) sealPhase1(last *phase1, beacon []byte) *mpcsetup.SrsCommons {
	pr := c.progress("phase 1: sealing it with the beacon")
	defer pr.done()
	return last.seal(beacon, pr.fraction)
}

func (c *Ceremony) loadPhase2(list []Contribution) ([]*mpcsetup.Phase2, error) {
	out := make([]*mpcsetup.Phase2, len(list))
	for i, ct := range list {
		out[i] = new(mpcsetup.Phase2)
		if err := readFrom(filepath.Join(c.dir, ct.File), out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (c *Ceremony) commons() (*mpcsetup.SrsCommons, error) {
	if c.Commons.File == "" {
		// A ceremony whose phase 1 closed before the file was raw and
		// hashed holds gnark's encoding.
		var s mpcsetup.SrsCommons
		if err := readFrom(filepath.Join(c.dir, commonsFile), &s); err != nil {
			return nil, err
		}
		return &s, nil
	}
	var s *mpcsetup.SrsCommons
	err := c.readHashed(c.Commons, func(r io.Reader) error { var err error; s, err = readCommons(r); return err })
	return s, err
}

// Contribute adds one contribution to the current phase, with fresh
// randomness that is discarded afterwards, and returns it.
func (c *Ceremony) Contribute() (Contribution, error) {
	var ct Contribution
	var err error
	if c.Finalized {
		return ct, errors.New("the ceremony is finalized")
	}
	switch c.Phase {
	case 1:
		prev, fresh := initialPhase1(c.Domain), true
		if n := len(c.Phase1); n > 0 {
			// A contributor vouches for its own randomness only: the
			// previous file is decoded without subgroup checks.
			if prev, err = c.readPhase1(c.Phase1[n-1], false); err != nil {
				return ct, err
			}
			fresh = false
		}
		pr := c.progress(fmt.Sprintf("phase 1: contributing to powers of tau for a domain of %d", c.Domain))
		next := prev.contribute(fresh, pr.fraction)
		pr.done()
		ct.File = fmt.Sprintf("phase1-%04d.bin", len(c.Phase1)+1)
		if ct.SHA256, err = writeHashed(filepath.Join(c.dir, ct.File), next); err != nil {
			return ct, err
		}
		c.Phase1 = append(c.Phase1, ct)
	case 2:
		if c.Kind == KindInference {
			link, err := c.contribute2(KindLink, c.Phase2Link, "phase2-link-%04d.bin")
			if err != nil {
				return ct, err
			}
			c.Phase2Link = append(c.Phase2Link, link)
		}
		if ct, err = c.contribute2(c.Kind, c.Phase2, "phase2-%04d.bin"); err != nil {
			return ct, err
		}
		c.Phase2 = append(c.Phase2, ct)
	case 3:
		ch, err := c.bindingChainTip()
		if err != nil {
			return ct, err
		}
		next, err := ch.bases.contributeRandom(ch.tip, ch.tipHash)
		if err != nil {
			return ct, err
		}
		ct.File = fmt.Sprintf("phase3-%04d.bin", len(c.Phase3)+1)
		if ct.SHA256, err = writeHashed(filepath.Join(c.dir, ct.File), next); err != nil {
			return ct, err
		}
		c.Phase3 = append(c.Phase3, ct)
	}
	return ct, c.save()
}

// contribute2 adds a phase-2 contribution to the chain of one circuit:
// the first extends the initial state written when phase 1 closed.
func (c *Ceremony) contribute2(kind string, list []Contribution, name string) (Contribution, error) {
	var ct Contribution
	p := new(mpcsetup.Phase2)
	if n := len(list); n > 0 {
		if err := readFrom(filepath.Join(c.dir, list[n-1].File), p); err != nil {
			return ct, err
		}
	} else {
		var err error
		if p, _, err = c.loadInit2(kind, false); err != nil {
			return ct, err
		}
	}
	pr := c.progress(fmt.Sprintf("phase 2: contributing to the %s circuit (%d points)", kind, phase2Points(p)))
	err := contributePhase2(p, pr.fraction)
	pr.done()
	if err != nil {
		return ct, err
	}
	ct.File = fmt.Sprintf(name, len(list)+1)
	ct.SHA256, err = writeHashed(filepath.Join(c.dir, ct.File), p)
	return ct, err
}

// phase2Inputs compiles one circuit of the ceremony and returns it with
// the phase-1 parameters cut to its domain.
func (c *Ceremony) phase2Inputs(kind string, commons *mpcsetup.SrsCommons) (*cs.R1CS, *mpcsetup.SrsCommons, error) {
	spec := c.spec
	want := c.Constraints
	if kind == KindLink {
		spec, want = Spec{Kind: KindLink, Shape: c.Shape}, c.LinkConstraints
	}
	r1cs, err := spec.Compile()
	if err != nil {
		return nil, nil, err
	}
	if r1cs.GetNbConstraints() != want {
		return nil, nil, fmt.Errorf("%s circuit compiles to %d constraints, the ceremony was started for %d", kind, r1cs.GetNbConstraints(), want)
	}
	return r1cs, truncateCommons(commons, ecc.NextPowerOfTwo(uint64(want))), nil
}

// truncateCommons cuts powers of τ for a domain of N to a domain of n ≤ N:
// the first 2n−1 powers in G1, n of the others.
func truncateCommons(s *mpcsetup.SrsCommons, n uint64) *mpcsetup.SrsCommons {
	if uint64(len(s.G1.AlphaTau)) <= n {
		return s
	}
	t := new(mpcsetup.SrsCommons)
	t.G1.Tau = s.G1.Tau[:2*n-1]
	t.G1.AlphaTau = s.G1.AlphaTau[:n]
	t.G1.BetaTau = s.G1.BetaTau[:n]
	t.G2.Tau = s.G2.Tau[:n]
	t.G2.Beta = s.G2.Beta
	return t
}

// Verify checks every contribution of the phases so far: file hashes and
// gnark's proofs that each contribution extends the previous one (and, in
// phase 3, the binding key's proofs). It returns the number of
// contributions checked.
func (c *Ceremony) Verify() (int, error) {
	all := c.Contributions()
	for _, ct := range all {
		b, err := os.ReadFile(filepath.Join(c.dir, ct.File))
		if err != nil {
			return 0, fmt.Errorf("read contribution: %w", err)
		}
		if h := sha256.Sum256(b); hex.EncodeToString(h[:]) != ct.SHA256 {
			return 0, fmt.Errorf("%s does not match its published hash", ct.File)
		}
	}
	last, err := c.verifyPhase1()
	if err != nil {
		return 0, err
	}
	if c.Phase < 2 {
		return len(c.Phase1), nil
	}
	// Phase 2 starts from phase 1 sealed with its beacon: seal it again
	// rather than trust the coordinator's file.
	beacon1, err := hex.DecodeString(c.Beacon1)
	if err != nil || len(c.Phase1) == 0 {
		return 0, errors.New("the ceremony's phase 1 has no beacon or no contribution")
	}
	commons := c.sealPhase1(last, beacon1)
	if c.Commons.File != "" {
		h, err := commonsHash(commons)
		if err != nil {
			return 0, err
		}
		if hex.EncodeToString(h) != c.Commons.SHA256 {
			return 0, errors.New("the phase-1 parameters of the ceremony are not its contributions sealed with its beacon")
		}
	}
	if c.Kind == KindPowers {
		if err := c.verifyPowersLagrange(commons); err != nil {
			return 0, err
		}
		return len(c.Phase1), nil
	}
	if err := c.verify2(c.Kind, c.Phase2, commons); err != nil {
		return 0, err
	}
	if err := c.verify2(KindLink, c.Phase2Link, commons); err != nil {
		return 0, err
	}
	if c.Phase == 3 {
		if _, err := c.verifyBindingChain(); err != nil {
			return 0, err
		}
	}
	return len(all), nil
}

// verify2 checks one circuit's chain of phase-2 contributions, from an
// initial state it computes again and compares with the one the
// contributors extended, so a verifier trusts no file of the coordinator.
func (c *Ceremony) verify2(kind string, list []Contribution, commons *mpcsetup.SrsCommons) error {
	if c.Phase < 2 || kind == KindLink && c.Kind != KindInference {
		return nil
	}
	f, err := c.init2(kind)
	if err != nil {
		return err
	}
	r1cs, commons, err := c.phase2Inputs(kind, commons)
	if err != nil {
		return err
	}
	lag, err := c.lagrange(commons, false)
	if err != nil {
		return err
	}
	pr := c.progress(fmt.Sprintf("phase 2: recomputing the %s circuit's initial state (%d constraints)", kind, r1cs.GetNbConstraints()))
	prev, evals, _ := initPhase2(r1cs, commons, lag, pr.fraction)
	pr.done()
	h := sha256.New()
	if _, err := prev.WriteTo(h); err != nil {
		return err
	}
	eh := sha256.New()
	if err := writeEvals(eh, evals); err != nil {
		return err
	}
	if hex.EncodeToString(h.Sum(nil)) != f[0].SHA256 || hex.EncodeToString(eh.Sum(nil)) != f[1].SHA256 {
		return fmt.Errorf("the initial phase-2 state of the %s circuit is not the one its R1CS and phase 1 give", kind)
	}
	_, err = c.chain2(kind, prev, list)
	return err
}

// chain2 loads a circuit's phase-2 contributions and checks each against
// the one before, from prev; it returns the last.
func (c *Ceremony) chain2(kind string, prev *mpcsetup.Phase2, list []Contribution) (*mpcsetup.Phase2, error) {
	p2, err := c.loadPhase2(list)
	if err != nil {
		return nil, err
	}
	pr := c.progress(fmt.Sprintf("phase 2: checking %d contributions to the %s circuit", len(p2), kind))
	defer pr.done()
	pr.estimate(time.Duration(len(p2)*phase2Points(prev)/4) * g1MulTime() / time.Duration(max(runtime.GOMAXPROCS(0), 1)))
	for i, p := range p2 {
		if err := prev.Verify(p); err != nil {
			return nil, fmt.Errorf("phase 2 (%s) contribution %d: %w", kind, i+1, err)
		}
		prev = p
	}
	return prev, nil
}

// phase2Points counts the G1 points a phase-2 contribution rescales.
func phase2Points(p *mpcsetup.Phase2) int {
	n := len(p.Parameters.G1.Z) + len(p.Parameters.G1.PKK)
	for _, s := range p.Parameters.G1.SigmaCKK {
		n += len(s)
	}
	return n
}

// bindingInputs loads the phase-2 proving keys and the binding bases, and
// returns them as a chain at its initial state.
func (c *Ceremony) bindingInputs() (*bindingChain, error) {
	pk, err := c.loadPK(cerPK)
	if err != nil {
		return nil, err
	}
	lpk, err := c.loadPK(cerLinkPK)
	if err != nil {
		return nil, err
	}
	b, err := newBindingBases(c.spec, lpk, pk)
	if err != nil {
		return nil, err
	}
	return &bindingChain{pk: pk, linkPK: lpk, bases: b, tip: b.initialBindingState(), tipHash: []byte(c.Beacon2)}, nil
}

func (c *Ceremony) loadPK(name string) (groth16.ProvingKey, error) {
	f, err := os.Open(filepath.Join(c.dir, name))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	defer f.Close()
	return readPK(f)
}

// verifyBindingChain checks every phase-3 contribution and returns the
// chain at its last state.
func (c *Ceremony) verifyBindingChain() (*bindingChain, error) {
	ch, err := c.bindingInputs()
	if err != nil {
		return nil, err
	}
	for i, ct := range c.Phase3 {
		next, h, err := c.readBindingState(ct)
		if err != nil {
			return nil, err
		}
		if err := ch.bases.verify(ch.tip, next, ch.tipHash); err != nil {
			return nil, fmt.Errorf("phase 3 contribution %d: %w", i+1, err)
		}
		ch.tip, ch.tipHash = next, h
	}
	return ch, nil
}

// bindingChain is the binding-key chain of a ceremony with the proving
// keys it is built on.
type bindingChain struct {
	pk, linkPK groth16.ProvingKey
	bases      *bindingBases
	tip        *bindingState
	tipHash    []byte
}

// bindingChainTip returns the chain at its last state without
// re-verifying (contributors extend what is there).
func (c *Ceremony) bindingChainTip() (*bindingChain, error) {
	ch, err := c.bindingInputs()
	if err != nil || len(c.Phase3) == 0 {
		return ch, err
	}
	ch.tip, ch.tipHash, err = c.readBindingState(c.Phase3[len(c.Phase3)-1])
	return ch, err
}

// readBindingState reads a phase-3 contribution and its SHA-256.
func (c *Ceremony) readBindingState(ct Contribution) (*bindingState, []byte, error) {
	raw, err := os.ReadFile(filepath.Join(c.dir, ct.File))
	if err != nil {
		return nil, nil, fmt.Errorf("read contribution: %w", err)
	}
	s, err := readBindingState(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", ct.File, err)
	}
	h := sha256.Sum256(raw)
	return s, h[:], nil
}

// Finalize closes the current phase with a public beacon. Closing phase 1
// writes the circuit-independent parameters and opens phase 2; closing
// phase 2 verifies every contribution and writes the keys to keysDir.
func (c *Ceremony) Finalize(beacon []byte, keysDir string) (*KeysInfo, error) {
	if len(beacon) < 16 {
		return nil, fmt.Errorf("%w: it needs at least 16 bytes of public randomness", ErrBeacon)
	}
	if c.Finalized {
		return nil, errors.New("the ceremony is already finalized")
	}
	for i, used := range []string{c.Beacon1, c.Beacon2} {
		if used != "" && used == hex.EncodeToString(beacon) {
			return nil, fmt.Errorf("%w: it already closed phase %d, and each phase needs its own public random value, drawn after its last contribution", ErrBeacon, i+1)
		}
	}
	switch c.Phase {
	case 1:
		if len(c.Phase1) == 0 {
			return nil, errors.New("phase 1 has no contribution yet")
		}
		last, err := c.verifyPhase1()
		if err != nil {
			return nil, fmt.Errorf("verify phase 1: %w", err)
		}
		commons := c.sealPhase1(last, beacon)
		if c.Kind == KindPowers {
			if err := c.sealPowers(commons, c.sealLagrange); err != nil {
				return nil, err
			}
			c.Beacon1 = hex.EncodeToString(beacon)
			c.Phase, c.Finalized = 2, true
			return nil, c.save()
		}
		h := sha256.New()
		if err := writeFile(filepath.Join(c.dir, commonsFile), func(w io.Writer) error { return writeCommons(io.MultiWriter(w, h), commons) }); err != nil {
			return nil, err
		}
		c.Commons = Contribution{File: commonsFile, SHA256: hex.EncodeToString(h.Sum(nil))}
		if c.Init2, err = c.initPhase2Files(c.Kind, commons); err != nil {
			return nil, err
		}
		if c.Kind == KindInference {
			if c.Init2Link, err = c.initPhase2Files(KindLink, commons); err != nil {
				return nil, err
			}
		}
		c.Beacon1 = hex.EncodeToString(beacon)
		c.Phase = 2
		return nil, c.save()
	case 2:
		if len(c.Phase2) == 0 {
			return nil, errors.New("phase 2 has no contribution yet")
		}
		pk, vk, err := c.finalize2(c.Kind, c.Phase2, beacon)
		if err != nil {
			return nil, err
		}
		c.Beacon2 = hex.EncodeToString(beacon)
		if c.Kind != KindInference {
			note := fmt.Sprintf("mpc ceremony (gnark mpcsetup): %d phase-1 and %d phase-2 contributions, beacons %s / %s",
				len(c.Phase1), len(c.Phase2), c.Beacon1, c.Beacon2)
			info, err := WriteKeys(keysDir, c.spec, c.Constraints, pk, vk, note)
			if err != nil {
				return nil, err
			}
			c.Phase, c.Finalized = 3, true
			return info, c.save()
		}
		lpk, lvk, err := c.finalize2(KindLink, c.Phase2Link, beacon)
		if err != nil {
			return nil, err
		}
		for _, f := range []struct {
			name string
			w    func(io.Writer) error
		}{
			{cerPK, func(w io.Writer) error { return writeRawPK(w, pk) }},
			{cerLinkPK, func(w io.Writer) error { return writeRawPK(w, lpk) }},
			{cerVK, func(w io.Writer) error { _, err := vk.WriteTo(w); return err }},
			{cerLinkVK, func(w io.Writer) error { _, err := lvk.WriteTo(w); return err }},
		} {
			if err := writeFile(filepath.Join(c.dir, f.name), f.w); err != nil {
				return nil, err
			}
		}
		c.Phase = 3
		return nil, c.save()
	case 3:
		if len(c.Phase3) == 0 {
			return nil, errors.New("phase 3 (the binding key) has no contribution yet")
		}
		ch, err := c.verifyBindingChain()
		if err != nil {
			return nil, err
		}
		final := ch.bases.contributeBeacon(ch.tip, ch.tipHash, beacon)
		set := &InferenceKeySet{Binding: &final.key, BindingVK: &verifier.BindingVK{K1: final.k1, K2: final.k2}}
		if set.CCS, err = c.spec.Compile(); err != nil {
			return nil, err
		}
		if set.LinkCCS, err = (Spec{Kind: KindLink, Shape: c.Shape}).Compile(); err != nil {
			return nil, err
		}
		set.PK, set.LinkPK = ch.pk, ch.linkPK
		set.VK, set.LinkVK = new(groth16bn254.VerifyingKey), new(groth16bn254.VerifyingKey)
		if err := readFrom(filepath.Join(c.dir, cerVK), set.VK); err != nil {
			return nil, err
		}
		if err := readFrom(filepath.Join(c.dir, cerLinkVK), set.LinkVK); err != nil {
			return nil, err
		}
		c.Beacon3 = hex.EncodeToString(beacon)
		note := fmt.Sprintf("mpc ceremony (gnark mpcsetup + binding-key MPC): %d phase-1, %d phase-2 and %d binding contributions, beacons %s / %s / %s",
			len(c.Phase1), len(c.Phase2), len(c.Phase3), c.Beacon1, c.Beacon2, c.Beacon3)
		info, err := WriteInferenceKeys(keysDir, c.Shape, set, note)
		if err != nil {
			return nil, err
		}
		c.Finalized = true
		return info, c.save()
	}
	return nil, errors.New("the ceremony is already finalized")
}

// finalize2 verifies one circuit's phase-2 chain from the initial state
// written when phase 1 closed (hash-checked; 'ceremony verify' recomputes
// it) and seals it with the beacon into Groth16 keys.
func (c *Ceremony) finalize2(kind string, list []Contribution, beacon []byte) (groth16.ProvingKey, groth16.VerifyingKey, error) {
	commons, err := c.commons()
	if err != nil {
		return nil, nil, err
	}
	init, evals, err := c.loadInit2(kind, true)
	if err != nil {
		return nil, nil, err
	}
	want := c.Constraints
	if kind == KindLink {
		want = c.LinkConstraints
	}
	commons = truncateCommons(commons, ecc.NextPowerOfTwo(uint64(want)))
	last, err := c.chain2(kind, init, list)
	if err != nil {
		return nil, nil, fmt.Errorf("verify phase 2 (%s): %w", kind, err)
	}
	pr := c.progress(fmt.Sprintf("phase 2: sealing the %s circuit's keys with the beacon", kind))
	pr.estimate(time.Duration(2*phase2Points(last)+len(evals.G1.A)+len(evals.G1.B)+3*len(evals.G2.B)) * g1MulTime() / time.Duration(max(runtime.GOMAXPROCS(0), 1)))
	pk, vk := last.Seal(commons, evals, beacon)
	pr.done()
	return pk, vk, nil
}
