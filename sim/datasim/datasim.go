// Package datasim plays crawlers of different strategies against the data
// market on a real in-process network (package simnet: CometBFT, the chain
// on Pebble, the HTTP API on loopback) and reports what each strategy
// earned.
//
// A requester posts crawl jobs over a generated site; every crawler
// registers with a stake, reads its assignments from the node, commits its
// receipts and, once the commit window has closed, reveals them, as the
// crawler worker does. The strategies:
//
//   - honest: reports what the page holds (the same receipt any honest
//     crawler of that page reports);
//   - liar: never fetches and reports a receipt it made up;
//   - free-rider: commits to made-up receipts and never reveals them;
//   - colluder: every colluder reports the same made-up receipt for a page,
//     so that a page whose crawlers are all colluders agrees on a lie.
//
// A strategy's net is measured from the chain: its crawlers' balances plus
// stakes at the end, minus what they were funded with.
package datasim

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"text/tabwriter"
	"time"

	"emergence/api"
	"emergence/bank"
	"emergence/client"
	"emergence/data"
	"emergence/sim/simnet"
	"emergence/tx"
)

// Strategies.
const (
	Honest    = "honest"
	Liar      = "liar"
	FreeRider = "free-rider"
	Colluder  = "colluder"
)

// Strategies lists them in report order.
var Strategies = []string{Honest, Liar, FreeRider, Colluder}

// Bounds of a run.
const (
	// MaxCrawlers is the most crawlers of a run (the module's default
	// active set is 256).
	MaxCrawlers = 128
	// MaxPages is the most URLs of a job: one create-crawl carries them.
	MaxPages = data.MaxSeeds
	// MaxJobs is the most crawl jobs of a run, posted one after another.
	MaxJobs = 10
	// CrawlerFunds is each crawler's starting balance; its stake comes
	// out of it.
	CrawlerFunds = 100 * bank.UnitsPerEMG
	// MaxStake is the most a crawler may stake (the rest pays fees).
	MaxStake = 50 * bank.UnitsPerEMG
)

// Config describes a run.
type Config struct {
	// Crawlers per strategy (Honest, Liar, FreeRider, Colluder).
	Counts map[string]int `json:"counts"`
	// Stakes per strategy in uemg (default the module's minimum, 1 EMG).
	Stakes map[string]uint64 `json:"stakes,omitempty"`
	// Pages is the URLs of each job (default 40), K the crawlers per URL
	// (default 2), Jobs the crawl jobs posted one after another (default 1).
	Pages, K, Jobs int
	// PricePerPage the requester pays for an accepted page, split among
	// its K crawlers (default 20,000 uemg, which pays the reveal's gas).
	PricePerPage uint64 `json:"price_per_page"`
	// Seed derives the agents' keys and the site's pages.
	Seed uint64 `json:"seed"`
	// BlockTime of a network the run starts itself (default 100ms).
	BlockTime time.Duration `json:"-"`
	// Log receives progress lines (nil: none).
	Log io.Writer `json:"-"`
}

func (c *Config) defaults() error {
	if c.Pages == 0 {
		c.Pages = 40
	}
	if c.K == 0 {
		c.K = 2
	}
	if c.Jobs == 0 {
		c.Jobs = 1
	}
	if c.PricePerPage == 0 {
		c.PricePerPage = 20_000
	}
	if c.BlockTime == 0 {
		c.BlockTime = 100 * time.Millisecond
	}
	n := 0
	for s, k := range c.Counts {
		if !known(s) {
			return fmt.Errorf("unknown crawler strategy %q (want %v)", s, Strategies)
		}
		if k < 0 {
			return fmt.Errorf("%s: %d crawlers", s, k)
		}
		n += k
	}
	for s, st := range c.Stakes {
		if !known(s) {
			return fmt.Errorf("stake for unknown crawler strategy %q (want %v)", s, Strategies)
		}
		if min := data.DefaultParams().CrawlerStake; st < min || st > MaxStake {
			return fmt.Errorf("%s stake %d uemg, want %d to %d", s, st, min, MaxStake)
		}
	}
	switch {
	case n == 0 || n > MaxCrawlers:
		return fmt.Errorf("%d crawlers, want 1 to %d", n, MaxCrawlers)
	case c.K < 1 || c.K > int(data.DefaultParams().MaxK) || c.K > n:
		return fmt.Errorf("k %d, want 1 to %d and at most the %d crawlers", c.K, data.DefaultParams().MaxK, n)
	case c.Pages < 1 || c.Pages > MaxPages:
		return fmt.Errorf("pages %d, want 1 to %d", c.Pages, MaxPages)
	case c.Jobs < 1 || c.Jobs > MaxJobs:
		return fmt.Errorf("jobs %d, want 1 to %d", c.Jobs, MaxJobs)
	case c.PricePerPage > 10*bank.UnitsPerEMG:
		return fmt.Errorf("price per page %d uemg, at most 10 EMG", c.PricePerPage)
	}
	return nil
}

