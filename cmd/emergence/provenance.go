package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"emergence/compute"
	"emergence/data"
	"emergence/label"
	"emergence/subnet"
	"emergence/zkml"
)

func init() {
	queryCommands = append(queryCommands, newProvenanceQueryCmd)
}

// modelProvenance is zkml's provenance answer with each linked record in
// its module's type.
type modelProvenance struct {
	Commitment   string               `json:"commitment"`
	Attestations []attestationRecord  `json:"attestations"`
	More         bool                 `json:"more,omitempty"`
	Serving      *subnet.ModelServing `json:"serving,omitempty"`
}

type attestationRecord struct {
	Attestation zkml.Attestation  `json:"attestation"`
	Exam        string            `json:"exam"`
	Dataset     *data.Provenance  `json:"dataset,omitempty"`
	LabelJob    *label.Evidence   `json:"label_job,omitempty"`
	TrainJob    *compute.Evidence `json:"train_job,omitempty"`
}

func newProvenanceQueryCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "provenance", Short: "The chain of evidence behind a model, from crawled pages to proven accuracy"}
	cmd.AddCommand(&cobra.Command{
		Use:   "model COMMITMENT",
		Short: "Print a model's chain of evidence: pages and crawlers, dataset, labeling job, training job, attestation",
		Long: `Prints, for each accuracy attestation of the model (its weight commitment, as in
'emergence query zkml model'), the records its provenance links name, each
checked by the chain when the attestation was accepted: the dataset's crawl
job and the crawlers of its pages with their earnings, the dataset root, the
labeling job and its labelers with their accuracy and pay, the training job's
verified output and its providers, the proven accuracy, and the subnet uids
whose miners declared they serve the model ('emergence tx subnet serve-model')
with the miner emission each earned since. The API serves
the same as JSON at GET /v1/query/zkml/provenance/COMMITMENT.`,
		Example: "  emergence query provenance model 0x1d91...",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var p modelProvenance
			if err := g.query(cmd.Context(), zkml.Name, "provenance/"+args[0], nil, &p); err != nil {
				return err
			}
			return g.print(p, func(w io.Writer) { printProvenance(w, &p) })
		},
	})
	return cmd
}

func printProvenance(w io.Writer, p *modelProvenance) {
	fmt.Fprintf(w, "model %s\n", p.Commitment)
	for _, e := range p.Attestations {
		a := e.Attestation
		fmt.Fprintf(w, "attestation %d: %d/%d on exam %d %q, by %s at height %d\n", a.ID, a.Claim, a.N, a.Exam, e.Exam, a.Attester, a.Height)
		if d := e.Dataset; d != nil {
			fmt.Fprintf(w, "  pages: crawl job %d, hosts %s, %d accepted, by %d crawlers\n", d.Job.ID, strings.Join(d.Job.Hosts, ","), d.Job.Accepted, len(d.Crawlers))
			for _, c := range d.Crawlers {
				fmt.Fprintf(w, "    crawler %s: %d pages accepted, earned %d uemg\n", c.Crawler, c.Accepted, c.Earned)
			}
			fmt.Fprintf(w, "  dataset %d %q: root %s, %d records, %d buyers\n", d.Dataset.ID, d.Dataset.Name, d.Dataset.Root, d.Dataset.Records, d.Dataset.Buyers)
		} else if a.DatasetRoot != "" {
			fmt.Fprintf(w, "  dataset root %s\n", a.DatasetRoot)
		} else {
			fmt.Fprintln(w, "  dataset: none named")
		}
		if l := e.LabelJob; l != nil {
			fmt.Fprintf(w, "  label job %d: %s, %d items, results root %s\n", l.Job, l.Status, l.Items, l.ResultsRoot)
			for _, o := range l.Labelers {
				fmt.Fprintf(w, "    labeler %s: %d labels, skill %d‰, gold %d/%d, paid %d uemg, slashed %d uemg\n", o.Labeler, o.Labels, o.SkillPermille, o.GoldCorrect, o.GoldTotal, o.Paid, o.Slashed)
			}
		} else {
			fmt.Fprintln(w, "  label job: none named")
		}
		if t := e.TrainJob; t != nil {
			fmt.Fprintf(w, "  training job %d: %s", t.Job, t.Status)
			if t.Result != nil {
				fmt.Fprintf(w, " by %s, output %s", t.Result.By, t.Result.Output)
			}
			fmt.Fprintf(w, ", model file %s\n", a.Model)
			for _, pr := range t.Providers {
				fmt.Fprintf(w, "    provider %s: %s, paid %d uemg\n", pr.Provider, pr.State, pr.Paid)
			}
		} else {
			fmt.Fprintln(w, "  training job: none named")
		}
		fmt.Fprintf(w, "  proven accuracy: %d of %d exam samples\n", a.Claim, a.N)
	}
	if p.More {
		fmt.Fprintln(w, "more attestations not shown")
	}
	if p.Serving == nil || len(p.Serving.UIDs) == 0 {
		fmt.Fprintln(w, "subnet: no miner declares it serves this model")
		return
	}
	for _, u := range p.Serving.UIDs {
		fmt.Fprintf(w, "subnet %d %q: uid %d, hotkey %s, serving since height %d, earned %d uemg as a miner (incentive %d/65535 at the last epoch)\n",
			u.NetUID, u.Subnet, u.UID, u.Hotkey, u.Since, u.Earned, u.Incentive)
	}
	if p.Serving.More {
		fmt.Fprintln(w, "more serving uids not shown")
	}
}
