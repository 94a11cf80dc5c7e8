package main

import (
	"github.com/spf13/cobra"
)

func init() { topCommands = append(topCommands, newSubnetCmd) }

// newSubnetCmd is "emergence subnet": offline tools and worker roles of the
// subnet module (Yuma Consensus).
func newSubnetCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "subnet",
		Short: "Subnets: Yuma Consensus tools and the miner/validator roles",
		Long: `Subnets are competitions around one AI task: miners serve models, validators
score them and set weights, and every tempo Yuma Consensus turns stakes and
weights into emissions.

  emergence subnet yuma --in case.json     run one epoch offline on a JSON case
  emergence subnet miner ...               serve a classifier (the "classify" task)
  emergence subnet validator ...           score miners, set weights by commit–reveal`,
	}
	cmd.AddCommand(newSubnetYumaCmd(g), newSubnetMinerCmd(g), newSubnetValidatorCmd(g))
	return cmd
}