func known(s string) bool {
	for _, k := range Strategies {
		if s == k {
			return true
		}
	}
	return false
}

// Group is one strategy's totals, summed over its crawlers and jobs.
type Group struct {
	Strategy   string `json:"strategy"`
	Crawlers   int    `json:"crawlers"`
	Assigned   uint64 `json:"assigned"`
	Agreed     uint64 `json:"agreed"`
	Disagreed  uint64 `json:"disagreed"`
	Unrevealed uint64 `json:"unrevealed"`
	Earned     uint64 `json:"earned_uemg"`
	Slashed    uint64 `json:"slashed_uemg"`
	Fees       uint64 `json:"fees_uemg"`
	// Net is the change of the crawlers' balances plus stakes.
	Net int64 `json:"net_uemg"`
	// NetPerCrawler is Net divided by Crawlers.
	NetPerCrawler int64 `json:"net_per_crawler_uemg"`
}

// JobOutcome is how one crawl job's URLs settled.
type JobOutcome struct {
	ID       uint64 `json:"id"`
	URLs     uint64 `json:"urls"`
	Accepted uint64 `json:"accepted"`
	Disputed uint64 `json:"disputed"`
	Missed   uint64 `json:"missed"`
	Paid     uint64 `json:"paid_uemg"`
	Refunded uint64 `json:"refunded_uemg"`
	// Lies counts accepted pages whose agreed text is not the page's.
	Lies uint64 `json:"accepted_lies"`
}

// Report is a run's outcome.
type Report struct {
	Config Config       `json:"config"`
	Jobs   []JobOutcome `json:"jobs"`
	Groups []Group      `json:"groups"`
}

// Network is a running network a run shares with others: its client and
// a funded key that pays the requester and the crawlers (Funds(cfg)).
type Network struct {
	Client *client.Client
	Funder ed25519.PrivateKey
}

// Funds is what a run of cfg on a shared Network takes from its funder.
func Funds(cfg Config) uint64 {
	n := 0
	for _, k := range cfg.Counts {
		n += k
	}
	return uint64(n)*CrawlerFunds + requesterFunds
}

const (
	requesterFunds = 1_000_000 * bank.UnitsPerEMG
	host           = "site.test"
)

type crawler struct {
	name     string
	strategy string
	key      ed25519.PrivateKey
	addr     tx.Address
	stake    uint64
	fees     uint64
}

func keyFor(seed uint64, name string) (ed25519.PrivateKey, tx.Address) {
	s := sha256.Sum256([]byte(fmt.Sprintf("datasim/%d/%s", seed, name)))
	k := ed25519.NewKeyFromSeed(s[:])
	return k, tx.AddressFromPubKey(k.Public().(ed25519.PublicKey))
}

// Run plays the market on a network of its own in a temporary directory
// and checks the chain's invariants at the end.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	return run(ctx, nil, cfg)
}

// RunOn plays the market on a network someone else started and shares;
// checking the chain's invariants is left to the caller. Keys derive from
// cfg.Seed, so two runs on one network need different seeds.
func RunOn(ctx context.Context, on Network, cfg Config) (*Report, error) {
	return run(ctx, &on, cfg)
}

