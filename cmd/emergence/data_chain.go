package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"emergence/data"
)

func init() {
	txTable = append(txTable, dataTxRows...)
	txCommands = append(txCommands, newDataTxCmd)
	queryCommands = append(queryCommands, newDataQueryCmd)
}

// dataList splits a comma-separated flag value, dropping empty entries.
func dataList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

var dataJobFlag = txArg{name: "job", kind: argJob, usage: "crawl job id (see 'emergence query data job ID')", required: true}

// dataTxRows are the data module's one-message commands. Receipts are
// committed and revealed by the crawler worker ('emergence crawler').
var dataTxRows = []txSpec{
	{
		module: data.Name, action: "register-crawler", use: "STAKE --from KEY",
		short:   "Register as a crawler with stake (again to add stake)",
		example: "  emergence tx data register-crawler 1emg --from c1 --keyring-backend test",
		args:    []txArg{{name: "STAKE", kind: argAmount}},
		build: func(in *txInput) (any, error) {
			return data.RegisterCrawler{Stake: in.amount("STAKE")}, nil
		},
	},
	{
		module: data.Name, action: "unregister-crawler", use: "--from KEY",
		short:   "Leave the active crawler set; the stake can be withdrawn once your assigned URLs settled",
		example: "  emergence tx data unregister-crawler --from c1 --keyring-backend test",
		build:   func(in *txInput) (any, error) { return data.Unregister{}, nil },
	},
	{
		module: data.Name, action: "withdraw-stake", use: "AMOUNT --from KEY",
		short:   "Withdraw crawler stake (down to the minimum while active, all of it after unregistering)",
		example: "  emergence tx data withdraw-stake 1emg --from c1 --keyring-backend test",
		args:    []txArg{amountArg},
		build:   func(in *txInput) (any, error) { return data.Withdraw{Amount: in.amount("AMOUNT")}, nil },
	},
	{
		module: data.Name, action: "create-crawl", use: "--seeds URL,... --price AMOUNT --budget AMOUNT --licence TEXT --from KEY",
		short: "Post a crawl job: seeds, scope, replication k, price per accepted page, escrowed budget, deadline, licence",
		long: `Post a crawl job. Its budget is escrowed; each URL reserves --price until it
settles, and every unpaid uemg returns to you at the deadline. URLs go to k
crawlers chosen from block data; a page is accepted and paid when k receipts
agree on its normalised-text hash. In-scope links of accepted pages become new
URLs up to --max-depth and --max-pages.`,
		example: `  emergence tx data create-crawl --seeds http://127.0.0.1:8080/ --hosts 127.0.0.1:8080 \
    --max-depth 3 --max-pages 2000 --price 100uemg --budget 1emg --deadline 2000 \
    --licence CC-BY-4.0 --from alice --keyring-backend test`,
		flags: []txArg{
			{name: "seeds", usage: "comma-separated seed URLs"},
			{name: "url-list", usage: "blob hash of a longer URL list (add its URLs with add-urls)"},
			{name: "hosts", usage: "comma-separated hosts in scope (default: any)"},
			{name: "path-prefixes", usage: "comma-separated path prefixes in scope (default: any)"},
			{name: "max-depth", kind: argUint, usage: "link hops from a seed", def: "2"},
			{name: "max-pages", kind: argUint, usage: "most URLs of the job", def: "1000"},
			{name: "k", kind: argUint, usage: "crawlers per URL that must agree", def: "2"},
			{name: "price", kind: argAmount, usage: "price per accepted page", required: true},
			{name: "budget", kind: argAmount, usage: "escrowed budget", required: true},
			{name: "deadline", kind: argUint, usage: "blocks until the job closes", def: "1000"},
			{name: "commit-blocks", kind: argUint, usage: "blocks a URL takes commits (0: module default)", def: "0"},
			{name: "reveal-blocks", kind: argUint, usage: "blocks a URL takes reveals after that (0: module default)", def: "0"},
			{name: "licence", usage: "licence of the crawled data, e.g. CC-BY-4.0", required: true},
		},
		gas: data.GasCreateCrawl + data.MaxSeeds*(data.GasPerURL+256*data.GasPerAssignHash),
		build: func(in *txInput) (any, error) {
			return data.CreateCrawl{
				Seeds: dataList(in.str("seeds")), URLList: in.str("url-list"), Hosts: dataList(in.str("hosts")),
				PathPrefixes: dataList(in.str("path-prefixes")), MaxDepth: uint32(in.uint("max-depth")),
				MaxPages: uint32(in.uint("max-pages")), K: uint32(in.uint("k")), PricePerPage: in.amount("price"),
				Budget: in.amount("budget"), DeadlineBlocks: int64(in.uint("deadline")),
				CommitBlocks: int64(in.uint("commit-blocks")), RevealBlocks: int64(in.uint("reveal-blocks")),
				Licence: in.str("licence"),
			}, nil
		},
	},
	{
		module: data.Name, action: "add-urls", use: "--job ID --urls URL,... --from KEY",
		short:   "Add depth-0 URLs to your crawl job (e.g. from its URL list)",
		example: "  emergence tx data add-urls --job 1 --urls http://127.0.0.1:8080/a,http://127.0.0.1:8080/b --from alice --keyring-backend test",
		flags:   []txArg{dataJobFlag, {name: "urls", usage: "comma-separated URLs", required: true}},
		gas:     data.GasAddURLs + data.MaxSeeds*(data.GasPerURL+256*data.GasPerAssignHash),
		build: func(in *txInput) (any, error) {
			return data.AddURLs{Job: in.job("job"), URLs: dataList(in.str("urls"))}, nil
		},
	},
	{
		module: data.Name, action: "publish", use: "--job ID --root HASH --manifest HASH --shards HASH,... --records N --licence TEXT --from KEY",
		short:   "Register a dataset built from a job's accepted pages ('emergence data build' prints these values)",
		example: "  emergence tx data publish --job 1 --name web-1 --root ab.. --manifest cd.. --shards ef.. --records 2000 --price 5emg --licence CC-BY-4.0 --from alice --keyring-backend test",
		flags: []txArg{
			dataJobFlag,
			{name: "name", usage: "dataset name", required: true},
			{name: "root", usage: "Merkle root of the records (hex)", required: true},
			{name: "manifest", usage: "manifest blob hash", required: true},
			{name: "shards", usage: "comma-separated shard blob hashes", required: true},
			{name: "records", kind: argUint, usage: "record count (1 to the job's accepted pages; fewer when built with --clean)", required: true},
			{name: "price", kind: argAmount, usage: "price of one purchase (0: free)", def: "0uemg"},
			{name: "licence", usage: "licence of the dataset", required: true},
		},
		build: func(in *txInput) (any, error) {
			return data.Publish{Job: in.job("job"), Name: in.str("name"), Root: in.str("root"), Manifest: in.str("manifest"),
				Shards: dataList(in.str("shards")), Records: in.uint("records"), Price: in.amount("price"), Licence: in.str("licence")}, nil
		},
	},
	{
		module: data.Name, action: "buy", use: "DATASET --from KEY",
		short:   "Buy a dataset: its price goes to the crawlers of its records, the job's requester and the treasury",
		example: "  emergence tx data buy 1 --from bob --keyring-backend test",
		args:    []txArg{{name: "DATASET", kind: argUint}},
		gas:     data.GasBuy + 256*data.GasPerShare + 200_000,
		build: func(in *txInput) (any, error) {
			return data.Buy{Dataset: in.uint("DATASET")}, nil
		},
	},
}

