package personhood_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"emergence/app"
	"emergence/app/apptest"
	"emergence/bank"
	"emergence/personhood"
)

// finalize runs one block holding raw, timing FinalizeBlock only, and
// commits it; it returns the tx's result and the time.
func finalize(b *testing.B, c *apptest.Chain, raw []byte) (app.TxResult, time.Duration) {
	h := c.Height() + 1
	c.Time = c.Time.Add(time.Second)
	hash := sha256.Sum256([]byte(fmt.Sprintf("block %d", h)))
	var got app.BlockResult
	c.App.OnCommit = func(r app.BlockResult) { got = r }
	start := time.Now()
	_, err := c.App.FinalizeBlock(context.Background(), &abci.FinalizeBlockRequest{Txs: [][]byte{raw}, Height: h, Time: c.Time, Hash: hash[:]})
	took := time.Since(start)
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

// BenchmarkGasPersonhood runs enrol-batch and suspend-operator at their
// worst case on the production depth-30 tree (MaxEnrolBatch enrolments;
// a suspension that revokes MaxRevoke of them, each a full tree path)
// through the app and reports ns per gas unit (target ≤ 20, issue 17.1).
func BenchmarkGasPersonhood(b *testing.B) {
	var ns [2]time.Duration
	var gas [2]uint64
	for i := 0; i < b.N; i++ {
		g := personhood.Genesis{Params: personhood.Params{Governance: apptest.Addr("gov"), MinOperatorStake: 100 * emg, EpochBlocks: 1000},
			Operators: []personhood.OperatorGenesis{{Address: apptest.Addr("orb"), DeviceKey: hex.EncodeToString(device.Public().(ed25519.PublicKey)), Stake: 200 * emg}}}
		c := apptest.New(b, apptest.Genesis{Balances: map[string]uint64{"orb": 500 * emg, "gov": 10 * emg}, Modules: map[string]any{personhood.Name: g}},
			bank.New(), personhood.New(bank.New()))
		var m personhood.EnrolBatchMsg
		m.Operator = apptest.Addr("orb")
		for j := 0; j < personhood.MaxEnrolBatch; j++ {
			var e fr.Element
			e.SetUint64(uint64(1_000_000*i + j + 1))
			m.Commitments = append(m.Commitments, personhood.FieldString(e))
			m.Signatures = append(m.Signatures, hex.EncodeToString(ed25519.Sign(device, personhood.EnrolSignBytes(apptest.ChainID, e))))
		}
		r, took := finalize(b, c, c.SignWith("orb", 20_000_000, c.Msg(personhood.Name+"/enrol-batch", m)))
		ns[0] += took
		gas[0] += r.GasUsed
		r, took = finalize(b, c, c.SignWith("gov", 20_000_000, c.Msg(personhood.Name+"/suspend-operator", personhood.SuspendMsg{Operator: apptest.Addr("orb"), Reason: "bench"})))
		ns[1] += took
		gas[1] += r.GasUsed
	}
	for k, name := range []string{"enrol-batch", "suspend"} {
		b.ReportMetric(float64(ns[k].Nanoseconds())/float64(gas[k]), name+"-ns/gas")
	}
	b.ReportMetric(float64(gas[1])/float64(b.N), "suspend-gas/op")
}
