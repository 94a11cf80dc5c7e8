package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestZKMLPhase1Ceremony runs a universal phase 1 through the CLI and an
// exam circuit's phase 2 from it, whose keys prove and verify.
func TestZKMLPhase1Ceremony(t *testing.T) {
	dir := t.TempDir()
	data := zkmlTinyData(t, dir)
	m, e, ptau := filepath.Join(dir, "m.json"), filepath.Join(dir, "e.json"), filepath.Join(dir, "ptau")
	zkmlMust(t, "zkml", "train", "--data", data, "--arch", "2-3", "--epochs", "5", "--out", m, "--exam-out", e, "--max-value", "7")
	for _, k := range []string{"3", "29", "x"} {
		if _, errb, err := zkmlRun(t, "zkml", "ceremony", "phase1", "init", "--power", k, "--dir", filepath.Join(dir, "bad")); exitCode(err) != exitUsage || !strings.Contains(errb, "hint:") {
			t.Fatalf("--power %s: err=%v stderr=%s", k, err, errb)
		}
	}
	if out, _ := zkmlMust(t, "zkml", "ceremony", "phase1", "init", "--power", "11", "--dir", ptau); !strings.Contains(out, "domain 2^11 (2048)") {
		t.Fatalf("phase1 init: %s", out)
	}
	if _, errb := zkmlMust(t, "zkml", "ceremony", "phase1", "contribute", "--dir", ptau); !strings.Contains(errb, "phase 1: contributing to powers of tau for a domain of 2048") || !strings.Contains(errb, "done in") {
		t.Fatalf("phase-1 contribution shows no progress: %s", errb)
	}
	zkmlMust(t, "zkml", "ceremony", "phase1", "contribute", "--dir", ptau)
	// A circuit cannot start from a phase 1 that is still open.
	cerE := filepath.Join(dir, "cer-exam")
	if _, errb, err := zkmlRun(t, "zkml", "ceremony", "init", "--circuit", "exam", "--model", m, "--exam", e, "--dir", cerE, "--phase1", ptau); exitCode(err) != exitUsage || !strings.Contains(errb, "not closed") {
		t.Fatalf("init from an open phase 1: err=%v stderr=%s", err, errb)
	}
	if out, errb := zkmlMust(t, "zkml", "ceremony", "phase1", "verify", "--dir", ptau); !strings.HasPrefix(out, "2 contributions valid (phase 1 of 2^11)") || !strings.Contains(errb, "phase 1: checking 2 contributions") {
		t.Fatalf("phase1 verify: %s\n%s", out, errb)
	}
	beacon := "00112233445566778899aabbccddeeff00112233"
	if _, errb, err := zkmlRun(t, "zkml", "ceremony", "phase1", "seal", "--dir", ptau, "--beacon", beacon, "--lagrange", "4096"); exitCode(err) != exitUsage || !strings.Contains(errb, "hint:") {
		t.Fatalf("a Lagrange domain larger than phase 1's: err=%v stderr=%s", err, errb)
	}
	_, errb := zkmlMust(t, "zkml", "ceremony", "phase1", "seal", "--dir", ptau, "--beacon", beacon, "--lagrange", "1024")
	if !strings.Contains(errb, "sealing it with the beacon") || !strings.Contains(errb, "computing its Lagrange basis for a domain of 1024") {
		t.Fatalf("sealing shows no progress: %s", errb)
	}
	if _, _, err := zkmlRun(t, "zkml", "ceremony", "phase1", "contribute", "--dir", ptau); err == nil {
		t.Fatal("contribution accepted after the seal")
	}
	if out, errb := zkmlMust(t, "zkml", "ceremony", "phase1", "verify", "--dir", ptau); !strings.Contains(out, "sealed with beacon "+beacon+", Lagrange bases for 1 domains") || !strings.Contains(errb, "checking its Lagrange basis for a domain of 1024") {
		t.Fatalf("verify of a sealed phase 1: %s\n%s", out, errb)
	}
	// An exam of 13 samples (908 constraints, domain 1,024) runs only its
	// phase 2, from the basis the seal wrote (checked, not recomputed).
	kE, pE := filepath.Join(dir, "keys-exam"), filepath.Join(dir, "p-exam.json")
	out, errb := zkmlMust(t, "zkml", "ceremony", "init", "--circuit", "exam", "--model", m, "--exam", e, "--dir", cerE, "--phase1", ptau)
	if !strings.Contains(out, "phase 2 open") || !strings.Contains(errb, "checking its Lagrange basis for a domain of 1024") || strings.Contains(errb, "computing its Lagrange") {
		t.Fatalf("exam ceremony from a universal phase 1: %s\n%s", out, errb)
	}
	zkmlMust(t, "zkml", "ceremony", "contribute", "--dir", cerE)
	zkmlMust(t, "zkml", "ceremony", "contribute", "--dir", cerE)
	if out, _ := zkmlMust(t, "zkml", "ceremony", "verify", "--dir", cerE); !strings.HasPrefix(out, "4 contributions valid") {
		t.Fatalf("verify the exam ceremony: %s", out)
	}
	if out, _ := zkmlMust(t, "zkml", "ceremony", "finalize", "--dir", cerE, "--beacon", "30112233445566778899aabbccddeeff00112233", "--keys", kE); !strings.Contains(out, "mpc ceremony") {
		t.Fatalf("closing the exam ceremony: %s", out)
	}
	zkmlMust(t, "zkml", "prove", "--model", m, "--keys", kE, "--out", pE)
	zkmlMust(t, "zkml", "verify", "--keys", kE, "--proof", pE)
	// A phase 1 too small for the circuit is refused with both sizes.
	small := filepath.Join(dir, "ptau-small")
	zkmlMust(t, "zkml", "ceremony", "phase1", "init", "--power", "9", "--dir", small)
	zkmlMust(t, "zkml", "ceremony", "phase1", "contribute", "--dir", small)
	zkmlMust(t, "zkml", "ceremony", "phase1", "seal", "--dir", small, "--beacon", beacon)
	if _, errb, err := zkmlRun(t, "zkml", "ceremony", "init", "--circuit", "exam", "--model", m, "--exam", e, "--dir", filepath.Join(dir, "cer-small"), "--phase1", small); exitCode(err) != exitUsage || !strings.Contains(errb, "circuit needs 2^10, phase 1 has 2^9") {
		t.Fatalf("a circuit larger than phase 1: err=%v stderr=%s", err, errb)
	}
	// A circuit's ceremony is not a phase-1-only one.
	if _, errb, err := zkmlRun(t, "zkml", "ceremony", "phase1", "verify", "--dir", cerE); exitCode(err) != exitUsage || !strings.Contains(errb, "not a phase-1-only one") {
		t.Fatalf("phase1 verify of a circuit's ceremony: err=%v stderr=%s", err, errb)
	}
}
