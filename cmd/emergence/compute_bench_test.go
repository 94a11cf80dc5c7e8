package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"emergence/client"
	"emergence/compute"
	"emergence/compute/sandbox"
	"emergence/tx"
)

// benchJobNet starts a node with compute parameters par, three provider processes and the sum job's module and input
// uploaded; it returns the module and input hashes.
func benchJobNet(b *testing.B, par compute.Params, cores string, extra []string) (*computeNet, string, string, []byte) {
	cn := startComputeNetWith(b, par, extra, "p1", "p2", "p3")
	for _, p := range []string{"p1", "p2", "p3"} {
		cn.provider(p, "--cores", cores, "--price", "10")
	}
	mod, err := os.ReadFile(jobWasm(b))
	if err != nil {
		b.Fatal(err)
	}
	input := []byte("1 2 3 4 5 6 7 8 9 10\n")
	c := cn.net.Client.SignBlobsWith(cn.net.Key("alice"))
	var hashes []string
	for _, blob := range [][]byte{mod, input} {
		h := sha256.Sum256(blob)
		hx := hex.EncodeToString(h[:])
		if err := c.PutBlob(context.Background(), hx, blob); err != nil {
			b.Fatal(err)
		}
		hashes = append(hashes, hx)
	}
	cn.awaitReady("p1", "p2", "p3")
	return cn, hashes[0], hashes[1], mod
}

// submitAndWait submits the sum job with rounds as key and waits until it
// is settled; it returns the job.
func submitAndWait(ctx context.Context, c *client.Client, key string, cn *computeNet, wasm, input string, rounds uint64, wallMs uint64) (*compute.Job, error) {
	m, _ := tx.NewMsg(compute.MsgSubmitJob, compute.SubmitJob{Wasm: wasm, Inputs: []string{input}, Args: []string{strconv.FormatUint(rounds, 10)},
		MemMiB: 64, WallMs: wallMs, R: 2, PriceCap: 100, Budget: 2 * 100 * ((wallMs + 999) / 1000)})
	res, err := c.SignAndBroadcast(ctx, cn.net.Key(key), client.TxOptions{GasAuto: true}, m)
	if err != nil {
		return nil, err
	}
	if res.Code != 0 {
		return nil, fmt.Errorf("submit: %s", res.Log)
	}
	idS, ok := eventAttr(res.Events, "compute-job", "job")
	if !ok {
		return nil, fmt.Errorf("no job event")
	}
	var j compute.Job
	err = c.Await(ctx, func() (bool, error) {
		if err := c.Query(ctx, compute.Name, "job/"+idS, nil, &j); err != nil {
			return false, err
		}
		return finalJob(j.Status), nil
	})
	return &j, err
}

// BenchmarkComputeLatency measures submit to verified for a job that runs
// about one second in the sandbox (its length calibrated on this machine
// first), through three provider processes, with the default 3-block bid
// window; it reports seconds, blocks and the sandbox run time.
func BenchmarkComputeLatency(b *testing.B) {
	cn, wasm, input, mod := benchJobNet(b, compute.DefaultParams(), "2", nil)
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
		j, err := submitAndWait(ctx, cn.net.Client, "alice", cn, wasm, input, rounds, 30_000)
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
// processes (4 cores each), six requesters keeping one job each in
// flight (12 replicas: the providers' 12 cores, since a job that finds
// every core busy for its three bid windows expires), and reports
// verified jobs per second.
func BenchmarkComputeThroughput(b *testing.B) {
	reqs := []string{"r0", "r1", "r2", "r3", "r4", "r5"}
	// The tests' wide windows (a 10-block bid window): with the default 3
	// blocks, providers stepping through a dozen jobs on a loaded machine
	// miss windows and jobs expire.
	cn, wasm, input, _ := benchJobNet(b, computeParams(), "4", reqs)
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
					j, err := submitAndWait(ctx, cn.net.Client, k, cn, wasm, input, uint64(n), 1000)
					cancel()
					if err == nil && j.Status != compute.JobDone {
						err = fmt.Errorf("job %d ended %s", j.ID, j.Status)
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
