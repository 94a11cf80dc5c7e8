package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"emergence/client"
	"emergence/compute"
	"emergence/compute/requester"
	"emergence/compute/sandbox"
)

// benchJobNet starts a node with compute parameters par and three provider
// processes; it returns the sum job's module and an input.
func benchJobNet(b *testing.B, par compute.Params, cores string, extra []string) (*computeNet, []byte, []byte) {
	cn := startComputeNetWith(b, par, extra, "p1", "p2", "p3")
	for _, p := range []string{"p1", "p2", "p3"} {
		cn.provider(p, "--cores", cores, "--price", "10")
	}
	mod, err := os.ReadFile(jobWasm(b))
	if err != nil {
		b.Fatal(err)
	}
	cn.awaitReady("p1", "p2", "p3")
	return cn, mod, []byte("1 2 3 4 5 6 7 8 9 10\n")
}

// submitAndWait submits the sum job (module and input already uploaded:
// re-uploading a blob is a no-op) with rounds as key and waits until it is
// settled; it returns the job.
func submitAndWait(ctx context.Context, c *client.Client, key string, cn *computeNet, mod, input []byte, rounds uint64, wallMs uint64) (*compute.Job, error) {
	sub, err := requester.Submit(ctx, c, cn.net.Key(key), requester.Spec{Wasm: mod, Inputs: [][]byte{input}, Args: []string{strconv.FormatUint(rounds, 10)},
		MemMiB: 64, WallMs: wallMs, R: 2, PriceCap: 100})
	if err != nil {
		return nil, err
	}
	return requester.Await(ctx, c, sub.ID)
}

// BenchmarkComputeLatency measures submit to verified for a job that runs
// about one second in the sandbox (its length calibrated on this machine
// first), through three provider processes, with the default 3-block bid
// window; it reports seconds, blocks and the sandbox run time.
func BenchmarkComputeLatency(b *testing.B) {
	cn, mod, input := benchJobNet(b, compute.DefaultParams(), "2", nil)
	// Calibrate rounds so that one run takes about a second, the way a
	// provider runs it (a child process without termination checks).
	self, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	b.Setenv("EMERGENCE_RUN_MAIN", "1")
	r, err := sandbox.NewRunner(sandbox.WithChildProcess(self, "sandbox-child"), sandbox.WithCacheDir(b.TempDir()))
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	in := b.TempDir()
	os.WriteFile(filepath.Join(in, "0"), []byte("1 2 3\n"), 0o644)
	rounds := uint64(50_000_000)
	var run time.Duration
	for i := 0; i < 4; i++ {
		res, err := r.Run(context.Background(), sandbox.Job{Module: mod, Args: []string{strconv.FormatUint(rounds, 10)}, Input: in, Output: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		run = res.Elapsed
		rounds = uint64(float64(rounds) * float64(time.Second) / float64(max(run, time.Millisecond)))
	}
	interval, _ := cn.net.Client.BlockInterval(context.Background(), 10)
	b.ResetTimer()
	var total time.Duration
	var blocks int64
	for i := 0; i < b.N; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		start := time.Now()
		j, err := submitAndWait(ctx, cn.net.Client, "alice", cn, mod, input, rounds, 30_000)
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		if j.Status != compute.JobDone || j.Result == nil {
			b.Fatalf("job %d: %+v", j.ID, j)
		}
		total += time.Since(start)
		blocks += j.Result.Height - j.Submitted
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s/job")
	b.ReportMetric(float64(blocks)/float64(b.N), "blocks/job")
	b.ReportMetric(run.Seconds(), "run-s")
	b.ReportMetric(interval.Seconds(), "block-s")
}

// BenchmarkComputeThroughput runs 100 small jobs through three provider
// processes (4 cores each) with the default parameters (a 3-block bid
// window that closes once r bids are in), six requesters keeping one job
// each in flight (12 replicas: the providers' 12 cores), and reports
// verified jobs per second.
func BenchmarkComputeThroughput(b *testing.B) {
	reqs := []string{"r0", "r1", "r2", "r3", "r4", "r5"}
	cn, mod, input := benchJobNet(b, compute.DefaultParams(), "4", reqs)
	const jobs = 100
	b.ResetTimer()
	var elapsed time.Duration
	for i := 0; i < b.N; i++ {
		start := time.Now()
		var wg sync.WaitGroup
		errs := make(chan error, jobs)
		var mu sync.Mutex
		next := 0
		for _, k := range reqs {
			wg.Add(1)
			go func(k string) {
				defer wg.Done()
				for {
					mu.Lock()
					n := next
					next++
					mu.Unlock()
					if n >= jobs {
						return
					}
					ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
					j, err := submitAndWait(ctx, cn.net.Client, k, cn, mod, input, uint64(n), 1000)
					cancel()
					if err == nil && j.Status != compute.JobDone {
						err = fmt.Errorf("job %d ended %s: submitted at %d, %d bids, %d rounds, deadline %d", j.ID, j.Status, j.Submitted, j.Bids, j.Rounds, j.Deadline)
					}
					if err != nil {
						errs <- err
						return
					}
				}
			}(k)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
	}
	b.ReportMetric(float64(jobs*b.N)/elapsed.Seconds(), "jobs/s")
}
