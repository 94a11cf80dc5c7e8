package circuit

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"

	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark/backend/groth16"
	cs "github.com/consensys/gnark/constraint/bn254"

	"emergence/zkml/model"
	"emergence/zkml/verifier"
)

// Extra files of an inference keys directory: the link circuit's keys and
// the binding key.
const (
	LinkPKFile    = "link-pk.bin"
	LinkVKFile    = "link-vk.bin"
	BindingPKFile = "binding-pk.bin"
	BindingVKFile = "binding-vk.bin"
	BindingFormat = "emergence.zkml.binding"
)

// InferenceKeySet is everything an inference key consists of: the
// inference circuit's keys, the link circuit's keys and the binding key
// that joins their commitments.
type InferenceKeySet struct {
	CCS, LinkCCS *cs.R1CS
	PK, LinkPK   groth16.ProvingKey
	VK, LinkVK   groth16.VerifyingKey
	Binding      *BindingKey
	BindingVK    *verifier.BindingVK
}

// CompileInference compiles the inference and link circuits of a shape.
func CompileInference(s model.Shape) (ccs, link *cs.R1CS, err error) {
	if ccs, err = (Spec{Kind: KindInference, Shape: s}).Compile(); err != nil {
		return nil, nil, err
	}
	if link, err = (Spec{Kind: KindLink, Shape: s}).Compile(); err != nil {
		return nil, nil, err
	}
	return ccs, link, nil
}

// SetupInferenceOneParty makes an inference key set with one party's
// randomness: Groth16 keys of both circuits and the binding key. Devnets
// and tests only (see SetupOnePartyNote).
func SetupInferenceOneParty(s model.Shape) (*InferenceKeySet, error) {
	ccs, link, err := CompileInference(s)
	if err != nil {
		return nil, err
	}
	k := &InferenceKeySet{CCS: ccs, LinkCCS: link}
	if k.PK, k.VK, err = SetupOneParty(ccs); err != nil {
		return nil, err
	}
	if k.LinkPK, k.LinkVK, err = SetupOneParty(link); err != nil {
		return nil, err
	}
	if k.Binding, k.BindingVK, err = SetupBinding(s, k.LinkPK, k.PK, rand.Reader); err != nil {
		return nil, err
	}
	return k, nil
}

// WriteInferenceKeys writes an inference keys directory: WriteKeys' files
// for the inference circuit plus the link keys and the binding key.
func WriteInferenceKeys(dir string, s model.Shape, k *InferenceKeySet, setup string) (*KeysInfo, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("keys dir: %w", err)
	}
	lvk, err := MarshalVK(k.LinkVK)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, LinkVKFile), lvk, 0o644); err != nil {
		return nil, fmt.Errorf("write link vk: %w", err)
	}
	if err := writeFile(filepath.Join(dir, LinkPKFile), func(w io.Writer) error { return writeRawPK(w, k.LinkPK) }); err != nil {
		return nil, err
	}
	bvk := k.BindingVK.Bytes()
	if err := os.WriteFile(filepath.Join(dir, BindingVKFile), bvk, 0o644); err != nil {
		return nil, fmt.Errorf("write binding vk: %w", err)
	}
	if err := writeFile(filepath.Join(dir, BindingPKFile), k.Binding.write); err != nil {
		return nil, err
	}
	lh, bh := VKHash(lvk), VKHash(bvk)
	extra := func(info *KeysInfo) {
		info.LinkVKHash = hex.EncodeToString(lh[:])
		info.BindingVKHash = hex.EncodeToString(bh[:])
		info.LinkConstraints = k.LinkCCS.GetNbConstraints()
	}
	return writeKeys(dir, Spec{Kind: KindInference, Shape: s}, k.CCS.GetNbConstraints(), k.PK, k.VK, setup, extra)
}

