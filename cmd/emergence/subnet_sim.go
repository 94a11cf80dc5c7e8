package main

import (
	"time"

	"github.com/spf13/cobra"

	"emergence/sim/scenario"

	"emergence/sim/subnetsim"
)

// "emergence sim" and its simCommands registry live in label_sim.go.
func init() { simCommands = append(simCommands, newSimSubnetCmd) }

// newSimSubnetCmd is "emergence sim subnet": the shipped subnet scenario
// (sim/scenarios/subnet.yaml) with the flags given.
func newSimSubnetCmd(g *globals) *cobra.Command {
	var epochs, rotate int
	var tempo, revealPeriod uint64
	var blockTime time.Duration
	var modelPath, data string
	var quiet bool
	cmd := &cobra.Command{
		Use:   "subnet",
		Short: "Miners of different quality, a random miner, a weight copier and a stale validator on one subnet",
		Long: `The shipped scenario "subnet" ('emergence sim run subnet') with the
flags given: starts a single-validator network in a temporary directory,
creates a "classify" subnet and runs, as real clients of the node:

  miner-honest-0/1   honest miners (1 answers 25% at random); they swap
                     qualities every --rotate epochs
  miner-weak-0       weak miner (60% random answers)
  miner-random-0     answers at random
  validator-honest-0/1  validators that score every miner each epoch
  validator-copier-0 copies the other validators' revealed weights (same
                     stake as the honest ones)
  validator-stale-0  sets weights once and never again (same stake)

and prints each strategy's earnings and margin against the honest one of
its role, then what each agent earned per epoch (-o json for all of it).
Commit–reveal means the copier can only copy weights that are
--reveal-period epochs old, and its copies take effect that many epochs
later still.`,
		Example: `  emergence sim subnet --epochs 12
  emergence sim subnet --epochs 20 --rotate 5 --output json > sim.json
  emergence sim subnet --reveal-period 1    # the copier's share at subtensor's default delay`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if epochs <= 0 || epochs > 60 {
				return errorf("pass --epochs between 1 and 60", "epochs %d out of range", epochs)
			}
			if revealPeriod == 0 || revealPeriod > 100 {
				return errorf("pass --reveal-period between 1 and 100", "reveal period %d out of range", revealPeriod)
			}
			s, err := scenario.LoadShipped("subnet")
			if err != nil {
				return err
			}
			sn, fl := s.Markets.Subnet, cmd.Flags()
			setIf(fl.Changed("epochs"), &sn.Epochs, epochs)
			setIf(fl.Changed("rotate"), &sn.Rotate, rotate)
			setIf(fl.Changed("tempo"), &sn.Tempo, tempo)
			setIf(fl.Changed("reveal-period"), &sn.RevealPeriod, revealPeriod)
			setIf(fl.Changed("block-time"), &s.BlockTime, blockTime)
			setIf(fl.Changed("model"), &sn.Model, modelPath)
			setIf(fl.Changed("data"), &sn.Data, data)
			return runScenario(cmd, g, s, quiet, false)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&epochs, "epochs", 12, "epochs to simulate after the first")
	fl.IntVar(&rotate, "rotate", 4, "the honest miners swap quality every N epochs (0: never)")
	fl.Uint64Var(&tempo, "tempo", 10, "subnet tempo in blocks")
	fl.Uint64Var(&revealPeriod, "reveal-period", subnetsim.DefaultRevealPeriod, "reveal delay of weight commits in epochs (1 to 100)")
	fl.DurationVar(&blockTime, "block-time", 100*time.Millisecond, "time between blocks")
	fl.StringVar(&modelPath, "model", "", "miners' zkml model file (default: train a small one on --data)")
	fl.StringVar(&data, "data", "digits", "labelled items: digits or a CSV file (class last)")
	fl.BoolVar(&quiet, "quiet", false, "no progress lines on stderr")
	return cmd
}
