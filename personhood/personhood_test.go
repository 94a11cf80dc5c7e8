package personhood_test

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/consensys/gnark/logger"

	"emergence/app"
	"emergence/app/apptest"
	"emergence/bank"
	"emergence/personhood"
	"emergence/personhood/claim"
	"emergence/personhood/identity"
	"emergence/tx"
)

const depth = 10

var (
	keysOnce sync.Once
	prover   *claim.Prover
	vkHex    string
	keysErr  error
)

func testKeys(t *testing.T) (*claim.Prover, string) {
	t.Helper()
	keysOnce.Do(func() {
		logger.Disable()
		var v *claim.Verifier
		prover, v, keysErr = claim.Setup(depth)
		if keysErr == nil {
			var b []byte
			b, keysErr = v.EncodeVerifyingKey()
			vkHex = hex.EncodeToString(b)
		}
	})
	if keysErr != nil {
		t.Fatal(keysErr)
	}
	return prover, vkHex
}

var device = ed25519.NewKeyFromSeed(make([]byte, 32)) // the orb's device key

const emg = 1_000_000

type env struct {
	t *testing.T
	c *apptest.Chain
	p *claim.Prover
}

func newEnv(t *testing.T) *env {
	p, vk := testKeys(t)
	g := personhood.Genesis{
		Params: personhood.Params{
			Governance:       apptest.Addr("gov"),
			MinOperatorStake: 100 * emg,
			TreeDepth:        depth,
			RootExpiryBlocks: 3,
			EpochBlocks:      10,
			PoolShareBps:     1000,
			MaxGrant:         2 * emg,
			VerifyingKey:     vk,
		},
		Operators: []personhood.OperatorGenesis{{Address: apptest.Addr("orb"), DeviceKey: hex.EncodeToString(device.Public().(ed25519.PublicKey)), Stake: 200 * emg}},
	}
	c := apptest.New(t, apptest.Genesis{
		Balances: map[string]uint64{"orb": 500 * emg, "orb2": 500 * emg, "gov": 10 * emg, "alice": 10 * emg, "w1": emg, "w2": emg},
		Modules:  map[string]any{personhood.Name: g},
		Emission: &bank.Emission{PerBlock: 10 * emg, UBI: 100},
	}, bank.New(), personhood.New(bank.New()))
	return &env{t: t, c: c, p: p}
}

func (e *env) enrolMsg(op string, key ed25519.PrivateKey, id *identity.Identity) tx.Msg {
	sig := ed25519.Sign(key, personhood.EnrolSignBytes(apptest.ChainID, id.Commitment()))
	return e.c.Msg(personhood.Name+"/enrol", personhood.EnrolMsg{Operator: apptest.Addr(op), Commitment: personhood.FieldString(id.Commitment()), Signature: hex.EncodeToString(sig)})
}

func (e *env) enrol(id *identity.Identity) {
	e.t.Helper()
	e.c.MustOK(e.c.Deliver(e.c.Sign("orb", e.enrolMsg("orb", device, id)))[0])
}

func (e *env) path(id *identity.Identity) personhood.PathInfo {
	e.t.Helper()
	var p personhood.PathInfo
	if err := e.c.Query(personhood.Name+"/path", map[string][]string{"commitment": {personhood.FieldString(id.Commitment())}}, &p); err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *env) claimMsg(id *identity.Identity, epoch uint64, to tx.Address, path personhood.PathInfo) personhood.ClaimMsg {
	e.t.Helper()
	sig, _ := identity.Signal(to[:])
	w, err := personhood.Witness(id, path, identity.EpochExternalNullifier(epoch), sig)
	if err != nil {
		e.t.Fatal(err)
	}
	proof, err := e.p.Prove(&w)
	if err != nil {
		e.t.Fatal(err)
	}
	return personhood.ClaimMsg{Epoch: epoch, Root: path.Root, NullifierHash: personhood.FieldString(w.Public.NullifierHash), Recipient: to, Proof: hex.EncodeToString(proof)}
}

