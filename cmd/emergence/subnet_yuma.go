package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"emergence/subnet/yuma/casefile"
)

const yumaCaseHint = "see docs/yuma-case.md for the case format; testdata/subnet/yuma-case.json is a working example"

func newSubnetYumaCmd(g *globals) *cobra.Command {
	var in, out string
	cmd := &cobra.Command{
		Use:   "yuma --in case.json [--out result.json]",
		Short: "Run one Yuma Consensus epoch offline on a JSON case",
		Long: `Runs one epoch of Yuma Consensus, exactly as the chain does (deterministic
fixed point), on a case file: stakes, weights, bonds, last-update and
registration blocks, validator permits and hyperparameters. Prints per uid the
consensus, incentive, dividends, validator trust, trust, emissions and new
bonds; --output json prints the same as JSON, --out also writes it to a file.

The case format is described in docs/yuma-case.md. Read the case from stdin
with --in -.

Examples:
  emergence subnet yuma --in testdata/subnet/yuma-case.json
  emergence subnet yuma --in case.json --out result.json --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if in == "" {
				return errorf("pass --in case.json (or --in - for stdin); "+yumaCaseHint, "no case file given")
			}
			return runSubnetYuma(g, in, out)
		},
	}
	cmd.Flags().StringVar(&in, "in", "", "case file (JSON), - for stdin")
	cmd.Flags().StringVar(&out, "out", "", "also write the result as JSON to this file")
	return cmd
}

func runSubnetYuma(g *globals, inPath, outPath string) error {
	var data []byte
	var err error
	if inPath == "-" {
		data, err = io.ReadAll(g.stdin)
	} else {
		data, err = os.ReadFile(inPath)
	}
	if err != nil {
		return errorf("check the --in path", "read case: %w", err)
	}
	c, err := casefile.Parse(data)
	if err != nil {
		return errorf(yumaCaseHint, "case %s: %w", inPath, err)
	}
	o, err := c.Run()
	if err != nil {
		return errorf(yumaCaseHint, "case %s: %w", inPath, err)
	}
	if outPath != "" {
		b, err := json.MarshalIndent(o, "", "  ")
		if err != nil {
			return fmt.Errorf("encode result: %w", err)
		}
		if err := os.WriteFile(outPath, append(b, '\n'), 0o644); err != nil {
			return errorf("check that the --out directory exists and is writable", "write result: %w", err)
		}
	}
	return g.print(o, func(w io.Writer) { printYumaTable(w, o) })
}

func printYumaTable(w io.Writer, o *casefile.Result) {
	fmt.Fprintf(w, "epoch at block %d, emission %d", o.Block, o.Emission)
	if o.Fallback {
		fmt.Fprint(w, " (no usable weights: emission follows stake)")
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "uid\tstake\tactive\tpermit\tconsensus\tincentive\tdividends\tvtrust\ttrust\tminer emission\tvalidator emission\t")
	yn := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	for _, n := range o.Neurons {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t\n", n.UID, n.Stake, yn(n.Active), yn(n.ValidatorPermit),
			n.Consensus, n.Incentive, n.Dividends, n.ValidatorTrust, n.Trust, n.ServerEmission, n.ValidatorEmission)
	}
	fmt.Fprintf(tw, "total\t\t\t\t\t\t\t\t\t%d\t%d\t\n", o.Totals.ServerEmission, o.Totals.ValidatorEmission)
	tw.Flush()
	var any bool
	for _, n := range o.Neurons {
		if len(n.Bonds) == 0 {
			continue
		}
		if !any {
			fmt.Fprintln(w, "\nnew bonds (uid: target=u16 ...)")
			any = true
		}
		parts := make([]string, len(n.Bonds))
		for k, b := range n.Bonds {
			parts[k] = fmt.Sprintf("%d=%d", b[0], b[1])
		}
		fmt.Fprintf(w, "  %d: %s\n", n.UID, strings.Join(parts, " "))
	}
}
