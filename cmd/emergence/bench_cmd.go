package main

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

	"github.com/spf13/cobra"

	"emergence/api"
	"emergence/bench"
	"emergence/client"
	"emergence/node"
	"emergence/node/genesis"
)

func init() { topCommands = append(topCommands, newBenchCmd) }

func newBenchCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "bench", Short: "Measure the node (transfers/s, commit latency, verification speed)"}
	cmd.AddCommand(newBenchTransfersCmd(g), newBenchLoadCmd(g), newBenchGasCmd(g))
	return cmd
}

// transfersReport is the output of bench transfers.
type transfersReport struct {
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
}

func newBenchTransfersCmd(g *globals) *cobra.Command {
	var accounts, txs, batch int
	var blockTime time.Duration
	var keep bool
	var cpuProfile string
	cmd := &cobra.Command{
		Use:   "transfers",
		Short: "Run a devnet and measure committed transfers/s in-process and through the HTTP API",
		Long: `bench transfers starts a throw-away single-validator devnet, pre-signs M transfers from N
accounts and submits them as fast as the node accepts them, twice: inside the node's
process (node capacity) and through the HTTP API from a separate process (what users get):
--batch txs per POST /v1/txs/batch, or with --batch 1 one POST /v1/txs?mode=sync per tx.
It waits for every transfer to commit and prints committed tx/s, p50/p99 commit latency
(submission to commit) and raw ed25519 verifications/s on one core. The top-level
p50_ms/p99_ms are those of the HTTP path.`,
		Example: "  emergence bench transfers --accounts 256 --txs 40000 --block-time 500ms --output json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if accounts < 1 || txs < accounts {
				return errorf("use --accounts >= 1 and --txs >= --accounts", "bad load shape: %d accounts, %d txs", accounts, txs)
			}
			if batch < 1 || batch > api.MaxBatchTxs {
				return errorf(fmt.Sprintf("use --batch 1 to %d", api.MaxBatchTxs), "bad batch size %d", batch)
			}
			home, err := os.MkdirTemp("", "emergence-bench-")
			if err != nil {
				return err
			}
			if !keep {
				defer os.RemoveAll(home)
			}
			fmt.Fprintf(g.stderr, "bench: devnet in %s, %d accounts, %d transfers per path\n", home, accounts, txs)
			if err := initBenchHome(home, accounts, blockTime); err != nil {
				return err
			}
			r, err := startNode(cmd.Context(), home, "127.0.0.1:0", "", nil)
			if err != nil {
				return err
			}
			defer r.stop()
			ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Minute)
			defer cancel()
			if err := client.New(r.api.Addr()).WaitHeight(ctx, 2); err != nil {
				return err
			}
			if cpuProfile != "" {
				f, err := os.Create(cpuProfile)
				if err != nil {
					return err
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
				defer pprof.StopCPUProfile()
			}
			rep := transfersReport{Accounts: accounts, Batch: batch, BlockTime: blockTime.String(), GOMAXPROCS: runtime.GOMAXPROCS(0)}

			fmt.Fprintln(g.stderr, "bench: signing in-process load")
			load := bench.Transfers(r.node.Settings.ChainID, "inproc", accounts, txs, client.MinFee)
			blocks, unsub := r.node.Hub().Subscribe(4096)
			fmt.Fprintln(g.stderr, "bench: submitting in-process")
			rep.Inprocess, err = bench.Run(ctx, load, func(raw []byte) error {
				res, err := r.node.Submit(raw)
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
				return fmt.Errorf("in-process run: %w", err)
			}
			load = nil
			fmt.Fprintf(g.stderr, "bench: in-process %.0f tx/s\n", rep.Inprocess.TPS)

			fmt.Fprintf(g.stderr, "bench: submitting through the HTTP API from a separate process, %d txs per request\n", batch)
			rep.HTTP, err = runLoadProcess(ctx, r.api.Addr(), accounts, txs, batch)
			if err != nil {
				return fmt.Errorf("http run: %w", err)
			}
			fmt.Fprintf(g.stderr, "bench: http %.0f tx/s\n", rep.HTTP.TPS)
			if err := r.node.App().CheckInvariants(); err != nil {
				return fmt.Errorf("after the load: %w", err)
			}
			rep.VerifyPerS = bench.VerifyPerSecond(time.Second)
			rep.InprocessTPS, rep.HTTPTPS, rep.P50ms, rep.P99ms = rep.Inprocess.TPS, rep.HTTP.TPS, rep.HTTP.P50ms, rep.HTTP.P99ms
			return g.print(rep, func(w io.Writer) {
				fmt.Fprintf(w, "%-12s %10s %10s %10s %8s %8s\n", "path", "tx/s", "p50 ms", "p99 ms", "blocks", "failed")
				for _, row := range []struct {
					name string
					r    bench.Result
				}{{"in-process", rep.Inprocess}, {"http", rep.HTTP}} {
					fmt.Fprintf(w, "%-12s %10.0f %10.1f %10.1f %8d %8d\n", row.name, row.r.TPS, row.r.P50ms, row.r.P99ms, row.r.Blocks, row.r.Failed)
				}
				fmt.Fprintf(w, "ed25519 verifications/s on one core: %.0f\n", rep.VerifyPerS)
			})
		},
	}
	cmd.Flags().IntVar(&accounts, "accounts", 256, "sending accounts (each submits its txs in nonce order)")
	cmd.Flags().IntVar(&txs, "txs", 40000, "transfers per path")
	cmd.Flags().IntVar(&batch, "batch", 100, "txs per HTTP request (POST /v1/txs/batch; 1: one POST /v1/txs?mode=sync each)")
	cmd.Flags().DurationVar(&blockTime, "block-time", 500*time.Millisecond, "devnet block time")
	cmd.Flags().BoolVar(&keep, "keep", false, "keep the devnet home afterwards")
	cmd.Flags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the node process to this file")
	return cmd
}

