package gasbench

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"emergence/app/apptest"
	"emergence/compute"
	"emergence/compute/kernel"
)

// computeGenesis has a small benchmark (so preparing many providers is
// quick) unless full is set, where the default benchmark is kept because
// the benchmark answer itself is measured.
func computeGenesis(bal map[string]uint64, full bool) apptest.Genesis {
	p := compute.DefaultParams()
	if !full {
		p.BenchSegments, p.BenchSteps, p.BenchSamples = 1, 1, 1
	}
	return apptest.Genesis{Balances: bal, Modules: map[string]any{"compute": compute.Genesis{Params: p}}}
}

func benchAnswer(c *apptest.Chain, name string) compute.BenchmarkAnswer {
	var p compute.Provider
	if err := c.Query("compute/provider/"+apptest.Addr(name).String(), nil, &p); err != nil {
		fail("provider %s: %v", name, err)
	}
	seed, err := hex.DecodeString(p.Bench.Seed)
	if err != nil {
		fail("seed: %v", err)
	}
	return compute.BenchmarkAnswer{Lanes: kernel.Answer([32]byte(seed), p.Bench.Lanes, p.Bench.Segments, p.Bench.Steps)}
}

// computeProviders registers providers "<prefix><i>" with cores each and
// has them pass their benchmarks.
func computeProviders(c *apptest.Chain, prefix string, n int, cores uint32) []string {
	var names []string
	var txs [][]byte
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("%s%d", prefix, i)
		names = append(names, name)
		txs = append(txs, c.Sign(name, c.Msg(compute.MsgRegisterProvider, compute.RegisterProvider{Cores: cores, MemMiB: compute.MaxMemMiB, Price: 100, Stake: 10_000_000})))
	}
	for _, r := range c.Deliver(txs...) {
		c.MustOK(r)
	}
	txs = txs[:0]
	for _, name := range names {
		txs = append(txs, c.SignWith(name, 5_000_000, c.Msg(compute.MsgBenchmarkAnswer, benchAnswer(c, name))))
	}
	for _, r := range c.Deliver(txs...) {
		c.MustOK(r)
	}
	return names
}

