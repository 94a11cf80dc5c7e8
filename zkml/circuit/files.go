package circuit

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"

	"github.com/consensys/gnark/backend/groth16"

	"emergence/zkml/model"
)

// File formats.
const (
	KeysFormat   = "emergence.zkml.keys"
	ProofFormat  = "emergence.zkml.proof"
	FilesVersion = 1
	// GnarkVersion pins the serialization of keys and proofs, which gnark
	// does not version across releases.
	GnarkVersion = "v0.14.0"
)

// Names of the files in a keys directory.
const (
	InfoFile = "circuit.json"
	ExamFile = "exam.json"
	PKFile   = "pk.bin"
	VKFile   = "vk.bin"
)

// SetupOnePartyNote marks keys from SetupOneParty.
const SetupOnePartyNote = "one-party setup: whoever ran it can forge proofs; devnets and tests only"

// KeysInfo is the self-description of a keys directory.
type KeysInfo struct {
	Format      string      `json:"format"`
	Version     int         `json:"version"`
	Kind        string      `json:"kind"`
	Shape       model.Shape `json:"shape"`
	ShapeDigest string      `json:"shapeDigest"`
	// ExamDigest, ExamN and ExamName identify the exam of an exam circuit;
	// ExamStatement is the public input they make with the shape (the
	// chain recomputes it from the registration).
	ExamDigest    string `json:"examDigest,omitempty"`
	ExamN         int    `json:"examN,omitempty"`
	ExamName      string `json:"examName,omitempty"`
	ExamStatement string `json:"examStatement,omitempty"`
	Constraints   int    `json:"constraints"`
	Curve         string `json:"curve"`
	Backend       string `json:"backend"`
	Gnark         string `json:"gnark"`
	// Setup says how the keys were made.
	Setup string `json:"setup"`
	// VKHash is the hex SHA-256 of vk.bin.
	VKHash string `json:"vkHash"`
	// Inference keys only: the hex SHA-256 of link-vk.bin and
	// binding-vk.bin, and the link circuit's size.
	LinkVKHash      string `json:"linkVkHash,omitempty"`
	BindingVKHash   string `json:"bindingVkHash,omitempty"`
	LinkConstraints int    `json:"linkConstraints,omitempty"`
}

// WriteKeys writes a keys directory: circuit.json, exam.json (exam
// circuits), pk.bin and vk.bin.
func WriteKeys(dir string, spec Spec, constraints int, pk groth16.ProvingKey, vk groth16.VerifyingKey, setup string) (*KeysInfo, error) {
	if spec.Kind == KindInference {
		return nil, errors.New("inference keys come with link and binding keys: use WriteInferenceKeys")
	}
	return writeKeys(dir, spec, constraints, pk, vk, setup, nil)
}

func writeKeys(dir string, spec Spec, constraints int, pk groth16.ProvingKey, vk groth16.VerifyingKey, setup string, extra func(*KeysInfo)) (*KeysInfo, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("keys dir: %w", err)
	}
	vkb, err := MarshalVK(vk)
	if err != nil {
		return nil, err
	}
	h := VKHash(vkb)
	info := &KeysInfo{
		Format: KeysFormat, Version: FilesVersion, Kind: spec.Kind, Shape: spec.Shape,
		ShapeDigest: model.HexElement(model.ShapeDigest(spec.Shape)), Constraints: constraints,
		Curve: "bn254", Backend: "groth16", Gnark: GnarkVersion, Setup: setup, VKHash: hex.EncodeToString(h[:]),
	}
	if extra != nil {
		extra(info)
	}
	if spec.Kind == KindExam {
		info.ExamDigest = model.HexElement(spec.Exam.Digest())
		info.ExamN = spec.Exam.N()
		info.ExamName = spec.Exam.Name
		stmt, err := spec.Exam.Statement(spec.Shape)
		if err != nil {
			return nil, err
		}
		info.ExamStatement = model.HexElement(stmt)
		if err := model.SaveExam(filepath.Join(dir, ExamFile), spec.Exam); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, VKFile), vkb, 0o644); err != nil {
		return nil, fmt.Errorf("write vk: %w", err)
	}
	f, err := os.Create(filepath.Join(dir, PKFile))
	if err != nil {
		return nil, fmt.Errorf("write pk: %w", err)
	}
	if err := writeRawPK(f, pk); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("write pk: %w", err)
	}
	b, _ := json.MarshalIndent(info, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, InfoFile), append(b, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("write circuit info: %w", err)
	}
	return info, nil
}

// Keys is a loaded keys directory (the proving key is read on demand).
type Keys struct {
	Dir  string
	Info KeysInfo
	Spec Spec
	VK   []byte
	// Inference keys only: the link circuit's and the binding's verifying keys.
	LinkVK, BindingVK []byte
}

