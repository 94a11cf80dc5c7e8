package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/consensys/gnark/logger"
	"github.com/spf13/cobra"

	"emergence/dataset"
	"emergence/tx"
	"emergence/zkml/circuit"
	"emergence/zkml/model"
)

func init() { topCommands = append(topCommands, newZKMLCmd) }

// newZKMLCmd is "emergence zkml": offline zkML tools (train, setup, prove, verify).
func newZKMLCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "zkml",
		Short: "Prove a hidden model's accuracy or inferences (Groth16/BN254), off chain",
		Long: `Offline zkML tools: train and quantize a model, build exams, set up keys
(one-party for devnets, or a multi-party ceremony), prove and verify.

  emergence zkml train --data digits --arch 64-32-10 --out model.json --exam-out exam.json
  emergence zkml setup --circuit exam --model model.json --exam exam.json --keys keys/
  emergence zkml prove --model model.json --keys keys/ --claim 300 --out proof.json
  emergence zkml verify --keys keys/ --proof proof.json

The model file holds the weights and the commitment salt: keep it private.
Only its commitment (printed by train) and proofs are public.`,
	}
	cmd.AddCommand(newZKMLTrainCmd(g), newZKMLExamCmd(g), newZKMLSetupCmd(g), newZKMLCeremonyCmd(g),
		newZKMLProveCmd(g), newZKMLBindCmd(g), newZKMLVerifyCmd(g), newZKMLInspectCmd(g))
	return cmd
}

// zkmlQuiet silences gnark's logger, which writes to the process stdout.
func zkmlQuiet() { logger.Disable() }

// zkmlLoadData loads the data set --data names, with the hint that fits
// when it cannot.
func zkmlLoadData(name, datasets string, maxValue int64) (train, test *model.Dataset, err error) {
	train, test, err = dataset.Load(name, dataset.Dir(datasets), maxValue)
	switch {
	case err == nil:
		return train, test, nil
	case name == "digits":
		return nil, nil, err
	case name == "fashion-mnist":
		return nil, nil, errorf("pass --datasets DIR (or set EMERGENCE_DATASETS) to a directory holding fashion-mnist/*.gz", "%w", err)
	default:
		return nil, nil, errorf("--data takes digits, fashion-mnist or a CSV file of integer features with the class last", "%w", err)
	}
}

type zkmlTrainFlags struct {
	data, datasets, arch, out, examOut string
	epochs, weightBits, actBits        int
	examSize                           int
	seed                               uint64
	lr                                 float64
	maxValue                           int64
	force                              bool
}

