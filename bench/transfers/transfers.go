// Package transfers is the transfers benchmark: it boots a throw-away
// single-validator devnet funding the bench accounts, submits pre-signed
// transfers inside the node's process and then through the HTTP API from a
// separate OS process, and reports committed tx/s and commit latency of both
// paths. The CLI's bench transfers command wires it; it links the node, so
// package bench, which workers may link, stays light.
//
// First, in the same invocation, it runs the reference (Config.KVStore):
// CometBFT's own kvstore example app in a node process of its own, under
// the same CometBFT configuration (node.StartKVStore), loaded with as many
// unsigned KVTxBytes-byte txs over its JSON-RPC in batches of the same
// size. The target (issue 17 item 6) is HTTP tx/s >= 5,000 and >= the
// kvstore's in the same run. The figure to re-run on a quiet machine:
//
//	emergence bench transfers --txs 40000
//
// (defaults: 256 accounts, --batch 100, 500 ms blocks, --kvstore); it
// prints tx/s, p50/p99 and the node process's CPU-seconds per 10k committed
// txs of each path, the load average before and after, and the verdict.
//
// Figures on the shared 2-core machine (load 14-35 from other work), 40k
// transfers per path: the node's CPU per 10k committed HTTP transfers went
// from a median of 1.29 s (5 runs) to 0.93 s (8 runs) with the Pebble
// settings, the 8,600 gas limit, ProcessProposal trusting its own prepared
// block and the binary batch body; kvstore's node used 0.46 s in the same
// runs. HTTP tx/s, median 1,853 before and 3,492 after (1,170-7,141);
// kvstore 6,864 (4,006-12,626) in the same runs. Decoding canonical bodies
// in one pass (tx.Decode) then took it from 0.849 s to 0.813 s (medians of
// 5 interleaved runs each with --kvstore=false, load 8.6-13.5). Three runs
// of the command above after it, at load 7.0-8.0: HTTP 7,396-8,948 tx/s at
// 0.78-0.84 CPU-s per 10k, kvstore 13,610-18,472 at 0.43-0.45: at least
// 5,000 in these runs, but not kvstore's figure, so the target is missed;
// two more at load 3.7-4.5: HTTP 9,830 and 9,917 tx/s (0.87 and 0.84
// CPU-s), kvstore 29,436 and 29,276.
// What bounds it: on a loaded machine, CPU per tx (the node gets a share
// of two cores, and kvstore needs about half of ours, with no signature
// to check); on a less loaded one, the block: genesis' 50M gas over each
// transfer's gas limit is 5,813 per block, one block per 500 ms
// timeout_commit plus the block's execution (40k transfers take 7-8
// blocks, about 0.7 s apart at load 7-8 and 0.5-0.6 s at load 4, so about
// 8,300 and 10,000 tx/s at most), while kvstore's CheckTx asks 1 gas a
// tx, so the same 50M does not bind it (its 40k txs took 2-4 blocks). The
// gas is a truthful bound, not slack: bank/send's worst case is 6.6-8.2
// CPU ns/gas against the 20 ns target (bench gas), so a lower charge would
// spend that margin. In the profile per committed transfer (load 6-7):
// signatures 19%, CometBFT's recheck after each block 14% (no signature
// checks: the txs come from the verified-tx cache), the mempool's first
// CheckTx 13%, FinalizeBlock 9%, sha256 9% (3% ours, of whole txs for the
// caches' keys in CheckTx), Commit 7%, Pebble compaction 7%, GC 5%,
// PrepareProposal 4%, PreVerifyBatch with its decoding 2% (7% before).
//
// The node's work before the block then fell by an eighth: caches keyed
// by the tx's bytes (no SHA-256 of ours per lookup), store caches that
// index their keys only when iterated, one reused cache for CheckTx's
// ante, signature batches of up to 256 and one wake-up per batch
// submission. Against main without those five commits (4 interleaved runs
// each, --kvstore=false, load 10.5-14.9) the node's CPU per 10k HTTP
// transfers went from 0.754-0.781 s (median 0.765) to 0.660-0.680 (median
// 0.668); by abciapp's BenchmarkCheckTx a first CheckTx went from 3.5-4.0
// to 2.4-2.8 CPU-us and a recheck from 2.6-3.1 to 1.5. Three runs of the
// command above after them, at load 12.6-16.0: HTTP 4,863-6,355 tx/s at
// 0.66-0.71 CPU-s per 10k in 5 blocks, kvstore 7,994-12,419 at 0.44-0.46
// in 3-4 blocks: the target is missed. In the profile of the HTTP run
// (load 15.4, 0.68 CPU-s per 10k), signature batches are 19%, the API's
// batch handler 17% (CometBFT's mempool CheckTx 13%, ours inside it 3%),
// FinalizeBlock 13%, Commit 8%, CometBFT's rechecks 7% (ours 4%),
// Pebble compaction and flushes 10%, GC 9%, SHA-256 7% (all but 0.4%
// CometBFT's own tx keys and hashes). So on this loaded machine our node
// spends 66-71 CPU-us per committed transfer against kvstore's 44-46, and
// the signature batches alone are about 13 of those.
//
// Then the block: bank/send became 1,500 gas plus 3,500 when it creates
// an account (was 5,000 either way), the load sends to sinks funded in
// genesis and signs at 5,000 gas, so a block holds 10,000 transfers
// instead of 5,813; timeout_propose went from 1 s to CometBFT's 3 s (a
// full block's proposal, reaped only after the last block's recheck, had
// sometimes missed 1 s and cost its height a second round); index records
// and a send's message are encoded and decoded without reflection. Those
// four commits alone (main at 6c0d56a against it with them reverted, 3
// interleaved runs of the command above each, load 2.2-4.2): HTTP
// 8,608-10,368 tx/s in 7 blocks at 0.617-0.677 CPU-s per 10k without them,
// 12,852-13,858 in 4-5 blocks at 0.551-0.569 with them; kvstore
// 16,397-20,853 in 3 blocks in the same runs, so the target is still
// missed. At load 12.6-19.3, against main at 36812ad (with neither side's
// changes; 4 pairs): 3,583-5,928 tx/s, 7-8 blocks, 0.844-0.920 CPU-s
// before, 3,716-8,195, 4-5 blocks, 0.668-0.719 after, kvstore
// 3,941-12,871; rounds past 0 in the node's log 1-2 a run before, none
// after. What bounds it with CPU to spare is the block: 10,000 transfers
// one about every 0.52-0.65 s (500 ms timeout_commit plus execution), the
// first block of a run holding only what has arrived (1,900-5,800 here),
// so 40k take 4-5 blocks where kvstore's 1-gas txs take 2-3. More a block
// needs cheaper gas, and the gas is now close to the work: bench gas's
// bank/send to existing accounts on a chain of 98,304 accounts is
// 12.8-13.3 CPU ns/gas (62.8 CPU-us a send: signature checks about a
// fifth, Pebble reads from a large memtable about two fifths), so 20,000
// a block (2,500 gas) would be about 25 ns/gas, over the 20 ns target.
package transfers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"time"

	"emergence/bench"
	"emergence/client"
	"emergence/node"
	"emergence/node/genesis"
)

