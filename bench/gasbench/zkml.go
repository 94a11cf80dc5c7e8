package gasbench

import (
	"math/big"
	"sync"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/logger"

	"emergence/app/apptest"
	"emergence/zkml"
	"emergence/zkml/circuit"
	"emergence/zkml/model"
	"emergence/zkml/verifier"
)

// worstZKCircuit has the most a registered key may have: the module's
// public inputs and the verifier's limit of four commitments, each of
// which adds to a verification's work.
type worstZKCircuit struct {
	P [zkml.NumPublics]frontend.Variable `gnark:",public"`
	X [4]frontend.Variable
}

func (c *worstZKCircuit) Define(api frontend.API) error {
	cm := api.(frontend.Committer)
	for i := range c.X {
		v, err := cm.Commit(c.X[i], c.P[i])
		if err != nil {
			return err
		}
		api.AssertIsDifferent(v, 0)
	}
	return nil
}

// zkFixture is the worst-case key and one proof for it, built once.
type zkFixture struct {
	vk, proof                 []byte
	digest, shape, commitment *big.Int
	name                      string
	claim                     uint64
}

var (
	zkOnce sync.Once
	zkFix  zkFixture
	zkErr  error
)

func zkmlFixture() zkFixture {
	zkOnce.Do(func() { zkFix, zkErr = buildZKFixture() })
	if zkErr != nil {
		fail("zkml fixture: %v", zkErr)
	}
	return zkFix
}

func buildZKFixture() (zkFixture, error) {
	logger.Disable()
	f := zkFixture{digest: big.NewInt(7), shape: big.NewInt(11), commitment: big.NewInt(5), name: "worst", claim: 3}
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, &worstZKCircuit{})
	if err != nil {
		return f, err
	}
	pk, vk, err := groth16.Setup(ccs)
	if err != nil {
		return f, err
	}
	if f.vk, err = circuit.MarshalVK(vk); err != nil {
		return f, err
	}
	stmt, err := verifier.ExamStatement(f.digest, 4, f.shape, f.name)
	if err != nil {
		return f, err
	}
	bob := apptest.Addr("bob")
	// The circuit leaves its publics free, so one proof carries the
	// publics the chain passes for this attestation.
	w := &worstZKCircuit{P: [4]frontend.Variable{f.commitment, stmt, f.claim, new(big.Int).SetBytes(bob[:])}, X: [4]frontend.Variable{1, 2, 3, 4}}
	wit, err := frontend.NewWitness(w, ecc.BN254.ScalarField())
	if err != nil {
		return f, err
	}
	p, err := groth16.Prove(ccs, pk, wit)
	if err != nil {
		return f, err
	}
	f.proof, err = circuit.MarshalProof(p)
	return f, err
}

func (f zkFixture) register(c *apptest.Chain) []byte {
	return c.SignWith("alice", 20_000_000, c.Msg("zkml/register-exam", zkml.MsgRegisterExam{Name: f.name, ExamDigest: model.HexElement(f.digest), N: 4,
		ShapeDigest: model.HexElement(f.shape), VK: f.vk}))
}

// zkmlCases: register-exam with a four-commitment key, and an attestation
// against it on a node whose key cache is cold (registration checks the
// key without caching it).
func zkmlCases(int) []Case {
	g := apptest.Genesis{Balances: map[string]uint64{"alice": 100_000_000, "bob": 100_000_000}}
	return []Case{
		{
			Kind: "zkml/register-exam", Shape: "a key with 4 commitments", Genesis: g,
			Prepare: func(c *apptest.Chain) [][]byte { return [][]byte{zkmlFixture().register(c)} },
		},
		{
			Kind: "zkml/attest", Shape: "a 4-commitment proof, key cache cold", Genesis: g,
			Prepare: func(c *apptest.Chain) [][]byte {
				f := zkmlFixture()
				deliverAll(c, [][]byte{f.register(c)})
				return [][]byte{c.SignWith("bob", 20_000_000, c.Msg("zkml/attest", zkml.MsgAttest{Exam: 1, Commitment: model.HexElement(f.commitment), Claim: f.claim, Proof: f.proof}))}
			},
		},
	}
}
