package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"

	"github.com/spf13/cobra"

	"emergence/tx"
	"emergence/zkml"
	"emergence/zkml/circuit"
	"emergence/zkml/model"
)

func init() {
	txCommands = append(txCommands, newZKMLTxCmd)
	queryCommands = append(queryCommands, newZKMLQueryCmd)
}

func newZKMLTxCmd(g *globals) *cobra.Command {
	return txGroup(g, zkml.Name, "Register exams and inference keys, attest accuracy, claim inferences")
}

func newZKMLQueryCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "zkml", Short: "Exams, attestations by model and exam, leaderboards, inferences"}
	one := func(use, short, path string, print func(w io.Writer, v any)) *cobra.Command {
		return &cobra.Command{
			Use: use, Short: short, Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				var v any
				if err := g.query(cmd.Context(), zkml.Name, path+"/"+args[0], nil, &v); err != nil {
					return err
				}
				return g.print(v, func(w io.Writer) { print(w, v) })
			},
		}
	}
	circuits := &cobra.Command{
		Use: "circuits", Short: "List registered exams and inference keys", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return zkmlList(g, cmd, "circuits", nil, "no circuits registered", func(w io.Writer, c zkml.Circuit) {
				if c.Kind == zkml.KindExam {
					fmt.Fprintf(w, "%d  exam       %-16s %d samples  digest %s  vk %s…\n", c.ID, c.Name, c.N, c.ExamDigest, c.VKHash[:16])
				} else {
					fmt.Fprintf(w, "%d  inference  %-16s shape %s  vk %s…\n", c.ID, c.Name, c.ShapeDigest, c.VKHash[:16])
				}
			})
		},
	}
	leaderboard := &cobra.Command{
		Use: "leaderboard EXAM", Short: "Best claim per model on an exam, best first", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return zkmlList(g, cmd, "leaderboard/"+args[0], nil, "no attestations yet", func(w io.Writer, e zkml.LeaderboardEntry) {
				fmt.Fprintf(w, "#%d  %d/%d  model %s  attestation %d by %s\n", e.Rank, e.Claim, e.N, e.Commitment, e.Attestation, e.Attester)
			})
		},
	}
	var inferCircuit, inferAfter, inferLimit string
	inferences := &cobra.Command{
		Use: "inferences [--circuit ID] [--after ID] [--limit N]", Short: "Inference claims by id, of one inference key with --circuit", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			params := url.Values{}
			for k, v := range map[string]string{"circuit": inferCircuit, "after": inferAfter, "limit": inferLimit} {
				if v != "" {
					params.Set(k, v)
				}
			}
			return zkmlList(g, cmd, "inferences", params, "no inference claims", func(w io.Writer, x zkml.Inference) {
				fmt.Fprintf(w, "%d  key %d  model %s  class %d  prover %s  height %d\n", x.ID, x.Circuit, x.Commitment, x.Class, x.Prover, x.Height)
			})
		},
	}
	inferences.Flags().StringVar(&inferCircuit, "circuit", "", "only claims under this inference key")
	inferences.Flags().StringVar(&inferAfter, "after", "", "the page after this inference id")
	inferences.Flags().StringVar(&inferLimit, "limit", "", "most claims per page (1-1000, default 100)")
	jsonText := func(w io.Writer, v any) {
		b, _ := json.MarshalIndent(v, "", "  ")
		fmt.Fprintf(w, "%s\n", b)
	}
	cmd.AddCommand(circuits, leaderboard, inferences,
		one("circuit ID", "Show a registered exam or inference key", "circuit", jsonText),
		one("attestation ID", "Show an accuracy attestation", "attestation", jsonText),
		one("inference ID", "Show an inference claim", "inference", jsonText),
		one("model COMMITMENT", "Attestations, inferences and bindings of a model", "model", jsonText),
		&cobra.Command{
			Use: "binding ID COMMITMENT", Short: "A model's binding to an inference key", Args: cobra.ExactArgs(2),
			RunE: func(cmd *cobra.Command, args []string) error {
				var v any
				if err := g.query(cmd.Context(), zkml.Name, "binding/"+args[0]+"/"+args[1], nil, &v); err != nil {
					return err
				}
				return g.print(v, func(w io.Writer) { jsonText(w, v) })
			},
		},
		one("exam ID", "Attestations on an exam, oldest first", "exam", jsonText))
	return cmd
}

func zkmlSubmitterHex(addr []byte) string { return model.HexElement(circuit.SubmitterElement(addr)) }

// zkmlCheckSubmitter refuses, before broadcasting, a proof bound to another
// account than the signer (the chain would reject it).
func zkmlCheckSubmitter(submitter string, signer tx.Address, command, what, from string) error {
	if submitter == zkmlSubmitterHex(signer[:]) {
		return nil
	}
	return errorf(fmt.Sprintf("re-run 'emergence zkml %s ... --submitter %s'", command, from), "the %s is not bound to the signing account %s", what, from)
}

// zkmlList answers a list query of the zkml module at path: JSON as the
// node sent it, or in text one row a line and none when it is empty.
func zkmlList[T any](g *globals, cmd *cobra.Command, path string, params url.Values, none string, row func(w io.Writer, x T)) error {
	var l []T
	if err := g.query(cmd.Context(), zkml.Name, path, params, &l); err != nil {
		return err
	}
	return g.print(l, func(w io.Writer) {
		if len(l) == 0 {
			fmt.Fprintln(w, none)
		}
		for _, x := range l {
			row(w, x)
		}
	})
}
