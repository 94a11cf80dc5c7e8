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
// processes; it returns the sum job's module and an input. The module is
// compiled into the providers' (shared) compilation cache first, as a
// provider that ran it before has it: a cold compile of a Go-built module
// takes seconds (reported as compile-s), longer on a loaded machine than
// the default commit window of 20 blocks of 0.2 s.
func benchJobNet(b *testing.B, par compute.Params, cores string, extra []string) (*computeNet, []byte, []byte, time.Duration) {
	cn := startComputeNetWith(b, par, extra, "p1", "p2", "p3")
	mod, err := os.ReadFile(jobWasm(b))
	if err != nil {
		b.Fatal(err)
	}
	r, err := sandbox.NewRunner(sandbox.WithCacheDir(filepath.Join(cn.home, "compute", "wasm-cache")), sandbox.WithChildProcess("unused"))
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	r.Precompile(context.Background(), mod)
	compile := time.Since(start)
	r.Close()
	for _, p := range []string{"p1", "p2", "p3"} {
		cn.provider(p, "--cores", cores, "--price", "10")
	}
	cn.awaitReady("p1", "p2", "p3")
	return cn, mod, []byte("1 2 3 4 5 6 7 8 9 10\n"), compile
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
	cn, mod, input, compile := benchJobNet(b, compute.DefaultParams(), "2", nil)
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
	// The first job is the first each provider runs: its children load
	// the compiled module from the cache for the first time. It is
	// reported apart, as first-s.
	first, _, err := timedJob(cn, "alice", mod, input, rounds, 30_000)
	if err != nil {
		b.Fatal(err)
	}
	interval, _ := cn.net.Client.BlockInterval(context.Background(), 10)
	b.ResetTimer()
	var total time.Duration
	var blocks int64
	for i := 0; i < b.N; i++ {
		d, n, err := timedJob(cn, "alice", mod, input, rounds, 30_000)
		if err != nil {
			b.Fatal(err)
		}
		total += d
		blocks += n
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s/job")
	b.ReportMetric(float64(blocks)/float64(b.N), "blocks/job")
	b.ReportMetric(run.Seconds(), "run-s")
	b.ReportMetric(interval.Seconds(), "block-s")
	b.ReportMetric(first.Seconds(), "first-s")
	b.ReportMetric(compile.Seconds(), "compile-s")
}

// timedJob runs one sum job to its end and returns how long it took and
// how many blocks from submission to result; the job must be done.
func timedJob(cn *computeNet, key string, mod, input []byte, rounds, wallMs uint64) (time.Duration, int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	j, err := submitAndWait(ctx, cn.net.Client, key, cn, mod, input, rounds, wallMs)
	if err != nil {
		return 0, 0, err
	}
	if j.Status != compute.JobDone || j.Result == nil {
		return 0, 0, fmt.Errorf("job %d ended %s: submitted at %d, %d bids, %d rounds, deadline %d", j.ID, j.Status, j.Submitted, j.Bids, j.Rounds, j.Deadline)
	}
	return time.Since(start), j.Result.Height - j.Submitted, nil
}

// BenchmarkComputeThroughput runs 100 small jobs through three provider
// processes (4 cores each) with the default parameters (a 3-block bid
// window that closes once r bids are in, p = 10% re-checks), five
// requesters keeping one job each in flight, and reports verified jobs per
// second. Five jobs of r = 2 leave two of the 12 cores for the referees of
// re-checks: with six, every core held a replica, and a job submitted
// while a referee ran found no two free providers in its three windows and
// expired, as the market's rules say it must.
func BenchmarkComputeThroughput(b *testing.B) {
	reqs := []string{"r0", "r1", "r2", "r3", "r4"}
	cn, mod, input, compile := benchJobNet(b, compute.DefaultParams(), "4", reqs)
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
	b.ReportMetric(compile.Seconds(), "compile-s")
}
