package main

import (
	"io"

	"github.com/spf13/cobra"

	"emergence/sim/labelsim"
)

// simCommands are children of "emergence sim" (one per market). Other areas
// append theirs from an init function, as with topCommands.
var simCommands []func(*globals) *cobra.Command

func init() {
	topCommands = append(topCommands, newSimCmd)
	simCommands = append(simCommands, newSimLabelCmd)
}

// newSimCmd is "emergence sim": adversarial simulations on a real in-process network.
func newSimCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "sim", Short: "Adversarial simulations on a real in-process network"}
	for _, f := range simCommands {
		cmd.AddCommand(f(g))
	}
	return cmd
}

func newSimLabelCmd(g *globals) *cobra.Command {
	var c labelsim.Config
	var seed uint64
	var quiet bool
	cmd := &cobra.Command{
		Use:   "label --honest N --spammers N --colluders N --items N --redundancy R [--seed S]",
		Short: "Attack the labeling market with spammers and colluders and report accuracy and earnings",
		Long: `Attack the labeling market on a real in-process network.

Starts a single-validator node (CometBFT, Pebble, API, blob store) in a temp
directory. Honest agents answer with confusion matrices fitted by Dawid–Skene
on the Dog crowd dataset; spammers answer at random (--spammer-accounts: how
many accounts each spamming operator runs); colluders all give the same
random answer per item. A requester first posts a qualification job (half
gold, every agent labels) and then the main job (10% gold by default), which
requires the reputation the qualification gave (--min-reputation); each is
settled on chain. Prints the accuracy of the main job's settled labels on its
non-gold items and each group's net earnings over both jobs: payments −
slashed stake − transaction fees. --baseline also runs the honest agents
alone for comparison.`,
		Example: `  emergence sim label --honest 60 --spammers 30 --colluders 10 --items 1000 --redundancy 5 --baseline
  emergence sim label --honest 20 --spammers 12 --spammer-accounts 4 --colluders 4 --items 400 --redundancy 5 -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// The flags' ranges are checked here, so that a bad flag is a
			// usage error and a failed simulation a runtime failure.
			if c.Honest < 0 || c.Spammers < 0 || c.Colluders < 0 || c.Honest+c.Spammers+c.Colluders == 0 {
				return errorf("--honest, --spammers and --colluders count accounts", "need at least one agent")
			}
			if c.Items < 10 || c.Items > 20_000 {
				return errorf("pass --items from 10 to 20000", "items %d, want 10 to 20000", c.Items)
			}
			c.Seed = seed
			if !quiet {
				c.Log = g.stderr
			}
			rep, err := labelsim.Run(cmd.Context(), c)
			if err != nil {
				return failf("try fewer items or more agents; --honest/--spammers/--colluders count accounts", "label simulation: %w", err)
			}
			return g.print(rep, func(w io.Writer) { rep.WriteTable(w) })
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&c.Honest, "honest", 20, "honest agents")
	fl.IntVar(&c.Spammers, "spammers", 6, "random spammer accounts")
	fl.IntVar(&c.SpammerAccounts, "spammer-accounts", 3, "accounts per spamming operator (some spammers hold many accounts)")
	fl.IntVar(&c.Colluders, "colluders", 2, "colluding accounts (same answer per item)")
	fl.IntVar(&c.Items, "items", 200, "items in the job")
	fl.IntVar(&c.Redundancy, "redundancy", 5, "labels per item")
	fl.IntVar(&c.GoldPermille, "gold-permille", 100, "share of gold items, permille")
	fl.IntVar(&c.QualifyItems, "qualify-items", 100, "items in the qualification job that gates the main job by reputation (0: no qualification)")
	fl.Uint32Var(&c.MinReputation, "min-reputation", 300, "reputation (permille) the main job requires after qualification")
	fl.BoolVar(&c.Baseline, "baseline", false, "also run the honest agents alone and print the accuracy difference")
	fl.Uint64Var(&seed, "seed", 1, "random seed")
	fl.BoolVar(&quiet, "quiet", false, "no progress lines on stderr")
	return cmd
}
