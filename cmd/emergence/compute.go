package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"emergence/api"
	"emergence/client"
	"emergence/compute"
	"emergence/compute/provider"
	"emergence/compute/requester"
	"emergence/compute/sandbox"
	"emergence/compute/trainer"
)

func init() { topCommands = append(topCommands, newProviderCmd, newJobCmd, newSandboxChildCmd) }

// newSandboxChildCmd is the provider's job process: the sandbox runs each
// job in "emergence sandbox-child" (reading the job on stdin) so that it
// can kill the job at its deadline without compiling termination checks
// into it (see sandbox.WithChildProcess).
func newSandboxChildCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:    "sandbox-child",
		Short:  "Run one sandboxed job read from stdin (internal: started by the provider)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return sandbox.ServeChild(g.stdin, g.stdout)
		},
	}
}

func newProviderCmd(g *globals) *cobra.Command {
	var from, workDir string
	var cores, mem uint32
	var price, stake uint64
	var lazy bool
	cmd := &cobra.Command{
		Use:   "provider --from KEY",
		Short: "Sell CPU time: run compute jobs in the WebAssembly sandbox for pay",
		Long: `Runs the compute market's provider worker with the key --from until
interrupted. It registers the key as a provider (capacity, price per
CPU-second, stake), answers the chain's benchmark, bids its price on open
jobs that fit, runs the jobs it is assigned in the sandbox (wazero, WASI
preview 1: no network, a read-only /in, a capped /out, the job's memory and
wall-time limits), uploads the outputs to the blob store, commits to their
hash, reveals it, and re-runs jobs it is drawn to referee.

A restarted provider resumes from the chain, except that a commitment it
made before the restart cannot be revealed (its salt was in memory) and is
slashed as a missed reveal.

Example:
  emergence provider --from prov1 --cores 2 --mem-mib 512 --price 10 --stake 2emg`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			key, _, err := g.signer(from)
			if err != nil {
				return err
			}
			if cores == 0 || cores > compute.MaxCores {
				return errorf(fmt.Sprintf("pass --cores from 1 to %d", compute.MaxCores), "bad core count %d", cores)
			}
			if workDir == "" {
				workDir = filepath.Join(g.home, "compute", "work")
			}
			if err := os.MkdirAll(workDir, 0o700); err != nil {
				return failf("pass a writable --work-dir", "work dir: %w", err)
			}
			cacheDir := filepath.Join(g.home, "compute", "wasm-cache")
			self, err := os.Executable()
			if err != nil {
				return failf("run emergence from a path it can find itself at", "locate the emergence binary: %w", err)
			}
			r, err := sandbox.NewRunner(sandbox.WithCacheDir(cacheDir), sandbox.WithChildProcess(self, "sandbox-child"))
			if err != nil {
				return failf("check that --home is writable", "%w", err)
			}
			defer r.Close()
			if err := g.reachNode(cmd.Context(), "provider"); err != nil {
				return err
			}
			w, err := provider.New(g.client(), provider.Config{Key: key, Cores: cores, MemMiB: mem, Price: price, Stake: stake,
				WorkDir: workDir, Runner: r, Log: g.stderr, Lazy: lazy})
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			fmt.Fprintf(g.stderr, "provider %s: serving %s with %d cores, %d MiB at %d uemg per CPU-second\n", w.Address(), g.nodeAddr(), cores, mem, price)
			return w.Run(ctx)
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "key of the provider")
	cmd.Flags().Uint32Var(&cores, "cores", 1, "cores offered (jobs run at once; the benchmark has one lane per core)")
	cmd.Flags().Uint32Var(&mem, "mem-mib", 1024, "memory offered, MiB (a job asking more is not bid on)")
	cmd.Flags().Uint64Var(&price, "price", 10, "asking price, uemg per CPU-second (jobs capped below it are not bid on)")
	cmd.Flags().Var(amountValue{&stake}, "stake", "stake locked at registration, e.g. 2emg")
	cmd.Flags().StringVar(&workDir, "work-dir", "", "directory for running jobs' files (default: HOME/compute/work)")
	cmd.Flags().BoolVar(&lazy, "lazy", false, "test only: report garbage instead of running jobs")
	cmd.Flags().MarkHidden("lazy")
	stake = 2_000_000
	return cmd
}