func newZKMLTrainCmd(g *globals) *cobra.Command {
	var f zkmlTrainFlags
	cmd := &cobra.Command{
		Use:   "train --data digits|fashion-mnist|FILE --arch 64-32-10 --out model.json",
		Short: "Train an MLP (or logistic regression: two sizes) in Go, quantize it, print accuracies",
		Long: `Train an MLP with ReLU (or multinomial logistic regression when --arch has two
sizes) with Adam, deterministically for a given --seed, quantize it to a
fixed-point integer model, draw a fresh commitment salt, and write the model
file. Prints the float and quantized accuracy on the held-out test set.
An existing --out file is kept unless --force: it holds the only copy of
its model's weights and salt.

--exam-out writes the first --exam-size test samples as an exam file, the
public test set of an accuracy circuit.`,
		Example: `  emergence zkml train --data digits --arch 64-32-10 --out model.json --exam-out exam.json --exam-size 200
  emergence zkml train --data fashion-mnist --datasets ../shared/datasets --arch 784-32-10 --epochs 5 --out fm.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runZKMLTrain(g, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.data, "data", "digits", "digits, fashion-mnist, or a CSV file (integer features, class last)")
	fl.StringVar(&f.datasets, "datasets", "", "directory of named data sets (default $EMERGENCE_DATASETS, else ./testdata)")
	fl.StringVar(&f.arch, "arch", "64-32-10", "layer sizes, inputs first and classes last")
	fl.StringVar(&f.out, "out", "model.json", "model file to write (private: holds weights and salt)")
	fl.StringVar(&f.examOut, "exam-out", "", "also write the held-out test samples as an exam file")
	fl.IntVar(&f.examSize, "exam-size", 0, "number of test samples in the exam (default all)")
	fl.IntVar(&f.epochs, "epochs", 20, "training epochs")
	fl.Float64Var(&f.lr, "lr", 0.002, "Adam step size")
	fl.Uint64Var(&f.seed, "seed", 1, "random seed of initialization and shuffling")
	fl.IntVar(&f.weightBits, "weight-bits", 8, "signed width of quantized weights")
	fl.IntVar(&f.actBits, "act-bits", 16, "target width of hidden activations")
	fl.Int64Var(&f.maxValue, "max-value", 0, "largest feature value of a CSV file (default: largest seen)")
	fl.BoolVar(&f.force, "force", false, "overwrite an existing --out model file")
	return cmd
}

func runZKMLTrain(g *globals, f zkmlTrainFlags) error {
	if _, err := os.Stat(f.out); err == nil && !f.force {
		return errorf("choose another --out, or pass --force to replace it (its weights and salt are lost: proofs and attestations of that model can no longer be made)",
			"model file %s already exists", f.out)
	}
	sizes, err := model.ParseArch(f.arch)
	if err != nil {
		return errorf("use --arch like 64-32-10", "%w", err)
	}
	train, test, err := zkmlLoadData(f.data, f.datasets, f.maxValue)
	if err != nil {
		return err
	}
	if f.epochs < 1 || f.epochs > 10000 {
		return errorf("use --epochs between 1 and 10000", "bad epoch count %d", f.epochs)
	}
	cfg := model.DefaultTrainConfig()
	cfg.Epochs, cfg.Seed, cfg.LR = f.epochs, f.seed, f.lr
	start := time.Now()
	cfg.Progress = func(ep int, loss float64) {
		fmt.Fprintf(g.stderr, "epoch %d/%d  loss %.4f  (%s)\n", ep, f.epochs, loss, time.Since(start).Round(time.Millisecond))
	}
	salt, err := model.NewSalt()
	if err != nil {
		return err
	}
	recipe := model.Recipe{Data: f.data, Arch: f.arch, Sizes: sizes, Train: cfg,
		Quant: model.QuantConfig{WeightBits: f.weightBits, ActBits: f.actBits}}
	tr, err := model.TrainQuantized(train, test, recipe, salt)
	var se *model.StepError
	switch {
	case errors.As(err, &se) && se.Step == model.StepTrain:
		return errorf("the first size of --arch must equal the number of features and the last the number of classes", "%w", se.Err)
	case errors.As(err, &se) && se.Step == model.StepQuantize:
		return errorf("try other --weight-bits or --act-bits", "quantize: %w", se.Err)
	case err != nil:
		return err
	}
	qm, floatAcc, quantAcc, correct := tr.Model, tr.FloatAccuracy, tr.QuantAccuracy, tr.Correct
	if err := model.SaveModel(f.out, qm); err != nil {
		return err
	}
	out := map[string]any{"model": f.out, "kind": qm.Kind, "arch": f.arch, "floatAccuracy": floatAcc,
		"quantizedAccuracy": quantAcc, "testSamples": test.Len(), "commitment": qm.Commitment}
	if f.examOut != "" {
		e, score, err := tr.Exam(f.data+"-test", test, f.examSize)
		if err != nil {
			return err
		}
		if err := model.SaveExam(f.examOut, e); err != nil {
			return err
		}
		out["exam"], out["examDigest"], out["examN"], out["examScore"] = f.examOut, model.HexElement(e.Digest()), e.N(), score
	}
	return g.print(out, func(w io.Writer) {
		fmt.Fprintf(w, "%s %s trained on %d samples, tested on %d\n", qm.Kind, f.arch, train.Len(), test.Len())
		fmt.Fprintf(w, "float accuracy:     %.4f\n", floatAcc)
		fmt.Fprintf(w, "quantized accuracy: %.4f (%d/%d)\n", quantAcc, correct, test.Len())
		fmt.Fprintf(w, "model:      %s (private: weights and salt)\n", f.out)
		fmt.Fprintf(w, "commitment: %s\n", qm.Commitment)
		if f.examOut != "" {
			fmt.Fprintf(w, "exam:       %s (%d samples, model scores %d) digest %s\n", f.examOut, out["examN"], out["examScore"], out["examDigest"])
		}
	})
}

func newZKMLExamCmd(g *globals) *cobra.Command {
	var data, datasets, out, split string
	var limit int
	var inputBits int
	cmd := &cobra.Command{
		Use:   "exam --data digits|fashion-mnist|FILE --out exam.json",
		Short: "Write a public test set (exam) file and print its digest",
		Args:  cobra.NoArgs,
		Example: `  emergence zkml exam --data fashion-mnist --datasets ../shared/datasets --split test --out fm-exam.json
  emergence zkml exam --data digits --limit 100 --input-bits 5 --out exam.json`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			train, test, err := zkmlLoadData(data, datasets, 0)
			if err != nil {
				return err
			}
			d := test
			if split == "train" {
				d = train
			} else if split != "test" {
				return errorf("use --split test or --split train", "unknown split %q", split)
			}
			e, err := model.NewExam(data+"-"+split, d.Head(limit))
			if err != nil {
				return err
			}
			if inputBits > 0 {
				if e.Widen(inputBits) != nil {
					return errorf("--input-bits must cover the features and be at most 8", "bad --input-bits %d", inputBits)
				}
			}
			if err := model.SaveExam(out, e); err != nil {
				return err
			}
			res := map[string]any{"exam": out, "n": e.N(), "features": e.Features, "classes": e.Classes, "inputBits": e.InputBits, "digest": model.HexElement(e.Digest())}
			return g.print(res, func(w io.Writer) {
				fmt.Fprintf(w, "exam %s: %d samples × %d features, %d classes, digest %s\n", out, e.N(), e.Features, e.Classes, res["digest"])
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&data, "data", "digits", "digits, fashion-mnist, or a CSV file")
	fl.StringVar(&datasets, "datasets", "", "directory of named data sets (default $EMERGENCE_DATASETS, else ./testdata)")
	fl.StringVar(&split, "split", "test", "test or train part of the data")
	fl.IntVar(&limit, "limit", 0, "keep only the first N samples")
	fl.IntVar(&inputBits, "input-bits", 0, "feature width to declare (must match the model's; default: from the data)")
	fl.StringVar(&out, "out", "exam.json", "exam file to write")
	return cmd
}

// zkmlSpec loads the model file (its shape only) and, for exam circuits,
// the exam file a circuit spec is made of.
func zkmlSpec(kind, modelPath, examPath string) (circuit.Spec, error) {
	if modelPath == "" {
		return circuit.Spec{}, errorf("pass --model FILE (only its shape is used)", "no model given")
	}
	m, err := model.LoadModel(modelPath)
	if err != nil {
		return circuit.Spec{}, errorf("pass a model file written by 'emergence zkml train'", "%w", err)
	}
	var e *model.Exam
	if kind == circuit.KindExam && examPath != "" {
		if e, err = model.LoadExam(examPath); err != nil {
			return circuit.Spec{}, errorf("pass an exam file written by 'emergence zkml exam'", "%w", err)
		}
	}
	spec, err := circuit.NewSpec(kind, m.Shape(), e)
	switch {
	case errors.Is(err, circuit.ErrNoExam):
		return circuit.Spec{}, errorf("pass --exam FILE (from 'zkml train --exam-out' or 'zkml exam')", "%w", err)
	case errors.Is(err, circuit.ErrKind):
		return circuit.Spec{}, errorf("use --circuit exam or --circuit inference", "%w", err)
	case err != nil:
		return circuit.Spec{}, errorf("the exam must have the model's features, classes and input width", "%w", err)
	}
	return spec, nil
}

func newZKMLSetupCmd(g *globals) *cobra.Command {
	var kind, modelPath, examPath, keys string
	cmd := &cobra.Command{
		Use:   "setup --circuit exam|inference --model model.json [--exam exam.json] --keys DIR",
		Short: "One-party Groth16 setup (devnets only: use 'zkml ceremony' for real networks)",
		Long: `Compile the exam or inference circuit for a model's shape and write proving
and verifying keys with gnark's single-party setup. Whoever runs this knows
the setup's secret and could forge proofs: use it for devnets and tests, and
'emergence zkml ceremony' (multi-party) for anything else.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			zkmlQuiet()
			spec, err := zkmlSpec(kind, modelPath, examPath)
			if err != nil {
				return err
			}
			fmt.Fprintln(g.stderr, "WARNING: ONE-PARTY SETUP. Whoever ran it can forge proofs for these keys.")
			fmt.Fprintln(g.stderr, "WARNING: devnets and tests only; use 'emergence zkml ceremony' for a real network.")
			start := time.Now()
			info, err := circuit.SetupOnePartyKeys(keys, spec, func(format string, args ...any) {
				fmt.Fprintf(g.stderr, format+"\n", args...)
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stderr, "done in %s\n", time.Since(start).Round(time.Millisecond))
			return g.print(info, func(w io.Writer) { zkmlPrintKeys(w, keys, info) })
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&kind, "circuit", circuit.KindExam, "exam (accuracy over a test set) or inference")
	fl.StringVar(&modelPath, "model", "", "model file (only its public shape is used)")
	fl.StringVar(&examPath, "exam", "", "exam file (exam circuits)")
	fl.StringVar(&keys, "keys", "zkml-keys", "directory to write the keys to")
	return cmd
}

func zkmlPrintKeys(w io.Writer, dir string, info *circuit.KeysInfo) {
	fmt.Fprintf(w, "keys:        %s (%s circuit, %d constraints)\n", dir, info.Kind, info.Constraints)
	fmt.Fprintf(w, "vk sha256:   %s\n", info.VKHash)
	if info.LinkVKHash != "" {
		fmt.Fprintf(w, "link:        %d constraints, vk sha256 %s (proved once per model by 'zkml bind')\n", info.LinkConstraints, info.LinkVKHash)
		fmt.Fprintf(w, "binding vk:  sha256 %s\n", info.BindingVKHash)
	}
	if info.ExamDigest != "" {
		fmt.Fprintf(w, "exam:        %d samples, digest %s\n", info.ExamN, info.ExamDigest)
	}
	fmt.Fprintf(w, "setup:       %s\n", info.Setup)
}

func newZKMLCeremonyCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ceremony",
		Short: "Multi-party Groth16 setup as a file exchange (gnark mpcsetup)",
		Long: `Run gnark's Groth16 MPC setup as a file exchange in a ceremony directory.
One honest contributor per phase makes the keys sound.

  emergence zkml ceremony init --circuit exam --model model.json --exam exam.json --dir cer/
  emergence zkml ceremony contribute --dir cer/     # each participant, in turn (phase 1)
  emergence zkml ceremony verify --dir cer/         # anyone, at any time
  emergence zkml ceremony finalize --dir cer/ --beacon HEX           # closes phase 1
  emergence zkml ceremony contribute --dir cer/     # each participant, in turn (phase 2)
  emergence zkml ceremony finalize --dir cer/ --beacon HEX --keys keys/   # closes phase 2

An inference ceremony (--circuit inference) sets up the inference and the
link circuit together (each phase-2 contribution covers both), and has a
phase 3 for the binding key that joins their commitments:

  emergence zkml ceremony finalize --dir cer/ --beacon HEX           # closes phase 2
  emergence zkml ceremony contribute --dir cer/     # each participant, in turn (phase 3)
  emergence zkml ceremony finalize --dir cer/ --beacon HEX --keys keys/   # closes phase 3

Phase 1 (powers of tau) does not depend on the circuit: a ceremony for
another circuit of the same size (or smaller) can start from one whose
phase 1 is closed, and opens at phase 2:

  emergence zkml ceremony init --circuit exam --model model.json --exam exam2.json --dir cer2/ --phase1 cer/

or, better, from a phase-1-only ceremony ('zkml ceremony phase1 --help'):
one universal phase 1, then a phase 2 per circuit.

The beacon is public randomness revealed after the last contribution (for
example a drand round); anyone can re-run verify and finalize to check.`,
	}
	var kind, modelPath, examPath, dir, beacon, keys, phase1From string
	init := &cobra.Command{
		Use: "init --circuit exam|inference --model model.json [--exam exam.json] --dir DIR [--phase1 DIR]", Short: "Start a ceremony for a circuit",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			zkmlQuiet()
			spec, err := zkmlSpec(kind, modelPath, examPath)
			if err != nil {
				return err
			}
			if phase1From != "" {
				c, err := circuit.CeremonyInitFrom(dir, spec, phase1From, g.stderr)
				if err != nil {
					return errorf("use a new --dir, and pass --phase1 a ceremony directory whose phase 1 is closed and large enough", "%w", err)
				}
				return g.print(c, func(w io.Writer) {
					fmt.Fprintf(w, "ceremony %s: %s circuit, %d constraints, domain %d; phase 1 (%d contributions) from %s; phase 2 open\n",
						dir, c.Kind, c.Constraints, c.Domain, len(c.Phase1), phase1From)
				})
			}
			c, err := circuit.CeremonyInit(dir, spec)
			if err != nil {
				return errorf("use a new directory", "%w", err)
			}
			return g.print(c, func(w io.Writer) {
				fmt.Fprintf(w, "ceremony %s: %s circuit, %d constraints, domain %d; phase 1 open\n", dir, c.Kind, c.Constraints, c.Domain)
			})
		},
	}
	init.Flags().StringVar(&kind, "circuit", circuit.KindExam, "exam or inference")
	init.Flags().StringVar(&modelPath, "model", "", "model file (only its shape is used)")
	init.Flags().StringVar(&examPath, "exam", "", "exam file (exam circuits)")
	init.Flags().StringVar(&phase1From, "phase1", "", "start from the closed phase 1 of this ceremony directory (opens at phase 2)")
	open := func() (*circuit.Ceremony, error) {
		c, err := circuit.OpenCeremony(dir)
		if err != nil {
			return nil, errorf("pass --dir of a ceremony started with 'zkml ceremony init'", "%w", err)
		}
		c.Log = g.stderr // progress of long steps
		return c, nil
	}
	contribute := ceremonyStep("contribute --dir DIR", "Add your contribution to the current phase", open,
		func(c *circuit.Ceremony) error { return ceremonyContribute(g, c) })
	verify := ceremonyStep("verify --dir DIR", "Check every contribution so far", open,
		func(c *circuit.Ceremony) error {
			n, err := ceremonyVerify(c)
			if err != nil {
				return err
			}
			res := map[string]any{"valid": true, "contributions": n, "phase": c.Phase, "phase1": c.Phase1, "phase2": c.Phase2,
				"phase2Link": c.Phase2Link, "phase3": c.Phase3}
			return g.print(res, func(w io.Writer) {
				fmt.Fprintf(w, "%d contributions valid (phase 1: %d, phase 2: %d", n, len(c.Phase1), len(c.Phase2))
				if c.Kind == circuit.KindInference {
					fmt.Fprintf(w, " + %d for the link circuit, phase 3: %d", len(c.Phase2Link), len(c.Phase3))
				}
				fmt.Fprintln(w, ")")
				for _, ct := range c.Contributions() {
					fmt.Fprintf(w, "  %s  %s\n", ct.File, ct.SHA256)
				}
			})
		})
	finalize := ceremonyStep("finalize --dir DIR --beacon HEX [--keys DIR]", "Close the current phase with a public beacon", open,
		func(c *circuit.Ceremony) error {
			b, err := parseBeacon(beacon)
			if err != nil {
				return err
			}
			if keys == "" && c.ClosingWritesKeys() {
				return errorf("pass --keys DIR to write the final keys", "closing phase %d writes keys", c.Phase)
			}
			info, err := c.Finalize(b, keys)
			if errors.Is(err, circuit.ErrBeacon) {
				return errorf("draw a fresh public random value after the phase's last contribution (a drand round, or a later block's hash on a devnet)", "%w", err)
			}
			if err != nil {
				return err
			}
			if info == nil {
				return g.print(map[string]any{"phase": c.Phase}, func(w io.Writer) {
					if c.Phase == 3 {
						fmt.Fprintf(w, "phase 2 closed with %d contributions; phase 3 (the binding key) open\n", len(c.Phase2))
						return
					}
					fmt.Fprintf(w, "phase 1 closed with %d contributions; phase 2 open\n", len(c.Phase1))
				})
			}
			return g.print(info, func(w io.Writer) { zkmlPrintKeys(w, keys, info) })
		})
	for _, sub := range []*cobra.Command{init, contribute, verify, finalize} {
		sub.Flags().StringVar(&dir, "dir", "ceremony", "ceremony directory")
	}
	finalize.Flags().StringVar(&beacon, "beacon", "", "public random beacon, hex")
	finalize.Flags().StringVar(&keys, "keys", "", "directory for the final keys (closing the last phase)")
	cmd.AddCommand(init, contribute, verify, finalize, newZKMLPhase1Cmd(g))
	return cmd
}

