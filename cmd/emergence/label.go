package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"emergence/label/aggregate"
)

func init() { topCommands = append(topCommands, newLabelCmd) }

// newLabelCmd is "emergence label": offline truth-inference tools.
func newLabelCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "label",
		Short: "Offline truth inference: aggregate crowd labels and score them against truth",
		Long: `Offline tools for the labeling market.

  emergence label aggregate --in labels.csv --method ds --out labels-out.csv --workers-out workers.csv
  emergence label eval --pred labels-out.csv --truth truth.csv

Input formats (auto-detected, or --format): csv/tsv with a header naming the
worker, item (or question) and label (or answer) columns; mace (one line per
item, one column per annotator, empty = no label; truth in a .key file, one
label per line); yaml (CUBAM: {worker: {item: label}}; truth {item: label});
gal (Get-Another-Label: worker<TAB>item<TAB>label without a header; truth
item<TAB>label).`,
	}
	cmd.AddCommand(newLabelAggregateCmd(g), newLabelEvalCmd(g))
	return cmd
}

type labelAggregateFlags struct {
	in, method, gold, out, workersOut string
	format, goldFormat                string
	smoothing, tol                    float64
	maxIter, restarts                 int
	dedup                             bool
}

func newLabelAggregateCmd(g *globals) *cobra.Command {
	var f labelAggregateFlags
	cmd := &cobra.Command{
		Use:   "aggregate --in FILE [--method mv|ds|onecoin|glad|mace|ds-fixed]",
		Short: "Infer one label per item from many workers' labels",
		Long: `Infer one label per item from many workers' labels.

Writes CSV item,label,confidence (to stdout unless --out) and, with
--workers-out, CSV worker,quality,labels where quality is the mean posterior
probability of the worker's labels (an estimate of their accuracy).

Methods: mv (majority vote), ds (Dawid–Skene, full confusion matrices, the
default), onecoin (one accuracy per worker), glad (worker ability × item
difficulty), mace (competence + spam distribution, 10 seeded restarts),
ds-fixed (the chain's integer Dawid–Skene). Ties go to the lowest class
(numeric order when every class is an integer, else byte order). Gold items
(--gold) are pinned to their known label.`,
		Example: `  emergence label aggregate --in testdata/crowd/rte/label.csv --method ds
  emergence label aggregate --in answers.tsv --gold gold.csv --method mace --out out.csv --workers-out w.csv
  emergence label aggregate --in temp/temporal.csv --format mace`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runLabelAggregate(g, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.in, "in", "", "label file ('-' for stdin)")
	fl.StringVar(&f.method, "method", "ds", "mv, ds, onecoin, glad, mace or ds-fixed")
	fl.StringVar(&f.gold, "gold", "", "file of known labels (same formats as truth for 'label eval')")
	fl.StringVar(&f.out, "out", "", "write item,label,confidence here instead of stdout")
	fl.StringVar(&f.workersOut, "workers-out", "", "write worker,quality,labels here")
	fl.StringVar(&f.format, "format", "auto", "input format: auto, csv, tsv, mace, yaml or gal")
	fl.StringVar(&f.goldFormat, "gold-format", "auto", "gold format: auto, csv, tsv, mace (key file), yaml or gal")
	fl.Float64Var(&f.smoothing, "smoothing", 0, "pseudo-count added to confusion-matrix cells (ds, ds-fixed, onecoin)")
	fl.Float64Var(&f.tol, "tol", aggregate.DefaultTol, "stop when the log-likelihood changes by less than this many nats per label")
	fl.IntVar(&f.maxIter, "max-iter", 0, "iteration cap (default 100; mace: 50 per restart)")
	fl.IntVar(&f.restarts, "restarts", 10, "extra seeded restarts for mace")
	fl.BoolVar(&f.dedup, "dedup", false, "keep only the last label of a worker for an item (default: repeats count as separate labels, as in crowd-kit)")
	return cmd
}

// readInput reads a file, or stdin for "-".
func (g *globals) readInput(path, what string) ([]byte, error) {
	if path == "-" {
		b, err := io.ReadAll(g.stdin)
		if err != nil {
			return nil, failf("", "read %s from stdin: %w", what, err)
		}
		return b, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, errorf(fmt.Sprintf("check the --%s path", what), "read %s: %w", what, err)
	}
	return b, nil
}

func pickFormat(flag, path string, data []byte, what string) (aggregate.Format, error) {
	if flag != "" && flag != "auto" {
		f, err := aggregate.ParseFormat(flag)
		if err != nil {
			return "", errorf("formats: auto, csv, tsv, mace, yaml, gal", "--%s-format: %w", what, err)
		}
		return f, nil
	}
	f, err := aggregate.DetectFormat(path, data)
	if err != nil {
		hint := "pass --format csv|tsv|mace|yaml|gal"
		if what != "in" {
			hint = fmt.Sprintf("pass --%s-format csv|tsv|mace|yaml|gal", what)
		}
		return "", errorf(hint, "%s: %w", path, err)
	}
	return f, nil
}

func readTruthFile(g *globals, path, formatFlag, what string) ([]aggregate.Truth, error) {
	data, err := g.readInput(path, what)
	if err != nil {
		return nil, err
	}
	f, err := pickFormat(formatFlag, path, data, what)
	if err != nil {
		return nil, err
	}
	truth, err := aggregate.ReadTruthFormat(bytes.NewReader(data), f)
	if err != nil {
		return nil, errorf(fmt.Sprintf("expected a %s file with item and truth (or label) columns", f), "%s: %w", path, err)
	}
	return truth, nil
}

// labelAggregateSummary is what "label aggregate" reports when the labels go
// to a file.
type labelAggregateSummary struct {
	Method        string  `json:"method"`
	Labels        int     `json:"labels"`
	Items         int     `json:"items"`
	Workers       int     `json:"workers"`
	Classes       int     `json:"classes"`
	GoldItems     int     `json:"gold_items"`
	Duplicates    int     `json:"duplicates_dropped"`
	Iterations    int     `json:"iterations"`
	Converged     bool    `json:"converged"`
	LogLikelihood float64 `json:"log_likelihood"`
	Out           string  `json:"out"`
	WorkersOut    string  `json:"workers_out,omitempty"`
}

func runLabelAggregate(g *globals, f labelAggregateFlags) error {
	if f.in == "" {
		return errorf("pass --in FILE (csv/tsv with worker,item,label columns, a MACE matrix or CUBAM yaml)", "no input file")
	}
	method := aggregate.Method(f.method)
	if !method.Known() {
		return errorf("methods: mv, ds, onecoin, glad, mace, ds-fixed", "unknown method %q", f.method)
	}
	if f.smoothing < 0 || f.tol <= 0 || f.maxIter < 0 || f.restarts < 0 {
		return errorf("--smoothing >= 0, --tol > 0, --max-iter >= 0, --restarts >= 0", "bad numeric option")
	}
	data, err := g.readInput(f.in, "in")
	if err != nil {
		return err
	}
	format, err := pickFormat(f.format, f.in, data, "in")
	if err != nil {
		return err
	}
	rows, err := aggregate.ReadLabels(bytes.NewReader(data), format)
	if err != nil {
		return errorf(fmt.Sprintf("fix the %s file, or pass --format if it is not %s", format, format), "%s: %w", f.in, err)
	}
	var truth []aggregate.Truth
	if f.gold != "" {
		if truth, err = readTruthFile(g, f.gold, f.goldFormat, "gold"); err != nil {
			return err
		}
	}
	prep, err := aggregate.Prepare(rows, truth, f.dedup)
	if errors.Is(err, aggregate.ErrGoldVector) {
		return errorf("", "%s: %w", f.gold, err)
	}
	if err != nil {
		return errorf("", "%s: %w", f.in, err)
	}
	d, dropped, goldItems := prep.Dataset, prep.Duplicates, prep.GoldItems
	opts := aggregate.Options{MaxIter: f.maxIter, Tol: f.tol, Smoothing: f.smoothing, Restarts: f.restarts, Gold: prep.Gold}
	res, err := aggregate.Run(d, method, opts)
	if err != nil {
		return errorf("", "aggregate: %w", err)
	}

	if f.out == "" {
		if err := aggregate.WriteLabels(g.stdout, d, res); err != nil {
			return err
		}
	} else if err := writeFileWith(f.out, func(w io.Writer) error { return aggregate.WriteLabels(w, d, res) }); err != nil {
		return err
	}
	if f.workersOut != "" {
		if err := writeFileWith(f.workersOut, func(w io.Writer) error { return aggregate.WriteWorkers(w, d, res) }); err != nil {
			return err
		}
	}
	sum := labelAggregateSummary{Method: string(method), Labels: len(d.Labels), Items: len(d.Items), Workers: len(d.Workers),
		Classes: len(d.Classes), GoldItems: goldItems, Duplicates: dropped, Iterations: res.Iterations, Converged: res.Converged,
		LogLikelihood: res.LogLikelihood, Out: f.out, WorkersOut: f.workersOut}
	text := func(w io.Writer) {
		fmt.Fprintf(w, "%s: %d labels, %d items, %d workers, %d classes, %d gold items; %d iterations (converged: %v)\n",
			sum.Method, sum.Labels, sum.Items, sum.Workers, sum.Classes, sum.GoldItems, sum.Iterations, sum.Converged)
		if f.dedup {
			fmt.Fprintf(w, "%d repeated (worker, item) labels dropped\n", dropped)
		}
		if f.out != "" {
			fmt.Fprintf(w, "labels written to %s\n", f.out)
		}
		if f.workersOut != "" {
			fmt.Fprintf(w, "worker qualities written to %s\n", f.workersOut)
		}
	}
	if f.out == "" {
		// stdout carries the CSV; the summary goes to stderr.
		text(g.stderr)
		return nil
	}
	return g.print(sum, text)
}

func writeFileWith(path string, fn func(io.Writer) error) error {
	fh, err := os.Create(path)
	if err != nil {
		return errorf("check the output path", "create %s: %w", path, err)
	}
	bw := bufio.NewWriter(fh)
	if err := fn(bw); err != nil {
		fh.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		fh.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := fh.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	return nil
}

type labelEvalFlags struct {
	pred, truth, predFormat, truthFormat string
}

func newLabelEvalCmd(g *globals) *cobra.Command {
	var f labelEvalFlags
	cmd := &cobra.Command{
		Use:   "eval --pred FILE --truth FILE",
		Short: "Print the accuracy of predicted labels on the items that have a truth",
		Example: `  emergence label aggregate --in testdata/crowd/dog/answer.csv --out dog.csv
  emergence label eval --pred dog.csv --truth testdata/crowd/dog/truth.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runLabelEval(g, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.pred, "pred", "", "predicted labels: CSV item,label[,confidence] as written by 'label aggregate'")
	fl.StringVar(&f.truth, "truth", "", "true labels: csv/tsv (item,truth or question,truth), MACE .key or CUBAM yaml")
	fl.StringVar(&f.predFormat, "pred-format", "auto", "auto, csv, tsv, mace (key file), yaml or gal")
	fl.StringVar(&f.truthFormat, "truth-format", "auto", "auto, csv, tsv, mace (key file), yaml or gal")
	return cmd
}

func runLabelEval(g *globals, f labelEvalFlags) error {
	if f.pred == "" || f.truth == "" {
		return errorf("pass --pred FILE and --truth FILE", "missing input file")
	}
	pred, err := readTruthFile(g, f.pred, f.predFormat, "pred")
	if err != nil {
		return err
	}
	truth, err := readTruthFile(g, f.truth, f.truthFormat, "truth")
	if err != nil {
		return err
	}
	res, err := aggregate.Evaluate(pred, truth)
	if err != nil {
		return errorf("a prediction file holds one label per item", "%s: %w", f.pred, err)
	}
	if res.Evaluated == 0 {
		return errorf("check that both files name items the same way", "no predicted item has a truth (%d predictions, %d truths)", res.Predicted, res.Truth)
	}
	return g.print(res, func(w io.Writer) {
		fmt.Fprintf(w, "accuracy %.4f (%d/%d items with truth; %d predicted, %d truths)\n",
			res.Accuracy, res.Correct, res.Evaluated, res.Predicted, res.Truth)
	})
}