// amountValue is a flag holding an amount like 2emg or 1500uemg.
type amountValue struct{ p *uint64 }

func (v amountValue) String() string {
	if v.p == nil {
		return ""
	}
	return strconv.FormatUint(*v.p, 10) + "uemg"
}

func (v amountValue) Set(s string) error {
	n, err := parseAmount(s)
	if err != nil {
		return err
	}
	*v.p = n
	return nil
}

func (v amountValue) Type() string { return "amount" }

func newJobCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "job",
		Short: "Submit compute jobs and read their status, results and logs",
		Long: `Jobs are WebAssembly modules (WASI preview 1) run by providers in the
sandbox, replicated r times and checked by comparing output hashes; a
disagreement goes to a referee and the providers whose output differs from
the referee's are slashed. The escrowed budget pays the providers.

Examples:
  emergence job submit --wasm hello.wasm --input data.csv --arg -n --arg 3 --from alice --wait 2m
  emergence job train --dataset digits --arch 64-32-10 --seed 7 --from alice --wait 5m
  emergence job status 1
  emergence job result 1 --out ./result
  emergence job logs 1`,
	}
	cmd.AddCommand(newJobSubmitCmd(g), newJobTrainCmd(g), newJobStatusCmd(g), newJobResultCmd(g), newJobLogsCmd(g), newJobProvidersCmd(g))
	return cmd
}

// jobSpec are the flags a submitted job shares with a training job.
type jobSpec struct {
	from     string
	mem      uint32
	wallMs   uint64
	r        uint32
	priceCap uint64
	budget   uint64
	wait     time.Duration
}

func (s *jobSpec) register(cmd *cobra.Command, wallMs uint64) {
	cmd.Flags().StringVar(&s.from, "from", "", "key of the requester (pays the budget)")
	cmd.Flags().Uint32Var(&s.mem, "mem-mib", 256, "memory limit, MiB")
	cmd.Flags().Uint64Var(&s.wallMs, "wall-ms", wallMs, "wall-time limit, milliseconds (billed in whole seconds)")
	cmd.Flags().Uint32Var(&s.r, "r", compute.DefaultR, "replication: providers that each run the job")
	cmd.Flags().Uint64Var(&s.priceCap, "price-cap", 100, "most paid per CPU-second and replica, uemg")
	cmd.Flags().Var(amountValue{&s.budget}, "budget", "escrowed budget (default: r x price cap x wall seconds)")
	cmd.Flags().DurationVar(&s.wait, "wait", 0, "wait up to this long for the verified result (0: return once submitted)")
}

// submitJob submits the job (compute/requester) and prints its id, or
// waits for and prints its result with --wait.
func (g *globals) submitJob(cmd *cobra.Command, s *jobSpec, wasm []byte, inputs [][]byte, args []string) error {
	key, addr, err := g.signer(s.from)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	tctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	sub, err := requester.Submit(tctx, g.client(), key, requester.Spec{Wasm: wasm, Inputs: inputs, Args: args,
		MemMiB: s.mem, WallMs: s.wallMs, R: s.r, PriceCap: s.priceCap, Budget: s.budget})
	var wf *client.WouldFailError
	var refused *requester.RefusedError
	switch {
	case errors.As(err, &wf):
		return errorf(jobHint(wf.Result), "%w", err)
	case errors.As(err, &refused):
		printTxResult(g.stderr, refused.Result)
		return &txFailedError{codespace: refused.Result.Codespace, code: refused.Result.Code, log: refused.Result.Log}
	case errors.Is(err, requester.ErrNoJobEvent):
		return failf("see the node's log", "%w", err)
	case err != nil:
		return g.nodeError(err)
	}
	fmt.Fprintf(g.stderr, "job %d submitted by %s at height %d (module %s, budget %duemg)\n", sub.ID, addr, sub.Height, sub.Wasm[:12], sub.Budget)
	if s.wait == 0 {
		return g.print(map[string]any{"job": strconv.FormatUint(sub.ID, 10), "tx": sub.Tx, "height": sub.Height, "wasm": sub.Wasm, "inputs": sub.Inputs}, func(w io.Writer) {
			fmt.Fprintln(w, sub.ID)
		})
	}
	j, err := g.awaitJob(ctx, sub.ID, s.wait)
	if err != nil {
		return err
	}
	return g.printJob(ctx, j)
}