// initBenchHome writes a devnet home funding the load accounts of both paths.
func initBenchHome(home string, accounts int, blockTime time.Duration) error {
	s := node.DefaultSettings("emergence-bench")
	s.BlockTime = node.Duration(blockTime)
	s.P2PAddr = ""
	s.MempoolSize = 100_000
	return genesis.InitSingle(home, s, bench.Funding(bench.Sets, accounts), bench.Addr("validator", 0), nil)
}

// runLoadProcess runs "emergence bench load" as a separate OS process
// against the API and returns its result.
func runLoadProcess(ctx context.Context, apiAddr string, accounts, txs, batch int) (bench.Result, error) {
	var res bench.Result
	exe, err := os.Executable()
	if err != nil {
		return res, err
	}
	cmd := exec.CommandContext(ctx, exe, "bench", "load", "--node", apiAddr, "--accounts", strconv.Itoa(accounts), "--txs", strconv.Itoa(txs), "--set", "http", "--batch", strconv.Itoa(batch), "--output", "json")
	cmd.Env = append(os.Environ(), "EMERGENCE_RUN_MAIN=1")
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

func newBenchLoadCmd(g *globals) *cobra.Command {
	var accounts, txs, batch int
	var set string
	cmd := &cobra.Command{
		Use:    "load",
		Short:  "Submit pre-signed transfers of the bench accounts through the HTTP API and wait for their commits",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := bench.RunHTTP(cmd.Context(), g.client(), set, accounts, txs, batch)
			if nodeFailure(err) {
				return g.nodeError(err)
			}
			if err != nil {
				return err
			}
			return g.print(res, func(w io.Writer) {
				fmt.Fprintf(w, "%d committed (%d failed) in %.2fs: %.0f tx/s, p50 %.1f ms, p99 %.1f ms\n", res.Committed, res.Failed, res.Seconds, res.TPS, res.P50ms, res.P99ms)
			})
		},
	}
	cmd.Flags().IntVar(&accounts, "accounts", 64, "sending accounts")
	cmd.Flags().IntVar(&txs, "txs", 20000, "transfers")
	cmd.Flags().IntVar(&batch, "batch", 100, "txs per request (1: one POST /v1/txs?mode=sync each)")
	cmd.Flags().StringVar(&set, "set", "http", "name of the deterministic account set (funded by bench transfers)")
	return cmd
}