func writeFile(path string, f func(io.Writer) error) error {
	out, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := f(out); err != nil {
		out.Close()
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return nil
}

// write encodes the binding key: a 4-byte count, then uncompressed points.
func (b *BindingKey) write(w io.Writer) error {
	buf := binary.BigEndian.AppendUint32(nil, uint32(len(b.Points)))
	for i := range b.Points {
		r := b.Points[i].RawBytes()
		buf = append(buf, r[:]...)
	}
	_, err := w.Write(buf)
	return err
}

// readBindingKey decodes a binding key written by write.
func readBindingKey(b []byte) (*BindingKey, error) {
	if len(b) < 4 {
		return nil, errors.New("binding key: truncated")
	}
	n := int(binary.BigEndian.Uint32(b))
	const size = curve.SizeOfG1AffineUncompressed
	if len(b) != 4+n*size {
		return nil, fmt.Errorf("binding key: %d bytes for %d points", len(b), n)
	}
	k := &BindingKey{Points: make([]curve.G1Affine, n)}
	for i := range k.Points {
		if _, err := k.Points[i].SetBytes(b[4+i*size : 4+(i+1)*size]); err != nil {
			return nil, fmt.Errorf("binding key point %d: %w", i, err)
		}
	}
	return k, nil
}

// LinkProvingKey reads link-pk.bin of an inference keys directory.
func (k *Keys) LinkProvingKey() (groth16.ProvingKey, error) {
	f, err := os.Open(filepath.Join(k.Dir, LinkPKFile))
	if err != nil {
		return nil, fmt.Errorf("read link pk: %w", err)
	}
	defer f.Close()
	return readPK(f)
}

// BindingKey reads binding-pk.bin of an inference keys directory.
func (k *Keys) BindingKey() (*BindingKey, error) {
	b, err := os.ReadFile(filepath.Join(k.Dir, BindingPKFile))
	if err != nil {
		return nil, fmt.Errorf("read binding key: %w", err)
	}
	return readBindingKey(b)
}

// loadInferenceExtras reads and checks the link and binding verifying keys.
func (k *Keys) loadInferenceExtras() error {
	var err error
	if k.LinkVK, err = readKeyFile(k.Dir, LinkVKFile, k.Info.LinkVKHash, func(b []byte) error { _, err := DecodeVK(b); return err }); err != nil {
		return err
	}
	k.BindingVK, err = readKeyFile(k.Dir, BindingVKFile, k.Info.BindingVKHash, func(b []byte) error { _, err := verifier.DecodeBindingVK(b); return err })
	return err
}

// BindingFile is a self-describing binding of a model to an inference key:
// the link proof, the commitment E its inference proofs carry and the
// QA-NIZK joining them. It reveals nothing of the weights.
type BindingFile struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	// VKHash, LinkVKHash and BindingVKHash name the inference key.
	VKHash        string `json:"vkHash"`
	LinkVKHash    string `json:"linkVkHash"`
	BindingVKHash string `json:"bindingVkHash"`
	Commitment    string `json:"commitment"`
	// Submitter is the account allowed to submit the binding (hex field
	// element of its address).
	Submitter string `json:"submitter"`
	// Binding is E (compressed G1), LinkProof the link circuit's proof,
	// Proof the QA-NIZK π (compressed G1).
	Binding   []byte `json:"binding"`
	LinkProof []byte `json:"linkProof"`
	Proof     []byte `json:"proof"`
}

// Bind proves a model's binding to an inference key directory for the
// account that will submit it: one link proof (the MiMC opening: the slow
// part), E and π.
func Bind(k *Keys, m *model.Model, submitter *big.Int) (*BindingFile, error) {
	if k.Info.Kind != KindInference {
		return nil, fmt.Errorf("a binding needs inference keys, not %s keys", k.Info.Kind)
	}
	if model.HexElement(model.ShapeDigest(m.Shape())) != k.Info.ShapeDigest {
		return nil, errors.New("the model's shape is not the keys' shape")
	}
	link, err := (Spec{Kind: KindLink, Shape: k.Info.Shape}).Compile()
	if err != nil {
		return nil, err
	}
	if link.GetNbConstraints() != k.Info.LinkConstraints {
		return nil, fmt.Errorf("link circuit compiles to %d constraints, the keys were made for %d", link.GetNbConstraints(), k.Info.LinkConstraints)
	}
	lpk, err := k.LinkProvingKey()
	if err != nil {
		return nil, err
	}
	pk, err := k.ProvingKey()
	if err != nil {
		return nil, err
	}
	bk, err := k.BindingKey()
	if err != nil {
		return nil, err
	}
	e, lp, pi, err := BindParts(link, lpk, pk, bk, m, submitter)
	if err != nil {
		return nil, err
	}
	return &BindingFile{
		Format: BindingFormat, Version: FilesVersion, VKHash: k.Info.VKHash, LinkVKHash: k.Info.LinkVKHash,
		BindingVKHash: k.Info.BindingVKHash, Commitment: m.Commitment, Submitter: model.HexElement(submitter),
		Binding: e, LinkProof: lp, Proof: pi,
	}, nil
}