// ceremonyStep is one subcommand of a ceremony that works on its directory
// (contribute, verify, finalize, seal): it opens the ceremony with open,
// which names the right hint when the directory is wrong, and runs step.
func ceremonyStep(use, short string, open func() (*circuit.Ceremony, error), step func(c *circuit.Ceremony) error) *cobra.Command {
	return &cobra.Command{
		Use: use, Short: short,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			zkmlQuiet()
			c, err := open()
			if err != nil {
				return err
			}
			return step(c)
		},
	}
}

// ceremonyContribute adds the caller's contribution to c's current phase,
// timing it on stderr, and prints the file and hash to publish.
func ceremonyContribute(g *globals, c *circuit.Ceremony) error {
	fmt.Fprintf(g.stderr, "contributing to phase %d...\n", c.Phase)
	start := time.Now()
	ct, err := c.Contribute()
	if err != nil {
		return err
	}
	fmt.Fprintf(g.stderr, "done in %s\n", time.Since(start).Round(time.Millisecond))
	return g.print(ct, func(w io.Writer) {
		fmt.Fprintf(w, "phase %d contribution written to %s\nsha256 %s (publish this)\n", c.Phase, ct.File, ct.SHA256)
	})
}

// ceremonyVerify checks every contribution of c, returning how many; an
// invalid one is a failure (exit code of a failed check) with its hint.
func ceremonyVerify(c *circuit.Ceremony) (int, error) {
	n, err := c.Verify()
	if err != nil {
		return 0, failf("a contribution is invalid: ask its contributor to redo it from the previous file", "%w", err)
	}
	return n, nil
}

