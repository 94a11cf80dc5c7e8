package claim

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/constraint"
	cs "github.com/consensys/gnark/constraint/bn254"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"

	"emergence/personhood/tree"
)

// PublicInputs are the four public values of a claim proof.
type PublicInputs struct {
	Root              fr.Element
	NullifierHash     fr.Element
	Signal            fr.Element
	ExternalNullifier fr.Element
}

func (p PublicInputs) vector() fr.Vector {
	return fr.Vector{p.Root, p.NullifierHash, p.Signal, p.ExternalNullifier}
}

// Witness is everything the prover needs.
type Witness struct {
	IdentityNullifier fr.Element
	IdentityTrapdoor  fr.Element
	Path              tree.Proof
	Public            PublicInputs
}

// Compile builds the constraint system of a depth-level circuit.
func Compile(depth int) (constraint.ConstraintSystem, error) {
	if depth < 1 || depth > tree.MaxDepth {
		return nil, fmt.Errorf("claim depth %d outside 1..%d", depth, tree.MaxDepth)
	}
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, NewCircuit(depth))
	if err != nil {
		return nil, fmt.Errorf("compile claim circuit: %w", err)
	}
	return ccs, nil
}

// Prover holds a compiled circuit and its proving key.
type Prover struct {
	depth int
	ccs   *cs.R1CS
	pk    *groth16bn254.ProvingKey
}

// Setup compiles the depth-level circuit and runs a Groth16 setup with fresh
// randomness. Whoever runs it knows the toxic waste and could forge proofs:
// a devnet does it at genesis; a public network needs a multi-party ceremony
// (gnark's backend/groth16/bn254/mpcsetup) with the same circuit.
//
//determinism:ok offline key generation (emergence id setup); validators load a verifying key from genesis
func Setup(depth int) (*Prover, *Verifier, error) {
	ccs, err := Compile(depth)
	if err != nil {
		return nil, nil, err
	}
	pk, vk, err := groth16.Setup(ccs)
	if err != nil {
		return nil, nil, fmt.Errorf("groth16 setup: %w", err)
	}
	return &Prover{depth: depth, ccs: ccs.(*cs.R1CS), pk: pk.(*groth16bn254.ProvingKey)},
		&Verifier{vk: vk.(*groth16bn254.VerifyingKey)}, nil
}

// NewProver compiles the circuit and loads a proving key written by
// Prover.WriteKey. The key is trusted (it comes from the operator's own
// files), so it is read without subgroup checks for speed.
func NewProver(depth int, key []byte) (*Prover, error) {
	ccs, err := Compile(depth)
	if err != nil {
		return nil, err
	}
	pk := new(groth16bn254.ProvingKey)
	if err := guard(func() error {
		_, err := pk.UnsafeReadFrom(bytes.NewReader(key))
		return err
	}); err != nil {
		return nil, fmt.Errorf("read proving key: %w", err)
	}
	return &Prover{depth: depth, ccs: ccs.(*cs.R1CS), pk: pk}, nil
}

// WriteKey returns the proving key bytes.
func (p *Prover) WriteKey() ([]byte, error) {
	var buf bytes.Buffer
	if _, err := p.pk.WriteRawTo(&buf); err != nil {
		return nil, fmt.Errorf("write proving key: %w", err)
	}
	return buf.Bytes(), nil
}

// Depth returns the tree depth the prover was built for.
func (p *Prover) Depth() int { return p.depth }

// Constraints returns the number of R1CS constraints.
func (p *Prover) Constraints() int { return p.ccs.GetNbConstraints() }

// ErrWitness is returned by Prove when the witness does not satisfy the
// circuit (wrong path, root or nullifier hash).
var ErrWitness = errors.New("witness does not satisfy the claim circuit")

// Prove returns the encoded proof (ProofSize bytes) of w.
func (p *Prover) Prove(w *Witness) ([]byte, error) {
	if len(w.Path.Siblings) != p.depth {
		return nil, fmt.Errorf("path of %d levels for a depth-%d circuit: %w", len(w.Path.Siblings), p.depth, ErrWitness)
	}
	c := NewCircuit(p.depth)
	c.Root, c.NullifierHash, c.SignalHash, c.ExternalNullifier = w.Public.Root, w.Public.NullifierHash, w.Public.Signal, w.Public.ExternalNullifier
	c.IdentityNullifier, c.IdentityTrapdoor = w.IdentityNullifier, w.IdentityTrapdoor
	for i := 0; i < p.depth; i++ {
		c.PathIndices[i] = (w.Path.Index >> uint(i)) & 1
		c.Siblings[i] = w.Path.Siblings[i]
	}
	full, err := frontend.NewWitness(c, ecc.BN254.ScalarField())
	if err != nil {
		return nil, fmt.Errorf("build witness: %w", err)
	}
	proof, err := groth16bn254.Prove(p.ccs, p.pk, full)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrWitness, err)
	}
	return EncodeProof(proof), nil
}