// jobHint names the flag to change for a submission the chain would refuse.
func jobHint(r *api.TxResult) string {
	switch {
	case r.Codespace == compute.Name && r.Code == compute.CodeLowBudget.Num:
		return "raise --budget to r x --price-cap x the wall seconds, or lower them"
	case r.Codespace == compute.Name && r.Code == compute.CodeBadJob.Num:
		return "check --mem-mib, --wall-ms, --r and --price-cap"
	case r.Codespace == "bank":
		return "the requester's balance must cover the budget and the fee"
	}
	return "nothing was sent or charged"
}

// awaitJob waits, block by block, until job id is settled or within ends.
func (g *globals) awaitJob(ctx context.Context, id uint64, within time.Duration) (*compute.Job, error) {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	j, err := requester.Await(ctx, g.client(), id)
	if errors.Is(err, context.DeadlineExceeded) {
		status := "unknown"
		if j != nil {
			status = j.Status
		}
		return nil, failf(fmt.Sprintf("is a provider running ('emergence provider --from KEY')? follow it with 'emergence job status %d'", id),
			"job %d is still %s after %s", id, status, within)
	}
	if err != nil {
		return nil, g.nodeError(err)
	}
	return j, nil
}

func newJobSubmitCmd(g *globals) *cobra.Command {
	var s jobSpec
	var wasmPath string
	var inputs, args []string
	cmd := &cobra.Command{
		Use:   "submit --wasm FILE [--input FILE]... [--arg ARG]... --from KEY",
		Short: "Submit a WebAssembly job (inputs are /in/0, /in/1, ...; outputs go to /out)",
		Long: `Uploads the module and the input files to the blob store and submits the
job, locking the budget in escrow. The module is a WASI preview 1 command
(e.g. GOOS=wasip1 GOARCH=wasm go build); it sees input i as /in/i
(read-only), writes its outputs as files in /out (flat, at most 14), and its
stdout and stderr are kept as the result's .stdout and .stderr. It sees no
network, no other files, a fixed clock and a random stream seeded by the
job id, so every replica computes the same bytes.

Example:
  emergence job submit --wasm job.wasm --input data.csv --arg 3 --from alice --wait 2m`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if wasmPath == "" {
				return errorf("pass --wasm FILE (a WASI preview 1 module)", "no --wasm given")
			}
			wasm, err := os.ReadFile(wasmPath)
			if err != nil {
				return errorf("check the --wasm path", "read module: %w", err)
			}
			var ins [][]byte
			for _, p := range inputs {
				b, err := os.ReadFile(p)
				if err != nil {
					return errorf("check the --input paths", "read input: %w", err)
				}
				ins = append(ins, b)
			}
			return g.submitJob(cmd, &s, wasm, ins, args)
		},
	}
	s.register(cmd, 10_000)
	cmd.Flags().StringVar(&wasmPath, "wasm", "", "the WebAssembly module")
	cmd.Flags().StringArrayVar(&inputs, "input", nil, "input file (repeat; the i-th is /in/i)")
	cmd.Flags().StringArrayVar(&args, "arg", nil, "argument passed to the module (repeat)")
	return cmd
}

