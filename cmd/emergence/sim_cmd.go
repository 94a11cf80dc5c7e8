package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"emergence/sim/scenario"
)

func init() { simCommands = append(simCommands, newSimRunCmd) }

func newSimRunCmd(g *globals) *cobra.Command {
	var seed uint64
	var check, quiet, list bool
	cmd := &cobra.Command{
		Use:   "run SCENARIO",
		Short: "Run an adversarial scenario file (or a shipped one) and report earnings per strategy",
		Long: `Run a scenario: a YAML file that names the markets to attack, the agents
of each strategy with their counts and stakes, the rounds and the seed.
SCENARIO is a file path, or the name of a scenario shipped in the binary
(--list shows them: label, subnet, data, compute, devices, cross).

The label, subnet and data markets run at once on one real in-process
network (CometBFT, the chain on Pebble, the API on loopback) whose agents
are clients with their own keys; compute and devices run on in-process
chains of their own. Prints a row per market, role and strategy: what it
earned and lost, its net per operator and its margin against the honest
strategy of the same role, then each market's own report (-o json for all
of it). --check fails the command when a cheating strategy out-earned the
honest one. sim/README.md describes the format.`,
		Example: `  emergence sim run --list
  emergence sim run cross
  emergence sim run label -o json > label.json
  emergence sim run ./my-attack.yaml --seed 3 --check`,
		Args: func(cmd *cobra.Command, args []string) error {
			if list {
				return cobra.NoArgs(cmd, args)
			}
			if len(args) != 1 {
				return errorf("name one scenario: a file, or one of "+strings.Join(scenario.Shipped(), ", "), "sim run takes one SCENARIO, got %d", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if list {
				return listScenarios(g)
			}
			s, err := loadScenario(args[0])
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("seed") {
				s.Seed = seed
			}
			return runScenario(cmd, g, s, quiet, check)
		},
	}
	fl := cmd.Flags()
	fl.Uint64Var(&seed, "seed", 0, "replace the scenario's seed")
	fl.BoolVar(&check, "check", false, "fail when a cheating strategy nets more per operator than the honest one of its role")
	fl.BoolVar(&quiet, "quiet", false, "no progress lines on stderr")
	fl.BoolVar(&list, "list", false, "list the shipped scenarios")
	return cmd
}

func loadScenario(ref string) (*scenario.Scenario, error) {
	s, err := scenario.Load(ref)
	if errors.Is(err, scenario.ErrNotFound) {
		return nil, errorf("pass a scenario file or one of "+strings.Join(scenario.Shipped(), ", "), "%w", err)
	}
	if err != nil {
		return nil, errorf("fix the scenario file (sim/README.md describes the format)", "%w", err)
	}
	return s, nil
}

func listScenarios(g *globals) error {
	type entry struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	}
	var out []entry
	for _, n := range scenario.Shipped() {
		s, err := scenario.Load(n)
		if err != nil {
			return fmt.Errorf("shipped scenario %s: %w", n, err)
		}
		out = append(out, entry{n, s.Description})
	}
	return g.print(out, func(w io.Writer) {
		for _, e := range out {
			fmt.Fprintf(w, "%-8s %s\n", e.Name, e.Description)
		}
	})
}

// runScenario runs a validated scenario and prints its report; with check,
// a strategy that out-earned honesty fails the command after the report.
func runScenario(cmd *cobra.Command, g *globals, s *scenario.Scenario, quiet, check bool) error {
	if err := s.Validate(); err != nil {
		return errorf("check the flags against the scenario's ranges", "%w", err)
	}
	var o scenario.Options
	if !quiet {
		o.Log = g.stderr
	}
	rep, err := scenario.Run(cmd.Context(), s, o)
	if err != nil {
		return failf("try smaller sizes (fewer items, epochs or jobs)", "scenario %s: %w", s.Name, err)
	}
	if err := g.print(rep, func(w io.Writer) { rep.WriteTable(w) }); err != nil {
		return err
	}
	if check {
		if err := rep.Check(); err != nil {
			return failf("the report above shows each strategy's margin", "scenario %s: %w", s.Name, err)
		}
	}
	return nil
}
