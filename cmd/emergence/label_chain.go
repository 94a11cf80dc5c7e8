package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"emergence/bank"
	"emergence/client"
	"emergence/label"
	"emergence/label/labeler"
	"emergence/tx"
	"emergence/web"
)

func init() {
	txCommands = append(txCommands, newLabelTxCmd)
	queryCommands = append(queryCommands, newLabelQueryCmd)
	topCommands = append(topCommands, newLabelerCmd)
}

// labelDir is where label secrets (gold salts, answer salts) are kept.
func (g *globals) labelDir() string { return filepath.Join(g.home, "label") }

func parseJobID(s string) (uint64, error) {
	id, err := strconv.ParseUint(s, 10, 64)
	if err != nil || id == 0 {
		return 0, errorf("job ids are positive integers (see 'emergence query label jobs')", "bad job id %q", s)
	}
	return id, nil
}

func labelMsg(kind string, v any) (tx.Msg, error) { return msg(kind, v) }

func newLabelTxCmd(g *globals) *cobra.Command {
	return txGroup(g, label.Name, "Labeling market: jobs, stake, assignments, commit-reveal, settlement",
		newLabelCreateJobCmd(g), newLabelCommitCmd(g))
}

type createJobFlags struct {
	txFlags
	items, classes, gold, reward, minStake, secret string
	labelsPerItem, batch, minReputation            uint32
	commitBlocks, revealBlocks                     int64
	personhood                                     bool
	dataset                                        uint64
}

func newLabelCreateJobCmd(g *globals) *cobra.Command {
	var f createJobFlags
	cmd := &cobra.Command{
		Use:   "create-job --from KEY (--items PATH | --dataset ID) --classes A,B[,C...] --gold FILE",
		Short: "Publish items and post a labeling job with its budget in escrow and a commitment to hidden gold",
		Long: `Publish items and post a labeling job.

--items is a directory (one item per file; images by extension, other files
as text) or a text file (one item per line, ids 0, 1, ...). Every item and
the manifest listing them are uploaded to the node's blob store.

--dataset takes the items from a registered dataset instead: its records, in
id order, each a text item with the record's id and text (shards are checked
against the root on chain; a paid dataset needs --from to have bought it).
The chain records the dataset and refuses a job whose items are not its
records, and a zkml attestation can then name the job with the dataset.

--gold is a CSV item,label of the hidden gold answers (item ids as in the
manifest, labels among --classes); it must cover at least 5% of the items.
Only its commitment goes on chain; the salt and answers are saved to
--secret (default <home>/label/gold-<job>.json) for 'tx label reveal-gold'.

The budget locked is reward × items × labels-per-item, plus the requester
bond (returned when the gold is revealed).`,
		Example: `  emergence tx label create-job --from alice --items reviews.txt --classes negative,positive \
    --gold gold.csv --labels-per-item 3 --batch 10 --reward 1000uemg --min-stake 1emg --keyring-backend test`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runCreateJob(cmd, g, &f) },
	}
	fl := cmd.Flags()
	f.register(cmd, true)
	fl.StringVar(&f.items, "items", "", "directory or text file of items")
	fl.Uint64Var(&f.dataset, "dataset", 0, "registered dataset whose records are the items (instead of --items)")
	fl.StringVar(&f.classes, "classes", "", "comma-separated class names")
	fl.StringVar(&f.gold, "gold", "", "CSV item,label of hidden gold answers")
	fl.StringVar(&f.reward, "reward", "1000uemg", "reward per accepted label")
	fl.StringVar(&f.minStake, "min-stake", "1emg", "minimum labeler stake")
	fl.StringVar(&f.secret, "secret", "", "where to save the gold secret (default <home>/label/gold-<job>.json)")
	fl.Uint32Var(&f.labelsPerItem, "labels-per-item", 3, "labels collected per item")
	fl.Uint32Var(&f.batch, "batch", 20, "items per assignment")
	fl.Uint32Var(&f.minReputation, "min-reputation", 0, "minimum labeler reputation, permille")
	fl.Int64Var(&f.commitBlocks, "commit-blocks", 100, "blocks during which labelers request work and commit")
	fl.Int64Var(&f.revealBlocks, "reveal-blocks", 50, "blocks during which labelers reveal")
	fl.BoolVar(&f.personhood, "personhood", false, "require labelers to prove personhood (one human per labeler)")
	return cmd
}