func newJobTrainCmd(g *globals) *cobra.Command {
	var s jobSpec
	var data, arch, wasmPath string
	var seed uint64
	var epochs int
	cmd := &cobra.Command{
		Use:   "train --dataset FILE|digits --arch 64-32-10 --seed N --from KEY",
		Short: "Submit the built-in MLP training job (the zkml model format)",
		Long: `Builds the project's MLP trainer for WebAssembly with the Go toolchain
(GOOS=wasip1 GOARCH=wasm, from the emergence source tree this command runs
in; or pass --wasm with a module built so), and submits it on the data set:
a CSV file of integer features with the class last (uploaded as input 0), or
digits (built into the trainer). Replicas produce the same model.json; its
blob hash and its commitment (in summary.json) are what a zkml attestation
names as trained by this job. The model, weights and salt included, is a
public blob.

Example:
  emergence job train --dataset digits --arch 64-32-10 --seed 7 --epochs 5 --from alice --wait 5m`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o := trainer.Options{Data: "/in/0", Arch: arch, Seed: seed, Epochs: epochs, WeightBits: 8, ActBits: 16, Out: "/out"}
			if _, err := trainer.ParseArgs(o.Args()); err != nil {
				return errorf("check --arch and --epochs", "%w", err)
			}
			var ins [][]byte
			switch data {
			case "":
				return errorf("pass --dataset FILE.csv or --dataset digits", "no --dataset given")
			case "digits":
				o.Data = "digits"
			default:
				b, err := os.ReadFile(data)
				if err != nil {
					return errorf("--dataset takes a CSV file of integer features with the class last, or digits", "read dataset: %w", err)
				}
				ins = append(ins, b)
			}
			var wasm []byte
			var err error
			if wasmPath != "" {
				wasm, err = os.ReadFile(wasmPath)
			} else {
				// go build prints nothing while it works: say what this is
				// and how long it may take, then how long it took.
				fmt.Fprintln(g.stderr, "building the trainer for wasip1 with go build (half a minute or more on a cold Go build cache, about a second once cached) ...")
				start := time.Now()
				wasm, err = trainer.Build(cmd.Context(), ".")
				if err == nil {
					fmt.Fprintf(g.stderr, "built the trainer (%d KiB) in %s\n", len(wasm)>>10, time.Since(start).Round(100*time.Millisecond))
				}
			}
			if errors.Is(err, trainer.ErrNoSource) {
				return errorf("run from the emergence source tree, or pass --wasm built with 'GOOS=wasip1 GOARCH=wasm go build -trimpath -buildvcs=false -o trainer.wasm ./compute/trainer/cmd/trainer'", "%w", err)
			}
			if err != nil {
				return failf("check the Go toolchain ('go version')", "trainer module: %w", err)
			}
			return g.submitJob(cmd, &s, wasm, ins, o.Args())
		},
	}
	s.register(cmd, 120_000)
	cmd.Flags().StringVar(&data, "dataset", "", "CSV file (integer features, class last) or digits")
	cmd.Flags().StringVar(&arch, "arch", "64-32-10", "layer sizes, inputs first and classes last")
	cmd.Flags().Uint64Var(&seed, "seed", 1, "seed of initialization, shuffling and the model's salt")
	cmd.Flags().IntVar(&epochs, "epochs", 20, "training epochs")
	cmd.Flags().StringVar(&wasmPath, "wasm", "", "a trainer module built beforehand (default: build it now)")
	return cmd
}

func parseComputeJobID(s string) (uint64, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n == 0 {
		return 0, errorf("job ids are positive integers (see 'emergence job submit')", "bad job id %q", s)
	}
	return n, nil
}

// jobView is what job status prints.
type jobView struct {
	Job         compute.Job          `json:"job"`
	Assignments []compute.Assignment `json:"assignments"`
	Bids        []compute.BidRecord  `json:"bids"`
}

func (g *globals) printJob(ctx context.Context, j *compute.Job) error {
	v := jobView{Job: *j}
	id := strconv.FormatUint(j.ID, 10)
	var ap compute.AssignmentPage
	if err := g.query(ctx, compute.Name, "job/"+id+"/assignments", url.Values{"limit": {"100"}}, &ap); err != nil {
		return err
	}
	var bp compute.BidPage
	if err := g.query(ctx, compute.Name, "job/"+id+"/bids", url.Values{"limit": {"100"}}, &bp); err != nil {
		return err
	}
	v.Assignments, v.Bids = ap.Assignments, bp.Bids
	return g.print(v, func(w io.Writer) {
		fmt.Fprintf(w, "job %d: %s (round %d, phase ends at height %d)\n", j.ID, j.Status, j.Rounds, j.Deadline)
		fmt.Fprintf(w, "  requester %s, r %d, price cap %d, budget %d, paid %d, refund %d\n", j.Requester, j.R, j.PriceCap, j.Budget, j.Paid, j.Refund)
		fmt.Fprintf(w, "  module %s, %d inputs, args %q, %d MiB, %d ms\n", j.Wasm, len(j.Inputs), j.Args, j.MemMiB, j.WallMs)
		if !j.Referee.IsZero() {
			fmt.Fprintf(w, "  referee %s (requester: %v, recheck: %v)\n", j.Referee, j.RefereeRequester, j.Recheck)
		}
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "  provider\tprice\tstate\toutput\texit\tpaid\tslashed\n")
		for _, a := range v.Assignments {
			fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\t%d\t%d\t%d\n", a.Provider, a.Price, a.State, shortHash(a.Output), a.Exit, a.Paid, a.Slashed)
		}
		tw.Flush()
		fmt.Fprintf(w, "  %d bids\n", len(v.Bids))
		if j.Result != nil {
			fmt.Fprintf(w, "  result %s by %s at height %d, exit %d\n", j.Result.Output, j.Result.By, j.Result.Height, j.Result.Exit)
			for _, f := range j.Result.Files {
				fmt.Fprintf(w, "    %s  %s\n", f.Blob, f.Name)
			}
		}
	})
}

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	if h == "" {
		return "-"
	}
	return h
}

func newJobStatusCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "status ID",
		Short: "Show a job's state, bids, replicas and result",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseComputeJobID(args[0])
			if err != nil {
				return err
			}
			var j compute.Job
			if err := g.query(cmd.Context(), compute.Name, "job/"+strconv.FormatUint(id, 10), nil, &j); err != nil {
				return err
			}
			return g.printJob(cmd.Context(), &j)
		},
	}
}

// jobResult loads the verified result of the job whose id the argument
// arg gives, waiting up to wait for it.
func (g *globals) jobResult(ctx context.Context, arg string, wait time.Duration) (*compute.Job, error) {
	id, err := parseComputeJobID(arg)
	if err != nil {
		return nil, err
	}
	var j compute.Job
	if wait > 0 {
		jj, err := g.awaitJob(ctx, id, wait)
		if err != nil {
			return nil, err
		}
		j = *jj
	} else if err := g.query(ctx, compute.Name, "job/"+strconv.FormatUint(id, 10), nil, &j); err != nil {
		return nil, err
	}
	if j.Result == nil {
		return nil, errorf(fmt.Sprintf("wait for it with --wait 2m, or see 'emergence job status %d'", id), "job %d has no verified result (it is %s)", id, j.Status)
	}
	return &j, nil
}

func newJobResultCmd(g *globals) *cobra.Command {
	var out string
	var wait time.Duration
	cmd := &cobra.Command{
		Use:   "result ID [--out DIR]",
		Short: "Show a job's verified result; --out downloads its files",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			j, err := g.jobResult(cmd.Context(), args[0], wait)
			if err != nil {
				return err
			}
			if out != "" {
				if err := os.MkdirAll(out, 0o755); err != nil {
					return failf("pass a writable --out", "%w", err)
				}
				for _, f := range j.Result.Files {
					b, err := g.fetchBlob(cmd.Context(), f.Blob)
					if err != nil {
						return err
					}
					if err := os.WriteFile(filepath.Join(out, f.Name), b, 0o644); err != nil {
						return failf("pass a writable --out", "%w", err)
					}
				}
			}
			return g.print(j.Result, func(w io.Writer) {
				fmt.Fprintf(w, "job %d: output %s (by %s at height %d), exit %d\n", j.ID, j.Result.Output, j.Result.By, j.Result.Height, j.Result.Exit)
				for _, f := range j.Result.Files {
					fmt.Fprintf(w, "%s  %s\n", f.Blob, f.Name)
				}
				if out != "" {
					fmt.Fprintf(w, "files written to %s\n", out)
				}
			})
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "directory to download the result's files into")
	cmd.Flags().DurationVar(&wait, "wait", 0, "wait up to this long for the result")
	return cmd
}

// fetchBlob downloads a blob and checks its hash.
func (g *globals) fetchBlob(ctx context.Context, h string) ([]byte, error) {
	b, err := g.client().GetBlob(ctx, h)
	if err != nil {
		return nil, g.nodeError(fmt.Errorf("download %s: %w", h, err))
	}
	sum := sha256.Sum256(b)
	if hex.EncodeToString(sum[:]) != h {
		return nil, failf("the node's blob store is corrupt", "blob %s has the wrong content", h)
	}
	return b, nil
}

