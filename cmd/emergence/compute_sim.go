package main

import (
	"github.com/spf13/cobra"

	"emergence/sim/computesim"
	"emergence/sim/scenario"
)

func init() {
	simCommands = append(simCommands, newSimComputeCmd)
}

// newSimComputeCmd is "emergence sim compute": the shipped compute
// scenario (sim/scenarios/compute.yaml) with the flags given.
func newSimComputeCmd(g *globals) *cobra.Command {
	var o computesim.Options
	var quiet bool
	cmd := &cobra.Command{
		Use:   "compute [--jobs N] [--honest N] [--recheck PERMILLE] [--pair-only]",
		Short: "Play honest, lazy, colluding, over-claiming and offline providers through the compute module and report earnings",
		Long: `Play the compute market on an in-process chain: the shipped scenario
"compute" ('emergence sim run compute') with the flags given.

Honest providers run every job; a lazy provider reveals garbage; a
colluding pair reveals the same made-up output without running anything;
an over-claimer claims four times the cores it has and fills the benchmark
lanes it cannot run; an offline provider stops after its benchmark. A
requester submits jobs every block (r = 2). Prints each strategy's net and
margin against the honest providers, then its paid runs, earnings, slashes,
fees and net, and how often the colluding pair was caught on the jobs
where it was both replicas, against --recheck (p).

--pair-only lets only the pair bid, with honest providers as referees, to
measure the re-check alone; --slash PERMILLE keeps the pair in the market
after it is caught.`,
		Example: "  emergence sim compute\n  emergence sim compute --jobs 100 --recheck 250 --pair-only --slash 1 -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Jobs < 1 || o.Jobs > computesim.MaxJobs || o.Honest < 1 || o.Honest > computesim.MaxHonest || o.RecheckPermille > 1000 || o.SlashPermille > 1000 || o.PerBlock < 1 || o.PerBlock > 64 {
				return errorf("pass --jobs 1 to 1000, --honest 1 to 32, --per-block 1 to 64, --recheck and --slash 0 to 1000", "options out of range")
			}
			s, err := scenario.LoadShipped("compute")
			if err != nil {
				return err
			}
			c, fl := s.Markets.Compute, cmd.Flags()
			setIf(fl.Changed("jobs"), &c.Jobs, o.Jobs)
			setIf(fl.Changed("per-block"), &c.PerBlock, o.PerBlock)
			if fl.Changed("recheck") {
				c.RecheckPermille = &o.RecheckPermille
			}
			setIf(fl.Changed("slash"), &c.SlashPermille, o.SlashPermille)
			setIf(fl.Changed("pair-only"), &c.PairOnly, o.PairOnly)
			if fl.Changed("honest") {
				c.Agents = setAgents(c.Agents, scenario.RoleProvider, scenario.HonestStrategy, o.Honest)
			}
			return runScenario(cmd, g, s, quiet, false)
		},
	}
	cmd.Flags().IntVar(&o.Jobs, "jobs", 60, "jobs the requester submits")
	cmd.Flags().IntVar(&o.PerBlock, "per-block", 4, "jobs submitted per block")
	cmd.Flags().IntVar(&o.Honest, "honest", 4, "honest providers")
	cmd.Flags().Uint32Var(&o.RecheckPermille, "recheck", 100, "p: re-check probability of an agreeing job, in permille")
	cmd.Flags().Uint32Var(&o.SlashPermille, "slash", 0, "slash for a wrong result in permille of stake (0: the module's default)")
	cmd.Flags().BoolVar(&o.PairOnly, "pair-only", false, "only the colluding pair bids; honest providers referee")
	cmd.Flags().BoolVar(&quiet, "quiet", false, "no progress lines on stderr")
	return cmd
}
