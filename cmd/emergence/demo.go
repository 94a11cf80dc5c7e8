package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"emergence/demo"
)

func init() {
	topCommands = append(topCommands, newDemoCmd)
}

// newDemoCmd is "emergence demo": the whole workflow on a fresh devnet
// (package demo), with flags for its sizes.
func newDemoCmd(g *globals) *cobra.Command {
	var cfg demo.Config
	var exit bool
	cmd := &cobra.Command{
		Use:   "demo [--home DIR] [--pages N] [--exit]",
		Short: "Run the whole workflow on a fresh devnet: crawl, dataset, labeling, training, zk attestation, subnet, UBI",
		Long: `Starts a devnet and real worker processes of this binary and runs the linked
workflow, printing each step: a local site of real Debian manual pages, a crawl
job with 3 crawlers (k = 2), the dataset built and published, a labeling job
over its records that requires personhood (enrolled people label honestly or
spam; a sybil farm without personhood is refused), a training job run by 2
compute providers, a zero-knowledge accuracy attestation on a held-out exam
naming the dataset, the labeling job and the training job, a subnet whose
miners serve that model and others while validators score them, and UBI
claims by the enrolled people. It ends with a report (who earned or lost
what, the model's proven accuracy, the chain's figures) and leaves the node
and its web app up until Ctrl-C (--exit stops them instead).

--home must be empty or missing (default: a new temporary directory). Run it
from the emergence source tree: the training job builds the trainer from it.
The site needs Debian's manuals (testdata/site/install-docs.sh).`,
		Example: "  go run ./cmd/emergence demo\n  emergence demo --home /tmp/demo --pages 80 --exit",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			bin, err := os.Executable()
			if err != nil {
				return failf("", "find this binary: %w", err)
			}
			cfg.Bin, cfg.Home = bin, g.home
			if !cmd.Flag("home").Changed {
				if cfg.Home, err = os.MkdirTemp("", "emergence-demo-"); err != nil {
					return failf("pass --home DIR", "%w", err)
				}
			}
			var out io.Writer = g.stdout
			if g.output == "json" {
				out = g.stderr
			}
			cfg.Out = out
			fmt.Fprintf(out, "emergence demo in %s\n", cfg.Home)
			d, err := demo.Run(cmd.Context(), cfg)
			if d != nil {
				defer d.Stop()
			}
			switch {
			case errors.Is(err, demo.ErrBadConfig):
				return errorf("see 'emergence demo --help' for the sizes", "%w", err)
			case errors.Is(err, demo.ErrHomeInUse):
				return errorf("pass an empty or new --home, or leave --home out for a temporary one", "%w", err)
			case errors.Is(err, demo.ErrNoDocs):
				return failf("install them with testdata/site/install-docs.sh (needs root and apt-get)", "%w", err)
			}
			if d != nil {
				if perr := g.print(d.Report, func(w io.Writer) { d.Report.Print(w) }); perr != nil && err == nil {
					err = perr
				}
			}
			if err != nil {
				return failf("the step's log is under "+cfg.Home+"/logs", "%w", err)
			}
			if exit {
				return nil
			}
			fmt.Fprintf(out, "\nnode and web app: %s (open it in a browser); Ctrl-C stops them\n", d.Report.API)
			<-cmd.Context().Done()
			return nil
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&cfg.Pages, "pages", 40, "pages on the local site (each a labeling item)")
	fl.IntVar(&cfg.Honest, "honest", 3, "enrolled people who label honestly")
	fl.IntVar(&cfg.Spammers, "spammers", 2, "enrolled people who answer one class for everything")
	fl.IntVar(&cfg.Sybils, "sybils", 3, "accounts of a sybil farm, without personhood")
	fl.IntVar(&cfg.Epochs, "epochs", 3, "subnet epochs the validators score")
	fl.IntVar(&cfg.ExamSize, "exam-size", 8, "samples of the held-out exam")
	fl.IntVar(&cfg.TrainEpochs, "train-epochs", 3, "epochs of the training job")
	fl.StringVar(&cfg.BlockTime, "block-time", "100ms", "devnet block time")
	fl.BoolVar(&exit, "exit", false, "stop the node and workers after the report")
	return cmd
}
