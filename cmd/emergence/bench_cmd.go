package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"emergence/api"
	"emergence/bench"
	"emergence/bench/transfers"
	"emergence/node"
)

func init() { topCommands = append(topCommands, newBenchCmd) }

func newBenchCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "bench", Short: "Measure the node (transfers/s, commit latency, verification speed)"}
	cmd.AddCommand(newBenchTransfersCmd(g), newBenchLoadCmd(g), newBenchKVStoreNodeCmd(g), newBenchGasCmd(g))
	return cmd
}

func newBenchTransfersCmd(g *globals) *cobra.Command {
	var cfg transfers.Config
	cmd := &cobra.Command{
		Use:   "transfers",
		Short: "Run a devnet and measure committed transfers/s in-process and through the HTTP API",
		Long: `bench transfers starts a throw-away single-validator devnet, pre-signs M transfers from N
accounts and submits them as fast as the node accepts them, twice: inside the node's
process (node capacity) and through the HTTP API from a separate process (what users get):
--batch txs per POST /v1/txs/batch, or with --batch 1 one POST /v1/txs?mode=sync per tx.
It waits for every transfer to commit and prints committed tx/s, p50/p99 commit latency
(submission to commit) and raw ed25519 verifications/s on one core. The top-level
p50_ms/p99_ms are those of the HTTP path.

With --kvstore (the default) it first runs the reference in the same invocation:
CometBFT v1's own kvstore example app in a separate node process under the same
CometBFT settings (block time, mempool), loaded with as many unsigned 90-byte txs over
its JSON-RPC, --batch broadcast_tx_sync calls per JSON-RPC batch request. The target
is http tx/s >= 5,000 and >= kvstore's tx/s of the same run. CPU-s per 10k is the node
process's CPU time per 10,000 committed txs (robust on a loaded machine); load is the
1-minute load average before and after.`,
		Example: "  emergence bench transfers --accounts 256 --txs 40000 --block-time 500ms --output json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if cfg.Accounts < 1 || cfg.Txs < cfg.Accounts {
				return errorf("use --accounts >= 1 and --txs >= --accounts", "bad load shape: %d accounts, %d txs", cfg.Accounts, cfg.Txs)
			}
			if cfg.Batch < 1 || cfg.Batch > api.MaxBatchTxs {
				return errorf(fmt.Sprintf("use --batch 1 to %d", api.MaxBatchTxs), "bad batch size %d", cfg.Batch)
			}
			exe, err := os.Executable()
			if err != nil {
				return err
			}
			cfg.LoadExe, cfg.LoadEnv = exe, append(os.Environ(), "EMERGENCE_RUN_MAIN=1")
			cfg.Progress = g.stderr
			cfg.Start = func(ctx context.Context, home string) (*transfers.Started, error) {
				r, err := startNode(ctx, home, "127.0.0.1:0", "", nil)
				if err != nil {
					return nil, err
				}
				return &transfers.Started{Node: r.node, APIAddr: r.api.Addr(), Stop: r.stop}, nil
			}
			rep, err := transfers.Run(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			return g.print(rep, func(w io.Writer) {
				fmt.Fprintf(w, "%-12s %10s %10s %10s %8s %8s %12s\n", "path", "tx/s", "p50 ms", "p99 ms", "blocks", "failed", "CPU-s/10k")
				for _, row := range []struct {
					name string
					r    bench.Result
					cpu  float64
				}{{"in-process", rep.Inprocess, rep.InprocessCPUPer10k}, {"http", rep.HTTP, rep.HTTPCPUPer10k}} {
					printBenchRow(w, row.name, row.r, row.cpu)
				}
				if rep.KVStore != nil {
					printBenchRow(w, "kvstore", *rep.KVStore, rep.KVStoreCPUPer10k)
				}
				fmt.Fprintf(w, "ed25519 verifications/s on one core: %.0f\n", rep.VerifyPerS)
				fmt.Fprintf(w, "load average: %.1f before, %.1f after\n", rep.LoadAvg[0], rep.LoadAvg[1])
				if rep.KVStore != nil {
					verdict := "met"
					if rep.HTTP.TPS < 5000 || rep.HTTP.TPS < rep.KVStore.TPS {
						verdict = "missed"
					}
					fmt.Fprintf(w, "target (http >= 5000 tx/s and >= kvstore): %s (http %.0f, kvstore %.0f)\n", verdict, rep.HTTP.TPS, rep.KVStore.TPS)
				}
			})
		},
	}
	cmd.Flags().IntVar(&cfg.Accounts, "accounts", 256, "sending accounts (each submits its txs in nonce order)")
	cmd.Flags().IntVar(&cfg.Txs, "txs", 40000, "transfers per path")
	cmd.Flags().IntVar(&cfg.Batch, "batch", 100, "txs per HTTP request (POST /v1/txs/batch; 1: one POST /v1/txs?mode=sync each)")
	cmd.Flags().DurationVar(&cfg.BlockTime, "block-time", 500*time.Millisecond, "devnet block time")
	cmd.Flags().BoolVar(&cfg.Keep, "keep", false, "keep the devnet home afterwards")
	cmd.Flags().StringVar(&cfg.CPUProfile, "cpuprofile", "", "write a CPU profile of the node process during the HTTP run to this file")
	cmd.Flags().BoolVar(&cfg.KVStore, "kvstore", true, "also run CometBFT's kvstore example as the reference, in the same invocation")
	return cmd
}

func printBenchRow(w io.Writer, name string, r bench.Result, cpu float64) {
	fmt.Fprintf(w, "%-12s %10.0f %10.1f %10.1f %8d %8d %12.2f\n", name, r.TPS, r.P50ms, r.P99ms, r.Blocks, r.Failed, cpu)
}

func newBenchKVStoreNodeCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:    "kvstore-node",
		Short:  "Run CometBFT's kvstore example node in a home written by bench transfers (its reference)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := node.StartKVStore(cmd.Context(), g.home, nil)
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "%s%s\n", transfers.KVReady, k.RPCAddr)
			<-cmd.Context().Done()
			return k.Stop()
		},
	}
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
