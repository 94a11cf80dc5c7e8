package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"emergence/bank"
	"emergence/client"
	"emergence/compute"
	"emergence/compute/trainer"
	"emergence/node/nodetest"
	"emergence/tx"
	"emergence/zkml/model"
)

// computeParams are the devnet's compute parameters in these tests:
// the defaults with windows wide enough for providers on a loaded machine
// (a provider that misses a window is slashed, which is not what these
// tests are about).
func computeParams() compute.Params {
	p := compute.DefaultParams()
	p.BidBlocks, p.ExecBlocks, p.RevealBlocks, p.BenchBlocks = 10, 100, 100, 200
	return p
}

// computeNet is a node, a client home with funded keys and provider processes.
type computeNet struct {
	t      testing.TB
	net    *nodetest.Net
	home   string
	common []string
	addrs  map[string]tx.Address
	mu     sync.Mutex
	procs  map[string]*exec.Cmd
	logs   map[string]string
}

func startComputeNet(t testing.TB, keyNames ...string) *computeNet {
	t.Helper()
	return startComputeNetWith(t, computeParams(), nil, keyNames...)
}

// startComputeNetWith starts a node with the compute parameters par and
// extra funded test keys (their private keys are net.Key(name)).
func startComputeNetWith(t testing.TB, par compute.Params, extra []string, keyNames ...string) *computeNet {
	t.Helper()
	t.Setenv(passphraseEnv, "")
	os.Unsetenv(passphraseEnv)
	net := nodetest.Start(t, nodetest.Options{BlockTime: 200 * time.Millisecond, ExtraKeys: extra,
		Genesis: map[string]any{compute.Name: compute.Genesis{Params: par}}})
	cn := &computeNet{t: t, net: net, home: t.TempDir(), addrs: map[string]tx.Address{}, procs: map[string]*exec.Cmd{}, logs: map[string]string{}}
	cn.common = []string{"--home", cn.home, "--keyring-backend", "test", "--node", net.API.Addr()}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, n := range keyNames {
		var k keyJSON
		if err := json.Unmarshal([]byte(cn.mustCLI("keys", "add", n, "-o", "json")), &k); err != nil {
			t.Fatal(err)
		}
		to, err := tx.ParseAddress(k.Address)
		if err != nil {
			t.Fatal(err)
		}
		cn.addrs[n] = to
		m, _ := tx.NewMsg("bank/send", bank.SendMsg{To: to, Amount: 50 * bank.UnitsPerEMG})
		if res, err := net.Client.SignAndBroadcast(ctx, net.Key("alice"), client.TxOptions{}, m); err != nil || res.Code != 0 {
			t.Fatalf("fund %s: %v %+v", n, err, res)
		}
	}
	t.Cleanup(cn.stopAll)
	return cn
}

func (cn *computeNet) cli(args ...string) keysRun {
	cn.t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), append(args, cn.common...), strings.NewReader(""), &out, &errb)
	return keysRun{stdout: out.String(), stderr: errb.String(), err: err}
}

// mustCLI runs the command and fails on error, returning its stdout.
func (cn *computeNet) mustCLI(args ...string) string {
	cn.t.Helper()
	r := cn.cli(args...)
	if r.err != nil {
		cn.t.Fatalf("emergence %s: %v\nstderr: %s", strings.Join(args, " "), r.err, r.stderr)
	}
	return r.stdout
}

// provider starts `emergence provider` for key as its own process.
func (cn *computeNet) provider(key string, extra ...string) {
	cn.t.Helper()
	logPath := filepath.Join(cn.home, key+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		cn.t.Fatal(err)
	}
	args := append([]string{"provider", "--from", key, "--mem-mib", "512", "--stake", "2emg", "--work-dir", filepath.Join(cn.home, "work-"+key)}, extra...)
	cmd := newSelfCmd(append(args, cn.common...)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		cn.t.Fatal(err)
	}
	cn.mu.Lock()
	cn.procs[key], cn.logs[key] = cmd, logPath
	cn.mu.Unlock()
}

func (cn *computeNet) stopAll() {
	cn.mu.Lock()
	defer cn.mu.Unlock()
	for name, cmd := range cn.procs {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if cn.t.Failed() {
			b, _ := os.ReadFile(cn.logs[name])
			cn.t.Logf("provider %s log:\n%s", name, b)
		}
	}
	cn.procs = map[string]*exec.Cmd{}
}

