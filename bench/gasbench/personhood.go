package gasbench

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"emergence/app/apptest"
	"emergence/personhood"
)

// orbDevice is the device key of the benchmark's one personhood operator.
var orbDevice = func() ed25519.PrivateKey {
	s := sha256.Sum256([]byte("emergence/gasbench/orb"))
	return ed25519.NewKeyFromSeed(s[:])
}()

func personhoodGenesis() apptest.Genesis {
	const emg = 1_000_000
	g := personhood.Genesis{
		Params:    personhood.Params{Governance: apptest.Addr("gov"), MinOperatorStake: 100 * emg, EpochBlocks: 1000},
		Operators: []personhood.OperatorGenesis{{Address: apptest.Addr("orb"), DeviceKey: hex.EncodeToString(orbDevice.Public().(ed25519.PublicKey)), Stake: 200 * emg}},
	}
	return apptest.Genesis{Balances: map[string]uint64{"orb": 500 * emg, "gov": 10 * emg}, Modules: map[string]any{personhood.Name: g}}
}

// enrolBatch is a full enrol-batch (MaxEnrolBatch enrolments signed by the
// orb's device), the k-th of a run.
func enrolBatch(c *apptest.Chain, k, size int) []byte {
	var m personhood.EnrolBatchMsg
	m.Operator = apptest.Addr("orb")
	for j := 0; j < size; j++ {
		var e fr.Element
		e.SetUint64(uint64(1_000_000*k + j + 1))
		m.Commitments = append(m.Commitments, personhood.FieldString(e))
		m.Signatures = append(m.Signatures, hex.EncodeToString(ed25519.Sign(orbDevice, personhood.EnrolSignBytes(apptest.ChainID, e))))
	}
	return c.SignWith("orb", 20_000_000, c.Msg(personhood.Name+"/enrol-batch", m))
}

// personhoodCases cover the messages without proofs: enrol-batch at its
// largest on the production depth-30 tree and a suspension that revokes
// the most enrolments one message may. (Claims carry zero-knowledge
// proofs; their gas is measured by personhood's own benchmarks.)
func personhoodCases(div int) []Case {
	size := max(1, personhood.MaxEnrolBatch/div)
	return []Case{
		{
			Kind: personhood.Name + "/enrol-batch", Shape: fmt.Sprintf("%d enrolments, depth-30 tree", size), Genesis: personhoodGenesis(),
			Prepare: func(c *apptest.Chain) [][]byte { return [][]byte{enrolBatch(c, 0, size)} },
		},
		{
			Kind: personhood.Name + "/suspend-operator", Shape: fmt.Sprintf("revokes %d enrolments", min(size, personhood.MaxRevoke)), Genesis: personhoodGenesis(),
			Prepare: func(c *apptest.Chain) [][]byte {
				deliverAll(c, [][]byte{enrolBatch(c, 0, size)})
				return [][]byte{c.SignWith("gov", 20_000_000, c.Msg(personhood.Name+"/suspend-operator", personhood.SuspendMsg{Operator: apptest.Addr("orb"), Reason: "bench"}))}
			},
		},
		{
			// The suspension revokes MaxRevoke; the measured revoke the next ones.
			Kind: personhood.Name + "/revoke", Shape: fmt.Sprintf("revokes %d more enrolments", min(size, personhood.MaxRevoke)), Genesis: personhoodGenesis(),
			Prepare: func(c *apptest.Chain) [][]byte {
				var batches [][]byte
				for k := 0; k*size < personhood.MaxRevoke+min(size, personhood.MaxRevoke); k++ {
					batches = append(batches, enrolBatch(c, k, size))
				}
				deliverAll(c, batches)
				deliverAll(c, [][]byte{c.SignWith("gov", 20_000_000, c.Msg(personhood.Name+"/suspend-operator", personhood.SuspendMsg{Operator: apptest.Addr("orb"), Reason: "bench"}))})
				return [][]byte{c.SignWith("gov", 20_000_000, c.Msg(personhood.Name+"/revoke", personhood.RevokeMsg{Operator: apptest.Addr("orb")}))}
			},
		},
	}
}
