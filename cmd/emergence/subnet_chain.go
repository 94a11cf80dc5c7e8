package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"emergence/bank"
	"emergence/subnet"
)

func init() {
	txCommands = append(txCommands, newSubnetTxCmd)
	queryCommands = append(queryCommands, newSubnetQueryCmd)
}

func parseNetUID(s string) (uint16, error) {
	v, err := strconv.ParseUint(s, 10, 16)
	if err != nil {
		return 0, errorf("netuids are numbers from 0 (see 'emergence query subnet list')", "netuid %q: %w", s, err)
	}
	return uint16(v), nil
}

// parseWeights reads "uid:value,uid:value" with u16 values.
func parseWeights(s string) (uids, vals []uint16, err error) {
	const hint = "write weights as uid:value pairs, e.g. --weights 2:65535,3:32767 (values 0 to 65535, rescaled so the largest is 65535)"
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		u, v, ok := strings.Cut(part, ":")
		if !ok {
			return nil, nil, errorf(hint, "weight %q has no ':'", part)
		}
		uid, err1 := strconv.ParseUint(u, 10, 16)
		val, err2 := strconv.ParseUint(v, 10, 16)
		if err1 != nil || err2 != nil {
			return nil, nil, errorf(hint, "weight %q is not uid:value", part)
		}
		uids, vals = append(uids, uint16(uid)), append(vals, uint16(val))
	}
	if len(uids) == 0 {
		return nil, nil, errorf(hint, "no weights given")
	}
	return uids, vals, nil
}

func newSubnetTxCmd(g *globals) *cobra.Command {
	return txGroup(g, subnet.Name, "Subnet transactions: create, register, stake, weights",
		newSubnetCreateCmd(g), newSubnetSetHyperCmd(g))
}

func newSubnetCreateCmd(g *globals) *cobra.Command {
	var f txFlags
	h := subnet.DefaultHyperparams()
	var noCR, legacy bool
	var task string
	cmd := &cobra.Command{
		Use:   "create NAME --from KEY",
		Short: "Create a subnet (locks the creation cost; you become its owner)",
		Long: `Creates a subnet. The creation cost (100 EMG by default) is locked; the
signer becomes the owner and receives the owner cut of its emission.
Hyperparameters default to the values of docs/yuma-case.md (tempo 360 blocks).

Example:
  emergence tx subnet create classify --tempo 20 --from alice`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			h.CommitReveal = !noCR
			h.Yuma3 = !legacy
			hp := h
			_, err := g.send(cmd, &f, "subnet/create", subnet.CreateMsg{Name: args[0], Task: task, Hyper: &hp})
			return err
		},
	}
	f.register(cmd, true)
	fl := cmd.Flags()
	fl.StringVar(&task, "task", subnet.TaskClassify, "built-in task: classify or custom")
	fl.Uint64Var(&h.Tempo, "tempo", h.Tempo, "epoch length in blocks")
	fl.Uint16Var(&h.MaxUIDs, "max-uids", h.MaxUIDs, "uid slots")
	fl.Uint16Var(&h.MaxValidators, "max-validators", h.MaxValidators, "validator permits")
	fl.Uint64Var(&h.ImmunityPeriod, "immunity", h.ImmunityPeriod, "blocks a new uid cannot be pruned")
	fl.Uint16Var(&h.Kappa, "kappa", h.Kappa, "consensus majority (of 65535)")
	fl.BoolVar(&h.LiquidAlpha, "liquid-alpha", false, "per-bond liquid alpha (Yuma 3)")
	fl.BoolVar(&legacy, "legacy-bonds", false, "legacy (Yuma 2) bonds instead of Yuma 3")
	fl.BoolVar(&noCR, "no-commit-reveal", false, "let validators set weights directly")
	fl.Uint64Var(&h.MinBurn, "min-burn", h.MinBurn, "minimum registration price (uemg)")
	return cmd
}

