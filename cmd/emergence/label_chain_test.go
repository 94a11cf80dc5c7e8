package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"emergence/bank"
	"emergence/client"
	"emergence/label"
	"emergence/node/nodetest"
	"emergence/tx"
)

// TestLabelDevnetCLI is the README story through the CLI against a real
// in-process node: a requester posts a job with hidden gold, three labelers
// (one spamming one class) label through 'emergence labeler --auto', the
// requester reveals gold, a labeler settles, results are scored with
// 'label eval', the spammer is slashed.
func TestLabelDevnetCLI(t *testing.T) {
	unsetPassphraseEnv(t)
	net := nodetest.Start(t, nodetest.Options{})
	home, dir := t.TempDir(), t.TempDir()
	common := []string{"--home", home, "--keyring-backend", "test", "--node", net.API.Addr()}
	cli := func(stdin string, args ...string) keysRun {
		t.Helper()
		return runLabel(t, stdin, append(args, common...)...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	names := []string{"req", "l1", "l2", "spam"}
	for _, n := range names {
		r := cli("", "keys", "add", n, "-o", "json").ok(t)
		var k keyJSON
		if err := json.Unmarshal([]byte(r.stdout), &k); err != nil {
			t.Fatal(err)
		}
		to, err := tx.ParseAddress(k.Address)
		if err != nil {
			t.Fatal(err)
		}
		m, _ := tx.NewMsg("bank/send", bank.SendMsg{To: to, Amount: 100 * bank.UnitsPerEMG})
		if res, err := net.Client.SignAndBroadcast(ctx, net.Key("alice"), client.TxOptions{}, m); err != nil || res.Code != 0 {
			t.Fatalf("fund %s: %v %+v", n, err, res)
		}
	}
	classes := []string{"neg", "pos"}
	var items, gold, truth, honest, spam strings.Builder
	truth.WriteString("item,truth\n")
	for i := 0; i < 20; i++ {
		c := classes[(i*7/3)%2]
		fmt.Fprintf(&items, "sentence %d is %s\n", i, c)
		fmt.Fprintf(&truth, "%d,%s\n", i, c)
		fmt.Fprintf(&honest, "%d,%s\n", i, c)
		fmt.Fprintf(&spam, "%d,pos\n", i)
		if i%4 == 0 {
			fmt.Fprintf(&gold, "%d,%s\n", i, c)
		}
	}
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	itemsF, goldF, truthF := write("items.txt", items.String()), write("gold.csv", gold.String()), write("truth.csv", truth.String())
	honestF, spamF := write("honest.csv", honest.String()), write("spam.csv", spam.String())

	// Items from a dataset: exactly one of --items and --dataset, and the dataset must exist.
	cli("", "tx", "label", "create-job", "--from", "req", "--items", itemsF, "--dataset", "1", "--classes", "neg,pos", "--gold", goldF).userErr(t, "pass --items PATH or --dataset ID")
	if r := cli("", "tx", "label", "create-job", "--from", "req", "--dataset", "99", "--classes", "neg,pos", "--gold", goldF); r.err == nil || !strings.Contains(r.stderr, "dataset") {
		t.Fatalf("create-job over an unknown dataset: %v %s", r.err, r.stderr)
	}
	r := cli("", "tx", "label", "create-job", "--from", "req", "--items", itemsF, "--classes", "neg,pos", "--gold", goldF,
		"--batch", "20", "--reward", "1000uemg", "--commit-blocks", "30", "--reveal-blocks", "15").ok(t)
	if !strings.Contains(r.stdout, "job 1: 20 items") {
		t.Fatalf("create-job printed %q", r.stdout)
	}
	r = cli("", "query", "label", "job", "1").ok(t)
	if !strings.Contains(r.stdout, "classes         neg, pos") {
		t.Fatalf("query job printed %q", r.stdout)
	}
	r = cli("", "query", "label", "progress", "1").ok(t)
	if !strings.Contains(r.stdout, "job 1  open") || !strings.Contains(r.stdout, "committed  0 assignment(s), 0 labels") {
		t.Fatalf("query progress printed %q, want an open job with nothing committed", r.stdout)
	}
	done := make(chan keysRun, 3)
	for _, n := range []string{"l1", "l2", "spam"} {
		answers := honestF
		if n == "spam" {
			answers = spamF
		}
		go func() {
			done <- runLabel(t, "", append([]string{"labeler", "--from", n, "--job", "1", "--auto", answers, "--stake", "2emg"}, common...)...)
		}()
	}
	for i := 0; i < 3; i++ {
		r := <-done
		if r.err != nil || !strings.Contains(r.stdout, "20 items answered, committed and revealed") {
			t.Fatalf("labeler: %v\nstdout %s\nstderr %s", r.err, r.stdout, r.stderr)
		}
	}
	var j label.Job
	if err := net.Client.Query(ctx, "label", "job/1", nil, &j); err != nil {
		t.Fatal(err)
	}
	if err := net.Client.WaitHeight(ctx, j.RevealDeadline); err != nil {
		t.Fatal(err)
	}
	// Gold opens only after the reveal window.
	cli("", "tx", "label", "reveal-gold", "--job", "1", "--from", "req").ok(t)
	cli("", "tx", "label", "settle", "--job", "1", "--from", "l1").ok(t)
	out := filepath.Join(dir, "settled.csv")
	r = cli("", "query", "label", "results", "1", "--csv", out).ok(t)
	if !strings.Contains(r.stdout, "20/20 items labeled") || !strings.Contains(r.stdout, "gold used: true") {
		t.Fatalf("results printed %q", r.stdout)
	}
	r = cli("", "label", "eval", "--pred", out, "--truth", truthF).ok(t)
	if !strings.HasPrefix(r.stdout, "accuracy 1.0000 (20/20") {
		t.Fatalf("eval printed %q", r.stdout)
	}
	r = cli("", "query", "label", "labeler", "spam", "-o", "json").ok(t)
	var lb label.Labeler
	if err := json.Unmarshal([]byte(r.stdout), &lb); err != nil {
		t.Fatal(err)
	}
	if lb.Slashed != bank.UnitsPerEMG/2 || lb.Earned != 0 || lb.Stake != 3*bank.UnitsPerEMG/2 {
		t.Errorf("spammer after settlement %+v, want half of the 1 EMG at risk slashed and nothing earned", lb)
	}
	r = cli("", "query", "label", "labeler", "l1", "-o", "json").ok(t)
	if err := json.Unmarshal([]byte(r.stdout), &lb); err != nil {
		t.Fatal(err)
	}
	if lb.Earned == 0 || lb.Slashed != 0 || lb.Reputation < 900 {
		t.Errorf("honest labeler after settlement %+v", lb)
	}
	// Bad input through the CLI: a second settle is stopped by the
	// simulation with the module's code, before anything is signed; a
	// settle of a job that does not exist too.
	for _, job := range []string{"1", "99"} {
		r = cli("", "tx", "label", "settle", "--job", job, "--from", "l2")
		if r.err == nil || exitCode(r.err) != 2 || !strings.Contains(r.stderr, "would fail: code label/") || !strings.Contains(r.stderr, "nothing was sent or charged") {
			t.Errorf("settle of job %s: %v, stderr %q", job, r.err, r.stderr)
		}
	}
	net.CheckInvariants()
}