func run(ctx context.Context, on *Network, cfg Config) (*Report, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	logf := func(format string, args ...any) {
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, format+"\n", args...)
		}
	}
	var crawlers []*crawler
	for _, s := range Strategies {
		for i := 0; i < cfg.Counts[s]; i++ {
			name := fmt.Sprintf("%s-%d", s, i)
			k, a := keyFor(cfg.Seed, name)
			st := data.DefaultParams().CrawlerStake
			if v, ok := cfg.Stakes[s]; ok {
				st = v
			}
			crawlers = append(crawlers, &crawler{name: name, strategy: s, key: k, addr: a, stake: st})
		}
	}
	reqKey, reqAddr := keyFor(cfg.Seed, "requester")
	outs := []bank.Output{{To: reqAddr, Amount: requesterFunds}}
	for _, c := range crawlers {
		outs = append(outs, bank.Output{To: c.addr, Amount: CrawlerFunds})
	}
	var cl *client.Client
	check := func() error { return nil }
	if on == nil {
		_, validator := keyFor(0, "validator")
		net, err := simnet.Start(ctx, simnet.Config{ChainID: "emergence-datasim", Balances: outs, Reward: validator,
			Emission: &bank.Emission{PerBlock: 0, Validators: 100}, BlockTime: cfg.BlockTime})
		if err != nil {
			return nil, err
		}
		defer net.Close()
		cl, check = net.Client, net.Node.App().CheckInvariants
		logf("data: node up at %s with %d crawlers", net.Addr(), len(crawlers))
	} else {
		cl = on.Client
		if _, err := send(ctx, cl, on.Funder, "bank/multisend", bank.MultiSendMsg{Outputs: outs}); err != nil {
			return nil, fmt.Errorf("fund crawlers: %w", err)
		}
		logf("data: %d crawlers funded on the shared network", len(crawlers))
	}
	// Register every crawler (one transaction each, in parallel).
	if err := each(crawlers, func(c *crawler) error {
		r, err := send(ctx, cl, c.key, data.MsgRegisterCrawler, data.RegisterCrawler{Stake: c.stake})
		if r != nil {
			c.fees += client.MinFee(r.GasWanted)
		}
		return err
	}); err != nil {
		return nil, fmt.Errorf("register crawlers: %w", err)
	}
	rep := &Report{Config: cfg}
	rep.Config.Log = nil
	for j := 0; j < cfg.Jobs; j++ {
		out, err := crawlJob(ctx, cl, &cfg, reqKey, crawlers, j, logf)
		if err != nil {
			return nil, fmt.Errorf("crawl job %d: %w", j+1, err)
		}
		rep.Jobs = append(rep.Jobs, out)
	}
	if err := check(); err != nil {
		return nil, fmt.Errorf("invariants: %w", err)
	}
	for _, s := range Strategies {
		g := Group{Strategy: s}
		for _, c := range crawlers {
			if c.strategy != s {
				continue
			}
			var info data.CrawlerInfo
			if err := cl.Query(ctx, data.Name, "crawler/"+c.addr.String(), nil, &info); err != nil {
				return nil, fmt.Errorf("crawler %s: %w", c.name, err)
			}
			acc, err := cl.Account(ctx, c.addr)
			if err != nil {
				return nil, fmt.Errorf("account of %s: %w", c.name, err)
			}
			g.Crawlers++
			g.Assigned += info.Assigned
			g.Agreed += info.Agreed
			g.Disagreed += info.Disagreed
			g.Unrevealed += info.Unrevealed
			g.Earned += info.Earned
			g.Slashed += info.Slashed
			g.Fees += c.fees
			g.Net += int64(acc.Balance+info.Stake) - int64(CrawlerFunds)
		}
		if g.Crawlers == 0 {
			continue
		}
		g.NetPerCrawler = g.Net / int64(g.Crawlers)
		rep.Groups = append(rep.Groups, g)
	}
	return rep, nil
}

// pageText is what page idx of job round j of a run really holds.
func pageText(seed uint64, round, idx int) string {
	return fmt.Sprintf("site %d, crawl %d, page %d: the true text", seed, round, idx)
}

