package circuit

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/constraint"
	cs "github.com/consensys/gnark/constraint/bn254"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"

	"emergence/zkml/model"
	"emergence/zkml/verifier"
)

// Circuit kinds.
const (
	KindInference = "inference"
	KindExam      = "exam"
	// KindLink is the link circuit that comes with every inference key.
	KindLink = "link"
)

// Spec identifies a circuit: its kind, the model shape and, for an exam
// circuit, the exam.
type Spec struct {
	Kind  string
	Shape model.Shape
	Exam  *model.Exam // exam circuits only
}

// Circuit returns the unassigned circuit of the spec.
func (s Spec) Circuit() (frontend.Circuit, error) {
	switch s.Kind {
	case KindInference:
		return NewInferenceCircuit(s.Shape)
	case KindLink:
		return NewLinkCircuit(s.Shape)
	case KindExam:
		if s.Exam == nil {
			return nil, errors.New("exam circuit needs an exam")
		}
		return NewExamCircuit(s.Shape, s.Exam)
	default:
		return nil, fmt.Errorf("unknown circuit kind %q (want %s or %s)", s.Kind, KindInference, KindExam)
	}
}

// Compile compiles the spec's circuit to an R1CS over BN254.
func (s Spec) Compile() (*cs.R1CS, error) {
	c, err := s.Circuit()
	if err != nil {
		return nil, err
	}
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, c)
	if err != nil {
		return nil, fmt.Errorf("compile %s circuit: %w", s.Kind, err)
	}
	r, ok := ccs.(*cs.R1CS)
	if !ok {
		return nil, errors.New("compiled system is not a BN254 R1CS")
	}
	return r, nil
}

// SetupOneParty runs gnark's single-party Groth16 setup. Whoever runs it
// knows the toxic waste and can forge proofs: devnets and tests only.
func SetupOneParty(ccs constraint.ConstraintSystem) (groth16.ProvingKey, groth16.VerifyingKey, error) {
	pk, vk, err := groth16.Setup(ccs)
	if err != nil {
		return nil, nil, fmt.Errorf("groth16 setup: %w", err)
	}
	return pk, vk, nil
}

// Prove builds the full witness of an assigned circuit and proves it.
func Prove(ccs constraint.ConstraintSystem, pk groth16.ProvingKey, assignment frontend.Circuit) (groth16.Proof, error) {
	w, err := frontend.NewWitness(assignment, ecc.BN254.ScalarField())
	if err != nil {
		return nil, fmt.Errorf("witness: %w", err)
	}
	proof, err := groth16.Prove(ccs, pk, w)
	if err != nil {
		return nil, fmt.Errorf("prove: %w", err)
	}
	return proof, nil
}

// MarshalProof serializes a proof (compressed points).
func MarshalProof(p groth16.Proof) ([]byte, error) {
	var b bytes.Buffer
	if _, err := p.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("encode proof: %w", err)
	}
	return b.Bytes(), nil
}

// MarshalVK serializes a verifying key (compressed points).
func MarshalVK(vk groth16.VerifyingKey) ([]byte, error) {
	var b bytes.Buffer
	if _, err := vk.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("encode verifying key: %w", err)
	}
	return b.Bytes(), nil
}

// VKHash is the SHA-256 of a serialized verifying key, its identity on chain.
func VKHash(vk []byte) [32]byte { return sha256.Sum256(vk) }

// InferencePublics returns the public inputs of an inference proof, in circuit order.
func InferencePublics(p InferencePublic) ([]*big.Int, error) {
	c, err := model.ParseElement(p.Commitment)
	if err != nil {
		return nil, fmt.Errorf("commitment: %w", err)
	}
	d, err := model.ParseElement(p.InputDigest)
	if err != nil {
		return nil, fmt.Errorf("input digest: %w", err)
	}
	if p.Class < 0 {
		return nil, errors.New("negative class")
	}
	s, err := model.ParseElement(p.Submitter)
	if err != nil {
		return nil, fmt.Errorf("submitter: %w", err)
	}
	return []*big.Int{c, d, big.NewInt(int64(p.Class)), s}, nil
}

// ExamPublics returns the public inputs of an accuracy proof, in circuit order.
func ExamPublics(p ExamPublic) ([]*big.Int, error) {
	c, err := model.ParseElement(p.Commitment)
	if err != nil {
		return nil, fmt.Errorf("commitment: %w", err)
	}
	d, err := model.ParseElement(p.ExamDigest)
	if err != nil {
		return nil, fmt.Errorf("exam digest: %w", err)
	}
	sd, err := model.ParseElement(p.ShapeDigest)
	if err != nil {
		return nil, fmt.Errorf("shape digest: %w", err)
	}
	if p.Claim < 0 || p.N < 0 {
		return nil, errors.New("negative claim or exam size")
	}
	stmt, err := verifier.ExamStatement(d, uint64(p.N), sd, p.Name)
	if err != nil {
		return nil, err
	}
	s, err := model.ParseElement(p.Submitter)
	if err != nil {
		return nil, fmt.Errorf("submitter: %w", err)
	}
	return []*big.Int{c, stmt, big.NewInt(int64(p.Claim)), s}, nil
}

// writeRawPK writes a proving key uncompressed (fast to read back).
func writeRawPK(w io.Writer, pk groth16.ProvingKey) error {
	if _, err := pk.WriteRawTo(w); err != nil {
		return fmt.Errorf("encode proving key: %w", err)
	}
	return nil
}

// readPK reads a proving key written by writeRawPK. The proving key is the
// prover's own file, so it is read without subgroup checks.
func readPK(r io.Reader) (groth16.ProvingKey, error) {
	pk := new(groth16bn254.ProvingKey)
	if _, err := pk.UnsafeReadFrom(r); err != nil {
		return nil, fmt.Errorf("decode proving key: %w", err)
	}
	return pk, nil
}

// SubmitterElement turns a 20-byte chain address into the field element a
// proof is bound to (big-endian). The zero address binds to 0.
func SubmitterElement(addr []byte) *big.Int { return new(big.Int).SetBytes(addr) }