type zkmlProveFlags struct {
	modelPath, keys, out, input, submitter string
	claim                                  int
}

func newZKMLProveCmd(g *globals) *cobra.Command {
	var f zkmlProveFlags
	cmd := &cobra.Command{
		Use:   "prove --model model.json --keys DIR (--claim K | --input x1,x2,...) --out proof.json",
		Short: "Prove a model's accuracy on the keys' exam, or one inference",
		Long: `With exam keys: prove that the model classifies at least --claim samples of
the exam correctly (default: as many as it does). Refuses when the model
scores below the claim.

With inference keys: prove that the model maps --input (comma-separated
integer features, or @FILE holding them) to the class it computes. The input
stays private; its digest is public.

--submitter (an emg1... address or a key name) is the only account that can
submit the proof on chain: proofs are bound to it so that a copy taken from
the mempool is worthless. Without it the proof is bound to the zero address
and can only be checked offline with 'zkml verify'.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runZKMLProve(g, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.modelPath, "model", "model.json", "model file")
	fl.StringVar(&f.keys, "keys", "zkml-keys", "keys directory from 'zkml setup' or 'zkml ceremony finalize'")
	fl.IntVar(&f.claim, "claim", -1, "claimed number of correct exam samples K (default: the model's score)")
	fl.StringVar(&f.input, "input", "", "inference input: comma-separated features, or @FILE")
	fl.StringVar(&f.out, "out", "proof.json", "proof file to write")
	fl.StringVar(&f.submitter, "submitter", "", "address or key name that will submit the proof on chain")
	return cmd
}

func zkmlParseInput(s string) ([]int64, error) {
	if strings.HasPrefix(s, "@") {
		b, err := os.ReadFile(s[1:])
		if err != nil {
			return nil, err
		}
		s = string(b)
	}
	var out []int64
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' || r == '\r' }) {
		v, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("feature %q: %w", p, err)
		}
		out = append(out, v)
	}
	return out, nil
}

func runZKMLProve(g *globals, f zkmlProveFlags) error {
	zkmlQuiet()
	m, err := model.LoadModel(f.modelPath)
	if err != nil {
		return errorf("pass the model file written by 'emergence zkml train'", "%w", err)
	}
	k, err := circuit.LoadKeys(f.keys)
	if err != nil {
		return errorf("pass --keys DIR from 'zkml setup' or 'zkml ceremony finalize'", "%w", err)
	}
	var sub tx.Address
	if f.submitter != "" {
		if sub, err = g.addressOrKey(f.submitter); err != nil {
			return err
		}
	}
	req := circuit.ProofRequest{Claim: f.claim, Submitter: circuit.SubmitterElement(sub[:])}
	if f.input != "" {
		if req.Input, err = zkmlParseInput(f.input); err != nil {
			return errorf("--input takes comma-separated integers", "%w", err)
		}
	}
	start := time.Now()
	req.Step = func(format string, args ...any) {
		fmt.Fprintf(g.stderr, "[%7s] %s\n", time.Since(start).Round(time.Millisecond), fmt.Sprintf(format, args...))
	}
	pf, err := circuit.NewProofFile(k, m, req)
	var ce *circuit.ClaimError
	switch {
	case errors.As(err, &ce):
		return errorf(fmt.Sprintf("lower --claim to at most %d", ce.Score), "%w", err)
	case errors.Is(err, circuit.ErrShape):
		return errorf("set up keys for this model's shape", "%w", err)
	case errors.Is(err, circuit.ErrRequest):
		return errorf("exam keys take --claim K, inference keys --input x1,x2,... or --input @FILE", "%w", err)
	case errors.Is(err, circuit.ErrInput):
		return errorf(fmt.Sprintf("the model takes %d integer features in [0, %d]", m.Layers[0].In, int64(1)<<m.InputBits-1), "%w", err)
	case errors.Is(err, circuit.ErrStaleKeys):
		return errorf("re-run setup with this build", "%w", err)
	case err != nil:
		return err
	}
	if err := circuit.SaveProof(f.out, pf); err != nil {
		return err
	}
	req.Step("wrote %s", f.out)
	return g.print(pf, func(w io.Writer) { zkmlPrintProof(w, f.out, pf) })
}

func zkmlPrintProof(w io.Writer, path string, pf *circuit.ProofFile) {
	fmt.Fprintf(w, "proof:      %s (%s, %d bytes)\n", path, pf.Kind, len(pf.Proof))
	if pf.Exam != nil {
		fmt.Fprintf(w, "claim:      at least %d of %d exam samples correct\n", pf.Exam.Claim, pf.Exam.N)
		fmt.Fprintf(w, "exam:       %s\n", pf.Exam.ExamDigest)
		fmt.Fprintf(w, "commitment: %s\n", pf.Exam.Commitment)
	}
	if pf.Inference != nil {
		fmt.Fprintf(w, "class:      %d\n", pf.Inference.Class)
		fmt.Fprintf(w, "input:      %s\n", pf.Inference.InputDigest)
		fmt.Fprintf(w, "commitment: %s\n", pf.Inference.Commitment)
	}
	fmt.Fprintf(w, "vk sha256:  %s\n", pf.VKHash)
}

func newZKMLVerifyCmd(g *globals) *cobra.Command {
	var keys, proofPath, bindingPath string
	cmd := &cobra.Command{
		Use:   "verify --keys DIR [--proof proof.json] [--binding binding.json]",
		Short: "Verify a proof file, a binding, or an inference proof against its model's binding",
		Long: `Verify a proof file against a keys directory. With --binding, also check
the binding (link proof and QA-NIZK) and, for an inference proof, that the
proof is about the bound model. --proof "" checks the binding alone.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			zkmlQuiet()
			k, err := circuit.LoadKeys(keys)
			if err != nil {
				return errorf("pass --keys DIR holding circuit.json and vk.bin", "%w", err)
			}
			if proofPath == "" && bindingPath == "" {
				return errorf("pass --proof FILE, --binding FILE or both", "nothing to verify")
			}
			start := time.Now()
			res := map[string]any{"valid": true}
			var b *circuit.BindingFile
			if bindingPath != "" {
				if b, err = circuit.LoadBinding(bindingPath); err != nil {
					return errorf("pass a binding file written by 'emergence zkml bind'", "%w", err)
				}
				if err := b.VerifyWith(k); err != nil {
					return failf("the binding, its model commitment or the keys do not belong together", "binding rejected: %w", err)
				}
				res["binding"] = b.Commitment
			}
			var pf *circuit.ProofFile
			if proofPath != "" {
				if pf, err = circuit.LoadProof(proofPath); err != nil {
					return errorf("pass a proof file written by 'emergence zkml prove'", "%w", err)
				}
				if err := pf.Verify(k, b); err != nil {
					return failf("the proof, its public inputs, its binding or the keys do not belong together", "proof rejected: %w", err)
				}
				res["kind"], res["exam"], res["inference"] = pf.Kind, pf.Exam, pf.Inference
			}
			el := time.Since(start)
			res["verifyMillis"] = float64(el.Microseconds()) / 1000
			return g.print(res, func(w io.Writer) {
				fmt.Fprintf(w, "VALID (%s)\n", el.Round(time.Microsecond))
				if b != nil {
					fmt.Fprintf(w, "binding:    model %s is bound to these inference keys\n", b.Commitment)
				}
				if pf != nil {
					zkmlPrintProof(w, proofPath, pf)
					if pf.Inference != nil && b == nil {
						fmt.Fprintln(w, "note:       without --binding this checks the proof, not that it is about the named model")
					}
				}
			})
		},
	}
	cmd.Flags().StringVar(&keys, "keys", "zkml-keys", "keys directory")
	cmd.Flags().StringVar(&proofPath, "proof", "proof.json", "proof file (\"\" for none)")
	cmd.Flags().StringVar(&bindingPath, "binding", "", "binding file from 'zkml bind' (inference keys)")
	return cmd
}