func newSubnetSetHyperCmd(g *globals) *cobra.Command {
	var f txFlags
	var tempo, immunity, bma, minBurn, maxBurn uint64
	var maxUIDs, maxVals, kappa uint16
	var liquid, yuma3, commitReveal bool
	cmd := &cobra.Command{
		Use:     "set-hyperparams NETUID [--tempo N ...] --from OWNER",
		Short:   "Change a subnet's hyperparameters (owner only); unset flags keep their value",
		Example: `  emergence tx subnet set-hyperparams 0 --tempo 20 --from alice`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			net, err := parseNetUID(args[0])
			if err != nil {
				return err
			}
			var cur subnet.SubnetInfo
			if err := g.query(cmd.Context(), "subnet", fmt.Sprintf("subnet/%d", net), nil, &cur); err != nil {
				return err
			}
			h := cur.Hyper
			fl := cmd.Flags()
			set := func(name string, apply func()) {
				if fl.Changed(name) {
					apply()
				}
			}
			set("tempo", func() { h.Tempo = tempo })
			set("immunity", func() { h.ImmunityPeriod = immunity })
			set("bonds-moving-average", func() { h.BondsMovingAverage = bma })
			set("min-burn", func() { h.MinBurn = minBurn })
			set("max-burn", func() { h.MaxBurn = maxBurn })
			set("max-uids", func() { h.MaxUIDs = maxUIDs })
			set("max-validators", func() { h.MaxValidators = maxVals })
			set("kappa", func() { h.Kappa = kappa })
			set("liquid-alpha", func() { h.LiquidAlpha = liquid })
			set("yuma3", func() { h.Yuma3 = yuma3 })
			set("commit-reveal", func() { h.CommitReveal = commitReveal })
			key, _, err := g.signer(f.from)
			if err != nil {
				return err
			}
			_, err = g.sendAs(cmd, key, &f, "subnet/set-hyperparams", subnet.SetHyperMsg{NetUID: net, Hyper: h})
			return err
		},
	}
	f.register(cmd, true)
	fl := cmd.Flags()
	fl.Uint64Var(&tempo, "tempo", 0, "epoch length in blocks")
	fl.Uint64Var(&immunity, "immunity", 0, "blocks a new uid cannot be pruned")
	fl.Uint64Var(&bma, "bonds-moving-average", 0, "bonds moving average in millionths (≤ 975000)")
	fl.Uint64Var(&minBurn, "min-burn", 0, "minimum registration price (uemg)")
	fl.Uint64Var(&maxBurn, "max-burn", 0, "maximum registration price (uemg)")
	fl.Uint16Var(&maxUIDs, "max-uids", 0, "uid slots (not below the uids in use)")
	fl.Uint16Var(&maxVals, "max-validators", 0, "validator permits")
	fl.Uint16Var(&kappa, "kappa", 0, "consensus majority (of 65535)")
	fl.BoolVar(&liquid, "liquid-alpha", false, "per-bond liquid alpha")
	fl.BoolVar(&yuma3, "yuma3", true, "Yuma 3 bonds (false: legacy)")
	fl.BoolVar(&commitReveal, "commit-reveal", true, "require commit–reveal for weights")
	return cmd
}

func newSubnetQueryCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "subnet", Short: "Query subnets: list, info, metagraph, neuron, epochs"}
	cmd.AddCommand(
		&cobra.Command{
			Use: "list", Short: "List subnets", Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				var out []subnet.SubnetInfo
				if err := g.query(cmd.Context(), "subnet", "subnets", nil, &out); err != nil {
					return err
				}
				return g.print(out, func(w io.Writer) {
					tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
					fmt.Fprintln(tw, "NETUID\tNAME\tTASK\tUIDS\tTEMPO\tEPOCHS\tSTAKE\tPENDING\tOWNER")
					for _, s := range out {
						fmt.Fprintf(tw, "%d\t%s\t%s\t%d/%d\t%d\t%d\t%s\t%s\t%s\n", s.NetUID, s.Name, s.Task, s.N, s.Hyper.MaxUIDs, s.Hyper.Tempo, s.Epochs,
							bank.FormatAmount(s.TotalStake), bank.FormatAmount(s.Pending), s.Owner)
					}
					tw.Flush()
				})
			},
		},
		&cobra.Command{
			Use: "info NETUID", Short: "Show a subnet and its hyperparameters", Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				net, err := parseNetUID(args[0])
				if err != nil {
					return err
				}
				var out subnet.SubnetInfo
				if err := g.query(cmd.Context(), "subnet", fmt.Sprintf("subnet/%d", net), nil, &out); err != nil {
					return err
				}
				return g.printJSON(out)
			},
		},
		&cobra.Command{
			Use: "metagraph NETUID", Short: "Per uid: hotkey, stake, incentive, dividends, trust, emission, axon", Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				net, err := parseNetUID(args[0])
				if err != nil {
					return err
				}
				var mg subnet.Metagraph
				if err := g.query(cmd.Context(), "subnet", fmt.Sprintf("metagraph/%d", net), nil, &mg); err != nil {
					return err
				}
				return g.print(mg, func(w io.Writer) { printMetagraph(w, &mg) })
			},
		},
		&cobra.Command{
			Use: "neuron NETUID UID", Short: "One uid with its weights, bonds and stakers", Args: cobra.ExactArgs(2),
			RunE: func(cmd *cobra.Command, args []string) error {
				net, err := parseNetUID(args[0])
				if err != nil {
					return err
				}
				var out json.RawMessage
				if err := g.query(cmd.Context(), "subnet", fmt.Sprintf("neuron/%d/%s", net, args[1]), nil, &out); err != nil {
					return err
				}
				return g.printJSON(out)
			},
		},
		newSubnetEpochsCmd(g),
	)
	return cmd
}

func newSubnetEpochsCmd(g *globals) *cobra.Command {
	var limit int
	cmd := &cobra.Command{
		Use: "epochs NETUID", Short: "Recent epochs: emission and who earned it", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			net, err := parseNetUID(args[0])
			if err != nil {
				return err
			}
			var eps []subnet.EpochRecord
			if err := g.query(cmd.Context(), "subnet", fmt.Sprintf("epochs/%d", net), url.Values{"limit": {strconv.Itoa(limit)}}, &eps); err != nil {
				return err
			}
			return g.print(eps, func(w io.Writer) {
				for _, e := range eps {
					fb := ""
					if e.Fallback {
						fb = " (no usable weights: paid by stake)"
					}
					fmt.Fprintf(w, "epoch %d at height %d: emission %s, owner %s, miners %s, validators %s, carried %s%s\n", e.Epoch, e.Height,
						bank.FormatAmount(e.Emission), bank.FormatAmount(e.OwnerCut), bank.FormatAmount(e.PaidMiners), bank.FormatAmount(e.PaidValidators), bank.FormatAmount(e.Carried), fb)
					for _, u := range e.UIDs {
						if u.MinerEmission+u.ValidatorEmission == 0 {
							continue
						}
						fmt.Fprintf(w, "  uid %d %s: miner %s validator %s\n", u.UID, u.Hotkey, bank.FormatAmount(u.MinerEmission), bank.FormatAmount(u.ValidatorEmission))
					}
				}
			})
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 5, "number of epochs")
	return cmd
}

func printMetagraph(w io.Writer, mg *subnet.Metagraph) {
	fmt.Fprintf(w, "subnet %d after %d epochs\n", mg.NetUID, mg.Epochs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "UID\tHOTKEY\tSTAKE\tPERMIT\tCONSENSUS\tINCENTIVE\tDIVIDENDS\tTRUST\tVTRUST\tEMISSION\tAXON")
	pct := func(v uint16) string { return fmt.Sprintf("%.4f", float64(v)/65535) }
	for _, n := range mg.Neurons {
		permit := "-"
		if n.ValidatorPermit {
			permit = "yes"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", n.UID, n.Hotkey, bank.FormatAmount(n.Stake), permit,
			pct(n.Consensus), pct(n.Incentive), pct(n.Dividends), pct(n.Trust), pct(n.ValidatorTrust), bank.FormatAmount(n.Emission), n.Axon)
	}
	tw.Flush()
}
