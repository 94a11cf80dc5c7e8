package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"

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

// zkmlTxGas covers a proof verification plus a key or proof in the tx bytes.
const zkmlTxGas = 1_000_000

func newZKMLTxCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "zkml", Short: "Register exams and inference keys, attest accuracy, claim inferences"}
	cmd.AddCommand(newZKMLRegisterCmd(g), newZKMLAttestCmd(g), newZKMLBindTxCmd(g), newZKMLInferTxCmd(g))
	return cmd
}

func newZKMLRegisterCmd(g *globals) *cobra.Command {
	var f txFlags
	var keys, name string
	cmd := &cobra.Command{
		Use:   "register --keys DIR --from KEY [--name NAME]",
		Short: "Register the verifying key of a keys directory (an exam or an inference circuit)",
		Long: `Register on chain the verifying key of a keys directory made by 'emergence zkml
setup' or 'zkml ceremony finalize'. An exam circuit registers as an exam
under its exam's name (the key is bound to the exam's name, size and model
shape, so --name is for inference keys); an inference circuit as an
inference key.
The new id is in the tx's zkml/register event.`,
		Example: "  emergence tx zkml register --keys keys/ --from alice --keyring-backend test",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			key, _, err := g.signer(f.from)
			if err != nil {
				return err
			}
			k, err := circuit.LoadKeys(keys)
			if err != nil {
				return errorf("pass --keys DIR from 'zkml setup' or 'zkml ceremony finalize'", "%w", err)
			}
			var kind string
			var v any
			switch k.Info.Kind {
			case circuit.KindExam:
				kind = "zkml/register-exam"
				// The exam's name is part of the statement its key proves.
				if en := k.Spec.Exam.Name; name != "" && name != en {
					return errorf("drop --name: an exam registers under its own name, which its keys are bound to", "--name %q, but the keys' exam is named %q", name, en)
				}
				name = k.Spec.Exam.Name
				v = zkml.MsgRegisterExam{Name: name, ExamDigest: k.Info.ExamDigest, N: uint64(k.Info.ExamN), ShapeDigest: k.Info.ShapeDigest, VK: k.VK}
			default:
				kind = "zkml/register-inference"
				v = zkml.MsgRegisterInference{Name: name, ShapeDigest: k.Info.ShapeDigest, VK: k.VK, LinkVK: k.LinkVK, BindingVK: k.BindingVK}
			}
			_, err = g.sendAs(cmd, key, &f, kind, v)
			return err
		},
	}
	zkmlTxFlags(cmd, &f)
	cmd.Flags().StringVar(&keys, "keys", "zkml-keys", "keys directory")
	cmd.Flags().StringVar(&name, "name", "", "a short name for the exam or key")
	return cmd
}

func newZKMLAttestCmd(g *globals) *cobra.Command {
	var f txFlags
	var proofPath, datasetRoot string
	var exam, labelJob uint64
	cmd := &cobra.Command{
		Use:   "attest --exam ID --proof proof.json --from KEY [--dataset-root HEX] [--label-job ID]",
		Short: "Submit an accuracy proof for a registered exam",
		Long: `Submit an accuracy proof made by 'emergence zkml prove' with exam keys. The
chain verifies it against the exam's registered key and records the model
commitment, the claim K of N, and the provenance references: --dataset-root
(hex Merkle root of the training data) and --label-job (the labeling job).`,
		Example: "  emergence tx zkml attest --exam 1 --proof proof.json --from alice --keyring-backend test",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			key, addr, err := g.signer(f.from)
			if err != nil {
				return err
			}
			pf, err := circuit.LoadProof(proofPath)
			if err != nil {
				return errorf("pass a proof file written by 'emergence zkml prove'", "%w", err)
			}
			if pf.Exam == nil {
				return errorf("use 'tx zkml infer' for inference proofs", "%s is not an accuracy proof", proofPath)
			}
			if err := zkmlCheckSubmitter(pf.Exam.Submitter, addr, "prove", "proof", f.from); err != nil {
				return err
			}
			if exam == 0 {
				return errorf("pass --exam ID (see 'emergence query zkml circuits')", "no exam given")
			}
			_, err = g.sendAs(cmd, key, &f, "zkml/attest", zkml.MsgAttest{Exam: exam, Commitment: pf.Exam.Commitment, Claim: uint64(pf.Exam.Claim),
				Proof: pf.Proof, DatasetRoot: datasetRoot, LabelJob: labelJob})
			return err
		},
	}
	zkmlTxFlags(cmd, &f)
	cmd.Flags().Uint64Var(&exam, "exam", 0, "registered exam id")
	cmd.Flags().StringVar(&proofPath, "proof", "proof.json", "proof file")
	cmd.Flags().StringVar(&datasetRoot, "dataset-root", "", "hex root of the training data set (provenance)")
	cmd.Flags().Uint64Var(&labelJob, "label-job", 0, "labeling job that labeled the training data (provenance)")
	return cmd
}

