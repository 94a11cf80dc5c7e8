package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"emergence/data/builder"
	"emergence/data/clean"
)

func init() {
	topCommands = append(topCommands, newDataCmd)
}

// newDataCmd is "emergence data": offline data-market tools (cleaning, dataset builds and
// inclusion proofs). The chain's own messages are under "emergence tx data".
func newDataCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "data", Short: "Data market tools: clean WARC files, build datasets, prove and verify records"}
	cmd.AddCommand(newDataCleanCmd(g), newDataBuildCmd(g), newDataProveCmd(g), newDataVerifyCmd(g), newDataSiteCmd(g))
	return cmd
}

// cleanDoc is one line of the clean command's kept.jsonl or rejected.jsonl.
type cleanDoc struct {
	URL           string `json:"url"`
	Title         string `json:"title,omitempty"`
	Language      string `json:"language,omitempty"`
	LanguageScore int64  `json:"language_score,omitempty"`
	Text          string `json:"text,omitempty"`
	Filter        string `json:"filter,omitempty"`
	Rule          string `json:"rule,omitempty"`
}

// cleanReport is what the clean command prints. It lists the first
// maxListedRejects rejected documents and counts the rest, so a large crawl
// does not hold every reject in memory: rejected.jsonl has them all.
type cleanReport struct {
	Records      int            `json:"records"`
	NonHTML      int            `json:"non_html"`
	Counts       []clean.Count  `json:"counts"`
	Rejected     []cleanDoc     `json:"rejected"`
	RejectedMore int            `json:"rejected_more,omitempty"`
	Files        map[string]int `json:"files"`
}

const maxListedRejects = 20

