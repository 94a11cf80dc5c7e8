package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"emergence/bank"
	"emergence/client"
	"emergence/node/nodetest"
	"emergence/tx"
	"emergence/zkml"
)

// TestZKMLDevnetCLI is the README story on a real in-process node: train,
// set up, prove, register the exam, attest, query the attestation and the
// leaderboard; a raised claim is rejected with a result code.
func TestZKMLDevnetCLI(t *testing.T) {
	unsetPassphraseEnv(t)
	dir := t.TempDir()
	data := zkmlTinyData(t, dir)
	m, e, k, p := filepath.Join(dir, "m.json"), filepath.Join(dir, "e.json"), filepath.Join(dir, "keys"), filepath.Join(dir, "p.json")
	zkmlMust(t, "zkml", "train", "--data", data, "--arch", "2-3", "--epochs", "60", "--lr", "0.05", "--out", m, "--exam-out", e, "--max-value", "7")
	zkmlMust(t, "zkml", "setup", "--circuit", "exam", "--model", m, "--exam", e, "--keys", k)
	net := nodetest.Start(t, nodetest.Options{})
	home := t.TempDir()
	common := []string{"--home", home, "--keyring-backend", "test", "--node", net.API.Addr()}
	cli := func(args ...string) (string, string, error) { return zkmlRun(t, append(args, common...)...) }
	out, errb, err := cli("keys", "add", "owner", "-o", "json")
	if err != nil {
		t.Fatalf("keys add: %v %s", err, errb)
	}
	var key struct{ Address string }
	json.Unmarshal([]byte(out), &key)
	to, err := tx.ParseAddress(key.Address)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	send, _ := tx.NewMsg("bank/send", bank.SendMsg{To: to, Amount: 100 * bank.UnitsPerEMG})
	if res, err := net.Client.SignAndBroadcast(ctx, net.Key("alice"), client.TxOptions{}, send); err != nil || res.Code != 0 {
		t.Fatalf("fund: %v %+v", err, res)
	}

	// A proof bound to another account is refused before broadcasting.
	zkmlMust(t, "zkml", "prove", "--model", m, "--keys", k, "--out", p)
	if _, errb, err := cli("tx", "zkml", "attest", "--exam", "1", "--proof", p, "--from", "owner"); err == nil || !strings.Contains(errb, "--submitter owner") {
		t.Fatalf("unbound proof: %v %s", err, errb)
	}
	if out, errb, err = cli("zkml", "prove", "--model", m, "--keys", k, "--out", p, "--submitter", "owner"); err != nil {
		t.Fatalf("prove: %v\n%s\n%s", err, out, errb)
	}
	var pf struct {
		Exam struct {
			Commitment string
			Claim, N   int
		}
	}
	raw, _ := os.ReadFile(p)
	if err := json.Unmarshal(raw, &pf); err != nil {
		t.Fatal(err)
	}
	// An exam key is bound to its exam's name: another one is refused before signing.
	if _, errb, err := cli("tx", "zkml", "register", "--keys", k, "--name", "imagenet-top1-full", "--from", "owner"); err == nil || !strings.Contains(errb, "drop --name") {
		t.Fatalf("register under another name: %v %s", err, errb)
	}
	if out, errb, err = cli("tx", "zkml", "register", "--keys", k, "--from", "owner"); err != nil {
		t.Fatalf("register: %v\n%s\n%s", err, out, errb)
	}
	// Provenance the chain does not hold is refused with its code.
	if out, errb, err = cli("tx", "zkml", "attest", "--exam", "1", "--proof", p, "--from", "owner", "--label-job", "4"); err == nil || !strings.Contains(out+errb, "zkml/16") {
		t.Fatalf("attest naming no such labeling job: %v\n%s\n%s", err, out, errb)
	}
	if out, errb, err = cli("tx", "zkml", "attest", "--exam", "1", "--proof", p, "--from", "owner", "--dataset-root", strings.Repeat("ab", 32)); err == nil || !strings.Contains(out+errb, "zkml/15") {
		t.Fatalf("attest naming an unregistered dataset root: %v\n%s\n%s", err, out, errb)
	}
	if out, errb, err = cli("tx", "zkml", "attest", "--exam", "1", "--proof", p, "--from", "owner"); err != nil {
		t.Fatalf("attest: %v\n%s\n%s", err, out, errb)
	}
	out, _, err = cli("query", "zkml", "leaderboard", "1")
	if err != nil || !strings.Contains(out, fmt.Sprintf("#1  %d/%d  model %s", pf.Exam.Claim, pf.Exam.N, pf.Exam.Commitment)) {
		t.Fatalf("leaderboard: %v\n%s", err, out)
	}
	out, _, err = cli("query", "zkml", "model", pf.Exam.Commitment, "-o", "json")
	var recs zkml.ModelRecords
	if err != nil || json.Unmarshal([]byte(out), &recs) != nil || len(recs.Attestations) != 1 || recs.Attestations[0].LabelJob != 0 {
		t.Fatalf("model query: %v\n%s", err, out)
	}
	// The model's chain of evidence, as text and as the API's JSON.
	out, _, err = cli("query", "provenance", "model", pf.Exam.Commitment)
	if err != nil || !strings.Contains(out, fmt.Sprintf("attestation 1: %d/%d on exam 1", pf.Exam.Claim, pf.Exam.N)) || !strings.Contains(out, "label job: none named") {
		t.Fatalf("provenance: %v\n%s", err, out)
	}
	resp, err := http.Get("http://" + net.API.Addr() + "/v1/query/zkml/provenance/" + pf.Exam.Commitment)
	if err != nil {
		t.Fatal(err)
	}
	var prov zkml.Provenance
	err = json.NewDecoder(resp.Body).Decode(&prov)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || len(prov.Attestations) != 1 || prov.Attestations[0].Attestation.Claim != uint64(pf.Exam.Claim) {
		t.Fatalf("GET provenance: %d %+v %v", resp.StatusCode, prov, err)
	}
	if _, errb, err := cli("query", "provenance", "model", "0x"+strings.Repeat("0", 63)+"1"); err == nil || !strings.Contains(errb, "no attestations") {
		t.Fatalf("provenance of an unattested model: %v %s", err, errb)
	}

	// Raising the claim in the proof file: the chain rejects it with a code.
	var edit map[string]any
	json.Unmarshal(raw, &edit)
	edit["exam"].(map[string]any)["claim"] = pf.Exam.Claim + 1
	raw2, _ := json.Marshal(edit)
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, raw2, 0o644)
	out, _, err = cli("tx", "zkml", "attest", "--exam", "1", "--proof", bad, "--from", "owner")
	if err == nil || (exitCode(err) != 3 && !strings.Contains(err.Error(), "zkml")) {
		t.Fatalf("raised claim: err=%v out=%s", err, out)
	}

	// Inference: register an inference key, bind the model to it once,
	// then submit an inference proof. Before the binding the chain refuses
	// the proof with a code.
	ki, pi, bi := filepath.Join(dir, "ikeys"), filepath.Join(dir, "pi.json"), filepath.Join(dir, "bind.json")
	zkmlMust(t, "zkml", "setup", "--circuit", "inference", "--model", m, "--keys", ki)
	if out, errb, err = cli("tx", "zkml", "register", "--keys", ki, "--name", "tiny-infer", "--from", "owner"); err != nil {
		t.Fatalf("register inference: %v\n%s\n%s", err, out, errb)
	}
	if out, errb, err = cli("zkml", "prove", "--model", m, "--keys", ki, "--input", "6,1", "--out", pi, "--submitter", "owner"); err != nil {
		t.Fatalf("prove inference: %v\n%s\n%s", err, out, errb)
	}
	if out, errb, err = cli("tx", "zkml", "infer", "--circuit", "2", "--proof", pi, "--from", "owner"); err == nil || !strings.Contains(out+errb, "zkml/11") {
		t.Fatalf("inference before the binding: err=%v\n%s\n%s", err, out, errb)
	}
	// A binding made for nobody in particular is refused before broadcast.
	zkmlMust(t, "zkml", "bind", "--model", m, "--keys", ki, "--out", bi)
	if _, errb, err := cli("tx", "zkml", "bind", "--circuit", "2", "--binding", bi, "--from", "owner"); err == nil || !strings.Contains(errb, "--submitter owner") {
		t.Fatalf("binding bound to another account: %v %s", err, errb)
	}
	if out, errb, err = cli("zkml", "bind", "--model", m, "--keys", ki, "--out", bi, "--submitter", "owner"); err != nil {
		t.Fatalf("bind: %v\n%s\n%s", err, out, errb)
	}
	if out, errb, err = cli("tx", "zkml", "bind", "--circuit", "2", "--binding", bi, "--from", "owner"); err != nil {
		t.Fatalf("bind: %v\n%s\n%s", err, out, errb)
	}
	if out, errb, err = cli("tx", "zkml", "infer", "--circuit", "2", "--proof", pi, "--from", "owner"); err != nil {
		t.Fatalf("infer: %v\n%s\n%s", err, out, errb)
	}
	if out, _, err = cli("query", "zkml", "binding", "2", pf.Exam.Commitment); err != nil || !strings.Contains(out, `"circuit": 2`) {
		t.Fatalf("binding query: %v\n%s", err, out)
	}
	out, _, err = cli("query", "zkml", "model", pf.Exam.Commitment, "-o", "json")
	recs = zkml.ModelRecords{}
	if err != nil || json.Unmarshal([]byte(out), &recs) != nil || len(recs.Inferences) != 1 || len(recs.Bindings) != 1 {
		t.Fatalf("model query after inference: %v\n%s", err, out)
	}
}
