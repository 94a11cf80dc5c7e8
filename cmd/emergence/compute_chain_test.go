package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"emergence/app/apptest"
	"emergence/client"
	"emergence/compute"
	"emergence/compute/kernel"
	"emergence/keys"
	"emergence/node/nodetest"
	"emergence/tx"
)

// TestComputeDevnetCLI registers a provider and bids through the CLI
// against a real in-process node, answers the benchmark the chain set with
// the reference kernel, and reads providers, jobs, bids and replicas back
// with 'query compute'; a bid above the cap and a query for a job that
// does not exist fail with the module's messages.
func TestComputeDevnetCLI(t *testing.T) {
	unsetPassphraseEnv(t)
	net := nodetest.Start(t, nodetest.Options{})
	home := t.TempDir()
	kr, err := keys.Open(home, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kr.ImportPrivKey("bob", net.Key("bob")); err != nil {
		t.Fatal(err)
	}
	common := []string{"--home", home, "--keyring-backend", "test", "--node", net.API.Addr()}
	cli := func(args ...string) keysRun {
		t.Helper()
		return runLabel(t, "", append(args, common...)...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bob := apptest.Addr("bob")

	cli("tx", "compute", "register-provider", "--cores", "2", "--mem-mib", "2048", "--price", "100uemg", "--stake", "2emg", "--from", "bob").ok(t)
	var p compute.Provider
	if err := json.Unmarshal([]byte(cli("query", "compute", "provider", "bob", "-o", "json").ok(t).stdout), &p); err != nil {
		t.Fatal(err)
	}
	if p.Status != compute.ProviderBenchmarking || p.Bench == nil || p.Bench.Lanes != 2 || p.Stake != 2_000_000 {
		t.Fatalf("provider after registering: %+v", p)
	}
	seed, _ := hex.DecodeString(p.Bench.Seed)
	ans, _ := tx.NewMsg(compute.MsgBenchmarkAnswer, compute.BenchmarkAnswer{Lanes: kernel.Answer([32]byte(seed), p.Bench.Lanes, p.Bench.Segments, p.Bench.Steps)})
	if res, err := net.Client.SignAndBroadcast(ctx, net.Key("bob"), client.TxOptions{GasLimit: 2_000_000}, ans); err != nil || res.Code != 0 {
		t.Fatalf("benchmark answer: %v %+v", err, res)
	}
	if out := cli("query", "compute", "providers").ok(t).stdout; !strings.Contains(out, bob.String()) || !strings.Contains(out, "ready") {
		t.Fatalf("providers printed %q", out)
	}

	h := sha256.Sum256([]byte("module"))
	submit, _ := tx.NewMsg(compute.MsgSubmitJob, compute.SubmitJob{Wasm: hex.EncodeToString(h[:]), Inputs: []string{}, Args: []string{},
		MemMiB: 64, WallMs: 1_000, R: 1, PriceCap: 150, Budget: 150})
	if res, err := net.Client.SignAndBroadcast(ctx, net.Key("alice"), client.TxOptions{GasLimit: 1_000_000}, submit); err != nil || res.Code != 0 {
		t.Fatalf("submit: %v %+v", err, res)
	}
	if out := cli("query", "compute", "open-jobs").ok(t).stdout; !strings.Contains(out, "bidding") {
		t.Fatalf("open-jobs printed %q", out)
	}
	cli("tx", "compute", "bid", "--job", "1", "--price", "151uemg", "--from", "bob").userErr(t, "bid above the job's price cap")
	cli("tx", "compute", "bid", "--job", "1", "--price", "120uemg", "--from", "bob").ok(t)
	if out := cli("query", "compute", "bids", "1").ok(t).stdout; !strings.Contains(out, bob.String()) || !strings.Contains(out, "0.00012emg") {
		t.Fatalf("bids printed %q", out)
	}
	if err := net.Client.Await(ctx, func() (bool, error) {
		var j compute.Job
		err := net.Client.Query(ctx, compute.Name, "job/1", nil, &j)
		return err == nil && j.Status == compute.JobRunning, err
	}); err != nil {
		t.Fatal(err)
	}
	if out := cli("query", "compute", "replicas", "1").ok(t).stdout; !strings.Contains(out, bob.String()) || !strings.Contains(out, compute.AsgAssigned) {
		t.Fatalf("replicas printed %q", out)
	}
	if out := cli("query", "compute", "assignments", "bob").ok(t).stdout; !strings.Contains(out, "1") {
		t.Fatalf("assignments printed %q", out)
	}
	cli("query", "compute", "job", "99").userErr(t, "job not found")
	cli("query", "compute", "result", "1").userErr(t, "no verified result")
}

func TestComputeCLIBadInput(t *testing.T) {
	home := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"tx", "compute", "register-provider", "--cores", "2", "--mem-mib", "1", "--price", "1uemg", "--from", "nobody"}, "no --stake given"},
		{[]string{"tx", "compute", "bid", "--job", "x", "--price", "1uemg", "--from", "nobody"}, "--job"},
		{[]string{"query", "compute", "colour"}, `unknown compute query "colour"`},
		{[]string{"query", "compute", "job"}, "takes 1 argument"},
		{[]string{"query", "compute", "job", "zero"}, `bad job id "zero"`},
		{[]string{"query", "compute", "jobs", "--limit", "0"}, "--limit 0"},
		{[]string{"sim", "compute", "--jobs", "0"}, "options out of range"},
	} {
		_, errs, err := runCLI(t, append(tc.args, "--home", home, "--keyring-backend", "test")...)
		if exitCode(err) != exitUsage || !strings.Contains(errs, tc.want) || !strings.Contains(errs, "hint:") {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 with %q and a hint", tc.args, exitCode(err), errs, tc.want)
		}
	}
}