// LoadKeys reads and checks a keys directory's description, exam and
// verifying key.
func LoadKeys(dir string) (*Keys, error) {
	b, err := os.ReadFile(filepath.Join(dir, InfoFile))
	if err != nil {
		return nil, fmt.Errorf("read keys: %w", err)
	}
	var info KeysInfo
	if err := json.Unmarshal(b, &info); err != nil {
		return nil, fmt.Errorf("decode %s: %w", InfoFile, err)
	}
	if info.Format != KeysFormat || info.Version != FilesVersion {
		return nil, fmt.Errorf("%s: not a keys file version %d (format %q version %d)", InfoFile, FilesVersion, info.Format, info.Version)
	}
	if info.Gnark != GnarkVersion || info.Curve != "bn254" || info.Backend != "groth16" {
		return nil, fmt.Errorf("keys made with gnark %s %s/%s; this build reads gnark %s groth16/bn254", info.Gnark, info.Backend, info.Curve, GnarkVersion)
	}
	if err := info.Shape.Validate(); err != nil {
		return nil, fmt.Errorf("keys shape: %w", err)
	}
	k := &Keys{Dir: dir, Info: info, Spec: Spec{Kind: info.Kind, Shape: info.Shape}}
	if info.Kind == KindExam {
		e, err := model.LoadExam(filepath.Join(dir, ExamFile))
		if err != nil {
			return nil, err
		}
		if model.HexElement(e.Digest()) != info.ExamDigest {
			return nil, errors.New("exam file does not match the keys' exam digest")
		}
		if info.ExamStatement == "" {
			return nil, errors.New("keys made before exam keys were bound to their exam's name, size and shape: run the setup again")
		}
		if stmt, err := e.Statement(info.Shape); err != nil || model.HexElement(stmt) != info.ExamStatement || e.Name != info.ExamName || e.N() != info.ExamN {
			return nil, errors.New("exam file does not match the keys' exam statement")
		}
		k.Spec.Exam = e
	} else if info.Kind != KindInference {
		return nil, fmt.Errorf("unknown circuit kind %q", info.Kind)
	}
	if k.VK, err = readKeyFile(dir, VKFile, info.VKHash, func(b []byte) error { _, err := DecodeVK(b); return err }); err != nil {
		return nil, err
	}
	if info.Kind == KindInference {
		if err := k.loadInferenceExtras(); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// readKeyFile reads a verifying-key file of a keys directory and checks it
// against its hash in circuit.json and with decode.
func readKeyFile(dir, name, wantHash string, decode func([]byte) error) ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if h := VKHash(b); hex.EncodeToString(h[:]) != wantHash {
		return nil, fmt.Errorf("%s does not match the hash in %s", name, InfoFile)
	}
	if err := decode(b); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return b, nil
}

// ProvingKey reads pk.bin.
func (k *Keys) ProvingKey() (groth16.ProvingKey, error) {
	f, err := os.Open(filepath.Join(k.Dir, PKFile))
	if err != nil {
		return nil, fmt.Errorf("read pk: %w", err)
	}
	defer f.Close()
	return readPK(f)
}

// ProofFile is a self-describing proof.
type ProofFile struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	Kind    string `json:"kind"`
	// VKHash names the verifying key the proof is for.
	VKHash    string           `json:"vkHash"`
	Inference *InferencePublic `json:"inference,omitempty"`
	Exam      *ExamPublic      `json:"exam,omitempty"`
	Proof     []byte           `json:"proof"`
}

// Publics returns the proof's public inputs in circuit order.
func (p *ProofFile) Publics() ([]*big.Int, error) {
	switch {
	case p.Kind == KindInference && p.Inference != nil:
		return InferencePublics(*p.Inference)
	case p.Kind == KindExam && p.Exam != nil:
		return ExamPublics(*p.Exam)
	}
	return nil, fmt.Errorf("proof file of kind %q lacks its public inputs", p.Kind)
}

// Check validates the proof file's header.
func (p *ProofFile) Check() error {
	if p.Format != ProofFormat || p.Version != FilesVersion {
		return fmt.Errorf("not a proof file version %d (format %q version %d)", FilesVersion, p.Format, p.Version)
	}
	_, err := p.Publics()
	return err
}

// VerifyWith verifies the proof against a keys directory.
func (p *ProofFile) VerifyWith(k *Keys) error {
	if err := p.Check(); err != nil {
		return err
	}
	if p.Kind != k.Info.Kind {
		return fmt.Errorf("a %s proof cannot be checked with %s keys", p.Kind, k.Info.Kind)
	}
	if p.VKHash != k.Info.VKHash {
		return errors.New("the proof was made for another verifying key")
	}
	if p.Exam != nil && (p.Exam.ExamDigest != k.Info.ExamDigest || p.Exam.N != k.Info.ExamN || p.Exam.Name != k.Info.ExamName || p.Exam.ShapeDigest != k.Info.ShapeDigest) {
		return errors.New("the proof names another exam than the keys'")
	}
	pub, err := p.Publics()
	if err != nil {
		return err
	}
	return Verify(k.VK, p.Proof, pub)
}

// SaveProof writes a proof file.
func SaveProof(path string, p *ProofFile) error { return saveJSON(path, p, "proof file") }

// LoadProof reads a proof file.
func LoadProof(path string) (*ProofFile, error) {
	var p ProofFile
	if err := loadJSON(path, &p, "proof file"); err != nil {
		return nil, err
	}
	if err := p.Check(); err != nil {
		return nil, err
	}
	return &p, nil
}

// saveJSON writes v as indented JSON.
func saveJSON(path string, v any, what string) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", what, err)
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// loadJSON reads a JSON file into v.
func loadJSON(path string, v any, what string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read %s: %w", what, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode %s: %w", what, err)
	}
	return nil
}
