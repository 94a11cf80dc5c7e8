package provider_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"emergence/client"
	"emergence/compute"
	"emergence/compute/provider"
	"emergence/compute/requester"
	"emergence/compute/sandbox"
	"emergence/node/nodetest"
)

// params are the chain's compute parameters in these tests: a benchmark
// of milliseconds, no random re-checks, and windows wide enough for a
// loaded machine.
func params() compute.Params {
	p := compute.DefaultParams()
	p.BenchSegments, p.BenchSteps, p.BenchSamples = 8, 2_000, 4
	p.RecheckPermille = 0
	p.BenchBlocks, p.ExecBlocks, p.RevealBlocks = 200, 100, 100
	return p
}

// sumWasm builds testdata/compute/sum.go (the README's job) for wasip1.
func sumWasm(t *testing.T) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "sum.wasm")
	cmd := exec.Command("go", "build", "-o", out, "../../testdata/compute/sum.go")
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build sum.go for wasip1: %v\n%s", err, msg)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// testLog is a worker's log, forwarded to the test log.
type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) { l.t.Logf("%s", p); return len(p), nil }

// startWorkers runs one provider worker per key in this process until the
// test ends, and waits until every one has passed its benchmark.
func startWorkers(t *testing.T, net *nodetest.Net, runner *sandbox.Runner, keys ...string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	for _, k := range keys {
		w, err := provider.New(net.Client, provider.Config{Key: net.Key(k), Cores: 1, MemMiB: 512, Price: 10, Stake: 2_000_000,
			WorkDir: t.TempDir(), Runner: runner, Log: testLog{t}})
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() { defer wg.Done(); w.Run(ctx) }()
	}
	actx, acancel := context.WithTimeout(ctx, 2*time.Minute)
	defer acancel()
	for _, k := range keys {
		err := net.Client.Await(actx, func() (bool, error) {
			var p compute.Provider
			err := net.Client.Query(actx, compute.Name, "provider/"+net.Addr(k).String(), nil, &p)
			if errors.Is(err, client.ErrNotFound) {
				return false, nil
			}
			return err == nil && p.Status == compute.ProviderReady, err
		})
		if err != nil {
			t.Fatalf("provider %s not ready: %v", k, err)
		}
	}
}

// TestWorkersRunAJobToPayment is the market through two real workers on a
// real node: they register, pass the benchmark, bid, run the job in the
// sandbox, upload its output, commit and reveal; the replicas agree, the
// job is done with the sandbox's output and both are paid their price.
func TestWorkersRunAJobToPayment(t *testing.T) {
	net := nodetest.Start(t, nodetest.Options{BlockTime: 200 * time.Millisecond, ExtraKeys: []string{"p1", "p2"},
		Genesis: map[string]any{compute.Name: compute.Genesis{Params: params()}}})
	runner, err := sandbox.NewRunner()
	if err != nil {
		t.Fatal(err)
	}
	defer runner.Close()
	startWorkers(t, net, runner, "p1", "p2")

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	spec := requester.Spec{Wasm: sumWasm(t), Inputs: [][]byte{[]byte("1 2 3 4\n")}, Args: []string{"0"}, MemMiB: 64, WallMs: 10_000, R: 2, PriceCap: 100}
	sub, err := requester.Submit(ctx, net.Client, net.Key("alice"), spec)
	if err != nil {
		t.Fatal(err)
	}
	if sub.Budget != requester.DefaultBudget(2, 100, 10_000) || sub.Budget != 2*100*10 {
		t.Fatalf("budget %d, want r x cap x 10 s = 2000", sub.Budget)
	}
	j, err := requester.Await(ctx, net.Client, sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	if j.Status != compute.JobDone || j.Result == nil || j.Result.By != "agreement" || j.Result.Exit != 0 {
		t.Fatalf("job %+v, want done by agreement with exit 0", j)
	}
	var sum []byte
	for _, f := range j.Result.Files {
		if f.Name == "sum.txt" {
			if sum, err = net.Client.GetBlob(ctx, f.Blob); err != nil {
				t.Fatal(err)
			}
		}
	}
	if string(sum) != "sum 10 mix 10\n" {
		t.Fatalf("sum.txt %q in %+v, want the job's output", sum, j.Result.Files)
	}
	for _, k := range []string{"p1", "p2"} {
		var p compute.Provider
		if err := net.Client.Query(ctx, compute.Name, "provider/"+net.Addr(k).String(), nil, &p); err != nil {
			t.Fatal(err)
		}
		if p.Earned != 10*10 || p.Active != 0 || p.Jobs != 1 {
			t.Fatalf("%s earned %d with %d active and %d jobs, want its price 10 x 10 s, free, 1 job", k, p.Earned, p.Active, p.Jobs)
		}
	}
	if j.Paid != 200 || j.Refund != sub.Budget-200 {
		t.Fatalf("paid %d refunded %d of %d", j.Paid, j.Refund, sub.Budget)
	}
}
