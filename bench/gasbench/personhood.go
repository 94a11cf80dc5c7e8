package gasbench

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"emergence/app/apptest"
	"emergence/bank"
	"emergence/personhood"
	"emergence/personhood/claim"
	"emergence/personhood/devkeys"
	"emergence/personhood/identity"
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

// lateClaim enrols one person, runs the chain into epoch 2 of 10-block
// epochs (emission filling the UBI pool) and returns their claim of epoch
// 1's grant with a depth-30 proof under the embedded dev keys: a late
// claim, which also adds the grant to the current epoch's pool outflow.
func lateClaim(c *apptest.Chain) []byte {
	var secret [identity.SecretSize]byte
	copy(secret[:], "emergence/gasbench/claimant")
	id := identity.FromSecret(secret)
	sig := ed25519.Sign(orbDevice, personhood.EnrolSignBytes(apptest.ChainID, id.Commitment()))
	deliverAll(c, [][]byte{c.Sign("orb", c.Msg(personhood.Name+"/enrol", personhood.EnrolMsg{Operator: apptest.Addr("orb"),
		Commitment: personhood.FieldString(id.Commitment()), Signature: hex.EncodeToString(sig)}))})
	for c.Height() < 2*claimEpochBlocks {
		c.NextBlocks(1)
	}
	var path personhood.PathInfo
	if err := c.Query(personhood.Name+"/path", map[string][]string{"commitment": {personhood.FieldString(id.Commitment())}}, &path); err != nil {
		fail("claim path: %v", err)
	}
	to := apptest.Addr("claimant")
	signal, err := identity.Signal(to[:])
	if err != nil {
		fail("claim signal: %v", err)
	}
	w, err := personhood.Witness(id, path, identity.EpochExternalNullifier(1), signal)
	if err != nil {
		fail("claim witness: %v", err)
	}
	prover, err := claim.NewProver(devkeys.Depth, devkeys.ProvingKey)
	if err != nil {
		fail("claim prover: %v", err)
	}
	proof, err := prover.Prove(&w)
	if err != nil {
		fail("claim proof: %v", err)
	}
	return c.SignWith("orb", 1_000_000, c.Msg(personhood.Name+"/claim", personhood.ClaimMsg{Epoch: 1, Root: path.Root,
		NullifierHash: personhood.FieldString(w.Public.NullifierHash), Recipient: to, Proof: hex.EncodeToString(proof)}))
}

// claimEpochBlocks is the epoch length of the claim case.
const claimEpochBlocks = 10

// personhoodCases cover enrol-batch at its largest on the production
// depth-30 tree, a suspension that revokes the most enrolments one message
// may, and a late UBI claim (its depth-30 Groth16 proof verified, the
// grant paid and recorded in two epoch records). prove-human, whose
// verification is the claim's, is not covered.
func personhoodCases(div int) []Case {
	size := max(1, personhood.MaxEnrolBatch/div)
	cg := personhoodGenesis()
	pg := cg.Modules[personhood.Name].(personhood.Genesis)
	pg.Params.EpochBlocks = claimEpochBlocks
	cg.Modules = map[string]any{personhood.Name: pg}
	cg.Emission = &bank.Emission{PerBlock: 10_000_000, UBI: 100}
	return []Case{
		{
			Kind: personhood.Name + "/claim", Shape: "a late claim, depth-30 proof", Genesis: cg,
			Prepare: func(c *apptest.Chain) [][]byte { return [][]byte{lateClaim(c)} },
		},
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
