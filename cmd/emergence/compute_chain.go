package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"emergence/bank"
	"emergence/compute"
)

func init() {
	txTable = append(txTable, computeTxRows...)
	txCommands = append(txCommands, newComputeTxCmd)
	queryCommands = append(queryCommands, newComputeQueryCmd)
}

func newComputeTxCmd(g *globals) *cobra.Command {
	return txGroup(g, compute.Name, "Compute market: providers, benchmarks, bids, leaving (jobs: 'emergence job', the worker: 'emergence provider')")
}

// computeTxRows are the compute module's one-message transactions a person
// sends by hand; the provider worker sends benchmark answers, commitments
// and reveals itself, and 'emergence job submit' submits jobs.
var computeTxRows = []txSpec{
	{
		module: compute.Name, action: "register-provider", use: "--cores N --mem-mib N --price AMOUNT --stake AMOUNT --from KEY",
		short: "Register the --from account as a compute provider, locking --stake; the chain then sets its benchmark",
		long: `Register as a provider of --cores cores and --mem-mib MiB of memory at --price
per CPU-second, locking --stake. The chain sets a benchmark of one kernel lane
per claimed core (see 'emergence query compute provider KEY'), which the
provider worker answers; only providers that pass it may bid.`,
		example: "  emergence tx compute register-provider --cores 4 --mem-mib 4096 --price 100uemg --stake 1emg --from bob --keyring-backend test",
		flags: []txArg{
			{name: "cores", kind: argUint, usage: "cores offered (one benchmark lane each)", required: true},
			{name: "mem-mib", kind: argUint, usage: "memory offered, MiB", required: true},
			{name: "price", kind: argAmount, usage: "asking price per CPU-second, e.g. 100uemg", required: true},
			{name: "stake", kind: argAmount, usage: "stake to lock, e.g. 1emg", required: true},
		},
		build: func(in *txInput) (any, error) {
			cores, mem := in.uint("cores"), in.uint("mem-mib")
			if cores < 1 || cores > compute.MaxCores || mem < 1 || mem > compute.MaxMemMiB {
				return nil, errorf(fmt.Sprintf("pass --cores 1 to %d and --mem-mib 1 to %d", compute.MaxCores, compute.MaxMemMiB), "capacity out of range")
			}
			return compute.RegisterProvider{Cores: uint32(cores), MemMiB: uint32(mem), Price: in.amount("price"), Stake: in.amount("stake")}, nil
		},
	},
	{
		module: compute.Name, action: "rebenchmark", use: "--cores N --from KEY",
		short:   "Ask for a new benchmark at --cores (after a failed one, or to change the claimed capacity)",
		example: "  emergence tx compute rebenchmark --cores 2 --from bob --keyring-backend test",
		flags:   []txArg{{name: "cores", kind: argUint, usage: "cores claimed", required: true}},
		build: func(in *txInput) (any, error) {
			cores := in.uint("cores")
			if cores < 1 || cores > compute.MaxCores {
				return nil, errorf(fmt.Sprintf("pass --cores 1 to %d", compute.MaxCores), "--cores %d out of range", cores)
			}
			return compute.Rebenchmark{Cores: uint32(cores)}, nil
		},
	},
	{
		module: compute.Name, action: "unregister", use: "--from KEY",
		short:   "Retire the --from provider and return its stake (it must hold no open assignment or referee duty)",
		example: "  emergence tx compute unregister --from bob --keyring-backend test",
		build:   func(in *txInput) (any, error) { return compute.Unregister{}, nil },
	},
	{
		module: compute.Name, action: "bid", use: "--job ID --price AMOUNT --from KEY",
		short:   "Bid on a job in its bid window at --price per CPU-second (the worker bids by itself)",
		example: "  emergence tx compute bid --job 1 --price 80uemg --from bob --keyring-backend test",
		flags: []txArg{
			{name: "job", kind: argUint, usage: "job id (see 'emergence query compute open-jobs')", required: true},
			{name: "price", kind: argAmount, usage: "price per CPU-second, at most the job's cap", required: true},
		},
		build: func(in *txInput) (any, error) {
			return compute.Bid{Job: in.uint("job"), Price: in.amount("price")}, nil
		},
	},
}

// computeQueries: each query's arity and what to try when it finds
// nothing.
var computeQueries = map[string]struct {
	args int
	hint string
}{
	"params":      {0, "see 'emergence query compute --help'"},
	"providers":   {0, "register one with 'emergence tx compute register-provider'"},
	"provider":    {1, "pass a provider's address or key name; register with 'emergence tx compute register-provider'"},
	"assignments": {1, "pass a provider's address or key name"},
	"jobs":        {0, "submit one with 'emergence job submit'"},
	"open-jobs":   {0, "submit one with 'emergence job submit'"},
	"job":         {1, "job ids are positive integers (see 'emergence query compute jobs')"},
	"bids":        {1, "job ids are positive integers (see 'emergence query compute jobs')"},
	"replicas":    {1, "job ids are positive integers (see 'emergence query compute jobs')"},
	"result":      {1, "a job has a result once its replicas agree or its referee answered ('emergence job status ID')"},
}