func newJobLogsCmd(g *globals) *cobra.Command {
	var wait time.Duration
	cmd := &cobra.Command{
		Use:   "logs ID",
		Short: "Print a job's stdout and stderr (part of its verified result)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			j, err := g.jobResult(cmd.Context(), args[0], wait)
			if err != nil {
				return err
			}
			logs := map[string]string{}
			for _, f := range j.Result.Files {
				if f.Name != sandbox.StdoutFile && f.Name != sandbox.StderrFile {
					continue
				}
				b, err := g.fetchBlob(cmd.Context(), f.Blob)
				if err != nil {
					return err
				}
				logs[strings.TrimPrefix(f.Name, ".")] = string(b)
			}
			if g.output == "json" {
				return g.printJSON(logs)
			}
			io.WriteString(g.stdout, logs["stdout"])
			io.WriteString(g.stderr, logs["stderr"])
			if exit, ok := failureName(j.Result.Exit); ok {
				fmt.Fprintf(g.stderr, "job %d: %s\n", j.ID, exit)
			}
			return nil
		},
	}
	cmd.Flags().DurationVar(&wait, "wait", 0, "wait up to this long for the result")
	return cmd
}

// failureName describes the exit codes a provider reports for a module
// the sandbox refused or stopped.
func failureName(exit uint32) (string, bool) {
	switch exit {
	case provider.ExitInvalidModule:
		return "the module is not valid WebAssembly", true
	case provider.ExitImportNotGranted:
		return "the module imports a host function that is not granted (only WASI preview 1 without sockets is)", true
	case provider.ExitDeadline:
		return "the module was killed at its wall-time limit", true
	case provider.ExitOutputCap:
		return "the module wrote more output than the cap", true
	case provider.ExitNoEntry:
		return "the module has no _start (build a command, not a library)", true
	}
	return "", false
}

func newJobProvidersCmd(g *globals) *cobra.Command {
	var ready int
	var wait time.Duration
	cmd := &cobra.Command{
		Use:   "providers [--ready N --wait 1m]",
		Short: "List compute providers (capacity, measured speed, price, reputation, stake)",
		Long: `Lists the registered providers (the first 100). With --ready N it first
waits, block by block and up to --wait, until N of them have passed their
benchmark and may bid.`,
		Example: `  emergence job providers
  emergence job providers --ready 3 --wait 1m`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			c := g.client()
			var page compute.ProviderPage
			list := func() (bool, error) {
				if err := c.Query(ctx, compute.Name, "providers", url.Values{"limit": {"100"}}, &page); err != nil {
					return false, err
				}
				n := 0
				for _, p := range page.Providers {
					if p.Status == compute.ProviderReady {
						n++
					}
				}
				return n >= ready, nil
			}
			if ready > 0 {
				wctx, cancel := context.WithTimeout(ctx, wait)
				defer cancel()
				err := c.Await(wctx, list)
				if errors.Is(err, context.DeadlineExceeded) {
					return failf("are the providers running ('emergence provider --from KEY')? their stderr says what they do", "fewer than %d providers ready after %s", ready, wait)
				}
				if err != nil {
					return g.nodeError(err)
				}
			} else if _, err := list(); err != nil {
				return g.nodeError(err)
			}
			return g.print(page.Providers, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
				fmt.Fprintf(tw, "provider\tstatus\tcores\tmem MiB\tspeed\tprice\treputation\tstake\tactive\tearned\tslashed\n")
				for _, p := range page.Providers {
					fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n", p.Address, p.Status, p.Cores, p.MemMiB, p.Speed, p.Price, p.Reputation, p.Stake, p.Active, p.Earned, p.Slashed)
				}
				tw.Flush()
				fmt.Fprintf(w, "%d ready\n", countReady(page.Providers))
			})
		},
	}
	cmd.Flags().IntVar(&ready, "ready", 0, "wait until this many providers are ready")
	cmd.Flags().DurationVar(&wait, "wait", time.Minute, "how long --ready waits")
	return cmd
}

func countReady(ps []compute.Provider) int {
	n := 0
	for _, p := range ps {
		if p.Status == compute.ProviderReady {
			n++
		}
	}
	return n
}