func newZKMLBindTxCmd(g *globals) *cobra.Command {
	var f txFlags
	var bindingPath string
	var circ uint64
	cmd := &cobra.Command{
		Use:   "bind --circuit ID --binding binding.json --from KEY",
		Short: "Bind a model to a registered inference key (once per model and key)",
		Long: `Submit a binding made by 'emergence zkml bind'. The chain checks the link
proof against the model commitment and the binding's QA-NIZK, then accepts
inference proofs of the model under this key.`,
		Example: "  emergence tx zkml bind --circuit 2 --binding binding.json --from alice --keyring-backend test",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			key, addr, err := g.signer(f.from)
			if err != nil {
				return err
			}
			b, err := circuit.LoadBinding(bindingPath)
			if err != nil {
				return errorf("pass a binding file written by 'emergence zkml bind'", "%w", err)
			}
			if err := zkmlCheckSubmitter(b.Submitter, addr, "bind", "binding", f.from); err != nil {
				return err
			}
			if circ == 0 {
				return errorf("pass --circuit ID of the inference key (see 'emergence query zkml circuits')", "no circuit given")
			}
			_, err = g.sendAs(cmd, key, &f, "zkml/bind", zkml.MsgBind{Circuit: circ, Commitment: b.Commitment, Binding: b.Binding,
				LinkProof: b.LinkProof, Proof: b.Proof})
			return err
		},
	}
	zkmlTxFlags(cmd, &f)
	cmd.Flags().Uint64Var(&circ, "circuit", 0, "registered inference key id")
	cmd.Flags().StringVar(&bindingPath, "binding", "binding.json", "binding file")
	return cmd
}

func newZKMLInferTxCmd(g *globals) *cobra.Command {
	var f txFlags
	var proofPath string
	var circ uint64
	cmd := &cobra.Command{
		Use:     "infer --circuit ID --proof proof.json --from KEY",
		Short:   "Submit an inference proof for a registered inference key",
		Example: "  emergence tx zkml infer --circuit 2 --proof inference.json --from alice --keyring-backend test",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			key, addr, err := g.signer(f.from)
			if err != nil {
				return err
			}
			pf, err := circuit.LoadProof(proofPath)
			if err != nil {
				return errorf("pass a proof file written by 'emergence zkml prove'", "%w", err)
			}
			if pf.Inference == nil {
				return errorf("use 'tx zkml attest' for accuracy proofs", "%s is not an inference proof", proofPath)
			}
			if err := zkmlCheckSubmitter(pf.Inference.Submitter, addr, "prove", "proof", f.from); err != nil {
				return err
			}
			if circ == 0 {
				return errorf("pass --circuit ID (see 'emergence query zkml circuits')", "no circuit given")
			}
			_, err = g.sendAs(cmd, key, &f, "zkml/infer", zkml.MsgInfer{Circuit: circ, Commitment: pf.Inference.Commitment, InputDigest: pf.Inference.InputDigest,
				Class: uint64(pf.Inference.Class), Proof: pf.Proof})
			return err
		},
	}
	zkmlTxFlags(cmd, &f)
	cmd.Flags().Uint64Var(&circ, "circuit", 0, "registered inference key id")
	cmd.Flags().StringVar(&proofPath, "proof", "proof.json", "proof file")
	return cmd
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
			var l []zkml.Circuit
			if err := g.query(cmd.Context(), zkml.Name, "circuits", nil, &l); err != nil {
				return err
			}
			return g.print(l, func(w io.Writer) {
				if len(l) == 0 {
					fmt.Fprintln(w, "no circuits registered")
				}
				for _, c := range l {
					if c.Kind == zkml.KindExam {
						fmt.Fprintf(w, "%d  exam       %-16s %d samples  digest %s  vk %s…\n", c.ID, c.Name, c.N, c.ExamDigest, c.VKHash[:16])
					} else {
						fmt.Fprintf(w, "%d  inference  %-16s shape %s  vk %s…\n", c.ID, c.Name, c.ShapeDigest, c.VKHash[:16])
					}
				}
			})
		},
	}
	leaderboard := &cobra.Command{
		Use: "leaderboard EXAM", Short: "Best claim per model on an exam, best first", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var l []zkml.LeaderboardEntry
			if err := g.query(cmd.Context(), zkml.Name, "leaderboard/"+args[0], nil, &l); err != nil {
				return err
			}
			return g.print(l, func(w io.Writer) {
				if len(l) == 0 {
					fmt.Fprintln(w, "no attestations yet")
				}
				for _, e := range l {
					fmt.Fprintf(w, "#%d  %d/%d  model %s  attestation %d by %s\n", e.Rank, e.Claim, e.N, e.Commitment, e.Attestation, e.Attester)
				}
			})
		},
	}
	jsonText := func(w io.Writer, v any) {
		b, _ := json.MarshalIndent(v, "", "  ")
		fmt.Fprintf(w, "%s\n", b)
	}
	cmd.AddCommand(circuits, leaderboard,
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

// zkmlTxFlags registers the tx flags of a zkml tx command, with a gas
// limit that covers a proof verification.
func zkmlTxFlags(cmd *cobra.Command, f *txFlags) {
	f.register(cmd, true)
	f.gas = zkmlTxGas
	cmd.Flags().Lookup("gas").DefValue = strconv.Itoa(zkmlTxGas)
}

// zkmlCheckSubmitter refuses, before broadcasting, a proof bound to another
// account than the signer (the chain would reject it).
func zkmlCheckSubmitter(submitter string, signer tx.Address, command, what, from string) error {
	if submitter == zkmlSubmitterHex(signer[:]) {
		return nil
	}
	return errorf(fmt.Sprintf("re-run 'emergence zkml %s ... --submitter %s'", command, from), "the %s is not bound to the signing account %s", what, from)
}
