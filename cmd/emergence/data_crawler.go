package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"emergence/blob/remote"
	"emergence/data/crawl"
	"emergence/data/crawler"
)

func init() {
	topCommands = append(topCommands, newCrawlerCmd)
}

// newCrawlerCmd is "emergence crawler": the data market's crawler worker.
func newCrawlerCmd(g *globals) *cobra.Command {
	var from, dir string
	var rate float64
	var maxBody int64
	var timeout time.Duration
	var idle int64
	cmd := &cobra.Command{
		Use:   "crawler --from KEY",
		Short: "Run a crawler: fetch the URLs the chain assigns to KEY, store WARC records, commit and reveal receipts",
		Long: `Runs the crawler worker for a registered crawler key (register with
'emergence tx data register-crawler --stake AMOUNT --from KEY'). It polls the URLs the chain
assigned to the key, fetches each politely (robots.txt and its crawl-delay, a per-host rate
limit, the job's scope, size caps, timeouts; User-Agent ` + crawl.UserAgent + `),
stores each response as a WARC record in the node's blob store, commits to every receipt and
reveals it once the URL's other crawlers have committed. Pending reveals are kept under
--dir, so a restarted crawler reveals what it committed.`,
		Example: "  emergence crawler --from crawler1\n  emergence crawler --from crawler1 --rate 50 --idle-blocks 30",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			key, addr, err := g.signer(from)
			if err != nil {
				return err
			}
			if rate <= 0 {
				return errorf("pass --rate as requests per second per host, e.g. 10", "rate %v must be positive", rate)
			}
			if err := g.reachNode(cmd.Context(), "crawler"); err != nil {
				return err
			}
			if dir == "" {
				dir = filepath.Join(g.home, "crawler", addr.String())
			}
			c := g.client()
			w, err := crawler.New(crawler.Config{
				Client: c, Key: key, Blobs: remote.New(c.Base(), nil).SignedBy(key), Dir: dir,
				Fetch:      crawl.Config{RatePerHost: rate, MaxBody: maxBody, TotalTimeout: timeout},
				IdleBlocks: idle, Log: g.stderr,
			})
			if err != nil {
				return failf("check --dir", "%w", err)
			}
			fmt.Fprintf(g.stderr, "crawler %s working for %s; Ctrl-C to stop\n", addr, c.Base())
			start := time.Now()
			err = w.Run(cmd.Context())
			st := w.Stats()
			fmt.Fprintf(g.stdout, "crawler %s: fetched %d, skipped %d, committed %d, revealed %d, dropped %d in %s\n",
				addr, st.Fetched, st.Skipped, st.Committed, st.Revealed, st.Dropped, time.Since(start).Round(time.Millisecond))
			if err != nil {
				if _, statErr := os.Stat(dir); statErr != nil {
					return failf("check --dir", "%w", err)
				}
				return failf("see the log above", "%w", err)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&from, "from", "", "registered crawler key")
	fl.StringVar(&dir, "dir", "", "pending-reveal directory (default HOME/crawler/ADDRESS)")
	fl.Float64Var(&rate, "rate", 10, "requests per second per host (a robots.txt crawl-delay lowers it)")
	fl.Int64Var(&maxBody, "max-body", 4<<20, "largest response body in bytes")
	fl.DurationVar(&timeout, "timeout", 30*time.Second, "longest fetch, body included")
	fl.Int64Var(&idle, "idle-blocks", 0, "exit after this many blocks with no new assignment and nothing to reveal (0: run until stopped)")
	return cmd
}