func (e *env) balance(name string) uint64 {
	var a bank.Account
	if err := e.c.Query("bank/balance/"+apptest.Addr(name).String(), nil, &a); err != nil {
		e.t.Fatal(err)
	}
	return a.Balance
}

func (e *env) pool() personhood.PoolInfo {
	var p personhood.PoolInfo
	if err := e.c.Query(personhood.Name+"/pool", nil, &p); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// untilEpoch advances blocks until the chain is in epoch n.
func (e *env) untilEpoch(n uint64) {
	for uint64(e.c.Height())/10 < n {
		e.c.NextBlocks(1)
	}
}

func TestEnrolClaimAndRefusals(t *testing.T) {
	e := newEnv(t)
	alice, _ := identity.New()
	e.enrol(alice)

	// Duplicate, bad signature, unknown operator, zero commitment.
	res := e.c.Deliver(e.c.Sign("orb", e.enrolMsg("orb", device, alice)))
	e.c.MustFail(res[0], personhood.CodeDuplicateIdentity)
	other, _ := identity.New()
	wrongKey := ed25519.NewKeyFromSeed([]byte("0123456789abcdef0123456789abcdef"))
	e.c.MustFail(e.c.Deliver(e.c.Sign("orb", e.enrolMsg("orb", wrongKey, other)))[0], personhood.CodeBadEnrolSignature)
	e.c.MustFail(e.c.Deliver(e.c.Sign("alice", e.enrolMsg("alice", device, other)))[0], personhood.CodeUnknownOperator)
	zero := e.c.Msg(personhood.Name+"/enrol", personhood.EnrolMsg{Operator: apptest.Addr("orb"), Commitment: "0", Signature: ""})
	e.c.MustFail(e.c.Deliver(e.c.Sign("orb", zero))[0], personhood.CodeInvalidField)

	// Epoch 1 opens with a grant from the UBI pool.
	e.untilEpoch(1)
	pool := e.pool()
	if pool.Epoch == nil || pool.Epoch.Number != 1 || pool.Epoch.Grant == 0 || pool.Epoch.Members != 1 {
		t.Fatalf("epoch 1 not open with a grant: %+v", pool)
	}
	grant := pool.Epoch.Grant

	// Claim to a fresh address with no balance: the grant pays the fee.
	fresh := apptest.Addr("fresh")
	path := e.path(alice)
	cm := e.claimMsg(alice, 1, fresh, path)
	raw := e.c.Sign("fresh", e.c.Msg(personhood.Name+"/claim", cm))
	fee := e.c.App.Params().MinFee(1_000_000)
	e.c.MustOK(e.c.Deliver(raw)[0])
	if got := e.balance("fresh"); got != grant-fee {
		t.Fatalf("fresh balance %d, want grant %d - fee %d", got, grant, fee)
	}
	var ci personhood.ClaimInfo
	if err := e.c.Query(personhood.Name+"/claim/1/"+cm.NullifierHash, nil, &ci); err != nil || !ci.Claimed || *ci.Recipient != fresh {
		t.Fatalf("claim query %+v, %v", ci, err)
	}

	// A second claim in the same epoch, even to another address, is refused.
	again := e.claimMsg(alice, 1, apptest.Addr("alice"), path)
	e.c.MustFail(e.c.Deliver(e.c.Sign("alice", e.c.Msg(personhood.Name+"/claim", again)))[0], personhood.CodeAlreadyClaimed)
	if got := e.balance("fresh"); got != grant-fee {
		t.Fatalf("paid twice: fresh balance %d", got)
	}
	var ep personhood.Epoch
	if err := e.c.Query(personhood.Name+"/epoch/1", nil, &ep); err != nil || ep.Claims != 1 || ep.Paid != grant {
		t.Fatalf("epoch record %+v, %v", ep, err)
	}
}

func TestClaimBadInputs(t *testing.T) {
	e := newEnv(t)
	bob, _ := identity.New()
	e.enrol(bob)
	e.untilEpoch(1)
	path := e.path(bob)
	send := func(m personhood.ClaimMsg) app.TxResult {
		return e.c.Deliver(e.c.Sign("alice", e.c.Msg(personhood.Name+"/claim", m)))[0]
	}

	// Proof bound to one recipient, submitted for another.
	m := e.claimMsg(bob, 1, apptest.Addr("w1"), path)
	redirected := m
	redirected.Recipient = apptest.Addr("alice")
	e.c.MustFail(send(redirected), personhood.CodeInvalidProof)

	// Proof for epoch 1 presented as epoch 0 (still in the window).
	wrongEpoch := m
	wrongEpoch.Epoch = 0
	e.c.MustFail(send(wrongEpoch), personhood.CodeInvalidProof)

	// Future epoch.
	future := m
	future.Epoch = 5
	e.c.MustFail(send(future), personhood.CodeEpochClosed)

	// Unknown root.
	unknown := m
	unknown.Root = "12345"
	e.c.MustFail(send(unknown), personhood.CodeUnknownRoot)

	// Malformed proofs: wrong length, not hex, garbage points.
	for _, p := range []string{"00", "zz", hex.EncodeToString(make([]byte, claim.ProofSize-1))} {
		bad := m
		bad.Proof = p
		e.c.MustFail(send(bad), personhood.CodeMalformedProof)
	}
	garbage := m
	garbage.Proof = hex.EncodeToString(append([]byte{0x12}, make([]byte, claim.ProofSize-1)...))
	if r := send(garbage); r.Code == 0 {
		t.Fatal("garbage proof accepted")
	}

	// Invalid field element in the nullifier hash.
	badNH := m
	badNH.NullifierHash = "-1"
	e.c.MustFail(send(badNH), personhood.CodeInvalidField)

	// Expired root: enrol others so the root moves, wait past the expiry.
	for i := 0; i < 2; i++ {
		id, _ := identity.New()
		e.enrol(id)
	}
	e.c.NextBlocks(4)
	e.c.MustFail(send(m), personhood.CodeExpiredRoot)

	// The same person with a fresh path against the latest root succeeds.
	ok := e.claimMsg(bob, e.pool().CurrentEpoch, apptest.Addr("w1"), e.path(bob))
	before := e.balance("w1")
	e.c.MustOK(send(ok))
	if e.balance("w1") <= before {
		t.Fatal("valid claim paid nothing")
	}

	// CheckTx refuses invalid proofs before the mempool.
	if r := e.c.Check(e.c.Sign("alice", e.c.Msg(personhood.Name+"/claim", redirected))); r.Code == 0 {
		t.Fatal("CheckTx accepted a redirected proof")
	}
	e.c.ResyncNonce("alice")
}

func TestOperatorsGovernance(t *testing.T) {
	e := newEnv(t)
	key2 := ed25519.NewKeyFromSeed([]byte("orb2 device key seed 32 bytes!!!"))
	reg := func(stake uint64) tx.Msg {
		return e.c.Msg(personhood.Name+"/register-operator", personhood.RegisterMsg{DeviceKey: hex.EncodeToString(key2.Public().(ed25519.PublicKey)), Stake: stake})
	}
	e.c.MustFail(e.c.Deliver(e.c.Sign("orb2", reg(10*emg)))[0], personhood.CodeStakeTooLow)
	bad := e.c.Msg(personhood.Name+"/register-operator", personhood.RegisterMsg{DeviceKey: "abcd", Stake: 100 * emg})
	e.c.MustFail(e.c.Deliver(e.c.Sign("orb2", bad))[0], personhood.CodeInvalidDeviceKey)
	e.c.MustOK(e.c.Deliver(e.c.Sign("orb2", reg(150*emg)))[0])
	e.c.MustFail(e.c.Deliver(e.c.Sign("orb2", reg(150*emg)))[0], personhood.CodeOperatorExists)

	p1, _ := identity.New()
	e.c.MustOK(e.c.Deliver(e.c.Sign("orb2", e.enrolMsg("orb2", key2, p1)))[0])
	honest, _ := identity.New()
	e.enrol(honest) // by orb, which stays in good standing
	e.untilEpoch(1)
	if ep := e.pool().Epoch; ep == nil || ep.Members != 2 {
		t.Fatalf("epoch 1 before the suspension: %+v", ep)
	}
	// p1 readies a claim against the current root before the suspension.
	early := e.claimMsg(p1, 1, apptest.Addr("w1"), e.path(p1))
	honestEarly := e.claimMsg(honest, 1, apptest.Addr("w2"), e.path(honest))

	suspend := e.c.Msg(personhood.Name+"/suspend-operator", personhood.SuspendMsg{Operator: apptest.Addr("orb2"), Slash: 50 * emg, Reason: "fake enrolments"})
	e.c.MustFail(e.c.Deliver(e.c.Sign("alice", suspend))[0], personhood.CodeNotGovernance)
	tooMuch := e.c.Msg(personhood.Name+"/suspend-operator", personhood.SuspendMsg{Operator: apptest.Addr("orb2"), Slash: 151 * emg})
	e.c.MustFail(e.c.Deliver(e.c.Sign("gov", tooMuch))[0], personhood.CodeInvalidSlash)
	revoke := e.c.Msg(personhood.Name+"/revoke", personhood.RevokeMsg{Operator: apptest.Addr("orb2")})
	e.c.MustFail(e.c.Deliver(e.c.Sign("gov", revoke))[0], personhood.CodeNothingToRevoke) // not suspended yet
	var before bank.SupplyInfo
	_ = e.c.Query("bank/supply", nil, &before)
	res := e.c.Deliver(e.c.Sign("gov", suspend))[0]
	e.c.MustOK(res)
	if res.GasUsed < personhood.GasRevokeEach {
		t.Fatalf("suspension that revoked one enrolment used %d gas", res.GasUsed)
	}
	e.c.MustFail(e.c.Deliver(e.c.Sign("gov", suspend))[0], personhood.CodeAlreadySuspended)
	e.c.MustFail(e.c.Deliver(e.c.Sign("gov", revoke))[0], personhood.CodeNothingToRevoke) // all revoked
	e.c.MustFail(e.c.Deliver(e.c.Sign("alice", revoke))[0], personhood.CodeNotGovernance)

	var op personhood.Operator
	if err := e.c.Query(personhood.Name+"/operator/"+apptest.Addr("orb2").String(), nil, &op); err != nil {
		t.Fatal(err)
	}
	if !op.Suspended || op.Stake != 100*emg || op.Slashed != 50*emg || op.Enrolled != 1 || op.Revoked != 1 {
		t.Fatalf("operator after suspension %+v", op)
	}
	p2, _ := identity.New()
	e.c.MustFail(e.c.Deliver(e.c.Sign("orb2", e.enrolMsg("orb2", key2, p2)))[0], personhood.CodeOperatorSuspended)
	var list []personhood.Enrolment
	if err := e.c.Query(personhood.Name+"/enrolments", nil, &list); err != nil || len(list) != 2 || list[0].Operator != apptest.Addr("orb2") || !list[0].Revoked || list[1].Revoked {
		t.Fatalf("enrolments after the suspension: %+v %v", list, err)
	}

	// The suspended operator's enrolment no longer claims UBI: its proof
	// against the earlier root is refused at once (no expiry window), and
	// there is no path to the current root. Other people prove again.
	e.c.MustFail(e.c.Deliver(e.c.Sign("alice", e.c.Msg(personhood.Name+"/claim", early)))[0], personhood.CodeExpiredRoot)
	e.c.MustFail(e.c.Deliver(e.c.Sign("alice", e.c.Msg(personhood.Name+"/claim", honestEarly)))[0], personhood.CodeExpiredRoot)
	var pi personhood.PathInfo
	if err := e.c.Query(personhood.Name+"/path", map[string][]string{"commitment": {personhood.FieldString(p1.Commitment())}}, &pi); err == nil {
		t.Fatalf("path of a revoked identity: %+v", pi)
	}
	e.c.MustOK(e.c.Deliver(e.c.Sign("alice", e.c.Msg(personhood.Name+"/claim", e.claimMsg(honest, 1, apptest.Addr("w2"), e.path(honest)))))[0])
	// A revoked identity cannot be enrolled again, even by a good operator.
	e.c.MustFail(e.c.Deliver(e.c.Sign("orb", e.enrolMsg("orb", device, p1)))[0], personhood.CodeDuplicateIdentity)
	// Revoked people no longer count when the next epoch fixes its grant.
	e.untilEpoch(2)
	if ep := e.pool().Epoch; ep == nil || ep.Members != 1 {
		t.Fatalf("epoch 2 after the suspension: %+v", ep)
	}
}

// TestQueryPages: operators and epochs come in pages of ?limit=N that
// continue ?after= the previous page's last item.
func TestQueryPages(t *testing.T) {
	e := newEnv(t)
	key2 := ed25519.NewKeyFromSeed([]byte("orb2 device key seed 32 bytes!!!"))
	e.c.MustOK(e.c.Deliver(e.c.Sign("orb2", e.c.Msg(personhood.Name+"/register-operator",
		personhood.RegisterMsg{DeviceKey: hex.EncodeToString(key2.Public().(ed25519.PublicKey)), Stake: 100 * emg})))[0])
	var all, page []personhood.Operator
	if err := e.c.Query(personhood.Name+"/operators", nil, &all); err != nil || len(all) != 2 {
		t.Fatalf("operators: %v %+v", err, all)
	}
	if err := e.c.Query(personhood.Name+"/operators", map[string][]string{"limit": {"1"}}, &page); err != nil || len(page) != 1 || page[0].Address != all[0].Address {
		t.Fatalf("operators page 1: %v %+v", err, page)
	}
	if err := e.c.Query(personhood.Name+"/operators", map[string][]string{"limit": {"1"}, "after": {page[0].Address.String()}}, &page); err != nil || len(page) != 1 || page[0].Address != all[1].Address {
		t.Fatalf("operators page 2: %v %+v", err, page)
	}
	e.untilEpoch(3)
	var eps []personhood.Epoch
	if err := e.c.Query(personhood.Name+"/epochs", map[string][]string{"limit": {"2"}, "after": {"0"}}, &eps); err != nil || len(eps) != 2 || eps[0].Number != 1 || eps[1].Number != 2 {
		t.Fatalf("epochs page: %v %+v", err, eps)
	}
	for _, bad := range []map[string][]string{{"limit": {"0"}}, {"limit": {"5000"}}, {"after": {"x"}}} {
		if err := e.c.Query(personhood.Name+"/epochs", bad, &eps); err == nil {
			t.Fatalf("epochs?%v accepted", bad)
		}
	}
}

func TestProveHumanOneAccountPerPerson(t *testing.T) {
	e := newEnv(t)
	carol, _ := identity.New()
	e.enrol(carol)
	path := e.path(carol)
	prove := func(account string) personhood.ProveHumanMsg {
		a := apptest.Addr(account)
		sig, _ := identity.Signal(a[:])
		w, err := personhood.Witness(carol, path, identity.AppExternalNullifier("label"), sig)
		if err != nil {
			t.Fatal(err)
		}
		proof, err := e.p.Prove(&w)
		if err != nil {
			t.Fatal(err)
		}
		return personhood.ProveHumanMsg{App: "label", Root: path.Root, NullifierHash: personhood.FieldString(w.Public.NullifierHash), Proof: hex.EncodeToString(proof)}
	}
	m1 := prove("w1")
	e.c.MustOK(e.c.Deliver(e.c.Sign("w1", e.c.Msg(personhood.Name+"/prove-human", m1)))[0])
	var h personhood.HumanInfo
	if err := e.c.Query(personhood.Name+"/human/label/"+apptest.Addr("w1").String(), nil, &h); err != nil || !h.Human {
		t.Fatalf("w1 not human: %+v %v", h, err)
	}
	// The same person cannot bind a second account in the same app.
	m2 := prove("w2")
	e.c.MustFail(e.c.Deliver(e.c.Sign("w2", e.c.Msg(personhood.Name+"/prove-human", m2)))[0], personhood.CodeHumanAlreadyBound)
	// w2 cannot reuse w1's proof either (the signal binds the account).
	e.c.MustFail(e.c.Deliver(e.c.Sign("w2", e.c.Msg(personhood.Name+"/prove-human", m1)))[0], personhood.CodeHumanAlreadyBound)
	// The app nullifier differs from every UBI nullifier of the same person.
	if identity.AppExternalNullifier("label") == identity.EpochExternalNullifier(0) {
		t.Fatal("app and epoch external nullifiers collide")
	}
	bad := m1
	bad.App = "Bad App"
	e.c.MustFail(e.c.Deliver(e.c.Sign("w1", e.c.Msg(personhood.Name+"/prove-human", bad)))[0], personhood.CodeInvalidApp)
}

func TestGrantRuleCapsAndBudget(t *testing.T) {
	e := newEnv(t)
	var ids []*identity.Identity
	for i := 0; i < 3; i++ {
		id, _ := identity.New()
		e.enrol(id)
		ids = append(ids, id)
	}
	e.untilEpoch(1)
	// Budget = 10% of the pool when the epoch opened; grant = min(2 EMG, budget/members).
	var ep personhood.Epoch
	if err := e.c.Query(personhood.Name+"/epoch/1", nil, &ep); err != nil {
		t.Fatal(err)
	}
	// Emission put 10 EMG per block into the pool for the 9 blocks of epoch 0.
	if ep.Budget != 9*10*emg/10 {
		t.Fatalf("budget %d, want 10%% of 90 EMG", ep.Budget)
	}
	if want := min(2*emg, ep.Budget/3); ep.Grant != want || ep.Members != 3 {
		t.Fatalf("epoch 1 %+v, want grant %d", ep, want)
	}
	// People enrolled after the epoch opened can claim too, but only while
	// the budget lasts: 9 EMG budget, 2 EMG grants, 5 claimants.
	for i := 0; i < 2; i++ {
		id, _ := identity.New()
		e.enrol(id)
		ids = append(ids, id)
	}
	paid := 0
	for i, id := range ids {
		m := e.claimMsg(id, 1, apptest.Addr("alice"), e.path(id))
		r := e.c.Deliver(e.c.Sign("alice", e.c.Msg(personhood.Name+"/claim", m)))[0]
		if i < 4 {
			e.c.MustOK(r)
			paid++
		} else {
			e.c.MustFail(r, personhood.CodeGrantExhausted)
		}
	}
	if err := e.c.Query(personhood.Name+"/epoch/1", nil, &ep); err != nil || ep.Paid != uint64(paid)*ep.Grant || ep.Paid > ep.Budget {
		t.Fatalf("epoch after claims %+v (%v)", ep, err)
	}
}

// TestExampleGenesisSection loads testdata/personhood/genesis-section.json
// (the README's example) through InitGenesis.
func TestExampleGenesisSection(t *testing.T) {
	raw, err := os.ReadFile("../testdata/personhood/genesis-section.json")
	if err != nil {
		t.Fatal(err)
	}
	var g personhood.Genesis
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	if g.Operators[0].Address != apptest.Addr("alice") {
		t.Fatalf("example operator %s is not the test key alice %s", g.Operators[0].Address, apptest.Addr("alice"))
	}
	c := apptest.New(t, apptest.Genesis{
		Balances: map[string]uint64{"alice": 1000 * emg},
		Modules:  map[string]any{personhood.Name: json.RawMessage(raw)},
	}, bank.New(), personhood.New(bank.New()))
	var p personhood.Params
	if err := c.Query(personhood.Name+"/params", nil, &p); err != nil {
		t.Fatal(err)
	}
	if p.Governance != apptest.Addr("alice") || p.VerifyingKey == "" || p.TreeDepth != 30 {
		t.Fatalf("params %+v", p)
	}
	var op personhood.Operator
	if err := c.Query(personhood.Name+"/operator/"+apptest.Addr("alice").String(), nil, &op); err != nil || op.Stake != 100*emg {
		t.Fatalf("genesis operator %+v %v", op, err)
	}
}

func TestEnrolBatch(t *testing.T) {
	e := newEnv(t)
	var ids []*identity.Identity
	batch := func(n int, sign func(i int, c string) string) personhood.EnrolBatchMsg {
		var m personhood.EnrolBatchMsg
		m.Operator = apptest.Addr("orb")
		for i := 0; i < n; i++ {
			id, _ := identity.New()
			ids = append(ids, id)
			c := personhood.FieldString(id.Commitment())
			m.Commitments = append(m.Commitments, c)
			m.Signatures = append(m.Signatures, sign(i, c))
		}
		return m
	}
	good := func(i int, c string) string {
		f, _ := personhood.ParseField(c)
		return hex.EncodeToString(ed25519.Sign(device, personhood.EnrolSignBytes(apptest.ChainID, f)))
	}
	send := func(m personhood.EnrolBatchMsg) app.TxResult {
		return e.c.Deliver(e.c.Sign("orb", e.c.Msg(personhood.Name+"/enrol-batch", m)))[0]
	}
	ok := batch(5, good)
	e.c.MustOK(send(ok))
	var info personhood.TreeInfo
	if err := e.c.Query(personhood.Name+"/tree", nil, &info); err != nil || info.Size != 5 {
		t.Fatalf("tree after batch %+v %v", info, err)
	}
	// One bad signature refuses the whole batch.
	bad := batch(3, func(i int, c string) string {
		if i == 1 {
			return hex.EncodeToString(make([]byte, 64))
		}
		return good(i, c)
	})
	e.c.MustFail(send(bad), personhood.CodeBadEnrolSignature)
	// A commitment already enrolled refuses the whole batch.
	dup := batch(2, good)
	dup.Commitments[1], dup.Signatures[1] = ok.Commitments[0], ok.Signatures[0]
	e.c.MustFail(send(dup), personhood.CodeDuplicateIdentity)
	e.c.MustFail(send(personhood.EnrolBatchMsg{Operator: apptest.Addr("orb")}), app.CodeInvalidMsg)
	if err := e.c.Query(personhood.Name+"/tree", nil, &info); err != nil || info.Size != 5 {
		t.Fatalf("refused batches changed the tree: %+v %v", info, err)
	}
	var op personhood.Operator
	if err := e.c.Query(personhood.Name+"/operator/"+apptest.Addr("orb").String(), nil, &op); err != nil || op.Enrolled != 5 {
		t.Fatalf("operator %+v %v", op, err)
	}
	// A batch-enrolled identity proves membership like any other.
	p := e.path(ids[3])
	if p.Index != 3 {
		t.Fatalf("path index %d, want 3", p.Index)
	}
	e.untilEpoch(1)
	e.c.MustOK(e.c.Deliver(e.c.Sign("alice", e.c.Msg(personhood.Name+"/claim", e.claimMsg(ids[3], 1, apptest.Addr("w1"), p))))[0])
}

// TestClaimWindow: an epoch's grant can be claimed during that epoch and the
// next one, not later; a zero recipient is refused.
func TestClaimWindow(t *testing.T) {
	e := newEnv(t)
	dan, _ := identity.New()
	e.enrol(dan)
	e.untilEpoch(2)
	send := func(m personhood.ClaimMsg) app.TxResult {
		return e.c.Deliver(e.c.Sign("alice", e.c.Msg(personhood.Name+"/claim", m)))[0]
	}
	zero := e.claimMsg(dan, 2, tx.Address{}, e.path(dan))
	e.c.MustFail(send(zero), personhood.CodeInvalidRecipient)
	e.c.MustFail(send(e.claimMsg(dan, 0, apptest.Addr("w1"), e.path(dan))), personhood.CodeEpochClosed)
	e.c.MustOK(send(e.claimMsg(dan, 1, apptest.Addr("w1"), e.path(dan))))
	e.c.MustOK(send(e.claimMsg(dan, 2, apptest.Addr("w1"), e.path(dan))))
	var eps []personhood.Epoch
	if err := e.c.Query(personhood.Name+"/epochs", nil, &eps); err != nil || len(eps) != 3 || eps[1].Claims != 1 || eps[2].Claims != 1 {
		t.Fatalf("epochs %+v %v", eps, err)
	}
}

// TestPoolHistory: each epoch records the UBI pool's balance when it opened
// and, once the next opens, the balance then, the emission that flowed in
// and the grants paid out while it was current (a late claim counts in the
// epoch it was paid in), checked against the pool's balance read block by
// block and the emission rate (10 EMG a block, all of it to the pool).
func TestPoolHistory(t *testing.T) {
	e := newEnv(t)
	dan, _ := identity.New()
	e.enrol(dan)
	until := func(h int64) {
		for e.c.Height() < h {
			e.c.NextBlocks(1)
		}
	}
	epoch := func(n uint64) personhood.Epoch {
		t.Helper()
		var ep personhood.Epoch
		if err := e.c.Query(fmt.Sprintf("%s/epoch/%d", personhood.Name, n), nil, &ep); err != nil {
			t.Fatal(err)
		}
		return ep
	}
	const perEpoch = 10 * 10 * emg // 10 blocks of 10 EMG
	until(19)
	end1 := e.pool().Pool
	until(20)
	if ep := epoch(1); !ep.Closed || ep.PoolEnd != end1 || ep.Inflow != perEpoch || ep.PaidOut != 0 || ep.Pool+perEpoch != end1 {
		t.Fatalf("epoch 1 closed as %+v, pool read %d at its last block", ep, end1)
	}
	if ep := epoch(2); ep.Closed || ep.Pool != end1 || ep.PaidOut != 0 {
		t.Fatalf("epoch 2 opened as %+v, epoch 1 ended at %d", ep, end1)
	}

	send := func(m personhood.ClaimMsg) {
		e.c.MustOK(e.c.Deliver(e.c.Sign("alice", e.c.Msg(personhood.Name+"/claim", m)))[0])
	}
	before := e.balance("w1")
	send(e.claimMsg(dan, 1, apptest.Addr("w1"), e.path(dan))) // late: paid in epoch 2
	send(e.claimMsg(dan, 2, apptest.Addr("w1"), e.path(dan)))
	g1, g2 := epoch(1).Grant, epoch(2).Grant
	if got := e.balance("w1") - before; g1 == 0 || g2 == 0 || got != g1+g2 {
		t.Fatalf("w1 received %d, grants %d and %d", got, g1, g2)
	}
	if ep := epoch(1); ep.Paid != g1 || ep.PaidOut != 0 {
		t.Fatalf("epoch 1 after its late claim: %+v", ep)
	}
	if ep := epoch(2); ep.Paid != g2 || ep.PaidOut != g1+g2 || ep.Closed {
		t.Fatalf("epoch 2 while current: %+v", ep)
	}
	until(29)
	end2 := e.pool().Pool
	until(30)
	if end2 != end1+perEpoch-g1-g2 {
		t.Fatalf("pool went from %d to %d in epoch 2, paying %d", end1, end2, g1+g2)
	}
	ep2 := epoch(2)
	if !ep2.Closed || ep2.PoolEnd != end2 || ep2.Inflow != perEpoch || ep2.PaidOut != g1+g2 {
		t.Fatalf("epoch 2 closed as %+v, pool read %d at its last block", ep2, end2)
	}
	var eps []personhood.Epoch
	if err := e.c.Query(personhood.Name+"/epochs", map[string][]string{"after": {"1"}, "limit": {"2"}}, &eps); err != nil || len(eps) != 2 || eps[0] != ep2 || eps[1].Pool != end2 || eps[1].Closed {
		t.Fatalf("epochs after 1: %v %+v", err, eps)
	}
}