func hashOf(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

// worstJob is a job with every list at its bound and r = MaxR.
func worstJob() compute.SubmitJob {
	j := compute.SubmitJob{Wasm: hashOf("wasm"), MemMiB: 64, WallMs: 2_000, R: compute.MaxR, PriceCap: 1_000, Budget: 1_000 * 2 * compute.MaxR}
	for i := 0; i < compute.MaxInputs; i++ {
		j.Inputs = append(j.Inputs, hashOf(fmt.Sprint("input", i)))
	}
	for i := 0; i < compute.MaxArgs; i++ {
		j.Args = append(j.Args, strings.Repeat(fmt.Sprint(i%10), compute.MaxArgLen))
	}
	return j
}

// worstFiles is an output of MaxFiles files with the longest names.
func worstFiles(tag string) ([]compute.File, string) {
	var files []compute.File
	for i := 0; i < compute.MaxFiles; i++ {
		files = append(files, compute.File{Name: fmt.Sprintf("%02d", i) + strings.Repeat("f", compute.MaxFileName-2), Blob: hashOf(tag + fmt.Sprint(i))})
	}
	h, err := compute.OutputHash(0, files)
	if err != nil {
		fail("output hash: %v", err)
	}
	return files, hex.EncodeToString(h[:])
}

// submitTxs is n submissions of worstJob by requester.
func submitTxs(c *apptest.Chain, n int) [][]byte {
	var txs [][]byte
	for i := 0; i < n; i++ {
		txs = append(txs, c.SignWith("requester", 2_000_000, c.Msg(compute.MsgSubmitJob, worstJob())))
	}
	return txs
}

// bidTxs is a bid at 500 by every one of provs on each of jobs.
func bidTxs(c *apptest.Chain, provs []string, jobs []uint64) [][]byte {
	var txs [][]byte
	for _, id := range jobs {
		for _, p := range provs {
			txs = append(txs, c.Sign(p, c.Msg(compute.MsgBid, compute.Bid{Job: id, Price: 500})))
		}
	}
	return txs
}

// jobRange is the job ids first to last.
func jobRange(first, last uint64) []uint64 {
	var ids []uint64
	for id := first; id <= last; id++ {
		ids = append(ids, id)
	}
	return ids
}

// runToReveal submits jobs, has the first MaxR bidders of providers win
// each, and has all commit the given outputs; it returns the job ids and
// the salt every commitment used.
func runToReveal(c *apptest.Chain, jobs int, provs []string, output func(job uint64, p int) string) []uint64 {
	deliverOK(c, submitTxs(c, jobs))
	var page compute.JobPage
	if err := c.Query("compute/open-jobs", nil, &page); err != nil {
		fail("open jobs: %v", err)
	}
	var ids []uint64
	for _, j := range page.Jobs {
		ids = append(ids, j.ID)
	}
	deliverOK(c, bidTxs(c, provs, ids))
	c.NextBlocks(int(compute.DefaultParams().BidBlocks))
	var txs [][]byte
	for _, id := range ids {
		for k, p := range provs {
			out, _ := hex.DecodeString(output(id, k))
			cm := compute.CommitHash(id, apptest.Addr(p), [32]byte(out), [32]byte{1})
			txs = append(txs, c.Sign(p, c.Msg(compute.MsgCommitResult, compute.CommitResult{Job: id, Commit: hex.EncodeToString(cm[:])})))
		}
	}
	for _, r := range c.Deliver(txs...) {
		c.MustOK(r)
	}
	return ids
}

func computeCases(div int) []Case {
	answers := max(1, 4/div)
	windows := max(1, compute.MaxDuePerBlock/div)
	settles := max(1, 40/div)
	bal := funded("p", max(answers, compute.MaxBids), 100_000_000)
	for k, v := range funded("q", compute.MaxR, 100_000_000) {
		bal[k] = v
	}
	bal["requester"] = 100_000_000_000
	return []Case{
		{
			Kind: compute.MsgBenchmarkAnswer, Shape: fmt.Sprintf("%d providers of %d cores, default benchmark (%d samples of %d steps re-run)",
				answers, compute.MaxCores, compute.DefaultParams().BenchSamples, compute.DefaultParams().BenchSteps),
			Genesis: computeGenesis(bal, true),
			Prepare: func(c *apptest.Chain) [][]byte {
				var txs [][]byte
				for i := 0; i < answers; i++ {
					txs = append(txs, c.Sign(fmt.Sprintf("p%d", i), c.Msg(compute.MsgRegisterProvider, compute.RegisterProvider{Cores: compute.MaxCores, MemMiB: 1024, Price: 100, Stake: 10_000_000})))
				}
				for _, r := range c.Deliver(txs...) {
					c.MustOK(r)
				}
				txs = txs[:0]
				for i := 0; i < answers; i++ {
					name := fmt.Sprintf("p%d", i)
					txs = append(txs, c.SignWith(name, 5_000_000, c.Msg(compute.MsgBenchmarkAnswer, benchAnswer(c, name))))
				}
				return txs
			},
		},
		{
			Kind: compute.MsgSubmitJob, Shape: fmt.Sprintf("%d jobs at every list bound, while as many second bid windows of %d bids close and assign r=%d (the early close after the r-th bid failed)", windows, compute.MaxBids, compute.MaxR),
			Genesis: computeGenesis(bal, false),
			Prepare: func(c *apptest.Chain) [][]byte {
				// r one-core providers bid first on every job: their r-th
				// bid closes each window early, job 1 takes their cores
				// and every other job's early close fails into a second
				// window, where the rest bid up to MaxBids. The measured
				// block is that window's last: its EndBlock reads all the
				// bids, skips the busy ones and assigns r from the rest, for
				// every job but the first.
				// At most MaxDuePerBlock jobs, so that every early close is
				// processed in the block of its r-th bid.
				jobs := max(2, windows)
				first := computeProviders(c, "q", compute.MaxR, 1)
				provs := computeProviders(c, "p", compute.MaxBids-compute.MaxR, compute.MaxCores)
				deliverOK(c, submitTxs(c, jobs))
				for k, set := range [][]string{first, provs} {
					deliverOK(c, bidTxs(c, set, jobRange(uint64(1+k), uint64(jobs))))
				}
				var j compute.Job
				if err := c.Query(fmt.Sprintf("compute/job/%d", jobs), nil, &j); err != nil || j.Status != compute.JobBidding || j.Rounds != 2 || j.Bids != compute.MaxBids {
					fail("job %d is %s in round %d with %d bids (%v), want bidding in round 2 with %d", jobs, j.Status, j.Rounds, j.Bids, err, compute.MaxBids)
				}
				c.NextBlocks(int(j.Deadline-c.Height()) - 1)
				return submitTxs(c, windows)
			},
		},
		{
			Kind: compute.MsgSubmitJob, Shape: fmt.Sprintf("%d jobs at every list bound, while as many commit windows close with all r=%d replicas missing, slashed and refilled from %d spare bids", windows, compute.MaxR, compute.MaxBids-compute.MaxR),
			Genesis: computeGenesis(bal, false),
			Prepare: func(c *apptest.Chain) [][]byte {
				provs := computeProviders(c, "p", compute.MaxBids, compute.MaxCores)
				deliverOK(c, submitTxs(c, windows))
				deliverOK(c, bidTxs(c, provs, jobRange(1, uint64(windows))))
				par := compute.DefaultParams()
				c.NextBlocks(int(par.BidBlocks) - 1) // the windows close: every job running
				var j compute.Job
				if err := c.Query("compute/job/1", nil, &j); err != nil || j.Status != compute.JobRunning {
					fail("job 1 is %s (%v), want running", j.Status, err)
				}
				// Nobody commits; the measured block is the commit deadline.
				c.NextBlocks(int(j.Deadline-c.Height()) - 1)
				return submitTxs(c, windows)
			},
		},
		{
			Kind: compute.MsgRegisterProvider, Shape: fmt.Sprintf("%d providers, each locking a stake and getting a benchmark set", compute.MaxBids),
			Genesis: computeGenesis(bal, false),
			Prepare: func(c *apptest.Chain) [][]byte {
				var txs [][]byte
				for i := 0; i < compute.MaxBids; i++ {
					txs = append(txs, c.Sign(fmt.Sprintf("p%d", i), c.Msg(compute.MsgRegisterProvider, compute.RegisterProvider{Cores: compute.MaxCores, MemMiB: compute.MaxMemMiB, Price: 100, Stake: 10_000_000})))
				}
				return txs
			},
		},
		{
			Kind: compute.MsgBid, Shape: fmt.Sprintf("%d providers bidding on each of %d jobs", compute.MaxBids, windows),
			Genesis: computeGenesis(bal, false),
			Prepare: func(c *apptest.Chain) [][]byte {
				provs := computeProviders(c, "p", compute.MaxBids, compute.MaxCores)
				deliverOK(c, submitTxs(c, windows))
				return bidTxs(c, provs, jobRange(1, uint64(windows)))
			},
		},
		{
			Kind: compute.MsgCommitResult, Shape: fmt.Sprintf("%d jobs of r=%d, every replica committing (the last opens the reveal window)", settles, compute.MaxR),
			Genesis: computeGenesis(bal, false),
			Prepare: func(c *apptest.Chain) [][]byte {
				provs := computeProviders(c, "p", compute.MaxR, compute.MaxCores)
				deliverOK(c, submitTxs(c, settles))
				deliverOK(c, bidTxs(c, provs, jobRange(1, uint64(settles))))
				c.NextBlocks(int(compute.DefaultParams().BidBlocks))
				var txs [][]byte
				for id := uint64(1); id <= uint64(settles); id++ {
					for _, p := range provs {
						cm := compute.CommitHash(id, apptest.Addr(p), [32]byte{1}, [32]byte{2})
						txs = append(txs, c.Sign(p, c.Msg(compute.MsgCommitResult, compute.CommitResult{Job: id, Commit: hex.EncodeToString(cm[:])})))
					}
				}
				return txs
			},
		},
		{
			Kind: compute.MsgUnregister, Shape: fmt.Sprintf("%d providers leaving, each stake returned", compute.MaxBids),
			Genesis: computeGenesis(bal, false),
			Prepare: func(c *apptest.Chain) [][]byte {
				provs := computeProviders(c, "p", compute.MaxBids, compute.MaxCores)
				var txs [][]byte
				for _, p := range provs {
					txs = append(txs, c.Sign(p, c.Msg(compute.MsgUnregister, compute.Unregister{})))
				}
				return txs
			},
		},
		{
			Kind: compute.MsgRevealResult, Shape: fmt.Sprintf("%d last reveals of r=%d jobs with %d files, each settling %d payments", settles, compute.MaxR, compute.MaxFiles, compute.MaxR),
			Genesis: computeGenesis(bal, false),
			Prepare: func(c *apptest.Chain) [][]byte {
				provs := computeProviders(c, "p", compute.MaxR, compute.MaxCores)
				files, out := worstFiles("same")
				ids := runToReveal(c, settles, provs, func(uint64, int) string { return out })
				reveal := func(p string, id uint64) []byte {
					return c.Sign(p, c.Msg(compute.MsgRevealResult, compute.RevealResult{Job: id, Output: out, Files: files, Salt: hex.EncodeToString([]byte{31: 0, 0: 1})}))
				}
				var txs [][]byte
				for _, id := range ids {
					for _, p := range provs[:compute.MaxR-1] {
						txs = append(txs, reveal(p, id))
					}
				}
				for _, r := range c.Deliver(txs...) {
					c.MustOK(r)
				}
				txs = txs[:0]
				for _, id := range ids {
					txs = append(txs, reveal(provs[compute.MaxR-1], id))
				}
				return txs
			},
		},
		{
			Kind: compute.MsgRefereeResult, Shape: fmt.Sprintf("%d referee results over r=%d differing reveals with %d files: %d slashes, a payment and a fee each", settles, compute.MaxR, compute.MaxFiles, compute.MaxR-1),
			Genesis: computeGenesis(bal, false),
			Prepare: func(c *apptest.Chain) [][]byte {
				provs := computeProviders(c, "p", compute.MaxR+1, compute.MaxCores)
				replicas, referee := provs[:compute.MaxR], provs[compute.MaxR]
				outs := make([]string, compute.MaxR)
				fileSets := make([][]compute.File, compute.MaxR)
				for k := range outs {
					fileSets[k], outs[k] = worstFiles(fmt.Sprint("replica", k))
				}
				ids := runToReveal(c, settles, replicas, func(_ uint64, k int) string { return outs[k] })
				var txs [][]byte
				for _, id := range ids {
					for k, p := range replicas {
						txs = append(txs, c.Sign(p, c.Msg(compute.MsgRevealResult, compute.RevealResult{Job: id, Output: outs[k], Files: fileSets[k], Salt: hex.EncodeToString([]byte{31: 0, 0: 1})})))
					}
				}
				for _, r := range c.Deliver(txs...) {
					c.MustOK(r)
				}
				txs = txs[:0]
				for _, id := range ids {
					var j compute.Job
					if err := c.Query(fmt.Sprintf("compute/job/%d", id), nil, &j); err != nil || j.Referee != apptest.Addr(referee) {
						fail("job %d referee %s, want %s (%v)", id, j.Referee, referee, err)
					}
					txs = append(txs, c.Sign(referee, c.Msg(compute.MsgRefereeResult, compute.RefereeResult{Job: id, Output: outs[0], Files: fileSets[0]})))
				}
				return txs
			},
		},
	}
}