func runCreateJob(cmd *cobra.Command, g *globals, f *createJobFlags) error {
	if (f.items == "") == (f.dataset == 0) || f.classes == "" || f.gold == "" {
		return errorf("pass --items PATH or --dataset ID, --classes A,B and --gold FILE", "missing job input")
	}
	key, _, err := g.signer(f.from)
	if err != nil {
		return err
	}
	classes := strings.Split(f.classes, ",")
	for i := range classes {
		classes[i] = strings.TrimSpace(classes[i])
	}
	reward, err := parseAmount(f.reward)
	if err != nil {
		return err
	}
	minStake, err := parseAmount(f.minStake)
	if err != nil {
		return err
	}
	var items []labeler.Item
	if f.dataset != 0 {
		_, recs, err := g.datasetRecords(cmd, f.dataset, f.from)
		if err != nil {
			return err
		}
		items = labeler.DatasetItems(recs)
	} else if items, err = labeler.ItemsFromPath(f.items); err != nil {
		hint := "--items is a directory of files or a text file with one item per line"
		if errors.Is(err, fs.ErrNotExist) {
			hint = "check the --items path"
		}
		return errorf(hint, "%w", err)
	}
	gf, err := os.Open(f.gold)
	if err != nil {
		return errorf("check the --gold path", "%w", err)
	}
	rows, err := labeler.ReadPairs(gf)
	gf.Close()
	if err != nil {
		return errorf("--gold is a CSV of item,label", "%s: %w", f.gold, err)
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), 5*time.Minute)
	defer cancel()
	job, err := labeler.PrepareJob(ctx, g.client().SignBlobsWith(key), items, rows, labeler.JobSpec{
		Classes: classes, LabelsPerItem: f.labelsPerItem, BatchSize: f.batch, RewardPerLabel: reward, MinStake: minStake,
		MinReputation: f.minReputation, RequirePersonhood: f.personhood, CommitBlocks: f.commitBlocks, RevealBlocks: f.revealBlocks,
	})
	if errors.Is(err, labeler.ErrGold) {
		return errorf("gold items are manifest ids (file names, or line numbers from 0) with a label among --classes", "%w", err)
	}
	if nodeFailure(err) {
		return g.nodeError(err)
	}
	if err != nil {
		return err
	}
	job.Msg.Dataset = f.dataset
	secret := job.Secret
	pending := labeler.PendingGoldPath(g.labelDir(), job.Manifest)
	if err := labeler.SaveJSON(pending, secret); err != nil {
		return err
	}
	m, err := msg("label/create-job", job.Msg)
	if err != nil {
		return err
	}
	opts, err := f.options()
	if err != nil {
		return err
	}
	if need := client.DefaultGasLimit + job.Gas(); opts.GasLimit < need {
		opts.GasLimit = need
	}
	res, err := g.broadcast(cmd, key, opts, m)
	if err != nil {
		return err
	}
	secret.Job, _ = labeler.JobID(res.Events)
	path := f.secret
	if path == "" {
		path = labeler.GoldSecretPath(g.labelDir(), secret.Job)
	}
	if err := labeler.SaveJSON(path, secret); err != nil {
		return err
	}
	os.Remove(pending)
	if g.output != "json" {
		fmt.Fprintf(g.stdout, "job %d: %d items, manifest %s, %d gold items; gold secret saved to %s\n", secret.Job, len(items), job.Manifest, len(secret.Gold), path)
	}
	return nil
}