// Report is the outcome of a run: both paths' results, the HTTP path's
// figures at the top level, and the load's shape.
type Report struct {
	InprocessTPS float64      `json:"inprocess_tps"`
	HTTPTPS      float64      `json:"http_tps"`
	P50ms        float64      `json:"p50_ms"`
	P99ms        float64      `json:"p99_ms"`
	VerifyPerS   float64      `json:"verify_per_s"`
	Inprocess    bench.Result `json:"inprocess"`
	HTTP         bench.Result `json:"http"`
	Accounts     int          `json:"accounts"`
	Batch        int          `json:"batch"`
	BlockTime    string       `json:"block_time"`
	GOMAXPROCS   int          `json:"gomaxprocs"`
	// InprocessCPUPer10k and HTTPCPUPer10k are the CPU-seconds (user and
	// system) the node's process used per 10,000 committed transfers on
	// each path: the in-process path's include its submitting goroutines,
	// the HTTP path's exclude the load process. Zero where the process's
	// CPU time cannot be read.
	InprocessCPUPer10k float64 `json:"inprocess_cpu_s_per_10k"`
	HTTPCPUPer10k      float64 `json:"http_cpu_s_per_10k"`
	// KVStore is the reference run (Config.KVStore): CometBFT's kvstore
	// example in its own node process under the same CometBFT settings,
	// loaded with as many unsigned KVTxBytes-byte txs over its JSON-RPC in
	// batches of the same size, in the same invocation; KVStoreCPUPer10k
	// is that node process's CPU-seconds per 10,000 committed txs.
	KVStore          *bench.Result `json:"kvstore,omitempty"`
	KVStoreTPS       float64       `json:"kvstore_tps,omitempty"`
	KVStoreCPUPer10k float64       `json:"kvstore_cpu_s_per_10k,omitempty"`
	// LoadAvg is the 1-minute load average before and after the runs
	// (zero where it cannot be read): the wall-clock figures move with it.
	LoadAvg [2]float64 `json:"load_avg"`
}