func newComputeQueryCmd(g *globals) *cobra.Command {
	var limit int
	var after string
	cmd := &cobra.Command{
		Use:   "compute WHAT [ARG]",
		Short: "Query the compute market: params, providers, provider, assignments, jobs, open-jobs, job, bids, replicas, result",
		Long: `Query the compute module.

  params              the module's parameters (benchmark size, windows, p, slashes)
  providers           providers: capacity, measured speed, price, reputation, stake (--limit, --after)
  provider ADDR       one provider and its pending benchmark (address or key name)
  assignments ADDR    the job ids a provider holds open (replicas and referee duties)
  jobs                all jobs, by id (--limit, --after)
  open-jobs           jobs in a bid window
  job ID              one job: state, deadline, referee, result
  bids ID             a job's bids
  replicas ID         a job's replicas: price, state, commitment, output
  result ID           a job's verified result`,
		Example: "  emergence query compute providers\n  emergence query compute job 1 -o json\n  emergence query compute bids 1",
		Args:    cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			what := args[0]
			q, ok := computeQueries[what]
			if !ok {
				return errorf("see 'emergence query compute --help'", "unknown compute query %q", what)
			}
			if len(args)-1 != q.args {
				return errorf("see 'emergence query compute --help'", "query compute %s takes %d argument(s)", what, q.args)
			}
			if limit < 1 || limit > compute.MaxPage {
				return errorf(fmt.Sprintf("pass --limit 1 to %d", compute.MaxPage), "--limit %d out of range", limit)
			}
			params := url.Values{"limit": {strconv.Itoa(limit)}}
			if after != "" {
				params.Set("after", after)
			}
			var path string
			var out any
			switch what {
			case "params":
				path, out, params = "params", new(compute.Params), nil
			case "providers":
				path, out = "providers", new(compute.ProviderPage)
			case "jobs":
				path, out = "jobs", new(compute.JobPage)
			case "open-jobs":
				path, out = "open-jobs", new(compute.JobPage)
			case "provider", "assignments":
				a, err := g.addressOrKey(args[1])
				if err != nil {
					return err
				}
				if what == "provider" {
					path, out, params = "provider/"+a.String(), new(compute.Provider), nil
				} else {
					path, out = "provider/"+a.String()+"/assignments", new(compute.IDPage)
				}
			default:
				id, err := strconv.ParseUint(args[1], 10, 64)
				if err != nil || id == 0 {
					return errorf(q.hint, "bad job id %q", args[1])
				}
				base := "job/" + strconv.FormatUint(id, 10)
				switch what {
				case "job":
					path, out, params = base, new(compute.Job), nil
				case "bids":
					path, out = base+"/bids", new(compute.BidPage)
				case "replicas":
					path, out = base+"/assignments", new(compute.AssignmentPage)
				case "result":
					path, out, params = base+"/result", new(compute.Result), nil
				}
			}
			if err := g.query(cmd.Context(), compute.Name, path, params, out); err != nil {
				if exitCode(err) == exitUsage {
					return withHint(err, q.hint)
				}
				return err
			}
			return g.print(out, func(w io.Writer) { printComputeQuery(w, out) })
		},
	}
	cmd.Flags().IntVar(&limit, "limit", compute.MaxPage, "most records per page")
	cmd.Flags().StringVar(&after, "after", "", "the previous page's next")
	return cmd
}

// printComputeQuery prints lists as tables and single records as JSON.
func printComputeQuery(w io.Writer, out any) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	defer tw.Flush()
	next := ""
	switch v := out.(type) {
	case *compute.ProviderPage:
		fmt.Fprintln(tw, "ADDRESS\tSTATUS\tCORES\tMEM MiB\tSPEED (steps/s)\tPRICE/s\tREPUTATION\tSTAKE\tACTIVE\tEARNED\tSLASHED")
		for _, p := range v.Providers {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\t%d\t%s\t%d\t%s\t%s\n", p.Address, p.Status, p.Cores, p.MemMiB, p.Speed,
				bank.FormatAmount(p.Price), p.Reputation, bank.FormatAmount(p.Stake), p.Active, bank.FormatAmount(p.Earned), bank.FormatAmount(p.Slashed))
		}
		next = v.Next
	case *compute.JobPage:
		fmt.Fprintln(tw, "ID\tSTATUS\tR\tPRICE CAP/s\tBUDGET\tWALL ms\tDEADLINE\tBIDS\tREQUESTER")
		for _, j := range v.Jobs {
			fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%d\t%d\t%d\t%s\n", j.ID, j.Status, j.R, bank.FormatAmount(j.PriceCap), bank.FormatAmount(j.Budget),
				j.WallMs, j.Deadline, j.Bids, j.Requester)
		}
		next = v.Next
	case *compute.BidPage:
		fmt.Fprintln(tw, "PROVIDER\tPRICE/s\tHEIGHT")
		for _, b := range v.Bids {
			fmt.Fprintf(tw, "%s\t%s\t%d\n", b.Provider, bank.FormatAmount(b.Price), b.Height)
		}
		next = v.Next
	case *compute.AssignmentPage:
		fmt.Fprintln(tw, "PROVIDER\tPRICE/s\tSTATE\tOUTPUT\tPAID\tSLASHED")
		for _, a := range v.Assignments {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", a.Provider, bank.FormatAmount(a.Price), a.State, a.Output, bank.FormatAmount(a.Paid), bank.FormatAmount(a.Slashed))
		}
		next = v.Next
	case *compute.IDPage:
		fmt.Fprintln(tw, "JOB")
		for _, id := range v.Jobs {
			fmt.Fprintf(tw, "%d\n", id)
		}
		next = v.Next
	default:
		tw.Flush()
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(out)
		return
	}
	if next != "" {
		fmt.Fprintf(tw, "next page: --after %s\n", next)
	}
}