func pageURL(round, idx int) string { return fmt.Sprintf("http://%s/c%d/p%d", host, round, idx) }

func hash(s string) [32]byte { return sha256.Sum256([]byte(s)) }

// receipt is what crawler c reports for URL idx.
func (c *crawler) receipt(seed uint64, job uint64, round, idx int) data.Receipt {
	u := pageURL(round, idx)
	text := pageText(seed, round, idx)
	switch c.strategy {
	case Liar, FreeRider:
		text = "made up by " + c.name + " for " + u
	case Colluder:
		text = "agreed among colluders for " + u
	}
	return data.Receipt{Job: job, URL: u, FinalURL: u, Status: 200, ContentType: "text/html",
		BodyHash: hash("body " + text), TextHash: hash(text), WARC: hash("warc " + c.name + " " + u)}
}

func crawlJob(ctx context.Context, cl *client.Client, cfg *Config, reqKey ed25519.PrivateKey, crawlers []*crawler, round int, logf func(string, ...any)) (JobOutcome, error) {
	seeds := make([]string, cfg.Pages)
	for i := range seeds {
		seeds[i] = pageURL(round, i)
	}
	price := cfg.PricePerPage
	r, err := send(ctx, cl, reqKey, data.MsgCreateCrawl, data.CreateCrawl{
		Seeds: seeds, Hosts: []string{host}, MaxPages: uint32(cfg.Pages), K: uint32(cfg.K), PricePerPage: price,
		Budget: price * uint64(cfg.Pages), DeadlineBlocks: 400, CommitBlocks: 20, RevealBlocks: 20, Licence: "CC-BY-4.0"})
	if err != nil {
		return JobOutcome{}, err
	}
	id, err := eventUint(r, "data-crawl-created", "job")
	if err != nil {
		return JobOutcome{}, err
	}
	logf("data: crawl job %d: %d urls, k %d, %d uemg per page", id, cfg.Pages, cfg.K, price)
	// Every crawler works its assignments of the job at once.
	if err := each(crawlers, func(c *crawler) error { return c.work(ctx, cl, cfg.Seed, id, round) }); err != nil {
		return JobOutcome{}, err
	}
	// Wait for every URL to settle: settlement follows the reveal window.
	var j data.Job
	for {
		if err := cl.Query(ctx, data.Name, fmt.Sprintf("job/%d", id), nil, &j); err != nil {
			return JobOutcome{}, err
		}
		if j.Open == 0 {
			break
		}
		st, err := cl.Status(ctx)
		if err != nil {
			return JobOutcome{}, err
		}
		if err := cl.WaitHeight(ctx, st.Height+1); err != nil {
			return JobOutcome{}, fmt.Errorf("wait for settlement (%d urls open): %w", j.Open, err)
		}
	}
	out := JobOutcome{ID: id, URLs: j.URLs, Accepted: j.Accepted, Disputed: j.Disputed, Missed: j.Missed, Paid: j.Paid, Refunded: j.Refunded}
	// Count accepted lies: pages whose agreed text is not the true one.
	for i := 0; i < cfg.Pages; i++ {
		var p data.Page
		if err := cl.Query(ctx, data.Name, fmt.Sprintf("job/%d/url/%d", id, i), nil, &p); err != nil {
			return JobOutcome{}, err
		}
		if truth := hash(pageText(cfg.Seed, round, i)); p.State == data.StateAccepted && p.TextHash != fmt.Sprintf("%x", truth) {
			out.Lies++
		}
	}
	logf("data: crawl job %d settled: %d accepted (%d of them lies), %d disputed, %d missed, paid %d uemg", id, j.Accepted, out.Lies, j.Disputed, j.Missed, j.Paid)
	return out, nil
}