// cpuPer10k is the CPU-seconds used since before per 10,000 of committed.
func cpuPer10k(before time.Duration, ok bool, committed int) float64 {
	now, ok2 := processCPU()
	if !ok || !ok2 || committed == 0 {
		return 0
	}
	return (now - before).Seconds() * 10_000 / float64(committed)
}

// Started is a running node with its HTTP API, as the caller's Start
// returns it.
type Started struct {
	Node    *node.Node
	APIAddr string
	Stop    func() error
}

// Config is the load's shape and how to start the node and the load
// process.
type Config struct {
	Accounts  int           // sending accounts per path
	Txs       int           // transfers per path
	Batch     int           // txs per HTTP request (1: one POST /v1/txs?mode=sync each)
	BlockTime time.Duration // devnet block time
	// Keep leaves the devnet home in place afterwards.
	Keep bool
	// KVStore also runs the reference: CometBFT's kvstore example in a
	// node process started as "LoadExe bench kvstore-node --home H", with
	// Txs unsigned txs submitted over its JSON-RPC, Batch per request.
	KVStore bool
	// CPUProfile, when set, is where a CPU profile of this process (the
	// node's) is written for the duration of the HTTP path's run.
	CPUProfile string
	// Start starts a node and its API in home (listening on a free port).
	Start func(ctx context.Context, home string) (*Started, error)
	// LoadExe is the emergence binary the HTTP path runs as
	// "LoadExe bench load ..."; LoadEnv is its environment (nil: this
	// process's).
	LoadExe string
	LoadEnv []string
	// Progress receives one line per step.
	Progress io.Writer
}

// Timeout bounds a whole run.
const Timeout = 30 * time.Minute

