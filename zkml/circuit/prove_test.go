package circuit_test

import (
	"errors"
	"math/big"
	"testing"

	"emergence/zkml/circuit"
	"emergence/zkml/model"
)

// TestNewProofFile sets up exam keys for the tiny model and checks what
// NewProofFile proves and refuses: the model's score by default, a claim
// above it, an input for exam keys, and a model of another shape.
func TestNewProofFile(t *testing.T) {
	m := tinyModel(t)
	ds := &model.Dataset{X: [][]int64{{5, 2}, {0, 7}, {3, 3}, {7, 0}}, Y: []int{0, 1, 2, 0}, Features: 2, Classes: 3, MaxValue: 7}
	e, err := model.NewExam("tiny", ds)
	if err != nil {
		t.Fatal(err)
	}
	e.InputBits = m.InputBits
	spec := circuit.Spec{Kind: circuit.KindExam, Shape: m.Shape(), Exam: e}
	ccs, err := spec.Compile()
	if err != nil {
		t.Fatal(err)
	}
	pk, vk, err := circuit.SetupOneParty(ccs)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := circuit.WriteKeys(dir, spec, ccs.GetNbConstraints(), pk, vk, circuit.SetupOnePartyNote); err != nil {
		t.Fatal(err)
	}
	k, err := circuit.LoadKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	score, err := e.Score(m)
	if err != nil {
		t.Fatal(err)
	}
	var steps int
	pf, err := circuit.NewProofFile(k, m, circuit.ProofRequest{Claim: -1, Submitter: big.NewInt(7), Step: func(string, ...any) { steps++ }})
	if err != nil {
		t.Fatal(err)
	}
	if pf.Exam == nil || pf.Exam.Claim != score || pf.Exam.N != e.N() || steps == 0 {
		t.Fatalf("proof of the default claim: %+v after %d steps, want claim %d of %d", pf.Exam, steps, score, e.N())
	}
	if err := pf.VerifyWith(k); err != nil {
		t.Fatal(err)
	}
	var ce *circuit.ClaimError
	if _, err := circuit.NewProofFile(k, m, circuit.ProofRequest{Claim: score + 1}); !errors.As(err, &ce) || ce.Score != score {
		t.Errorf("claim above the score: %v, want a ClaimError with score %d", err, score)
	}
	if _, err := circuit.NewProofFile(k, m, circuit.ProofRequest{Input: []int64{1, 2}}); !errors.Is(err, circuit.ErrRequest) {
		t.Errorf("an input for exam keys: %v, want ErrRequest", err)
	}
	other := tinyModel(t)
	other.Layers[0].WeightBits++
	if _, err := circuit.NewProofFile(k, other, circuit.ProofRequest{Claim: -1}); !errors.Is(err, circuit.ErrShape) {
		t.Errorf("a model of another shape: %v, want ErrShape", err)
	}
}