func newDataCleanCmd(g *globals) *cobra.Command {
	var in []string
	var out string
	var langs string
	cmd := &cobra.Command{
		Use:   "clean --in FILE.warc[.gz]... --out DIR",
		Short: "Run the cleaning pipeline (extraction, language, Gopher, C4, FineWeb, MinHash, PII) over WARC files",
		Long: `Reads every HTML response record of the WARC files in order and runs datatrove's FineWeb
pipeline on it: main-text extraction, language identification, Gopher repetition and quality,
C4 and FineWeb quality filters, MinHash near-duplicate removal and PII masking. Kept documents
go to DIR/kept.jsonl, rejected ones with the filter and rule that rejected them to
DIR/rejected.jsonl (datatrove's exclusion writer), and the counts per filter are printed.
Non-HTML records are counted and skipped.`,
		Example: "  emergence data clean --in crawl.warc.gz --out cleaned/\n  emergence data clean --in a.warc --in b.warc --out cleaned/ --languages en,de",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(in) == 0 {
				return errorf("pass one or more --in FILE.warc[.gz]", "no input files")
			}
			if out == "" {
				return errorf("pass --out DIR for kept.jsonl and rejected.jsonl", "no --out directory")
			}
			var opts clean.Options
			if langs != "" {
				opts.Languages = strings.Split(langs, ",")
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return fmt.Errorf("create %s: %w", out, err)
			}
			keptF, err := os.Create(filepath.Join(out, "kept.jsonl"))
			if err != nil {
				return fmt.Errorf("create kept.jsonl: %w", err)
			}
			defer keptF.Close()
			rejF, err := os.Create(filepath.Join(out, "rejected.jsonl"))
			if err != nil {
				return fmt.Errorf("create rejected.jsonl: %w", err)
			}
			defer rejF.Close()
			kw, rw := bufio.NewWriter(keptF), bufio.NewWriter(rejF)
			ke, re := json.NewEncoder(kw), json.NewEncoder(rw)
			p := clean.NewPipeline(opts)
			rep := cleanReport{Files: map[string]int{}}
			for _, path := range in {
				f, err := os.Open(path)
				if err != nil {
					return errorf("check the --in path", "open %s: %v", path, err)
				}
				n, nonHTML, err := builder.CleanWARC(f, p, func(o clean.Outcome) error {
					d := cleanDoc{URL: o.URL, Title: o.Title, Language: o.Language, LanguageScore: o.LanguageScore}
					if o.Kept {
						d.Text = o.Text
						return ke.Encode(d)
					}
					d.Filter, d.Rule = o.Reason.Filter, o.Reason.Rule
					if len(rep.Rejected) < maxListedRejects {
						rep.Rejected = append(rep.Rejected, d)
					} else {
						rep.RejectedMore++
					}
					return re.Encode(d)
				})
				rep.Records += n
				rep.NonHTML += nonHTML
				f.Close()
				if err != nil {
					return errorf("pass WARC files (as emergence crawler stores them, or any WARC/1.0 or 1.1 file)", "%s: %v", path, err)
				}
				rep.Files[path] = n
			}
			if err := kw.Flush(); err != nil {
				return fmt.Errorf("write kept.jsonl: %w", err)
			}
			if err := rw.Flush(); err != nil {
				return fmt.Errorf("write rejected.jsonl: %w", err)
			}
			rep.Counts = p.Counts()
			return g.print(rep, func(w io.Writer) {
				fmt.Fprintf(w, "%d records read, %d not HTML\n", rep.Records, rep.NonHTML)
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintf(tw, "filter\trejected\n")
				for _, c := range rep.Counts {
					if c.Filter == "kept" {
						continue
					}
					fmt.Fprintf(tw, "%s\t%d\n", c.Filter, c.N)
				}
				tw.Flush()
				fmt.Fprintf(w, "kept %d -> %s\n", rep.Counts[len(rep.Counts)-1].N, filepath.Join(out, "kept.jsonl"))
				if len(rep.Rejected) > 0 {
					fmt.Fprintf(w, "rejected -> %s:\n", filepath.Join(out, "rejected.jsonl"))
					tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
					for _, d := range rep.Rejected {
						fmt.Fprintf(tw, "  %s\t%s/%s\n", d.URL, d.Filter, d.Rule)
					}
					tw.Flush()
					if rep.RejectedMore > 0 {
						fmt.Fprintf(w, "  ... and %d more\n", rep.RejectedMore)
					}
				}
			})
		},
	}
	cmd.Flags().StringArrayVar(&in, "in", nil, "WARC file, plain or .gz (repeatable)")
	cmd.Flags().StringVar(&out, "out", "", "output directory")
	cmd.Flags().StringVar(&langs, "languages", "", "comma-separated ISO 639-1 codes to keep (default: every language)")
	return cmd
}

func newDataSiteCmd(g *globals) *cobra.Command {
	var dir, listen string
	cmd := &cobra.Command{
		Use:   "site --dir DIR [--listen ADDR]",
		Short: "Serve a directory of pages over HTTP on loopback, a local site to try crawl jobs on",
		Long: `Serves the files under DIR (a robots.txt there is the site's robots.txt) until stopped, and
prints "serving DIR at http://ADDR" once it listens. --listen 127.0.0.1:0 picks a free port.`,
		Example: "  emergence data site --dir site/ --listen 127.0.0.1:8080",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if st, err := os.Stat(dir); err != nil || !st.IsDir() {
				return errorf("pass --dir, a directory of pages", "no directory %q", dir)
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return failf("pass a free address with --listen", "listen: %w", err)
			}
			srv := &http.Server{Handler: http.FileServer(http.Dir(dir)), ReadHeaderTimeout: 10 * time.Second}
			fmt.Fprintf(g.stdout, "serving %s at http://%s\n", dir, ln.Addr())
			errc := make(chan error, 1)
			go func() { errc <- srv.Serve(ln) }()
			select {
			case <-cmd.Context().Done():
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				return srv.Shutdown(ctx)
			case err := <-errc:
				return fmt.Errorf("serve: %w", err)
			}
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "directory to serve")
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8080", "listen address")
	return cmd
}
