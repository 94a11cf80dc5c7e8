package zkml_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/consensys/gnark/logger"

	"emergence/app"
	"emergence/app/apptest"
	"emergence/bank"
	"emergence/subnet"
	"emergence/zkml"
	"emergence/zkml/circuit"
	"emergence/zkml/model"
)

// TestServeModel: a subnet miner may declare only a model with an
// accuracy attestation (so nobody can put an unproven model on a subnet's
// record or into a provenance); the model's provenance then names the
// subnet and uid and the miner emission paid since, equal to the epochs'
// records; a replaced uid and a withdrawn declaration leave it. Runs on
// the node's composition of the chain, invariants after every block.
func TestServeModel(t *testing.T) {
	logger.Disable()
	bal := map[string]uint64{}
	for _, n := range []string{"owner", "m1", "m2", "m3", "bob"} {
		bal[n] = 1_000_000_000
	}
	l := &links{Chain: apptest.Full(t, apptest.Genesis{Balances: bal,
		Emission: &bank.Emission{PerBlock: 1_000_000, Subnets: 50, Treasury: 50}}), t: t}

	h := subnet.DefaultHyperparams()
	h.Tempo, h.MaxUIDs, h.MaxValidators, h.ImmunityPeriod = 4, 3, 1, 6
	h.CommitReveal = false
	h.MinBurn, h.MaxBurn = 1_000, 1_000_000
	l.MustOK(l.deliver("owner", "subnet/create", subnet.CreateMsg{Name: "served", Hyper: &h}))
	for _, n := range []string{"owner", "m1"} {
		l.MustOK(l.deliver(n, "subnet/register", subnet.RegisterMsg{NetUID: 0}))
	}

	m := tinyModel(t, "served")
	exam := tinyExam(t, []int{0, 1, 2, 0, 1, 1})
	score, _ := exam.Score(m)
	ek := setup(t, circuit.Spec{Kind: circuit.KindExam, Shape: m.Shape(), Exam: exam})
	l.MustOK(l.deliver("bob", "zkml/register-exam", zkml.MsgRegisterExam{Name: "tiny", ExamDigest: model.HexElement(exam.Digest()),
		N: uint64(exam.N()), ShapeDigest: model.HexElement(model.ShapeDigest(m.Shape())), VK: ek.vk}))

	serve := func(who, c string) app.TxResult {
		return l.deliver(who, "subnet/serve-model", subnet.ServeModelMsg{NetUID: 0, Model: c})
	}
	// Refused: a model nobody attested, a malformed commitment, a signer
	// with no uid, a subnet that does not exist.
	l.MustFail(serve("m1", m.Commitment), subnet.CodeModelNotAttested)
	l.MustFail(serve("m1", "0xzz"), subnet.CodeInvalidModel)
	l.MustFail(serve("m1", "0xff"+fmt.Sprintf("%062x", 0)), subnet.CodeInvalidModel) // above the field modulus
	l.MustOK(l.deliver("bob", "zkml/attest", zkml.MsgAttest{Exam: 1, Commitment: m.Commitment, Claim: uint64(score),
		Proof: proveExam(t, ek, m, exam, score, "bob")}))
	l.MustFail(serve("m2", m.Commitment), subnet.CodeNotRegistered)
	l.MustFail(l.deliver("m1", "subnet/serve-model", subnet.ServeModelMsg{NetUID: 9, Model: m.Commitment}), subnet.CodeSubnetNotFound)

	// Declared without its 0x: the chain keeps the canonical spelling.
	var nothing zkml.Provenance
	if err := l.Query("zkml/provenance/"+m.Commitment, nil, &nothing); err != nil || nothing.Serving != nil {
		t.Fatalf("provenance before serving: %+v %v", nothing, err)
	}
	res := serve("m1", strings.TrimPrefix(m.Commitment, "0x"))
	l.MustOK(res)
	if res.GasUsed < subnet.GasServeModel {
		t.Fatalf("serve-model used %d gas, want at least %d", res.GasUsed, subnet.GasServeModel)
	}
	since := l.Height()

	// The owner stakes on its hotkey (emission goes to staked subnets)
	// and weights the miner; epochs pay it.
	l.MustOK(l.deliver("owner", "subnet/stake", subnet.StakeMsg{NetUID: 0, Hotkey: apptest.Addr("owner"), Amount: 100_000_000}))
	l.MustOK(l.deliver("owner", "subnet/set-weights", subnet.WeightsMsg{NetUID: 0, UIDs: []uint16{1}, Values: []uint16{65535}}))
	for i := 0; i < 3*int(h.Tempo); i++ {
		l.NextBlocks(1)
	}
	var epochs []subnet.EpochRecord
	if err := l.Query("subnet/epochs/0", map[string][]string{"limit": {"64"}}, &epochs); err != nil {
		t.Fatal(err)
	}
	var paid uint64
	for _, e := range epochs {
		for _, u := range e.UIDs {
			if u.UID == 1 && e.Height > since {
				paid += u.MinerEmission
			}
		}
	}
	if paid == 0 {
		t.Fatalf("the miner earned nothing in %d epochs: %+v", len(epochs), epochs)
	}
	type served struct {
		Serving subnet.ModelServing `json:"serving"`
	}
	var p served
	if err := l.Query("zkml/provenance/"+m.Commitment, nil, &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Serving.UIDs) != 1 {
		t.Fatalf("serving %+v, want uid 1 of subnet 0", p.Serving)
	}
	u := p.Serving.UIDs[0]
	if u.NetUID != 0 || u.Subnet != "served" || u.UID != 1 || u.Hotkey != apptest.Addr("m1").String() || u.Since != since || u.Earned != paid {
		t.Fatalf("serving %+v, want uid 1 of subnet 0 by m1 since %d, earned %d", u, since, paid)
	}
	var direct subnet.ModelServing
	if err := l.Query("subnet/serving/"+m.Commitment, nil, &direct); err != nil || len(direct.UIDs) != 1 || direct.UIDs[0] != u {
		t.Fatalf("subnet/serving: %+v %v", direct, err)
	}
	var mg subnet.Metagraph
	if err := l.Query("subnet/metagraph/0", nil, &mg); err != nil || mg.Neurons[1].Model != m.Commitment {
		t.Fatalf("metagraph: %+v %v", mg, err)
	}

	// Declaring the same model again keeps its earnings.
	l.MustOK(serve("m1", m.Commitment))
	if err := l.Query("zkml/provenance/"+m.Commitment, nil, &p); err != nil || p.Serving.UIDs[0].Earned < paid {
		t.Fatalf("after re-declaring: %+v %v", p.Serving, err)
	}

	// A second miner declares it; once the subnet is full and m1's
	// immunity is over, a new registration replaces the lowest-emission
	// uid, and that uid's declaration goes with it.
	l.MustOK(l.deliver("m2", "subnet/register", subnet.RegisterMsg{NetUID: 0}))
	l.MustOK(serve("m2", m.Commitment))
	if err := l.Query("subnet/serving/"+m.Commitment, nil, &direct); err != nil || len(direct.UIDs) != 2 {
		t.Fatalf("two miners serving: %+v %v", direct, err)
	}
	for l.Height() < since+int64(h.ImmunityPeriod)+int64(h.Tempo) {
		l.NextBlocks(1)
	}
	l.MustOK(l.deliver("m3", "subnet/register", subnet.RegisterMsg{NetUID: 0}))
	var hk struct{ UID uint16 }
	if err := l.Query("subnet/hotkey/0/"+apptest.Addr("m3").String(), nil, &hk); err != nil {
		t.Fatal(err)
	}
	if err := l.Query("subnet/serving/"+m.Commitment, nil, &direct); err != nil || len(direct.UIDs) != 1 || direct.UIDs[0].UID == hk.UID {
		t.Fatalf("after uid %d was replaced: %+v %v", hk.UID, direct, err)
	}

	// Withdrawing leaves no trace in the provenance.
	left := direct.UIDs[0].Hotkey
	who := "m1"
	if left == apptest.Addr("m2").String() {
		who = "m2"
	}
	l.MustOK(serve(who, ""))
	p = served{}
	if err := l.Query("zkml/provenance/"+m.Commitment, nil, &p); err != nil || len(p.Serving.UIDs) != 0 {
		t.Fatalf("after withdrawing: %+v %v", p.Serving, err)
	}
}