func (cn *computeNet) providerRecord(key string) compute.Provider {
	cn.t.Helper()
	var p compute.Provider
	if err := cn.net.Client.Query(context.Background(), compute.Name, "provider/"+cn.addrs[key].String(), nil, &p); err != nil {
		cn.t.Fatalf("provider %s: %v", key, err)
	}
	return p
}

// awaitReady waits until the keys are providers that passed their benchmark.
func (cn *computeNet) awaitReady(keys ...string) {
	cn.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	err := cn.net.Client.Await(ctx, func() (bool, error) {
		for _, k := range keys {
			var p compute.Provider
			if err := cn.net.Client.Query(ctx, compute.Name, "provider/"+cn.addrs[k].String(), nil, &p); err != nil {
				return false, nil
			}
			if p.Status != compute.ProviderReady {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		cn.t.Fatalf("providers %v not ready: %v", keys, err)
	}
}

// jobWasm builds the README's job, testdata/compute/sum.go, for wasip1.
func jobWasm(t testing.TB) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "sum.wasm")
	cmd := exec.Command("go", "build", "-o", out, filepath.Join("..", "..", "testdata", "compute", "sum.go"))
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build sum.go: %v\n%s", err, msg)
	}
	return out
}

func (cn *computeNet) submit(args ...string) jobView {
	cn.t.Helper()
	var v jobView
	out := cn.mustCLI(append([]string{"job", "submit", "-o", "json"}, args...)...)
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		cn.t.Fatalf("job submit printed %q: %v", out, err)
	}
	return v
}

func assignmentOf(v jobView, a tx.Address) *compute.Assignment {
	for i := range v.Assignments {
		if v.Assignments[i].Provider == a {
			return &v.Assignments[i]
		}
	}
	return nil
}