// BindParts proves a model's binding from loaded keys, for the account
// that will submit it: E, the link proof and π, serialized.
func BindParts(link *cs.R1CS, linkPK, pk groth16.ProvingKey, bk *BindingKey, m *model.Model, submitter *big.Int) (e, linkProof, pi []byte, err error) {
	mask, err := RandomMask()
	if err != nil {
		return nil, nil, nil, err
	}
	w, err := AssignLink(m, mask, submitter)
	if err != nil {
		return nil, nil, nil, err
	}
	lp, err := ProveMasked(link, linkPK, w)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("link proof: %w", err)
	}
	ep, err := InferenceCommitment(pk, m)
	if err != nil {
		return nil, nil, nil, err
	}
	pp, err := ProveBinding(bk, m, mask)
	if err != nil {
		return nil, nil, nil, err
	}
	if linkProof, err = MarshalProof(lp); err != nil {
		return nil, nil, nil, err
	}
	eb, pb := ep.Bytes(), pp.Bytes()
	return eb[:], linkProof, pb[:], nil
}

// VerifyWith checks the binding against an inference keys directory.
func (b *BindingFile) VerifyWith(k *Keys) error {
	if b.Format != BindingFormat || b.Version != FilesVersion {
		return fmt.Errorf("not a binding file version %d (format %q version %d)", FilesVersion, b.Format, b.Version)
	}
	if k.Info.Kind != KindInference {
		return fmt.Errorf("a binding is checked with inference keys, not %s keys", k.Info.Kind)
	}
	if b.VKHash != k.Info.VKHash || b.LinkVKHash != k.Info.LinkVKHash || b.BindingVKHash != k.Info.BindingVKHash {
		return errors.New("the binding was made for another inference key")
	}
	c, err := model.ParseElement(b.Commitment)
	if err != nil {
		return fmt.Errorf("commitment: %w", err)
	}
	sub, err := model.ParseElement(b.Submitter)
	if err != nil {
		return fmt.Errorf("submitter: %w", err)
	}
	lvk, err := DecodeVK(k.LinkVK)
	if err != nil {
		return err
	}
	bvk, err := verifier.DecodeBindingVK(k.BindingVK)
	if err != nil {
		return err
	}
	return verifier.VerifyBinding(lvk, bvk, b.LinkProof, []*big.Int{c, sub}, b.Binding, b.Proof)
}

// SaveBinding writes a binding file.
func SaveBinding(path string, b *BindingFile) error { return saveJSON(path, b, "binding file") }

// LoadBinding reads a binding file.
func LoadBinding(path string) (*BindingFile, error) {
	var b BindingFile
	if err := loadJSON(path, &b, "binding file"); err != nil {
		return nil, err
	}
	if b.Format != BindingFormat || b.Version != FilesVersion {
		return nil, fmt.Errorf("%s: not a binding file version %d (format %q version %d)", path, FilesVersion, b.Format, b.Version)
	}
	return &b, nil
}

// ProveInference proves an inference of m on x with inference keys.
func ProveInference(ccs *cs.R1CS, pk groth16.ProvingKey, m *model.Model, x []int64, submitter *big.Int) (groth16.Proof, InferencePublic, error) {
	w, pub, err := AssignInference(m, x, submitter)
	if err != nil {
		return nil, InferencePublic{}, err
	}
	p, err := ProveMasked(ccs, pk, w)
	return p, pub, err
}

// Verify checks the proof against k and, when b is given and the proof is
// an inference proof, that it is about b's bound model (VerifyBoundWith);
// otherwise it checks the proof alone (VerifyWith): an exam proof has no
// binding, and an inference proof without one shows only that some model
// behind these keys gave the answer.
func (p *ProofFile) Verify(k *Keys, b *BindingFile) error {
	if b != nil && p.Inference != nil {
		return p.VerifyBoundWith(k, b)
	}
	return p.VerifyWith(k)
}

// VerifyBoundWith verifies an inference proof and checks that it is about
// the model of a binding: same key, same commitment, and the proof's
// Pedersen commitment equal to the binding's E. The binding itself is
// checked with BindingFile.VerifyWith.
func (p *ProofFile) VerifyBoundWith(k *Keys, b *BindingFile) error {
	if err := p.VerifyWith(k); err != nil {
		return err
	}
	if p.Inference == nil {
		return errors.New("only inference proofs are checked against a binding")
	}
	if b.VKHash != p.VKHash {
		return errors.New("the binding was made for another inference key than the proof")
	}
	if b.Commitment != p.Inference.Commitment {
		return errors.New("the binding is for another model than the proof names")
	}
	vk, err := DecodeVK(k.VK)
	if err != nil {
		return err
	}
	pub, err := p.Publics()
	if err != nil {
		return err
	}
	return verifier.VerifyBound(vk, p.Proof, pub, b.Binding)
}
