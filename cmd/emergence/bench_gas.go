package main

import (
	"fmt"
	"io"
	"runtime"

	"github.com/spf13/cobra"

	"emergence/bench/gasbench"
)

// gasReport is the output of bench gas.
type gasReport struct {
	Target     float64           `json:"target_ns_per_gas"`
	Results    []gasbench.Result `json:"results"`
	OK         bool              `json:"ok"`
	GOMAXPROCS int               `json:"gomaxprocs"`
}

func newBenchGasCmd(g *globals) *cobra.Command {
	var kind string
	var reportOnly bool
	cmd := &cobra.Command{
		Use:   "gas",
		Short: "Run every message kind at its worst case and print nanoseconds per gas unit",
		Long: `bench gas runs each message kind at its worst case through the real app (the whole chain,
block by block, in a temporary directory) and prints the CPU time FinalizeBlock and Commit took
per unit of gas used (and the wall-clock figure, which on a shared machine also measures the
other load). The target is at most 20 ns per gas unit for every kind, so a block at the
genesis gas limit executes in at most one second. It exits with status 1 when a kind misses it,
unless --report-only (figures on a machine slower than the one the target is set for).`,
		Example: "  emergence bench gas\n  emergence bench gas --kind label/settle --output json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			rep := gasReport{Target: gasbench.TargetNsPerGas, OK: true, GOMAXPROCS: runtime.GOMAXPROCS(0)}
			for _, cs := range gasbench.Select(kind) {
				fmt.Fprintf(g.stderr, "bench gas: %s (%s)...\n", cs.Kind, cs.Shape)
				r, err := gasbench.Run(cs)
				if err != nil {
					return err
				}
				rep.Results = append(rep.Results, r)
				rep.OK = rep.OK && r.OK
			}
			if len(rep.Results) == 0 {
				return errorf("pass a message kind such as label/settle, or a module such as bank", "no case for --kind %q", kind)
			}
			if err := g.print(rep, func(w io.Writer) { printGasReport(w, rep) }); err != nil {
				return err
			}
			if !rep.OK && !reportOnly {
				return fmt.Errorf("some message kinds cost more than %d ns per gas unit", gasbench.TargetNsPerGas)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&kind, "kind", "", "only this message kind or module (e.g. label/settle, bank)")
	cmd.Flags().BoolVar(&reportOnly, "report-only", false, "print the figures and exit 0 even when a kind misses the target")
	return cmd
}

func printGasReport(w io.Writer, rep gasReport) {
	fmt.Fprintf(w, "%-28s %8s %8s %6s %12s %10s  %s\n", "kind", "ns/gas", "wall", "txs", "gas", "block", "worst case")
	for _, r := range rep.Results {
		mark := ""
		if !r.OK {
			mark = "  OVER TARGET"
		}
		fmt.Fprintf(w, "%-28s %8.2f %8.2f %6d %12d %10s  %s%s\n", r.Kind, r.NsPerGas, r.WallNsPerGas, r.Txs, r.Gas, r.Elapsed.Round(100_000), r.Shape, mark)
	}
	fmt.Fprintf(w, "ns/gas: CPU time of FinalizeBlock and Commit per gas unit; wall: the same by the wall clock\n")
	fmt.Fprintf(w, "target: at most %d ns per gas unit (GOMAXPROCS %d)\n", gasbench.TargetNsPerGas, rep.GOMAXPROCS)
}
