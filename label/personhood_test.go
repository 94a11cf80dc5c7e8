package label_test

import (
	"crypto/ed25519"
	"encoding/hex"
	"testing"

	"github.com/consensys/gnark/logger"

	"emergence/app/apptest"
	"emergence/label"
	"emergence/personhood"
	"emergence/personhood/claim"
	"emergence/personhood/identity"
	"emergence/tx"
)

// TestPersonhoodRequiredWithPersonhoodModule runs a job that requires
// personhood against the real personhood module, wired as the node wires
// it (apptest.Full): an operator enrols bob, bob proves personhood for the "label" app
// with a zero-knowledge claim, and only then may he take work; carol,
// never enrolled, is refused, and cannot reuse bob's proof.
func TestPersonhoodRequiredWithPersonhoodModule(t *testing.T) {
	logger.Disable()
	const depth = 10
	prover, verifier, err := claim.Setup(depth)
	if err != nil {
		t.Fatal(err)
	}
	vk, err := verifier.EncodeVerifyingKey()
	if err != nil {
		t.Fatal(err)
	}
	device := ed25519.NewKeyFromSeed(make([]byte, 32))
	g := personhood.Genesis{
		Params: personhood.Params{
			Governance: apptest.Addr("gov"), MinOperatorStake: 100_000_000, TreeDepth: depth,
			RootExpiryBlocks: 100, EpochBlocks: 100, PoolShareBps: 1000, MaxGrant: 1_000_000,
			VerifyingKey: hex.EncodeToString(vk),
		},
		Operators: []personhood.OperatorGenesis{{Address: apptest.Addr("orb"), DeviceKey: hex.EncodeToString(device.Public().(ed25519.PublicKey)), Stake: 200_000_000}},
	}
	c := apptest.Full(t, apptest.Genesis{
		Balances: map[string]uint64{"alice": 100_000_000, "bob": 10_000_000, "carol": 10_000_000, "orb": 500_000_000},
		Modules:  map[string]any{personhood.Name: g},
	})

	m := createMsg()
	m.RequirePersonhood = true
	c.MustOK(c.Deliver(c.Sign("alice", c.Msg("label/create-job", m)))[0])
	for _, n := range []string{"bob", "carol"} {
		c.MustOK(c.Deliver(c.Sign(n, c.Msg("label/stake", label.StakeMsg{Amount: stake})))[0])
	}
	// Nobody has proved personhood yet.
	c.MustFail(c.Deliver(c.Sign("bob", c.Msg("label/request", label.JobMsg{Job: 1})))[0], label.CodeNotHuman)

	// The operator enrols bob's identity; bob proves personhood for "label".
	bob, err := identity.New()
	if err != nil {
		t.Fatal(err)
	}
	sig := ed25519.Sign(device, personhood.EnrolSignBytes(apptest.ChainID, bob.Commitment()))
	c.MustOK(c.Deliver(c.Sign("orb", c.Msg(personhood.Name+"/enrol", personhood.EnrolMsg{
		Operator: apptest.Addr("orb"), Commitment: personhood.FieldString(bob.Commitment()), Signature: hex.EncodeToString(sig)})))[0])
	var path personhood.PathInfo
	if err := c.Query(personhood.Name+"/path", map[string][]string{"commitment": {personhood.FieldString(bob.Commitment())}}, &path); err != nil {
		t.Fatal(err)
	}
	proveHuman := func(account tx.Address) personhood.ProveHumanMsg {
		t.Helper()
		signal, _ := identity.Signal(account[:])
		w, err := personhood.Witness(bob, path, identity.AppExternalNullifier(label.PersonhoodApp), signal)
		if err != nil {
			t.Fatal(err)
		}
		proof, err := prover.Prove(&w)
		if err != nil {
			t.Fatal(err)
		}
		return personhood.ProveHumanMsg{App: label.PersonhoodApp, Root: path.Root, NullifierHash: personhood.FieldString(w.Public.NullifierHash), Proof: hex.EncodeToString(proof)}
	}
	bobProof := proveHuman(apptest.Addr("bob"))
	// carol cannot use bob's proof: it is bound to bob's account.
	c.MustFail(c.Deliver(c.Sign("carol", c.Msg(personhood.Name+"/prove-human", bobProof)))[0], personhood.CodeInvalidProof)
	c.MustOK(c.Deliver(c.Sign("bob", c.Msg(personhood.Name+"/prove-human", bobProof)))[0])

	c.MustOK(c.Deliver(c.Sign("bob", c.Msg("label/request", label.JobMsg{Job: 1})))[0])
	c.MustFail(c.Deliver(c.Sign("carol", c.Msg("label/request", label.JobMsg{Job: 1})))[0], label.CodeNotHuman)
}
