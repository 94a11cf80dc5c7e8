package zkml_test

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math/big"
	"testing"

	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fp"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/logger"

	"emergence/app"
	"emergence/app/apptest"
	"emergence/bank"
	"emergence/zkml"
	"emergence/zkml/circuit"
	"emergence/zkml/model"
	"emergence/zkml/verifier"
)

// tinyModel is a 2-feature, 3-class logistic regression with a given salt.
func tinyModel(t *testing.T, salt string) *model.Model {
	t.Helper()
	m := &model.Model{
		Format: model.ModelFormat, Version: model.ModelVersion, Kind: model.KindLogReg,
		InputMax: 7, Classes: 3, InputBits: 3,
		Layers: []model.Layer{{
			LayerShape: model.LayerShape{In: 2, Out: 3, WeightBits: 4, BiasBits: 4},
			Weights:    [][]int64{{2, -1}, {-1, 3}, {1, 1}},
			Bias:       []int64{0, -2, 1},
		}},
	}
	if err := m.Seal(model.SaltFromBytes([]byte(salt))); err != nil {
		t.Fatal(err)
	}
	return m
}

func tinyExam(t *testing.T, labels []int) *model.Exam {
	t.Helper()
	d := &model.Dataset{Features: 2, Classes: 3, MaxValue: 7,
		X: [][]int64{{5, 1}, {1, 5}, {4, 4}, {6, 0}, {0, 6}, {3, 3}}, Y: labels}
	e, err := model.NewExam("tiny", d)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

type keys struct {
	ccs constraint.ConstraintSystem
	pk  groth16.ProvingKey
	vk  []byte
}

func setup(t *testing.T, spec circuit.Spec) keys {
	t.Helper()
	ccs, err := spec.Compile()
	if err != nil {
		t.Fatal(err)
	}
	pk, vk, err := circuit.SetupOneParty(ccs)
	if err != nil {
		t.Fatal(err)
	}
	vkb, err := circuit.MarshalVK(vk)
	if err != nil {
		t.Fatal(err)
	}
	return keys{ccs, pk, vkb}
}

func proveExam(t *testing.T, k keys, m *model.Model, e *model.Exam, claim int, who string) []byte {
	t.Helper()
	a := apptest.Addr(who)
	w, _, err := circuit.AssignExam(m, e, claim, circuit.SubmitterElement(a[:]))
	if err != nil {
		t.Fatal(err)
	}
	p, err := circuit.Prove(k.ccs, k.pk, w)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := circuit.MarshalProof(p)
	return b
}

func TestAttestInferQueries(t *testing.T) {
	logger.Disable()
	m1, m2 := tinyModel(t, "one"), tinyModel(t, "two")
	exam := tinyExam(t, []int{0, 1, 2, 0, 1, 1})
	other := tinyExam(t, []int{0, 1, 2, 0, 1, 2})
	score, _ := exam.Score(m1)
	if score < 3 {
		t.Fatalf("tiny model scores only %d", score)
	}
	ek := setup(t, circuit.Spec{Kind: circuit.KindExam, Shape: m1.Shape(), Exam: exam})
	ok2 := setup(t, circuit.Spec{Kind: circuit.KindExam, Shape: m1.Shape(), Exam: other})
	ik, err := circuit.SetupInferenceOneParty(m1.Shape())
	if err != nil {
		t.Fatal(err)
	}
	ivk, _ := circuit.MarshalVK(ik.VK)
	lvk, _ := circuit.MarshalVK(ik.LinkVK)
	bvk := ik.BindingVK.Bytes()
	shape := model.HexElement(model.ShapeDigest(m1.Shape()))

	c := apptest.New(t, apptest.Genesis{Balances: map[string]uint64{"alice": 100_000_000, "bob": 100_000_000}}, bank.New(), zkml.New())
	reg := func(e *model.Exam, vk []byte) app.TxResult {
		return c.Deliver(c.Sign("alice", c.Msg("zkml/register-exam", zkml.MsgRegisterExam{
			Name: "tiny", ExamDigest: model.HexElement(e.Digest()), N: uint64(e.N()), ShapeDigest: shape, VK: vk})))[0]
	}
	c.MustOK(reg(exam, ek.vk))   // circuit 1
	c.MustOK(reg(other, ok2.vk)) // circuit 2
	regInfer := func(vk, link, binding []byte) app.TxResult {
		return c.Deliver(c.Sign("alice", c.Msg("zkml/register-inference", zkml.MsgRegisterInference{Name: "tiny-infer", ShapeDigest: shape, VK: vk, LinkVK: link, BindingVK: binding})))[0]
	}
	c.MustOK(regInfer(ivk, lvk, bvk)) // circuit 3

	attest := func(who string, exam uint64, commitment string, claim int, proof []byte) app.TxResult {
		return c.Deliver(c.Sign(who, c.Msg("zkml/attest", zkml.MsgAttest{Exam: exam, Commitment: commitment, Claim: uint64(claim), Proof: proof})))[0]
	}
	p1 := proveExam(t, ek, m1, exam, score, "bob")
	p1b := proveExam(t, ek, m1, exam, score-1, "bob")

	// Bad inputs, each with its result code.
	c.MustFail(attest("bob", 1, m1.Commitment, score, p1b), zkml.CodeInvalidProof)        // tampered claim
	c.MustFail(attest("bob", 1, m2.Commitment, score-1, p1b), zkml.CodeInvalidProof)      // another commitment
	c.MustFail(attest("bob", 2, m1.Commitment, score-1, p1b), zkml.CodeInvalidProof)      // another exam
	c.MustFail(attest("alice", 1, m1.Commitment, score-1, p1b), zkml.CodeInvalidProof)    // another submitter
	c.MustFail(attest("bob", 99, m1.Commitment, score-1, p1b), zkml.CodeExamNotFound)     // unregistered exam
	c.MustFail(attest("bob", 3, m1.Commitment, score-1, p1b), zkml.CodeWrongCircuit)      // inference key
	c.MustFail(attest("bob", 1, m1.Commitment, exam.N()+1, p1b), zkml.CodeBadPublicInput) // claim > N
	c.MustFail(attest("bob", 1, "0x"+hex.EncodeToString(bytes.Repeat([]byte{0xff}, 32)), 1, p1b), zkml.CodeBadPublicInput)
	c.MustFail(attest("bob", 1, m1.Commitment, score-1, p1b[:len(p1b)-3]), zkml.CodeMalformedProof)   // wrong length
	c.MustFail(attest("bob", 1, m1.Commitment, score-1, make([]byte, 4096)), zkml.CodeMalformedProof) // oversized
	c.MustFail(attest("bob", 1, m1.Commitment, score-1, badSubgroupProof(t, ek.vk, p1b)), zkml.CodeMalformedProof)
	c.MustFail(attest("bob", 1, m1.Commitment, score-1, offCurveProof(t, ek.vk, p1b)), zkml.CodeMalformedProof)

	// A chain composed without the other markets refuses provenance it cannot check.
	c.MustFail(c.Deliver(c.Sign("bob", c.Msg("zkml/attest", zkml.MsgAttest{Exam: 1, Commitment: m1.Commitment, Claim: uint64(score - 1), Proof: p1b, LabelJob: 7})))[0], zkml.CodeLinksDisabled)

	// A claim, then a stronger one of the same model by the same account.
	c.MustOK(attest("bob", 1, m1.Commitment, score-1, p1b))
	res := attest("bob", 1, m1.Commitment, score, p1)
	c.MustOK(res)
	if res.GasUsed < zkml.GasVerify {
		t.Fatalf("attestation used %d gas, verification alone costs %d", res.GasUsed, zkml.GasVerify)
	}
	c.MustFail(attest("bob", 1, m1.Commitment, score, p1), zkml.CodeDuplicateClaim)
	c.MustFail(attest("bob", 1, m1.Commitment, score-1, p1b), zkml.CodeDuplicateClaim) // weaker than the recorded one
	// Invalid proofs never reach the mempool.
	if r := c.Check(c.Sign("bob", c.Msg("zkml/attest", zkml.MsgAttest{Exam: 1, Commitment: m1.Commitment, Claim: uint64(score), Proof: p1b}))); r.Code == 0 {
		t.Fatal("CheckTx accepted an invalid proof")
	}
	c.ResyncNonce("bob")

	// Oversized and malformed keys.
	bigKey := make([]byte, verifier.MaxVKBytes+1)
	c.MustFail(c.Deliver(c.SignWith("alice", 5_000_000, c.Msg("zkml/register-inference", zkml.MsgRegisterInference{ShapeDigest: shape, VK: bigKey})))[0], zkml.CodeKeyTooLarge)
	c.MustFail(c.Deliver(c.Sign("alice", c.Msg("zkml/register-inference", zkml.MsgRegisterInference{ShapeDigest: shape, VK: ek.vk[:100]})))[0], zkml.CodeMalformedKey)
	c.MustFail(regInfer(ivk, ivk, bvk), zkml.CodeMalformedKey)       // link key with the wrong number of public inputs
	c.MustFail(regInfer(ivk, lvk, bvk[:100]), zkml.CodeMalformedKey) // truncated binding key
	c.MustFail(regInfer(ivk, lvk, nil), zkml.CodeMalformedKey)       // no binding key

	// A second model with a lower claim, and a lower claim of the first
	// model (by another account) that must not displace its best.
	p2 := proveExam(t, ek, m2, exam, score-2, "alice")
	c.MustOK(attest("alice", 1, m2.Commitment, score-2, p2))
	c.MustOK(attest("alice", 1, m1.Commitment, score-1, proveExam(t, ek, m1, exam, score-1, "alice")))

	var board []zkml.LeaderboardEntry
	if err := c.Query("zkml/leaderboard/1", nil, &board); err != nil {
		t.Fatal(err)
	}
	if len(board) != 2 || board[0].Commitment != m1.Commitment || board[0].Claim != uint64(score) || board[1].Commitment != m2.Commitment || board[1].Claim != uint64(score-2) {
		t.Fatalf("leaderboard %+v", board)
	}
	var byExam []zkml.Attestation
	if err := c.Query("zkml/exam/1", nil, &byExam); err != nil || len(byExam) != 4 {
		t.Fatalf("exam/1: %v %+v", err, byExam)
	}
	var a zkml.Attestation
	if err := c.Query("zkml/attestation/1", nil, &a); err != nil || a.LabelJob != 0 || a.Attester != apptest.Addr("bob") || a.N != uint64(exam.N()) {
		t.Fatalf("attestation/1: %v %+v", err, a)
	}

	// Inference: a model must be bound to the key first.
	bob := apptest.Addr("bob")
	proveInfer := func(m *model.Model, x []int64) ([]byte, circuit.InferencePublic) {
		p, pub, err := circuit.ProveInference(ik.CCS, ik.PK, m, x, circuit.SubmitterElement(bob[:]))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := circuit.MarshalProof(p)
		return b, pub
	}
	pb, pub := proveInfer(m1, []int64{2, 6})
	infer := func(class int, circ uint64, commitment string, proof []byte) app.TxResult {
		return c.Deliver(c.Sign("bob", c.Msg("zkml/infer", zkml.MsgInfer{Circuit: circ, Commitment: commitment, InputDigest: pub.InputDigest, Class: uint64(class), Proof: proof})))[0]
	}
	c.MustFail(infer(pub.Class, 3, m1.Commitment, pb), zkml.CodeNotBound)

	alice := apptest.Addr("alice")
	e1, lp1, pi1, err := circuit.BindParts(ik.LinkCCS, ik.LinkPK, ik.PK, ik.Binding, m1, circuit.SubmitterElement(alice[:]))
	if err != nil {
		t.Fatal(err)
	}
	e2, lp2, pi2, err := circuit.BindParts(ik.LinkCCS, ik.LinkPK, ik.PK, ik.Binding, m2, circuit.SubmitterElement(alice[:]))
	if err != nil {
		t.Fatal(err)
	}
	bindAs := func(who string, circ uint64, commitment string, e, lp, pi []byte) app.TxResult {
		return c.Deliver(c.Sign(who, c.Msg("zkml/bind", zkml.MsgBind{Circuit: circ, Commitment: commitment, Binding: e, LinkProof: lp, Proof: pi})))[0]
	}
	bind := func(circ uint64, commitment string, e, lp, pi []byte) app.TxResult {
		return bindAs("alice", circ, commitment, e, lp, pi)
	}
	// bob copies alice's binding from the mempool: the link proof is bound to alice.
	c.MustFail(bindAs("bob", 3, m1.Commitment, e1, lp1, pi1), zkml.CodeInvalidProof)
	c.MustFail(bind(3, m1.Commitment, e2, lp1, pi1), zkml.CodeInvalidBinding)      // E of another model
	c.MustFail(bind(3, m1.Commitment, e1, lp1, pi2), zkml.CodeInvalidBinding)      // π of another model
	c.MustFail(bind(3, m1.Commitment, e2, lp2, pi2), zkml.CodeInvalidProof)        // another model's binding
	c.MustFail(bind(3, m1.Commitment, e1[:20], lp1, pi1), zkml.CodeMalformedProof) // truncated E
	c.MustFail(bind(1, m1.Commitment, e1, lp1, pi1), zkml.CodeWrongCircuit)
	c.MustFail(bind(42, m1.Commitment, e1, lp1, pi1), zkml.CodeCircuitNotFound)
	res = bind(3, m1.Commitment, e1, lp1, pi1)
	c.MustOK(res)
	if res.GasUsed < 2*zkml.GasVerify {
		t.Fatalf("binding used %d gas, its two checks cost %d", res.GasUsed, 2*zkml.GasVerify)
	}
	c.MustFail(bind(3, m1.Commitment, e1, lp1, pi1), zkml.CodeAlreadyBound)
	c.MustOK(bind(3, m2.Commitment, e2, lp2, pi2))

	c.MustFail(infer((pub.Class+1)%3, 3, m1.Commitment, pb), zkml.CodeInvalidProof)
	c.MustFail(infer(pub.Class, 1, m1.Commitment, pb), zkml.CodeWrongCircuit)
	c.MustFail(infer(pub.Class, 42, m1.Commitment, pb), zkml.CodeCircuitNotFound)
	// m2's proof claimed for m1 (both bound): the proof's commitment is m2's.
	pb2, pub2 := proveInfer(m2, []int64{2, 6})
	if pub2.Class != pub.Class {
		t.Fatalf("the two tiny models disagree on the input: %d vs %d", pub.Class, pub2.Class)
	}
	c.MustFail(infer(pub.Class, 3, m1.Commitment, pb2), zkml.CodeInvalidProof)
	c.MustOK(infer(pub.Class, 3, m1.Commitment, pb))
	c.MustFail(infer(pub.Class, 3, m1.Commitment, pb), zkml.CodeDuplicateClaim)
	c.MustFail(infer(pub.Class, 3, m1.Commitment, reencode(t, ivk, pb)), zkml.CodeDuplicateClaim)
	var bq zkml.Binding
	if err := c.Query("zkml/binding/3/"+m1.Commitment, nil, &bq); err != nil || !bytes.Equal(bq.Binding, e1) || bq.Binder != apptest.Addr("alice") {
		t.Fatalf("binding/3: %v %+v", err, bq)
	}
	if err := c.Query("zkml/binding/1/"+m1.Commitment, nil, &bq); err == nil {
		t.Fatal("a binding to an exam key was found")
	}
	var recs zkml.ModelRecords
	if err := c.Query("zkml/model/"+m1.Commitment, nil, &recs); err != nil {
		t.Fatal(err)
	}
	if len(recs.Attestations) != 3 || len(recs.Inferences) != 1 || recs.Inferences[0].Class != uint64(pub.Class) || len(recs.Bindings) != 1 {
		t.Fatalf("model records %+v", recs)
	}
	// The inference list: all of them, one key's, and pages of either.
	c.MustOK(infer(pub2.Class, 3, m2.Commitment, pb2))
	var infs []zkml.Inference
	if err := c.Query("zkml/inferences", nil, &infs); err != nil || len(infs) != 2 || infs[0].ID != 1 || infs[0].Commitment != m1.Commitment || infs[1].ID != 2 || infs[1].Commitment != m2.Commitment {
		t.Fatalf("inferences: %v %+v", err, infs)
	}
	if err := c.Query("zkml/inferences", map[string][]string{"circuit": {"3"}, "limit": {"1"}, "after": {"1"}}, &infs); err != nil || len(infs) != 1 || infs[0].ID != 2 || infs[0].Circuit != 3 {
		t.Fatalf("inferences?circuit=3&after=1: %v %+v", err, infs)
	}
	if err := c.Query("zkml/inferences", map[string][]string{"circuit": {"3"}, "limit": {"1"}}, &infs); err != nil || len(infs) != 1 || infs[0].ID != 1 {
		t.Fatalf("inferences?circuit=3&limit=1: %v %+v", err, infs)
	}
	if err := c.Query("zkml/inferences", map[string][]string{"circuit": {"1"}}, &infs); err != nil || len(infs) != 0 {
		t.Fatalf("inferences of an exam key: %v %+v", err, infs)
	}
	if err := c.Query("zkml/inferences", map[string][]string{"after": {"2"}}, &infs); err != nil || len(infs) != 0 {
		t.Fatalf("inferences after the last: %v %+v", err, infs)
	}
	if err := c.Query("zkml/inferences", map[string][]string{"circuit": {"x"}}, &infs); err == nil {
		t.Fatal("inferences?circuit=x accepted")
	}
	var circs []zkml.Circuit
	if err := c.Query("zkml/circuits", nil, &circs); err != nil || len(circs) != 3 || circs[2].Kind != zkml.KindInference {
		t.Fatalf("circuits: %v %+v", err, circs)
	}
	// Pages: limit, then the next page after the last id seen.
	if err := c.Query("zkml/circuits", map[string][]string{"limit": {"2"}}, &circs); err != nil || len(circs) != 2 || circs[1].ID != 2 {
		t.Fatalf("circuits page 1: %v %+v", err, circs)
	}
	if err := c.Query("zkml/circuits", map[string][]string{"limit": {"2"}, "after": {"2"}}, &circs); err != nil || len(circs) != 1 || circs[0].ID != 3 {
		t.Fatalf("circuits page 2: %v %+v", err, circs)
	}
	if err := c.Query("zkml/exam/1", map[string][]string{"limit": {"3"}, "after": {"2"}}, &byExam); err != nil || len(byExam) != 2 || byExam[0].ID != 3 {
		t.Fatalf("exam/1 page: %v %+v", err, byExam)
	}
	for _, bad := range []map[string][]string{{"limit": {"0"}}, {"limit": {"1001"}}, {"after": {"x"}}} {
		if err := c.Query("zkml/circuits", bad, &circs); err == nil {
			t.Fatalf("circuits?%v accepted", bad)
		}
	}
	if err := c.Query("zkml/attestation/99", nil, &a); err == nil {
		t.Fatal("absent attestation found")
	}
	if err := c.Query("zkml/leaderboard/x", nil, &board); err == nil {
		t.Fatal("bad leaderboard id accepted")
	}
}

// badSubgroupProof replaces the proof's G2 point with a curve point
// outside the prime-order subgroup (raw encoding).
func badSubgroupProof(t *testing.T, vkb, proof []byte) []byte {
	t.Helper()
	vk, _ := verifier.DecodeVK(vkb)
	p, err := verifier.DecodeProof(proof, vk)
	if err != nil {
		t.Fatal(err)
	}
	var x fp.Element
	x.SetUint64(7)
	for {
		var e curve.E2
		e.A0 = x
		u := curve.MapToCurve2(&e)
		if u.IsOnCurve() && !u.IsInSubGroup() {
			p.Bs = u
			break
		}
		x.SetUint64(x.Uint64() + 1)
	}
	var b bytes.Buffer
	if _, err := p.WriteRawTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// offCurveProof flips a bit of the first point's y coordinate (raw encoding).
func offCurveProof(t *testing.T, vkb, proof []byte) []byte {
	t.Helper()
	vk, _ := verifier.DecodeVK(vkb)
	p, err := verifier.DecodeProof(proof, vk)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := p.WriteRawTo(&b); err != nil {
		t.Fatal(err)
	}
	raw := b.Bytes()
	raw[40] ^= 1
	return raw
}

// TestReplayedClaimsAndLyingMetadata replays issue 17.9's attacks through
// the app: the same accuracy proof re-encoded with uncompressed points and
// re-randomised (A·r, B·r⁻¹) is refused as the same claim, and an exam key
// registered again under a bigger name, a smaller N or another shape
// verifies no proof, so no leaderboard can show 5/5 for a 6-sample exam.
func TestReplayedClaimsAndLyingMetadata(t *testing.T) {
	logger.Disable()
	m := tinyModel(t, "one")
	exam := tinyExam(t, []int{0, 1, 2, 0, 1, 1})
	score, _ := exam.Score(m)
	ek := setup(t, circuit.Spec{Kind: circuit.KindExam, Shape: m.Shape(), Exam: exam})
	shape := model.HexElement(model.ShapeDigest(m.Shape()))
	c := apptest.New(t, apptest.Genesis{Balances: map[string]uint64{"alice": 100_000_000, "bob": 100_000_000}}, bank.New(), zkml.New())
	reg := func(name string, n int, shape string) {
		t.Helper()
		c.MustOK(c.Deliver(c.Sign("alice", c.Msg("zkml/register-exam", zkml.MsgRegisterExam{
			Name: name, ExamDigest: model.HexElement(exam.Digest()), N: uint64(n), ShapeDigest: shape, VK: ek.vk})))[0])
	}
	attest := func(id uint64, claim int, proof []byte) app.TxResult {
		return c.Deliver(c.Sign("bob", c.Msg("zkml/attest", zkml.MsgAttest{Exam: id, Commitment: m.Commitment, Claim: uint64(claim), Proof: proof})))[0]
	}
	reg(exam.Name, exam.N(), shape)            // 1: the truth
	reg("imagenet-top1-full", exam.N(), shape) // 2: another name
	reg(exam.Name, exam.N()-1, shape)          // 3: a smaller N
	reg(exam.Name, exam.N(), model.HexElement(big.NewInt(12345)))
	claim := min(score, exam.N()-1)
	p := proveExam(t, ek, m, exam, claim, "bob")
	for id := uint64(2); id <= 4; id++ {
		c.MustFail(attest(id, claim, p), zkml.CodeInvalidProof)
	}
	c.MustOK(attest(1, claim, p))
	c.MustFail(attest(1, claim, p), zkml.CodeDuplicateClaim)
	for what, q := range map[string][]byte{"re-encoded": reencode(t, ek.vk, p), "re-randomised": rerandomise(t, ek.vk, p)} {
		if bytes.Equal(q, p) {
			t.Fatalf("%s proof is the same bytes", what)
		}
		vk, _ := verifier.DecodeVK(ek.vk)
		if err := verifier.VerifyDecoded(vk, q, examPublics(t, m, exam, claim, "bob")); err != nil {
			t.Fatalf("%s proof does not verify off chain, so the replay test proves nothing: %v", what, err)
		}
		c.MustFail(attest(1, claim, q), zkml.CodeDuplicateClaim)
	}
	var board []zkml.LeaderboardEntry
	if err := c.Query("zkml/leaderboard/1", nil, &board); err != nil || len(board) != 1 || board[0].N != uint64(exam.N()) {
		t.Fatalf("leaderboard: %v %+v", err, board)
	}
	for id := 2; id <= 4; id++ {
		if err := c.Query(fmt.Sprintf("zkml/leaderboard/%d", id), nil, &board); err != nil || len(board) != 0 {
			t.Fatalf("leaderboard of the lying exam %d: %v %+v", id, err, board)
		}
	}
}

// examPublics are the public inputs of an accuracy proof as the chain
// passes them.
func examPublics(t *testing.T, m *model.Model, e *model.Exam, claim int, who string) []*big.Int {
	t.Helper()
	a := apptest.Addr(who)
	_, pub, err := circuit.AssignExam(m, e, claim, circuit.SubmitterElement(a[:]))
	if err != nil {
		t.Fatal(err)
	}
	pubs, err := circuit.ExamPublics(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pubs
}

// reencode writes a proof with uncompressed points.
func reencode(t *testing.T, vkb, proof []byte) []byte {
	t.Helper()
	vk, _ := verifier.DecodeVK(vkb)
	p, err := verifier.DecodeProof(proof, vk)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := p.WriteRawTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// rerandomise replaces (A, B) by (A·r, B·r⁻¹), which keeps e(A, B) and so
// the proof valid.
func rerandomise(t *testing.T, vkb, proof []byte) []byte {
	t.Helper()
	vk, _ := verifier.DecodeVK(vkb)
	p, err := verifier.DecodeProof(proof, vk)
	if err != nil {
		t.Fatal(err)
	}
	var r, rInv fr.Element
	r.SetUint64(0x5eed)
	rInv.Inverse(&r)
	p.Ar.ScalarMultiplication(&p.Ar, r.BigInt(new(big.Int)))
	p.Bs.ScalarMultiplication(&p.Bs, rInv.BigInt(new(big.Int)))
	var b bytes.Buffer
	if _, err := p.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
