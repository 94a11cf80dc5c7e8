package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"emergence/sim/subnetsim"
	"emergence/sim/subnetsim/subnetnet"
	"emergence/zkml/model"
)

// "emergence sim" and its simCommands registry live in label_sim.go.
func init() { simCommands = append(simCommands, newSimSubnetCmd) }

func newSimSubnetCmd(g *globals) *cobra.Command {
	var epochs, rotate int
	var tempo, revealPeriod uint64
	var blockTime time.Duration
	var modelPath, data string
	cmd := &cobra.Command{
		Use:   "subnet",
		Short: "Miners of different quality, a random miner, a weight copier and a stale validator on one subnet",
		Long: `Starts a single-validator network in a temporary directory, creates a
"classify" subnet and runs, as real clients of the node:

  miner-a, miner-b   honest miners (b answers 25% at random); they swap
                     qualities every --rotate epochs
  miner-c            weak miner (60% random answers)
  miner-random       answers at random
  val-honest(-2)     validators that score every miner each epoch
  val-copier         copies the other validators' revealed weights (same stake
                     as val-honest)
  val-stale          sets weights once and never again (same stake)

and prints what each earned per epoch (a table, or JSON with --output json).
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
			return runSimSubnet(cmd.Context(), g, epochs, rotate, tempo, revealPeriod, blockTime, modelPath, data)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&epochs, "epochs", 12, "epochs to simulate after the first")
	fl.IntVar(&rotate, "rotate", 4, "miner-a and miner-b swap quality every N epochs (0: never)")
	fl.Uint64Var(&tempo, "tempo", 10, "subnet tempo in blocks")
	fl.Uint64Var(&revealPeriod, "reveal-period", subnetsim.DefaultRevealPeriod, "reveal delay of weight commits in epochs (1 to 100)")
	fl.DurationVar(&blockTime, "block-time", 100*time.Millisecond, "time between blocks")
	fl.StringVar(&modelPath, "model", "", "miners' zkml model file (default: train a small one on --data)")
	fl.StringVar(&data, "data", "digits", "labelled items: digits or a CSV file (class last)")
	return cmd
}

func runSimSubnet(ctx context.Context, g *globals, epochs, rotate int, tempo, revealPeriod uint64, blockTime time.Duration, modelPath, data string) error {
	d, err := loadClassifyData(data, false)
	if err != nil {
		return err
	}
	train, test := d.Split(0.8, 1)
	var m *model.Model
	if modelPath != "" {
		if m, err = model.LoadModel(modelPath); err != nil {
			return errorf("check --model (a file from 'emergence zkml train')", "load model: %w", err)
		}
	} else {
		fmt.Fprintln(g.stderr, "training the miners' model on", data, "...")
		if m, err = subnetsim.TrainMiners(train); err != nil {
			return err
		}
	}
	rep, err := subnetnet.RunNetwork(ctx, subnetsim.Config{
		Model: m, Data: test, Epochs: epochs, Tempo: tempo, Rotate: rotate, RevealPeriod: revealPeriod, Log: g.stderr,
	}, blockTime)
	if err != nil {
		return fmt.Errorf("simulation: %w", err)
	}
	return g.print(rep, func(w io.Writer) { rep.WriteTable(w) })
}
