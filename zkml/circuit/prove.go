package circuit

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/frontend"

	"emergence/zkml/model"
)

// ProofRequest says what NewProofFile proves with a keys directory: exam
// keys prove that the model classifies at least Claim exam samples
// correctly (a negative Claim: as many as it does), inference keys that
// the model maps Input to the class it computes.
type ProofRequest struct {
	Claim int
	Input []int64
	// Submitter is SubmitterElement of the only account that may submit
	// the proof on chain (zero: checkable offline only).
	Submitter *big.Int
	// Step, when set, is told of each step as it starts.
	Step func(format string, args ...any)
}

// Errors of NewProofFile that are about its inputs rather than a failure.
var (
	// ErrShape: the model is not of the shape the keys were made for.
	ErrShape = errors.New("the model's shape differs from the keys' circuit")
	// ErrRequest: a claim for inference keys, or an input for exam keys.
	ErrRequest = errors.New("request does not fit the keys")
	// ErrInput: the inference input does not fit the model.
	ErrInput = errors.New("input does not fit the model")
	// ErrStaleKeys: the circuit compiles to another size than the keys'.
	ErrStaleKeys = errors.New("keys were made for another build of the circuit")
)

// ClaimError is returned when the model scores below the claim.
type ClaimError struct{ Score, N, Claim int }

func (e *ClaimError) Error() string {
	return fmt.Sprintf("the model classifies %d of %d exam samples correctly, below the claim of %d", e.Score, e.N, e.Claim)
}

// NewProofFile proves req about model m with the keys k and returns the
// proof file, checked against k before it is returned.
func NewProofFile(k *Keys, m *model.Model, req ProofRequest) (*ProofFile, error) {
	step := req.Step
	if step == nil {
		step = func(string, ...any) {}
	}
	if model.ShapeDigest(m.Shape()).Cmp(model.ShapeDigest(k.Info.Shape)) != 0 {
		return nil, ErrShape
	}
	sub := req.Submitter
	if sub == nil {
		sub = new(big.Int)
	}
	pf := &ProofFile{Format: ProofFormat, Version: FilesVersion, Kind: k.Info.Kind, VKHash: k.Info.VKHash}
	var assignment frontend.Circuit
	masked := false // inference proofs: ProveMasked (see InferenceCircuit)
	switch k.Info.Kind {
	case KindExam:
		if req.Input != nil {
			return nil, fmt.Errorf("%w: exam keys take a claim, not an input", ErrRequest)
		}
		e := k.Spec.Exam
		step("scoring the model on the exam (%d samples)", e.N())
		score, err := e.Score(m)
		if err != nil {
			return nil, fmt.Errorf("score: %w", err)
		}
		claim := req.Claim
		if claim < 0 {
			claim = score
		}
		if claim > score {
			return nil, &ClaimError{Score: score, N: e.N(), Claim: claim}
		}
		w, pub, err := AssignExam(m, e, claim, sub)
		if err != nil {
			return nil, fmt.Errorf("assign: %w", err)
		}
		pf.Exam = &pub
		assignment = w
	case KindInference:
		if req.Input == nil {
			return nil, fmt.Errorf("%w: inference keys need an input", ErrRequest)
		}
		w, pub, err := AssignInference(m, req.Input, sub)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInput, err)
		}
		pf.Inference = &pub
		assignment, masked = w, true
	default:
		return nil, fmt.Errorf("keys of unknown kind %q", k.Info.Kind)
	}
	step("compiling the %s circuit", k.Info.Kind)
	ccs, err := k.Spec.Compile()
	if err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	if ccs.GetNbConstraints() != k.Info.Constraints {
		return nil, fmt.Errorf("%w: circuit compiles to %d constraints, keys were made for %d", ErrStaleKeys, ccs.GetNbConstraints(), k.Info.Constraints)
	}
	step("%d constraints; reading the proving key", ccs.GetNbConstraints())
	pk, err := k.ProvingKey()
	if err != nil {
		return nil, err
	}
	step("solving the witness and proving")
	var proof groth16.Proof
	if masked {
		proof, err = ProveMasked(ccs, pk, assignment)
	} else {
		proof, err = Prove(ccs, pk, assignment)
	}
	if err != nil {
		return nil, err
	}
	if pf.Proof, err = MarshalProof(proof); err != nil {
		return nil, err
	}
	step("proved; checking the proof")
	if err := pf.VerifyWith(k); err != nil {
		return nil, fmt.Errorf("the new proof does not verify: %w", err)
	}
	return pf, nil
}
