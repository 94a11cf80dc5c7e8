package main

import (
	"github.com/spf13/cobra"

	"emergence/sim/scenario"
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

// newSimLabelCmd is "emergence sim label": the shipped label scenario
// (sim/scenarios/label.yaml) with its sizes replaced by the flags given.
func newSimLabelCmd(g *globals) *cobra.Command {
	var honest, spammers, spammerAccounts, colluders, items, redundancy, gold, qualify int
	var minRep uint32
	var baseline, quiet bool
	var seed uint64
	cmd := &cobra.Command{
		Use:   "label --honest N --spammers N --colluders N --items N --redundancy R [--seed S]",
		Short: "Attack the labeling market with spammers and colluders and report accuracy and earnings",
		Long: `Attack the labeling market on a real in-process network: the shipped
scenario "label" ('emergence sim run label'), with the sizes the flags give.

Starts a single-validator node (CometBFT, Pebble, API, blob store) in a temp
directory. Honest agents answer with confusion matrices fitted by Dawid–Skene
on the Dog crowd dataset; spammers answer at random (--spammer-accounts: how
many accounts each spamming operator runs); colluders all give the same
random answer per item. A requester first posts a qualification job (half
gold, every agent labels) and then the main job (10% gold by default), which
requires the reputation the qualification gave (--min-reputation); each is
settled on chain. Prints each strategy's net per operator and its margin
against the honest labelers, then the accuracy of the main job's settled
labels on its non-gold items and each group's net earnings over both jobs:
payments − slashed stake − transaction fees. --baseline also runs the
honest agents alone for comparison.`,
		Example: `  emergence sim label --honest 60 --spammers 30 --colluders 10 --items 1000 --redundancy 5 --baseline
  emergence sim label --honest 20 --spammers 12 --spammer-accounts 4 --colluders 4 --items 400 --redundancy 5 -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// The flags' ranges are checked here, so that a bad flag is a
			// usage error and a failed simulation a runtime failure.
			if honest < 0 || spammers < 0 || colluders < 0 || honest+spammers+colluders == 0 {
				return errorf("--honest, --spammers and --colluders count accounts", "need at least one agent")
			}
			if items < 10 || items > 20_000 {
				return errorf("pass --items from 10 to 20000", "items %d, want 10 to 20000", items)
			}
			s, err := scenario.LoadShipped("label")
			if err != nil {
				return err
			}
			l := s.Markets.Label
			fl := cmd.Flags()
			setIf(fl.Changed("items"), &l.Items, items)
			setIf(fl.Changed("redundancy"), &l.Redundancy, redundancy)
			setIf(fl.Changed("gold-permille"), &l.GoldPermille, gold)
			setIf(fl.Changed("qualify-items"), &l.QualifyItems, qualify)
			setIf(fl.Changed("min-reputation"), &l.MinReputation, minRep)
			setIf(fl.Changed("baseline"), &l.Baseline, baseline)
			setIf(fl.Changed("seed"), &s.Seed, seed)
			if fl.Changed("honest") {
				l.Agents = setAgents(l.Agents, scenario.RoleLabeler, scenario.HonestStrategy, honest)
			}
			if fl.Changed("spammers") {
				l.Agents = setAgents(l.Agents, scenario.RoleLabeler, "spammer", spammers)
			}
			if fl.Changed("colluders") {
				l.Agents = setAgents(l.Agents, scenario.RoleLabeler, "colluder", colluders)
			}
			if fl.Changed("spammer-accounts") {
				for i := range l.Agents {
					if l.Agents[i].Strategy == "spammer" {
						l.Agents[i].AccountsPerOperator = spammerAccounts
					}
				}
			}
			return runScenario(cmd, g, s, quiet, false)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&honest, "honest", 20, "honest agents")
	fl.IntVar(&spammers, "spammers", 6, "random spammer accounts")
	fl.IntVar(&spammerAccounts, "spammer-accounts", 3, "accounts per spamming operator (some spammers hold many accounts)")
	fl.IntVar(&colluders, "colluders", 2, "colluding accounts (same answer per item)")
	fl.IntVar(&items, "items", 200, "items in the job")
	fl.IntVar(&redundancy, "redundancy", 5, "labels per item")
	fl.IntVar(&gold, "gold-permille", 100, "share of gold items, permille")
	fl.IntVar(&qualify, "qualify-items", 100, "items in the qualification job that gates the main job by reputation (0: no qualification)")
	fl.Uint32Var(&minRep, "min-reputation", 300, "reputation (permille) the main job requires after qualification")
	fl.BoolVar(&baseline, "baseline", false, "also run the honest agents alone and print the accuracy difference")
	fl.Uint64Var(&seed, "seed", 1, "random seed")
	fl.BoolVar(&quiet, "quiet", false, "no progress lines on stderr")
	return cmd
}

// setIf sets *p to v when the flag was given: an alias of a shipped
// scenario changes only what its flags name.
func setIf[T any](changed bool, p *T, v T) {
	if changed {
		*p = v
	}
}

// setAgents sets the count of one strategy's agents in a role: 0 removes
// the entry, a missing entry is added.
func setAgents(agents []scenario.Agent, role, strategy string, n int) []scenario.Agent {
	for i, a := range agents {
		if a.Strategy == strategy && (a.Role == role || a.Role == "") {
			if n == 0 {
				return append(agents[:i:i], agents[i+1:]...)
			}
			agents[i].Count = n
			return agents
		}
	}
	if n == 0 {
		return agents
	}
	return append(agents, scenario.Agent{Role: role, Strategy: strategy, Count: n})
}
