package main

import (
	"bytes"
	"context"
	"emergence/zkml/model"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// zkmlRun runs the CLI in-process and returns stdout, stderr and the error.
func zkmlRun(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), err
}

func zkmlMust(t *testing.T, args ...string) (string, string) {
	t.Helper()
	out, errb, err := zkmlRun(t, args...)
	if err != nil {
		t.Fatalf("emergence %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out, errb)
	}
	return out, errb
}

// zkmlTinyData writes a separable 2-feature, 3-class integer data set.
func zkmlTinyData(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	for x := 0; x < 8; x++ {
		for y := 0; y < 8; y++ {
			c := 0
			switch {
			case x+y >= 10:
				c = 2
			case x > y:
				c = 1
			}
			fmt.Fprintf(&b, "%d,%d,%d\n", x, y, c)
		}
	}
	p := filepath.Join(dir, "tiny.csv")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestZKMLTrainSetupProveVerify(t *testing.T) {
	dir := t.TempDir()
	data := zkmlTinyData(t, dir)
	m, e, k, p := filepath.Join(dir, "m.json"), filepath.Join(dir, "e.json"), filepath.Join(dir, "keys"), filepath.Join(dir, "p.json")

	out, _ := zkmlMust(t, "zkml", "train", "--data", data, "--arch", "2-3", "--epochs", "60", "--lr", "0.05", "--out", m, "--exam-out", e, "--max-value", "7", "-o", "json")
	var tr struct {
		FloatAccuracy, QuantizedAccuracy float64
		ExamN, ExamScore                 int
		Kind                             string
	}
	if err := json.Unmarshal([]byte(out), &tr); err != nil {
		t.Fatalf("train output: %v\n%s", err, out)
	}
	if tr.Kind != "logreg" || tr.ExamN != 13 || tr.QuantizedAccuracy <= 0.5 {
		t.Fatalf("train result %+v", tr)
	}

	_, errb := zkmlMust(t, "zkml", "setup", "--circuit", "exam", "--model", m, "--exam", e, "--keys", k)
	if !strings.Contains(errb, "ONE-PARTY SETUP") {
		t.Fatalf("one-party setup did not warn on stderr:\n%s", errb)
	}
	_, errb = zkmlMust(t, "zkml", "prove", "--model", m, "--keys", k, "--claim", fmt.Sprint(tr.ExamScore), "--out", p)
	if !strings.Contains(errb, "proving") {
		t.Fatalf("prove showed no progress:\n%s", errb)
	}
	out, _ = zkmlMust(t, "zkml", "verify", "--keys", k, "--proof", p)
	if !strings.HasPrefix(out, "VALID") {
		t.Fatalf("verify: %s", out)
	}

	// A claim above the model's score is refused cleanly.
	_, errb, err := zkmlRun(t, "zkml", "prove", "--model", m, "--keys", k, "--claim", fmt.Sprint(tr.ExamScore+1), "--out", p+".x")
	if err == nil || exitCode(err) != 2 || !strings.Contains(errb, "hint: lower --claim") {
		t.Fatalf("over-claim: err=%v stderr=%s", err, errb)
	}
	if _, statErr := os.Stat(p + ".x"); statErr == nil {
		t.Fatal("a refused proof was written")
	}

	// Raising the claim in the proof file breaks verification.
	raw, _ := os.ReadFile(p)
	var pf map[string]any
	json.Unmarshal(raw, &pf)
	pf["exam"].(map[string]any)["claim"] = tr.ExamScore + 1
	raw, _ = json.Marshal(pf)
	os.WriteFile(p, raw, 0o644)
	if _, _, err := zkmlRun(t, "zkml", "verify", "--keys", k, "--proof", p); err == nil {
		t.Fatal("verify accepted a proof whose claim was raised")
	}

	// Inference: a private input, its public digest and class.
	ki, pi := filepath.Join(dir, "ikeys"), filepath.Join(dir, "pi.json")
	zkmlMust(t, "zkml", "setup", "--circuit", "inference", "--model", m, "--keys", ki)
	out, _ = zkmlMust(t, "zkml", "prove", "--model", m, "--keys", ki, "--input", "6,1", "--out", pi, "-o", "json")
	if !strings.Contains(out, `"class"`) {
		t.Fatalf("inference proof output: %s", out)
	}
	zkmlMust(t, "zkml", "verify", "--keys", ki, "--proof", pi)
	if _, _, err := zkmlRun(t, "zkml", "verify", "--keys", k, "--proof", pi); err == nil {
		t.Fatal("an inference proof verified against exam keys")
	}
	// The binding ties the proof to the model's commitment; another
	// model's binding does not fit the proof.
	bi, bo, m2 := filepath.Join(dir, "bind.json"), filepath.Join(dir, "bind2.json"), filepath.Join(dir, "m2.json")
	if _, errb, err := zkmlRun(t, "zkml", "bind", "--model", m, "--keys", k, "--out", bi); err == nil || !strings.Contains(errb, "hint:") {
		t.Fatalf("bind with exam keys: err=%v stderr=%s", err, errb)
	}
	zkmlMust(t, "zkml", "bind", "--model", m, "--keys", ki, "--out", bi)
	if out, _ := zkmlMust(t, "zkml", "verify", "--keys", ki, "--proof", pi, "--binding", bi); !strings.Contains(out, "is bound to these inference keys") {
		t.Fatalf("verify with binding: %s", out)
	}
	zkmlMust(t, "zkml", "verify", "--keys", ki, "--proof", "", "--binding", bi)
	other, err := model.LoadModel(m)
	if err != nil {
		t.Fatal(err)
	}
	other.Layers[0].Weights[0][0] ^= 1
	if err := other.Seal(model.SaltFromBytes([]byte("other"))); err != nil {
		t.Fatal(err)
	}
	if err := model.SaveModel(m2, other); err != nil {
		t.Fatal(err)
	}
	zkmlMust(t, "zkml", "bind", "--model", m2, "--keys", ki, "--out", bo)
	if _, errb, err := zkmlRun(t, "zkml", "verify", "--keys", ki, "--proof", pi, "--binding", bo); err == nil || !strings.Contains(errb, "another model") {
		t.Fatalf("a proof verified against another model's binding: err=%v stderr=%s", err, errb)
	}
	if _, errb, err := zkmlRun(t, "zkml", "prove", "--model", m, "--keys", ki, "--input", "9,1", "--out", pi); err == nil || !strings.Contains(errb, "hint:") {
		t.Fatalf("out-of-range input: err=%v stderr=%s", err, errb)
	}
}

func TestZKMLCeremony(t *testing.T) {
	dir := t.TempDir()
	data := zkmlTinyData(t, dir)
	m, cer, k, p := filepath.Join(dir, "m.json"), filepath.Join(dir, "cer"), filepath.Join(dir, "keys"), filepath.Join(dir, "p.json")
	e := filepath.Join(dir, "e.json")
	zkmlMust(t, "zkml", "train", "--data", data, "--arch", "2-3", "--epochs", "5", "--out", m, "--exam-out", e, "--max-value", "7")
	zkmlMust(t, "zkml", "ceremony", "init", "--circuit", "inference", "--model", m, "--dir", cer)
	// Every long step says what it does on stderr (TestCeremonyProgress
	// checks the lines with the time left, which depend on speed here).
	if _, errb := zkmlMust(t, "zkml", "ceremony", "contribute", "--dir", cer); !strings.Contains(errb, "phase 1: contributing to powers of tau") || !strings.Contains(errb, "done in") {
		t.Fatalf("phase-1 contribution shows no progress: %s", errb)
	}
	zkmlMust(t, "zkml", "ceremony", "contribute", "--dir", cer)
	out, errb := zkmlMust(t, "zkml", "ceremony", "verify", "--dir", cer)
	if !strings.HasPrefix(out, "2 contributions valid") || !strings.Contains(errb, "phase 1: checking 2 contributions") {
		t.Fatalf("ceremony verify: %s\n%s", out, errb)
	}
	beacon := "00112233445566778899aabbccddeeff00112233"
	if _, errb, err := zkmlRun(t, "zkml", "ceremony", "finalize", "--dir", cer, "--beacon", "abcd"); err == nil || !strings.Contains(errb, "hint:") {
		t.Fatalf("short beacon accepted: %v", err)
	}
	if _, errb := zkmlMust(t, "zkml", "ceremony", "finalize", "--dir", cer, "--beacon", beacon); !strings.Contains(errb, "sealing it with the beacon") || !strings.Contains(errb, "phase 2: initialising the link circuit") {
		t.Fatalf("closing phase 1 shows no progress: %s", errb)
	}
	// Another ceremony starts from this closed phase 1 at phase 2.
	cer2 := filepath.Join(dir, "cer2")
	if out, _ := zkmlMust(t, "zkml", "ceremony", "init", "--circuit", "inference", "--model", m, "--dir", cer2, "--phase1", cer); !strings.Contains(out, "phase 2 open") {
		t.Fatalf("init from a closed phase 1: %s", out)
	}
	zkmlMust(t, "zkml", "ceremony", "contribute", "--dir", cer2)
	if out, _ := zkmlMust(t, "zkml", "ceremony", "verify", "--dir", cer2); !strings.HasPrefix(out, "4 contributions valid") {
		t.Fatalf("verify a ceremony started from another's phase 1: %s", out)
	}
	// So does another circuit, an exam of 13 samples (908 constraints, in
	// phase 1's domain of 1,024; TestCeremonyFromPhase1 starts circuits of
	// a smaller domain), whose keys prove and verify.
	cerE, kE, pE := filepath.Join(dir, "cer-exam"), filepath.Join(dir, "keys-exam"), filepath.Join(dir, "p-exam.json")
	if out, _ := zkmlMust(t, "zkml", "ceremony", "init", "--circuit", "exam", "--model", m, "--exam", e, "--dir", cerE, "--phase1", cer); !strings.Contains(out, "phase 2 open") {
		t.Fatalf("exam ceremony from an inference ceremony's phase 1: %s", out)
	}
	zkmlMust(t, "zkml", "ceremony", "contribute", "--dir", cerE)
	if out, _ := zkmlMust(t, "zkml", "ceremony", "finalize", "--dir", cerE, "--beacon", "30112233445566778899aabbccddeeff00112233", "--keys", kE); !strings.Contains(out, "mpc ceremony") {
		t.Fatalf("closing the exam ceremony: %s", out)
	}
	zkmlMust(t, "zkml", "prove", "--model", m, "--keys", kE, "--out", pE)
	zkmlMust(t, "zkml", "verify", "--keys", kE, "--proof", pE)
	if _, errb, err := zkmlRun(t, "zkml", "ceremony", "init", "--circuit", "inference", "--model", m, "--dir", filepath.Join(dir, "cer3"), "--phase1", filepath.Join(dir, "none")); exitCode(err) != exitUsage || !strings.Contains(errb, "hint:") {
		t.Fatalf("init from a missing phase 1: %v %s", err, errb)
	}
	_, errb = zkmlMust(t, "zkml", "ceremony", "contribute", "--dir", cer)
	if !strings.Contains(errb, "phase 2: contributing to the inference circuit") || !strings.Contains(errb, "done in") {
		t.Fatalf("phase-2 contribution shows no progress: %s", errb)
	}
	// Each phase needs its own beacon.
	if _, errb, err := zkmlRun(t, "zkml", "ceremony", "finalize", "--dir", cer, "--beacon", beacon); err == nil || !strings.Contains(errb, "already closed phase 1") {
		t.Fatalf("a beacon reused across phases: %v %s", err, errb)
	}
	beacon = "10112233445566778899aabbccddeeff00112233"
	out, _ = zkmlMust(t, "zkml", "ceremony", "finalize", "--dir", cer, "--beacon", beacon)
	if !strings.Contains(out, "phase 3 (the binding key) open") {
		t.Fatalf("closing phase 2 of an inference ceremony: %s", out)
	}
	zkmlMust(t, "zkml", "ceremony", "contribute", "--dir", cer)
	zkmlMust(t, "zkml", "ceremony", "contribute", "--dir", cer)
	if out, _ := zkmlMust(t, "zkml", "ceremony", "verify", "--dir", cer); !strings.HasPrefix(out, "6 contributions valid") {
		t.Fatalf("ceremony verify in phase 3: %s", out)
	}
	beacon = "20112233445566778899aabbccddeeff00112233"
	if _, errb, err := zkmlRun(t, "zkml", "ceremony", "finalize", "--dir", cer, "--beacon", beacon); err == nil || !strings.Contains(errb, "--keys") {
		t.Fatalf("closing phase 3 without --keys: err=%v stderr=%s", err, errb)
	}
	out, _ = zkmlMust(t, "zkml", "ceremony", "finalize", "--dir", cer, "--beacon", beacon, "--keys", k)
	if !strings.Contains(out, "mpc ceremony") || !strings.Contains(out, "binding vk") {
		t.Fatalf("finalize output: %s", out)
	}
	b := filepath.Join(dir, "b.json")
	zkmlMust(t, "zkml", "prove", "--model", m, "--keys", k, "--input", "2,5", "--out", p)
	zkmlMust(t, "zkml", "bind", "--model", m, "--keys", k, "--out", b)
	zkmlMust(t, "zkml", "verify", "--keys", k, "--proof", p, "--binding", b)
	if _, _, err := zkmlRun(t, "zkml", "ceremony", "contribute", "--dir", cer); err == nil {
		t.Fatal("contribution accepted after the ceremony ended")
	}
	if _, _, err := zkmlRun(t, "zkml", "ceremony", "verify", "--dir", filepath.Join(dir, "none")); exitCode(err) != exitUsage {
		t.Fatalf("missing ceremony: %v", err)
	}
}
