package main

import (
	"github.com/spf13/cobra"

	"emergence/sim/scenario"
)

func init() {
	simCommands = append(simCommands, newSimDevicesCmd)
}

// newSimDevicesCmd is "emergence sim devices": the shipped devices
// scenario (sim/scenarios/devices.yaml) with the flags given.
func newSimDevicesCmd(g *globals) *cobra.Command {
	var perStrategy, readings int
	var quiet bool
	cmd := &cobra.Command{
		Use:   "devices [--per-strategy N] [--readings N]",
		Short: "Play honest vehicles, GPS spoofers, replayers and cloners through ingest and the device module and report earnings",
		Long: `Play one epoch of device data on an in-process chain: the shipped
scenario "devices" ('emergence sim run devices') with the flags given.

Honest vehicles drive a generated grid road network (100 m blocks, one
signed reading every 10 s); GPS spoofers hop kilometres across the city,
replayers re-send an old event id, cloners sign an honest vehicle's
payloads with their own devices. One ingest node applies the validation
rules (device/ingest) and posts the epoch's root and evidence; the chain
pays the epoch pro rata. Prints each strategy's earnings and margin against
the honest vehicles, its accepted and rejected readings, and whether an
offline recomputation matched.`,
		Example: "  emergence sim devices\n  emergence sim devices --per-strategy 10 --readings 60 -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if perStrategy < 1 || perStrategy > 200 || readings < 2 || readings > 300 {
				return errorf("pass --per-strategy 1 to 200 and --readings 2 to 300", "per-strategy %d, readings %d out of range", perStrategy, readings)
			}
			s, err := scenario.LoadShipped("devices")
			if err != nil {
				return err
			}
			d, fl := s.Markets.Devices, cmd.Flags()
			setIf(fl.Changed("readings"), &d.Readings, readings)
			if fl.Changed("per-strategy") {
				for i := range d.Agents {
					d.Agents[i].Count = perStrategy
				}
			}
			return runScenario(cmd, g, s, quiet, false)
		},
	}
	cmd.Flags().IntVar(&perStrategy, "per-strategy", 5, "devices per strategy")
	cmd.Flags().IntVar(&readings, "readings", 30, "readings per device in the epoch")
	cmd.Flags().BoolVar(&quiet, "quiet", false, "no progress lines on stderr")
	return cmd
}