// work is one crawler's part in a job: read its assignments, commit its
// receipts, and (unless it free-rides) reveal them once the commit window
// has closed.
func (c *crawler) work(ctx context.Context, cl *client.Client, seed, job uint64, round int) error {
	var mine []data.Assignment
	after := ""
	for {
		q := map[string][]string{"limit": {"100"}}
		if after != "" {
			q["after"] = []string{after}
		}
		var page data.Assignments
		if err := cl.Query(ctx, data.Name, "assignments/"+c.addr.String(), q, &page); err != nil {
			return fmt.Errorf("%s: assignments: %w", c.name, err)
		}
		for _, a := range page.Assignments {
			if a.Job == job {
				mine = append(mine, a)
			}
		}
		if page.Next == "" {
			break
		}
		after = page.Next
	}
	if len(mine) == 0 {
		return nil
	}
	var commits []data.CommitItem
	var reveals []data.RevealItem
	var commitBy int64
	for _, a := range mine {
		salt := hash(fmt.Sprintf("salt %s %d %d", c.name, job, a.Index))
		ci, ri, err := data.Seal(c.receipt(seed, job, round, int(a.Index)), a.Index, salt, c.addr)
		if err != nil {
			return fmt.Errorf("%s: seal: %w", c.name, err)
		}
		commits, reveals = append(commits, ci), append(reveals, ri)
		commitBy = max(commitBy, a.CommitBy)
	}
	for k := 0; k < len(commits); k += data.MaxBatch {
		r, err := send(ctx, cl, c.key, data.MsgCommitReceipts, data.CommitReceipts{Job: job, Items: commits[k:min(len(commits), k+data.MaxBatch)]})
		if r != nil {
			c.fees += client.MinFee(r.GasWanted)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
	}
	if c.strategy == FreeRider {
		return nil
	}
	if err := cl.WaitHeight(ctx, commitBy); err != nil {
		return err
	}
	for k := 0; k < len(reveals); k += data.MaxBatch {
		r, err := send(ctx, cl, c.key, data.MsgRevealReceipts, data.RevealReceipts{Job: job, Items: reveals[k:min(len(reveals), k+data.MaxBatch)]})
		if r != nil {
			c.fees += client.MinFee(r.GasWanted)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
	}
	return nil
}

// each runs f for every crawler at once and joins the errors.
func each(cs []*crawler, f func(*crawler) error) error {
	var wg sync.WaitGroup
	errs := make([]error, len(cs))
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f(c)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// send signs one message with a simulated gas limit (so the fee is what
// the message costs) and waits for it to commit.
func send(ctx context.Context, cl *client.Client, key ed25519.PrivateKey, kind string, v any) (*api.TxResult, error) {
	m, err := tx.NewMsg(kind, v)
	if err != nil {
		return nil, err
	}
	r, err := cl.SignAndBroadcast(ctx, key, client.TxOptions{GasAuto: true}, m)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", kind, err)
	}
	if r.Code != 0 {
		return r, fmt.Errorf("%s: code %s/%d: %s", kind, r.Codespace, r.Code, r.Log)
	}
	return r, nil
}

func eventUint(r *api.TxResult, typ, key string) (uint64, error) {
	for _, ev := range r.Events {
		if ev.Type != typ {
			continue
		}
		for _, a := range ev.Attrs {
			if a.Key == key {
				return strconv.ParseUint(a.Value, 10, 64)
			}
		}
	}
	return 0, fmt.Errorf("no %s event with %s", typ, key)
}

// WriteTable prints the report as a table.
func (r *Report) WriteTable(w io.Writer) error {
	for _, j := range r.Jobs {
		fmt.Fprintf(w, "crawl job %d: %d urls, %d accepted (%d lies), %d disputed, %d missed; paid %d uemg, refunded %d uemg\n",
			j.ID, j.URLs, j.Accepted, j.Lies, j.Disputed, j.Missed, j.Paid, j.Refunded)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "strategy\tcrawlers\tassigned\tagreed\tdisagreed\tunrevealed\tearned\tslashed\tfees\tnet\tnet/crawler\t")
	for _, g := range r.Groups {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t\n", g.Strategy, g.Crawlers, g.Assigned, g.Agreed, g.Disagreed,
			g.Unrevealed, g.Earned, g.Slashed, g.Fees, g.Net, g.NetPerCrawler)
	}
	return tw.Flush()
}
