package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"emergence/demo"
)

// TestDemo runs 'emergence demo --exit' at a small size through the real
// binary (a devnet process and worker processes for every role) and checks
// its report: every step done, the sybil farm refused, the spammers lose,
// the honest labelers, crawlers, providers and UBI claimants earn, the
// model's accuracy is proven, and the attestation's provenance names the
// dataset with its crawlers, the labeling job with its labelers and the
// training job with its providers.
func TestDemo(t *testing.T) {
	home := filepath.Join(t.TempDir(), "demo")
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cmd := newSelfCmd("demo", "--home", home, "--pages", "12", "--honest", "3", "--spammers", "1", "--sybils", "2",
		"--epochs", "2", "--exam-size", "4", "--train-epochs", "2", "--exit", "-o", "json")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := runWithContext(ctx, cmd); err != nil {
		logs, _ := filepath.Glob(filepath.Join(home, "logs", "*.log"))
		for _, l := range logs {
			b, _ := os.ReadFile(l)
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			t.Logf("%s, last lines:\n%s", filepath.Base(l), strings.Join(lines[max(0, len(lines)-15):], "\n"))
		}
		t.Fatalf("demo: %v\nprogress:\n%s", err, stderr.String())
	}
	t.Logf("demo took %s; progress:\n%s", time.Since(start).Round(time.Millisecond), stderr.String())
	var rep demo.Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, stdout.String())
	}
	if len(rep.Steps) != 9 {
		t.Fatalf("%d steps in the report, want 9: %+v", len(rep.Steps), rep.Steps)
	}
	for _, s := range rep.Steps {
		if !s.Done || s.To < s.From {
			t.Errorf("step %q: %+v", s.Name, s)
		}
	}
	if rep.Sybils.Tried != 2 || rep.Sybils.Refused != 2 || !strings.Contains(rep.Sybils.Reason, "label/20") {
		t.Errorf("sybil farm: %+v, want both accounts refused with label/20", rep.Sybils)
	}
	count := map[string]int{}
	for _, p := range rep.Participants {
		role := p.Role
		switch {
		case strings.Contains(role, "spams"):
			count["spammer"]++
			if p.Net >= 0 {
				t.Errorf("spammer %s netted %d uemg, want a loss", p.Name, p.Net)
			}
		case strings.Contains(role, "honest"):
			count["honest"]++
			if p.Net <= 0 {
				t.Errorf("honest labeler %s netted %d uemg", p.Name, p.Net)
			}
		case strings.Contains(role, "sybil"):
			count["sybil"]++
			if p.Net > 0 {
				t.Errorf("sybil %s netted %d uemg", p.Name, p.Net)
			}
		case role == "crawler", role == "compute provider", strings.Contains(role, "UBI claim"):
			if strings.Contains(role, "UBI claim") {
				role = "UBI"
			}
			count[role]++
			if p.Net <= 0 {
				t.Errorf("%s %s netted %d uemg, want a gain", role, p.Name, p.Net)
			}
		case strings.Contains(role, "referee"):
			count["referee"]++
		case strings.Contains(role, "serves the attested model"):
			count["miner"]++
			if p.Net <= 0 {
				t.Errorf("miner %s serving the attested model netted %d uemg", p.Name, p.Net)
			}
		}
	}
	want := map[string]int{"spammer": 1, "honest": 3, "sybil": 2, "crawler": 3, "compute provider": 2, "referee": 1, "miner": 1, "UBI": 4}
	for k, n := range want {
		if count[k] != n {
			t.Errorf("%d %s participants in the report, want %d", count[k], k, n)
		}
	}
	if rep.UBIClaims != 4 {
		t.Errorf("UBI claims %d, want 4 (one per enrolled person)", rep.UBIClaims)
	}
	m := rep.Model
	if m.Attestation == 0 || m.Claim == 0 || m.Claim > m.N || m.N != 4 || m.TrainJob == 0 || m.LabelJob == 0 || m.Dataset == 0 {
		t.Errorf("model: %+v", m)
	}
	if !strings.Contains(m.TamperedRefused, "zkml/20") {
		t.Errorf("tampered link: %q, want refused with zkml/20", m.TamperedRefused)
	}
	// The provenance the chain returned: every link with its participants.
	var prov struct {
		Attestations []struct {
			Dataset struct {
				Crawlers []json.RawMessage `json:"crawlers"`
			} `json:"dataset"`
			LabelJob struct {
				Labelers []json.RawMessage `json:"labelers"`
			} `json:"label_job"`
			TrainJob struct {
				Providers []json.RawMessage `json:"providers"`
			} `json:"train_job"`
		} `json:"attestations"`
		Serving struct {
			UIDs []struct {
				NetUID uint64 `json:"netuid"`
				Hotkey string `json:"hotkey"`
				Earned uint64 `json:"earned"`
			} `json:"uids"`
		} `json:"serving"`
	}
	if err := json.Unmarshal(rep.Provenance, &prov); err != nil || len(prov.Attestations) != 1 {
		t.Fatalf("provenance: %v\n%s", err, rep.Provenance)
	}
	a := prov.Attestations[0]
	if len(a.Dataset.Crawlers) != 3 || len(a.LabelJob.Labelers) != 4 || len(a.TrainJob.Providers) != 2 {
		t.Errorf("provenance links %d crawlers, %d labelers, %d providers; want 3, 4, 2:\n%s",
			len(a.Dataset.Crawlers), len(a.LabelJob.Labelers), len(a.TrainJob.Providers), rep.Provenance)
	}
	// miner1 and miner3 declared they serve the model; miner1 serves it
	// faithfully and earns.
	miner1 := ""
	for _, p := range rep.Participants {
		if p.Name == "miner1" {
			miner1 = p.Address
		}
	}
	earning := false
	for _, u := range prov.Serving.UIDs {
		earning = earning || (u.Hotkey == miner1 && u.NetUID == m.NetUID && u.Earned > 0)
	}
	if len(prov.Serving.UIDs) != 2 || !earning {
		t.Errorf("provenance's serving uids %+v: want 2 on subnet %d, miner1 (%s) earning", prov.Serving.UIDs, m.NetUID, miner1)
	}
	if rep.Height <= 0 || rep.Txs <= 0 {
		t.Errorf("chain figures: height %d, %d txs", rep.Height, rep.Txs)
	}
}

// runWithContext runs cmd and stops it when ctx ends: SIGTERM first, so
// the demo stops the processes it started, then SIGKILL.
func runWithContext(ctx context.Context, cmd *exec.Cmd) error {
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(time.Minute):
			cmd.Process.Kill()
			<-done
		}
		return ctx.Err()
	}
}