// TestComputeEndToEnd runs a node, three honest provider processes and
// then a lazy one: a WASM job is verified by agreement and paid, a
// training job's replicas agree on the model bytes that zkml can name, a
// module that is not WebAssembly ends as a failed but settled job, and a
// job given to the lazy provider is refereed, the lazy provider slashed
// and the honest one paid.
func TestComputeEndToEnd(t *testing.T) {
	cn := startComputeNet(t, "req", "p1", "p2", "p3", "lazy")
	for _, p := range []string{"p1", "p2", "p3"} {
		cn.provider(p, "--cores", "2", "--price", "10")
	}
	wasm := jobWasm(t)
	dir := t.TempDir()
	input := filepath.Join(dir, "numbers.txt")
	if err := os.WriteFile(input, []byte("1 2 3 4 5 6 7 8 9 10\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cn.awaitReady("p1", "p2", "p3")
	for _, p := range []string{"p1", "p2", "p3"} {
		if pr := cn.providerRecord(p); pr.Speed == 0 || pr.Cores != 2 {
			t.Fatalf("provider %s after its benchmark: %+v", p, pr)
		}
	}

	// Bad input first: a budget below r x cap x seconds is refused before
	// anything is sent.
	cn.cli("job", "submit", "--wasm", wasm, "--input", input, "--arg", "10", "--budget", "5uemg", "--from", "req").userErr(t, "budget")

	// A WASM job, verified by agreement (or by a recheck's referee) and paid.
	before := cn.balance("req")
	v := cn.submit("--wasm", wasm, "--input", input, "--arg", "1000", "--wall-ms", "5000", "--from", "req", "--wait", "3m")
	j := v.Job
	if j.Status != compute.JobDone || j.Result == nil {
		t.Fatalf("job 1: %+v", j)
	}
	paid := 0
	for _, a := range v.Assignments {
		if a.State == compute.AsgPaid {
			paid++
		}
	}
	if paid != 2 || j.Paid == 0 {
		t.Fatalf("job 1 paid %d replicas (%d uemg): %+v", paid, j.Paid, v.Assignments)
	}
	out := filepath.Join(dir, "job1")
	cn.cli("job", "result", fmt.Sprint(j.ID), "--out", out).ok(t)
	if b, err := os.ReadFile(filepath.Join(out, "sum.txt")); err != nil || !strings.HasPrefix(string(b), "sum 55 mix ") {
		t.Fatalf("job 1 sum.txt = %q (%v)", b, err)
	}
	if logs := cn.cli("job", "logs", fmt.Sprint(j.ID)).ok(t).stdout; !strings.HasPrefix(logs, "sum 55 mix ") {
		t.Fatalf("job logs printed %q", logs)
	}
	if spent := before - cn.balance("req"); spent < j.Paid {
		t.Fatalf("requester spent %d, providers were paid %d", spent, j.Paid)
	}

	// The training job: the trainer built by the project's tooling, digits,
	// a seed; the replicas agreed on model.json, a valid zkml model whose
	// commitment opens with the seed's salt.
	tr := cn.cli("job", "train", "--dataset", "digits", "--arch", "64-16-10", "--seed", "7", "--epochs", "2",
		"--from", "req", "--wait", "6m", "-o", "json").ok(t)
	if err := json.Unmarshal([]byte(tr.stdout), &v); err != nil {
		t.Fatalf("job train printed %q: %v", tr.stdout, err)
	}
	if v.Job.Status != compute.JobDone || v.Job.Result == nil {
		t.Fatalf("training job: %+v", v.Job)
	}
	out = filepath.Join(dir, "train")
	cn.cli("job", "result", fmt.Sprint(v.Job.ID), "--out", out).ok(t)
	m, err := model.LoadModel(filepath.Join(out, trainer.ModelFile))
	if err != nil {
		t.Fatalf("trained model: %v", err)
	}
	c, err := model.Commit(m, trainer.Salt(7))
	if err != nil || model.HexElement(c) != m.Commitment || m.Training.Arch != "64-16-10" {
		t.Fatalf("trained model's commitment does not open with seed 7's salt (%v): %+v", err, m.Training)
	}

	// A module that is not WebAssembly: every replica reports the same
	// refusal, the job settles and the node stays up.
	bad := filepath.Join(dir, "bad.wasm")
	os.WriteFile(bad, []byte("not webassembly"), 0o644)
	v = cn.submit("--wasm", bad, "--from", "req", "--wall-ms", "1000", "--wait", "3m")
	if v.Job.Status != compute.JobDone || v.Job.Result == nil || v.Job.Result.Exit != 0xE0000001 {
		t.Fatalf("invalid module job: %+v", v.Job)
	}

	// The lazy provider, cheapest, is assigned with one honest provider;
	// they disagree, an honest referee re-runs the job, the lazy one is
	// slashed and the honest one paid.
	cn.provider("lazy", "--cores", "1", "--price", "1", "--lazy")
	cn.awaitReady("lazy")
	v = cn.submit("--wasm", wasm, "--input", input, "--arg", "2000", "--wall-ms", "5000", "--from", "req", "--wait", "3m")
	j = v.Job
	la := assignmentOf(v, cn.addrs["lazy"])
	if j.Status != compute.JobDone || j.Result == nil || j.Result.By != "referee" || la == nil {
		t.Fatalf("disputed job: %+v\nassignments %+v", j, v.Assignments)
	}
	if la.State != compute.AsgSlashed || la.Slashed == 0 {
		t.Fatalf("lazy provider's assignment: %+v", la)
	}
	for _, a := range v.Assignments {
		if a.Provider != cn.addrs["lazy"] && a.State != compute.AsgPaid {
			t.Fatalf("honest replica not paid: %+v", a)
		}
	}
	if lp := cn.providerRecord("lazy"); lp.Slashed == 0 || lp.Earned != 0 || lp.Stake >= 2*bank.UnitsPerEMG {
		t.Fatalf("lazy provider after the dispute: %+v", lp)
	}
	if b, err := cn.net.Client.GetBlob(context.Background(), j.Result.Files[len(j.Result.Files)-1].Blob); err != nil || !strings.HasPrefix(string(b), "sum 55 mix ") {
		t.Fatalf("the refereed result is not the honest output: %q (%v)", b, err)
	}
}

func (cn *computeNet) balance(key string) uint64 {
	cn.t.Helper()
	acc, err := cn.net.Client.Account(context.Background(), cn.addrs[key])
	if err != nil {
		cn.t.Fatal(err)
	}
	return acc.Balance
}