func newLabelCommitCmd(g *globals) *cobra.Command {
	var f txFlags
	var job, answers string
	cmd := &cobra.Command{
		Use:   "commit --job ID --answers FILE --from KEY",
		Short: "Commit to answers for your assigned items (the salt is saved under --home for 'reveal')",
		Long: `Commit to answers for your assigned items.

--answers is a CSV item,label with item ids as in the job's manifest and
labels among the job's classes; it must answer every assigned item. The
answers and a random salt are saved to <home>/label/answers-<job>-<address>.json
and only their hash goes on chain. 'emergence labeler' does all of this for you.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			key, who, err := g.signer(f.from)
			if err != nil {
				return err
			}
			id, err := parseJobID(job)
			if err != nil {
				return err
			}
			fh, err := os.Open(answers)
			if err != nil {
				return errorf("pass --answers FILE (CSV item,label)", "%w", err)
			}
			auto, err := labeler.NewAutoAnswerer(fh)
			fh.Close()
			if err != nil {
				return errorf("--answers is a CSV of item,label", "%s: %w", answers, err)
			}
			ctx := cmd.Context()
			c := g.client()
			var j label.Job
			if err := g.query(ctx, label.Name, fmt.Sprintf("job/%d", id), nil, &j); err != nil {
				return err
			}
			var as label.Assignment
			if err := g.query(ctx, label.Name, fmt.Sprintf("assignment/%d/%s", id, who), nil, &as); err != nil {
				return withHint(err, "request work first: emergence tx label request --job ID --from KEY")
			}
			man, err := labeler.FetchManifest(ctx, c, j.Manifest)
			if err != nil {
				return g.nodeError(err)
			}
			out, err := labeler.AnswerItems(ctx, auto, man, as.Items, j.Classes, nil)
			var ae *labeler.AnswerError
			if errors.As(err, &ae) {
				return errorf("answer every assigned item (see 'emergence query label assignment')", "%w", ae.Err)
			}
			if err != nil {
				return err
			}
			sec, err := labeler.NewAnswerSecret(id, who, as.Items, out)
			if err != nil {
				return err
			}
			if err := labeler.SaveJSON(labeler.SecretPath(g.labelDir(), id, who), sec); err != nil {
				return err
			}
			_, err = g.sendAs(cmd, key, &f, "label/commit", label.CommitMsg{Job: id, Commitment: sec.Commitment()})
			return err
		},
	}
	f.register(cmd, true)
	cmd.Flags().StringVar(&job, "job", "", "job id")
	cmd.Flags().StringVar(&answers, "answers", "", "CSV item,label")
	return cmd
}

func newLabelQueryCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "label", Short: "Labeling jobs, results, labelers and assignments"}
	job := &cobra.Command{
		Use:   "job ID",
		Short: "Show a job",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseJobID(args[0])
			if err != nil {
				return err
			}
			var j label.Job
			if err := g.query(cmd.Context(), label.Name, fmt.Sprintf("job/%d", id), nil, &j); err != nil {
				return err
			}
			return g.print(j, func(w io.Writer) { printJob(w, j) })
		},
	}
	jobs := &cobra.Command{
		Use:   "jobs",
		Short: "List jobs",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var l label.JobList
			if err := g.query(cmd.Context(), label.Name, "jobs", nil, &l); err != nil {
				return err
			}
			return g.print(l, func(w io.Writer) {
				if len(l.Jobs) == 0 {
					fmt.Fprintln(w, "no jobs")
				}
				for _, j := range l.Jobs {
					fmt.Fprintf(w, "job %d  %-8s %d items × %d labels  reward %d uemg  requester %s\n", j.ID, j.Status, j.Items, j.LabelsPerItem, j.RewardPerLabel, j.Requester)
				}
			})
		},
	}
	var csvOut string
	results := &cobra.Command{
		Use:   "results ID [--csv FILE]",
		Short: "Show a settled job's aggregated labels, root and payments",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseJobID(args[0])
			if err != nil {
				return err
			}
			var r label.Results
			if err := g.query(cmd.Context(), label.Name, fmt.Sprintf("results/%d", id), nil, &r); err != nil {
				return err
			}
			if csvOut != "" {
				if err := writeResultsCSV(cmd.Context(), g, id, r, csvOut); err != nil {
					return err
				}
			}
			return g.print(r, func(w io.Writer) { printResults(w, r) })
		},
	}
	results.Flags().StringVar(&csvOut, "csv", "", "also write item,label (manifest ids and class names) to FILE")
	lab := &cobra.Command{
		Use:   "labeler ADDRESS|KEY",
		Short: "Show a labeler's stake, open assignments and reputation",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := g.addressOrKey(args[0])
			if err != nil {
				return err
			}
			var l label.Labeler
			if err := g.query(cmd.Context(), label.Name, "labeler/"+a.String(), nil, &l); err != nil {
				return err
			}
			return g.print(l, func(w io.Writer) {
				fmt.Fprintf(w, "%s\n  stake       %s\n  open        %d assignment(s)\n  jobs        %d (%d labels)\n  earned      %s\n  slashed     %s\n  reputation  %d‰\n",
					l.Address, bank.FormatAmount(l.Stake), l.Open, l.Jobs, l.Labels, bank.FormatAmount(l.Earned), bank.FormatAmount(l.Slashed), l.Reputation)
			})
		},
	}
	asg := &cobra.Command{
		Use:   "assignment ID ADDRESS|KEY",
		Short: "Show the items assigned to a labeler in a job",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseJobID(args[0])
			if err != nil {
				return err
			}
			a, err := g.addressOrKey(args[1])
			if err != nil {
				return err
			}
			var as label.Assignment
			if err := g.query(cmd.Context(), label.Name, fmt.Sprintf("assignment/%d/%s", id, a), nil, &as); err != nil {
				return err
			}
			return g.print(as, func(w io.Writer) {
				fmt.Fprintf(w, "job %d, labeler %s: %d items %v (committed: %v, revealed: %v)\n", as.Job, as.Labeler, len(as.Items), as.Items, as.Commitment != "", as.Revealed)
			})
		},
	}
	params := &cobra.Command{
		Use:   "params",
		Short: "Show the label module's parameters",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var p label.Params
			if err := g.query(cmd.Context(), label.Name, "params", nil, &p); err != nil {
				return err
			}
			return g.print(p, func(w io.Writer) { fmt.Fprintf(w, "%+v\n", p) })
		},
	}
	prog := &cobra.Command{
		Use:   "progress ID",
		Short: "Show how far a job's labelers are: assignments and labels assigned, committed and revealed",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseJobID(args[0])
			if err != nil {
				return err
			}
			var p label.Progress
			if err := g.query(cmd.Context(), label.Name, fmt.Sprintf("progress/%d", id), nil, &p); err != nil {
				return err
			}
			return g.print(p, func(w io.Writer) {
				fmt.Fprintf(w, "job %d  %s\n  assigned   %d assignment(s), %d of %d labels\n  committed  %d assignment(s), %d labels (deadline height %d)\n  revealed   %d assignment(s), %d labels (deadline height %d)\n",
					p.Job, p.Status, p.Assignments, p.AssignedLabels, p.Labels, p.Committed, p.CommittedLabels, p.CommitDeadline, p.Revealed, p.RevealedLabels, p.RevealDeadline)
			})
		},
	}
	cmd.AddCommand(job, jobs, results, lab, asg, prog, params)
	return cmd
}

func printJob(w io.Writer, j label.Job) {
	fmt.Fprintf(w, "job %d (%s)\n  requester       %s\n  manifest        %s\n  items           %d, %d labels each, batches of %d\n  classes         %s\n  reward          %d uemg per label (budget %s, bond %s)\n  min stake       %s, min reputation %d‰, personhood %v\n  gold            %d items (revealed: %v)\n  windows         commit until %d, reveal until %d, gold until %d, expiry after %d\n  settlement      at most %d iterations, %d gas\n  assigned        %d labels in %d assignments (at most %d)\n",
		j.ID, j.Status, j.Requester, j.Manifest, j.Items, j.LabelsPerItem, j.BatchSize, strings.Join(j.Classes, ", "),
		j.RewardPerLabel, bank.FormatAmount(j.Budget), bank.FormatAmount(j.Bond), bank.FormatAmount(j.MinStake), j.MinReputation, j.RequirePersonhood,
		j.GoldCount, j.GoldRevealed, j.CommitDeadline, j.RevealDeadline, j.GoldDeadline, j.ExpiryHeight, j.Iterations, j.SettleGas, j.AssignedLabels, j.Assignments, j.MaxAssignments)
}

func printResults(w io.Writer, r label.Results) {
	labeled := 0
	for _, l := range r.Labels {
		if l >= 0 {
			labeled++
		}
	}
	fmt.Fprintf(w, "job %d settled at height %d: %d/%d items labeled, root %s, gold used: %v, %d DS iterations\n", r.Job, r.Height, labeled, len(r.Labels), r.Root, r.GoldUsed, r.Iterations)
	fmt.Fprintf(w, "  paid %s, refunded %s, slashed %s, bond forfeited %s\n", bank.FormatAmount(r.Paid), bank.FormatAmount(r.Refunded), bank.FormatAmount(r.Slashed), bank.FormatAmount(r.BondForfeited))
	for _, o := range r.Outcomes {
		fmt.Fprintf(w, "  %s  labels %3d  revealed %-5v  skill %4d‰  gold %d/%d  paid %s  slashed %s\n", o.Labeler, o.Labels, o.Revealed, o.SkillPermille, o.GoldCorrect, o.GoldTotal, bank.FormatAmount(o.Paid), bank.FormatAmount(o.Slashed))
	}
}

func writeResultsCSV(ctx context.Context, g *globals, id uint64, r label.Results, path string) error {
	var j label.Job
	if err := g.query(ctx, label.Name, fmt.Sprintf("job/%d", id), nil, &j); err != nil {
		return err
	}
	man, err := labeler.FetchManifest(ctx, g.client(), j.Manifest)
	if err != nil {
		return g.nodeError(err)
	}
	var b bytes.Buffer
	if err := labeler.WriteResults(&b, man, j.Classes, r.Labels); err != nil {
		return err
	}
	return writeFileWith(path, func(w io.Writer) error { _, err := w.Write(b.Bytes()); return err })
}

func newLabelerCmd(g *globals) *cobra.Command {
	var from, job, auto, imageDir, stake, uiAddr string
	cmd := &cobra.Command{
		Use:   "labeler --from KEY --job ID [--auto FILE]",
		Short: "Label a job: fetch your assigned items, answer them, commit and reveal",
		Long: `Label a job as a worker.

Requests an assignment (items are picked from block data), shows each item
(text in the terminal; images saved under --image-dir), reads your answer (a
class number or name), commits to all answers, waits for the commit window to
close and reveals. With --auto FILE (CSV item,label) it answers from the file,
for scripts. With --ui ADDR (a loopback address) it serves a labeling page
there instead: open it in a browser, choose each item's class with the number
keys or the mouse and confirm with Enter; the page shows progress and the
commit and reveal deadlines, and refuses answers once the commit deadline has
passed. The key never leaves the worker. Salts are kept under <home>/label so
an interrupted run resumes.`,
		Example: `  emergence tx label stake 2emg --from bob --keyring-backend test
  emergence labeler --from bob --job 1 --keyring-backend test
  emergence labeler --from carol --job 1 --auto answers.csv --keyring-backend test
  emergence labeler --from bob --job 1 --ui 127.0.0.1:8600 --keyring-backend test`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			key, _, err := g.signer(from)
			if err != nil {
				return err
			}
			id, err := parseJobID(job)
			if err != nil {
				return err
			}
			if uiAddr != "" && auto != "" {
				return errorf("pass one of them: --ui for a person at a browser, --auto for a script", "--ui and --auto answer the same items")
			}
			if uiAddr != "" {
				if err := labeler.CheckLoopback(uiAddr); err != nil {
					return errorf("pass a loopback address, e.g. --ui 127.0.0.1:8600: the page answers for your key", "%w", err)
				}
			}
			var ans labeler.Answerer
			if auto != "" {
				fh, err := os.Open(auto)
				if err != nil {
					return errorf("--auto is a CSV item,label", "%w", err)
				}
				a, err := labeler.NewAutoAnswerer(fh)
				fh.Close()
				if err != nil {
					return errorf("--auto is a CSV item,label", "%s: %w", auto, err)
				}
				ans = a
			} else {
				dir := imageDir
				if dir == "" {
					dir = filepath.Join(g.labelDir(), "images")
				}
				ans = &labeler.TerminalAnswerer{In: bufio.NewReader(g.stdin), Out: g.stderr, ImageDir: dir}
			}
			ctx := cmd.Context()
			if err := g.reachNode(ctx, "labeler"); err != nil {
				return err
			}
			if stake != "" {
				if err := labelerStake(cmd, g, key, stake); err != nil {
					return err
				}
			}
			var out io.Writer = g.stderr
			var ui *labeler.UI
			if uiAddr != "" {
				if ui, err = serveLabelerUI(ctx, g, key, id, uiAddr); err != nil {
					return err
				}
				ans, out = ui, io.MultiWriter(g.stderr, ui)
			}
			w := &labeler.Worker{Chain: g.client(), Key: key, Job: id, Answer: ans, Out: out, StateDir: g.labelDir()}
			rep, err := w.Run(ctx)
			if ui != nil {
				ui.Done(rep, err)
				// Let an open page show how it ended before the page goes away.
				select {
				case <-ui.EndShown():
				case <-time.After(3 * time.Second):
				}
			}
			if errors.Is(err, labeler.ErrNoStake) {
				return errorf("bond stake first: emergence tx label stake AMOUNT --from KEY (or pass --stake AMOUNT)", "%w", err)
			}
			if err != nil {
				if nodeFailure(err) {
					return g.nodeError(err)
				}
				return fmt.Errorf("label job %d: %w", id, err)
			}
			return g.print(rep, func(w io.Writer) {
				fmt.Fprintf(w, "job %d: %d items answered, committed and revealed by %s\n", rep.Job, len(rep.Answers), rep.Labeler)
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&from, "from", "", "labeler key")
	fl.StringVar(&job, "job", "", "job id")
	fl.StringVar(&auto, "auto", "", "answer from a CSV item,label instead of asking")
	fl.StringVar(&imageDir, "image-dir", "", "where image items are saved (default <home>/label/images)")
	fl.StringVar(&stake, "stake", "", "bond this much stake first (e.g. 2emg)")
	fl.StringVar(&uiAddr, "ui", "", "serve a labeling page on this loopback address (e.g. 127.0.0.1:8600) and answer from it")
	return cmd
}

// serveLabelerUI starts the labeling page of a job on a loopback address;
// it stops when ctx ends.
func serveLabelerUI(ctx context.Context, g *globals, key ed25519.PrivateKey, id uint64, addr string) (*labeler.UI, error) {
	c := g.client()
	var job label.Job
	if err := c.Query(ctx, label.Name, fmt.Sprintf("job/%d", id), nil, &job); err != nil {
		if errors.Is(err, client.ErrNotFound) {
			return nil, errorf("list jobs with: emergence query label jobs", "job %d: %w", id, err)
		}
		return nil, g.nodeError(err)
	}
	who := tx.AddressFromPubKey(key.Public().(ed25519.PublicKey))
	ui := labeler.NewUI(job, who.String(), func(ctx context.Context) (int64, error) {
		st, err := c.Status(ctx)
		return st.Height, err
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, failf("pass a free port, e.g. --ui 127.0.0.1:0", "labeling page: %w", err)
	}
	srv := &http.Server{Handler: ui.Handler(web.LabelerPage()), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	fmt.Fprintf(g.stderr, "labeling page: http://%s/ (open it in a browser; Ctrl-C stops the worker)\n", ln.Addr())
	return ui, nil
}

func labelerStake(cmd *cobra.Command, g *globals, key ed25519.PrivateKey, amount string) error {
	amt, err := parseAmount(amount)
	if err != nil {
		return err
	}
	m, err := labelMsg("label/stake", label.StakeMsg{Amount: amt})
	if err != nil {
		return err
	}
	res, err := g.client().SignAndBroadcast(cmd.Context(), key, client.TxOptions{}, m)
	if err != nil {
		return g.nodeError(err)
	}
	if res.Code != 0 {
		return errorf("", "stake failed: %s", res.Log)
	}
	fmt.Fprintf(g.stderr, "staked %s\n", bank.FormatAmount(amt))
	return nil
}
