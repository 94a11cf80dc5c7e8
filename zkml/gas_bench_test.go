package zkml_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math/big"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/logger"

	"emergence/app"
	"emergence/app/apptest"
	"emergence/bank"
	"emergence/zkml"
	"emergence/zkml/circuit"
	"emergence/zkml/model"
	"emergence/zkml/verifier"
)

// worstCircuit has the most a registered key may have: the module's four
// public inputs and the verifier's limit of four commitments, each of
// which adds to the work of a verification.
type worstCircuit struct {
	P [zkml.NumPublics]frontend.Variable `gnark:",public"`
	X [4]frontend.Variable
}

func (c *worstCircuit) Define(api frontend.API) error {
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

// timeTx runs one block holding raw through FinalizeBlock (timed, with the
// block's own work) and commits it untimed; it returns the tx's result and
// the time FinalizeBlock took.
func timeTx(b *testing.B, c *apptest.Chain, raw []byte) (app.TxResult, time.Duration) {
	h := c.Height() + 1
	c.Time = c.Time.Add(time.Second)
	hash := sha256.Sum256([]byte(fmt.Sprintf("block %d", h)))
	var got app.BlockResult
	c.App.OnCommit = func(r app.BlockResult) { got = r }
	b.StartTimer()
	start := time.Now()
	_, err := c.App.FinalizeBlock(context.Background(), &abci.FinalizeBlockRequest{Txs: [][]byte{raw}, Height: h, Time: c.Time, Hash: hash[:]})
	took := time.Since(start)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.App.Commit(context.Background(), &abci.CommitRequest{}); err != nil {
		b.Fatal(err)
	}
	c.App.OnCommit = nil
	if len(got.Txs) != 1 || got.Txs[0].Code != 0 {
		b.Fatalf("tx failed: %+v", got.Txs)
	}
	return got.Txs[0], took
}

// BenchmarkGasZKML runs register-exam and attest at their worst case (a
// key with four commitments; attest on a node whose key cache is cold)
// through the app and reports ns per gas unit (target ≤ 20, issue 17.1).
func BenchmarkGasZKML(b *testing.B) {
	logger.Disable()
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, &worstCircuit{})
	if err != nil {
		b.Fatal(err)
	}
	pk, vk, err := groth16.Setup(ccs)
	if err != nil {
		b.Fatal(err)
	}
	vkb, err := circuit.MarshalVK(vk)
	if err != nil {
		b.Fatal(err)
	}
	if k, err := verifier.DecodeVK(vkb); err != nil || len(k.CommitmentKeys) != 4 {
		b.Fatalf("worst-case key: %v", err)
	}
	const name = "worst"
	digest, shape := big.NewInt(7), big.NewInt(11)
	stmt, err := verifier.ExamStatement(digest, 4, shape, name)
	if err != nil {
		b.Fatal(err)
	}
	bob := apptest.Addr("bob")
	commitment := big.NewInt(5)
	// The circuit leaves its publics free, so one proof carries the
	// publics the chain passes for this attestation.
	w := &worstCircuit{P: [4]frontend.Variable{commitment, stmt, 3, new(big.Int).SetBytes(bob[:])}, X: [4]frontend.Variable{1, 2, 3, 4}}
	wit, err := frontend.NewWitness(w, ecc.BN254.ScalarField())
	if err != nil {
		b.Fatal(err)
	}
	p, err := groth16.Prove(ccs, pk, wit)
	if err != nil {
		b.Fatal(err)
	}
	proof, _ := circuit.MarshalProof(p)

	for _, kind := range []string{"register-exam", "attest"} {
		b.Run(kind, func(b *testing.B) {
			b.StopTimer()
			var ns time.Duration
			var gas uint64
			for i := 0; i < b.N; i++ {
				c := apptest.New(b, apptest.Genesis{Balances: map[string]uint64{"alice": 100_000_000, "bob": 100_000_000}}, bank.New(), zkml.New())
				reg := c.Sign("alice", c.Msg("zkml/register-exam", zkml.MsgRegisterExam{Name: name, ExamDigest: model.HexElement(digest), N: 4,
					ShapeDigest: model.HexElement(shape), VK: vkb}))
				if kind == "attest" {
					// Registration checks the key without caching it, so the
					// attestation decodes it again (a cold cache).
					c.MustOK(c.Deliver(reg)[0])
				}
				raw := reg
				if kind == "attest" {
					raw = c.Sign("bob", c.Msg("zkml/attest", zkml.MsgAttest{Exam: 1, Commitment: model.HexElement(commitment), Claim: 3, Proof: proof}))
				}
				r, took := timeTx(b, c, raw)
				ns += took
				gas += r.GasUsed
			}
			b.ReportMetric(float64(ns.Nanoseconds())/float64(gas), "ns/gas")
			b.ReportMetric(float64(gas)/float64(b.N), "gas/op")
		})
	}
}