func newZKMLBindCmd(g *globals) *cobra.Command {
	var modelPath, keys, out, submitter string
	cmd := &cobra.Command{
		Use:   "bind --model model.json --keys DIR --out binding.json --submitter KEY",
		Short: "Bind a model to inference keys, once: afterwards each inference proof is small",
		Long: `Prove once that the model's public MiMC commitment and the Pedersen
commitment its inference proofs carry hide the same weights: a proof of the
link circuit (which opens the MiMC commitment; the slow part) and a
one-point QA-NIZK. Submit the file with 'emergence tx zkml bind'; the chain
then accepts inference proofs of this model under these keys. Like proofs,
a binding is bound to --submitter (an emg1... address or a key name), the
only account that can submit it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			zkmlQuiet()
			m, err := model.LoadModel(modelPath)
			if err != nil {
				return errorf("pass the model file written by 'emergence zkml train'", "%w", err)
			}
			k, err := circuit.LoadKeys(keys)
			if err != nil {
				return errorf("pass --keys DIR from 'zkml setup --circuit inference' or a ceremony", "%w", err)
			}
			if k.Info.Kind != circuit.KindInference {
				return errorf("bind to inference keys ('zkml setup --circuit inference')", "%s holds %s keys", keys, k.Info.Kind)
			}
			if model.ShapeDigest(m.Shape()).Cmp(model.ShapeDigest(k.Info.Shape)) != 0 {
				return errorf("set up keys for this model's shape", "the model's shape differs from the keys' circuit")
			}
			var sub tx.Address
			if submitter != "" {
				if sub, err = g.addressOrKey(submitter); err != nil {
					return err
				}
			}
			start := time.Now()
			fmt.Fprintf(g.stderr, "proving the link circuit (%d constraints) and the binding...\n", k.Info.LinkConstraints)
			b, err := circuit.Bind(k, m, circuit.SubmitterElement(sub[:]))
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stderr, "proved in %s; checking\n", time.Since(start).Round(time.Millisecond))
			if err := b.VerifyWith(k); err != nil {
				return fmt.Errorf("the new binding does not verify: %w", err)
			}
			if err := circuit.SaveBinding(out, b); err != nil {
				return err
			}
			return g.print(b, func(w io.Writer) {
				fmt.Fprintf(w, "binding:    %s\n", out)
				fmt.Fprintf(w, "commitment: %s\n", b.Commitment)
				fmt.Fprintf(w, "vk sha256:  %s\n", b.VKHash)
			})
		},
	}
	cmd.Flags().StringVar(&modelPath, "model", "model.json", "model file")
	cmd.Flags().StringVar(&keys, "keys", "zkml-keys", "inference keys directory")
	cmd.Flags().StringVar(&out, "out", "binding.json", "binding file to write")
	cmd.Flags().StringVar(&submitter, "submitter", "", "address or key name that will submit the binding on chain")
	return cmd
}

func newZKMLInspectCmd(g *globals) *cobra.Command {
	var modelPath string
	cmd := &cobra.Command{
		Use:   "inspect --model model.json",
		Short: "Print a model's public shape, bounds and commitment",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := model.LoadModel(modelPath)
			if err != nil {
				return errorf("pass a model file written by 'emergence zkml train'", "%w", err)
			}
			s := m.Shape()
			b := s.Bounds()
			res := map[string]any{"kind": m.Kind, "shape": s, "actBits": b.ActBits, "argmaxBits": b.ArgmaxBits, "commitment": m.Commitment, "training": m.Training}
			return g.print(res, func(w io.Writer) {
				fmt.Fprintf(w, "%s, %d-bit inputs, %d classes\n", m.Kind, s.InputBits, m.Classes)
				for i, l := range s.Layers {
					fmt.Fprintf(w, "  layer %d: %d→%d  weights %d bits, bias %d bits, shift %d\n", i, l.In, l.Out, l.WeightBits, l.BiasBits, l.Shift)
				}
				fmt.Fprintf(w, "hidden activation widths %v, argmax width %d\n", b.ActBits, b.ArgmaxBits)
				fmt.Fprintf(w, "commitment %s\n", m.Commitment)
			})
		},
	}
	cmd.Flags().StringVar(&modelPath, "model", "model.json", "model file")
	return cmd
}
