package main

import (
	"io"
	"os"

	"github.com/spf13/cobra"

	"emergence/sim/devicesim"
)

func init() {
	simCommands = append(simCommands, newSimDevicesCmd)
}

func newSimDevicesCmd(g *globals) *cobra.Command {
	var o devicesim.Options
	cmd := &cobra.Command{
		Use:   "devices [--per-strategy N] [--readings N]",
		Short: "Play honest vehicles, GPS spoofers, replayers and cloners through ingest and the device module and report earnings",
		Long: `Play one epoch of device data on an in-process chain.

Honest vehicles drive a generated grid road network (100 m blocks, one
signed reading every 10 s); GPS spoofers hop kilometres across the city,
replayers re-send an old event id, cloners sign an honest vehicle's
payloads with their own devices. One ingest node applies the validation
rules (device/ingest) and posts the epoch's root and evidence; the chain
pays the epoch pro rata. Prints each strategy's accepted and rejected
readings and its earnings, and whether an offline recomputation matched.`,
		Example: "  emergence sim devices\n  emergence sim devices --per-strategy 10 --readings 60 -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.PerStrategy < 1 || o.PerStrategy > 200 || o.Readings < 2 || o.Readings > 300 {
				return errorf("pass --per-strategy 1 to 200 and --readings 2 to 300", "per-strategy %d, readings %d out of range", o.PerStrategy, o.Readings)
			}
			dir, err := os.MkdirTemp("", "emergence-devicesim-")
			if err != nil {
				return failf("check that the temp directory is writable", "device simulation: %w", err)
			}
			defer os.RemoveAll(dir)
			rep, err := devicesim.Play(dir, o)
			if err != nil {
				return failf("try fewer devices", "%w", err)
			}
			return g.print(rep, func(w io.Writer) { rep.WriteTable(w) })
		},
	}
	cmd.Flags().IntVar(&o.PerStrategy, "per-strategy", 5, "devices per strategy")
	cmd.Flags().IntVar(&o.Readings, "readings", 30, "readings per device in the epoch")
	return cmd
}