// Run runs the benchmark. The caller checks the load's shape; Run checks
// the app's invariants after both runs.
func Run(ctx context.Context, cfg Config) (Report, error) {
	var rep Report
	progress := cfg.Progress
	if progress == nil {
		progress = io.Discard
	}
	home, err := os.MkdirTemp("", "emergence-bench-")
	if err != nil {
		return rep, err
	}
	if !cfg.Keep {
		defer os.RemoveAll(home)
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	load0 := loadAvg()
	var kv *bench.Result
	var kvCPU float64
	if cfg.KVStore {
		r, cpu, err := runKVStore(ctx, cfg, progress)
		if err != nil {
			return rep, err
		}
		kv, kvCPU = &r, cpu
		fmt.Fprintf(progress, "bench: kvstore %.0f tx/s, p50 %.0f ms, node %.2f CPU-s per 10k\n", r.TPS, r.P50ms, cpu)
	}
	fmt.Fprintf(progress, "bench: devnet in %s, %d accounts, %d transfers per path\n", home, cfg.Accounts, cfg.Txs)
	if err := InitHome(home, cfg.Accounts, cfg.BlockTime); err != nil {
		return rep, err
	}
	r, err := cfg.Start(ctx, home)
	if err != nil {
		return rep, err
	}
	defer r.Stop()
	if err := client.New(r.APIAddr).WaitHeight(ctx, 2); err != nil {
		return rep, err
	}
	rep = Report{Accounts: cfg.Accounts, Batch: cfg.Batch, BlockTime: cfg.BlockTime.String(), GOMAXPROCS: runtime.GOMAXPROCS(0), KVStore: kv, KVStoreCPUPer10k: kvCPU}
	if kv != nil {
		rep.KVStoreTPS = kv.TPS
	}

	fmt.Fprintln(progress, "bench: signing in-process load")
	load := bench.Transfers(r.Node.Settings.ChainID, "inproc", cfg.Accounts, cfg.Txs, client.MinFee)
	blocks, unsub := r.Node.Hub().Subscribe(4096)
	fmt.Fprintln(progress, "bench: submitting in-process")
	cpu0, cpuOK := processCPU()
	rep.Inprocess, err = bench.Run(ctx, load, func(raw []byte) error {
		res, err := r.Node.Submit(raw)
		if errors.Is(err, node.ErrMempoolFull) {
			return bench.ErrBusy
		}
		if err != nil {
			return err
		}
		if res.Code != 0 {
			return fmt.Errorf("tx refused: %s/%d %s", res.Codespace, res.Code, res.Log)
		}
		return nil
	}, blocks)
	unsub()
	if err != nil {
		return rep, fmt.Errorf("in-process run: %w", err)
	}
	rep.InprocessCPUPer10k = cpuPer10k(cpu0, cpuOK, rep.Inprocess.Committed)
	load = nil
	fmt.Fprintf(progress, "bench: in-process %.0f tx/s, %.2f CPU-s per 10k\n", rep.Inprocess.TPS, rep.InprocessCPUPer10k)

	fmt.Fprintf(progress, "bench: submitting through the HTTP API from a separate process, %d txs per request\n", cfg.Batch)
	stopProfile, err := startProfile(cfg.CPUProfile)
	if err != nil {
		return rep, err
	}
	cpu0, cpuOK = processCPU()
	rep.HTTP, err = runLoadProcess(ctx, cfg, r.APIAddr)
	stopProfile()
	if err != nil {
		return rep, fmt.Errorf("http run: %w", err)
	}
	rep.HTTPCPUPer10k = cpuPer10k(cpu0, cpuOK, rep.HTTP.Committed)
	fmt.Fprintf(progress, "bench: http %.0f tx/s, node %.2f CPU-s per 10k\n", rep.HTTP.TPS, rep.HTTPCPUPer10k)
	if err := r.Node.App().CheckInvariants(); err != nil {
		return rep, fmt.Errorf("after the load: %w", err)
	}
	rep.VerifyPerS = bench.VerifyPerSecond(time.Second)
	rep.InprocessTPS, rep.HTTPTPS, rep.P50ms, rep.P99ms = rep.Inprocess.TPS, rep.HTTP.TPS, rep.HTTP.P50ms, rep.HTTP.P99ms
	rep.LoadAvg = [2]float64{load0, loadAvg()}
	return rep, nil
}

// startProfile starts a CPU profile of this process into path, when set,
// and returns what stops it.
func startProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// InitHome writes a devnet home funding the load accounts of both paths.
func InitHome(home string, accounts int, blockTime time.Duration) error {
	s := node.DefaultSettings("emergence-bench")
	s.BlockTime = node.Duration(blockTime)
	s.P2PAddr = ""
	s.MempoolSize = 100_000
	return genesis.InitSingle(home, s, bench.Funding(bench.Sets, accounts), bench.Addr("validator", 0), nil)
}

// runLoadProcess runs "emergence bench load" as a separate OS process
// against the API and returns its result.
func runLoadProcess(ctx context.Context, cfg Config, apiAddr string) (bench.Result, error) {
	var res bench.Result
	cmd := exec.CommandContext(ctx, cfg.LoadExe, "bench", "load", "--node", apiAddr, "--accounts", strconv.Itoa(cfg.Accounts), "--txs", strconv.Itoa(cfg.Txs), "--set", "http", "--batch", strconv.Itoa(cfg.Batch), "--output", "json")
	cmd.Env = cfg.LoadEnv
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return res, fmt.Errorf("load process: %w", err)
	}
	if err := json.Unmarshal(out, &res); err != nil {
		return res, fmt.Errorf("load process output: %w", err)
	}
	return res, nil
}