func newDataTxCmd(g *globals) *cobra.Command {
	return txGroup(g, data.Name, "Crawl jobs, crawlers, datasets and purchases")
}

func newDataQueryCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "data", Short: "Crawl jobs, their URLs and crawlers, assignments, datasets, purchases and provenance"}
	jsonText := func(w io.Writer, v any) {
		b, _ := json.MarshalIndent(v, "", "  ")
		fmt.Fprintf(w, "%s\n", b)
	}
	// q is a query command of n arguments filling path's %s in order
	// (an ADDR argument may be a key name), with the named flags passed as
	// query parameters.
	q := func(use, short, path string, n int, flags ...string) *cobra.Command {
		vals := make([]*string, len(flags))
		c := &cobra.Command{
			Use: use, Short: short, Args: cobra.ExactArgs(n),
			RunE: func(cmd *cobra.Command, args []string) error {
				as := make([]any, len(args))
				names := strings.Fields(use)[1:]
				for i, a := range args {
					if i < len(names) && names[i] == "ADDR" {
						addr, err := g.addressOrKey(a)
						if err != nil {
							return err
						}
						a = addr.String()
					}
					as[i] = url.PathEscape(a)
				}
				params := url.Values{}
				for i, f := range flags {
					if *vals[i] != "" {
						params.Set(f, *vals[i])
					}
				}
				var v any
				if err := g.query(cmd.Context(), data.Name, fmt.Sprintf(path, as...), params, &v); err != nil {
					return err
				}
				return g.print(v, func(w io.Writer) { jsonText(w, v) })
			},
		}
		for i, f := range flags {
			vals[i] = new(string)
			c.Flags().StringVar(vals[i], f, "", "query parameter "+f)
		}
		return c
	}
	cmd.AddCommand(
		q("params", "The module's parameters", "params", 0),
		q("jobs", "Crawl jobs by id (--after ID, --limit N)", "jobs", 0, "after", "limit"),
		q("job ID", "A crawl job: scope, budget, counts by state", "job/%s", 1),
		q("urls JOB", "A job's URLs and their state (--state open|accepted|skipped|disputed|missed, --after INDEX, --limit N)", "job/%s/urls", 1, "state", "after", "limit"),
		q("url JOB INDEX", "One URL of a job and its outcome", "job/%s/url/%s", 2),
		q("results JOB", "Per-crawler results of a job (--after ADDR, --limit N)", "job/%s/crawlers", 1, "after", "limit"),
		q("crawlers", "The active crawler set", "crawlers", 0),
		q("crawler ADDR", "A crawler: stake, counters and reputation", "crawler/%s", 1),
		q("assignments ADDR", "URLs assigned to a crawler (--height H, --after CURSOR, --limit N)", "assignments/%s", 1, "height", "after", "limit"),
		q("datasets", "Published datasets by id, without their shard lists (--after ID, --limit N)", "datasets", 0, "after", "limit"),
		q("dataset ID", "A published dataset", "dataset/%s", 1),
		q("root HASH", "The datasets registered with a Merkle root", "root/%s", 1),
		q("bought ID ADDR", "Whether an address bought a dataset", "dataset/%s/buyer/%s", 2),
		q("provenance ID", "Crawl job -> crawlers -> dataset -> label jobs -> attestations", "provenance/%s", 1),
	)
	return cmd
}
