package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"emergence/bank"
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
	return g.print(rep, func(w io.Writer) { printSimReport(w, rep) })
}

func printSimReport(w io.Writer, rep *subnetsim.Report) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := []string{"epoch"}
	for _, a := range rep.Agents {
		head = append(head, a.Name)
	}
	fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
	emg := func(u uint64) string { return strings.TrimSuffix(bank.FormatAmount(u), "emg") }
	for _, e := range rep.Epochs {
		row := []string{fmt.Sprint(e.Epoch)}
		for _, x := range e.Earnings {
			row = append(row, emg(x))
		}
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	row := []string{"total"}
	for _, x := range rep.Totals {
		row = append(row, emg(x))
	}
	fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	tw.Flush()
	fmt.Fprintln(w, "\n(earnings in EMG per epoch)")
	for _, a := range rep.Agents {
		fmt.Fprintf(w, "  %-13s %-9s uid %-2d %s\n", a.Name, a.Role, a.UID, a.Kind)
	}
	fmt.Fprintln(w)
	pct := func(a, b uint64) string {
		if b == 0 {
			return "n/a"
		}
		return fmt.Sprintf("%.1f%%", 100*float64(a)/float64(b))
	}
	honestMiner := (rep.Total("miner-a") + rep.Total("miner-b")) / 2
	fmt.Fprintf(w, "miner-c earned %s and miner-random %s of an honest miner's average\n",
		pct(rep.Total("miner-c"), honestMiner), pct(rep.Total("miner-random"), honestMiner))
	fmt.Fprintf(w, "val-copier earned %s and val-stale %s of val-honest (equal stakes; reveal delay %d epochs)\n",
		pct(rep.Total("val-copier"), rep.Total("val-honest")), pct(rep.Total("val-stale"), rep.Total("val-honest")), rep.RevealPeriod)
}
