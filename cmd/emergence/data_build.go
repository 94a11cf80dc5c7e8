package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"emergence/blob"
	"emergence/blob/remote"
	"emergence/client"
	"emergence/data"
	"emergence/data/builder"
	"emergence/data/clean"
	"emergence/data/shard"
)

// dataBuildOut is what data build prints: the values 'tx data publish' takes.
type dataBuildOut struct {
	Job      uint64   `json:"job"`
	Records  int      `json:"records"`
	Root     string   `json:"root"`
	Manifest string   `json:"manifest"`
	Shards   []string `json:"shards"`
	Licence  string   `json:"licence"`
	Dir      string   `json:"dir"`
	Uploaded bool     `json:"uploaded"`
	// Cleaned is set by --clean: how many of the job's accepted pages
	// the cleaning filters kept, and what each filter rejected.
	Cleaned *dataBuildCleaned `json:"cleaned,omitempty"`
}

type dataBuildCleaned struct {
	Accepted int            `json:"accepted"`
	Rejected map[string]int `json:"rejected"`
}

func newDataBuildCmd(g *globals) *cobra.Command {
	var job uint64
	var out, from string
	var perShard int
	var cleanRecs bool
	var languages string
	cmd := &cobra.Command{
		Use:   "build --job N --out DIR",
		Short: "Build a dataset from a crawl job's accepted pages: Parquet shards, a manifest and its Merkle root",
		Long: `Reads the job's accepted pages from the chain, fetches each page's WARC record from the
node's blob store, re-extracts its text and keeps it only if it hashes to the text hash the
page's crawlers agreed on. Writes DIR/shard-NNNNN.parquet (Hugging Face style columns: id,
url, text, language, language_score, fetched_at, text_hash, warc_blob, crawlers, licence) and
DIR/manifest.json with the Merkle root over the records. Anyone can run it: the same chain
state gives the same bytes. With --upload --from KEY the shards and manifest are put in the
node's blob store, ready for 'emergence tx data publish'. Once the job's requester sells a
dataset of it, its WARC records are served only to that dataset's buyers, the requester and
the job's crawlers: rebuild with --from set to one of those keys. With --clean only the
pages that pass the cleaning filters after extraction are kept (language, Gopher, C4,
FineWeb, MinHash near duplicates, as 'data clean' runs them); a kept record's text is left
as its crawlers agreed on it, so every record still checks against the chain.`,
		Example: "  emergence data build --job 1 --out dataset/\n  emergence data build --job 1 --out dataset/ --clean --upload --from alice",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if job == 0 {
				return errorf("pass --job N, a crawl job id (see 'emergence query data job N')", "no --job given")
			}
			if out == "" {
				return errorf("pass --out DIR for the shards and manifest", "no --out directory")
			}
			if perShard < 1 {
				return errorf("pass --records-per-shard of at least 1", "records per shard %d", perShard)
			}
			c := g.client()
			blobs := remote.New(c.Base(), nil)
			if from != "" {
				// Reads of a sold job's WARC records are signed by --from.
				key, _, err := g.signer(from)
				if err != nil {
					return err
				}
				blobs = blobs.SignedBy(key)
			}
			j, recs, err := builder.Records(cmd.Context(), c, blobs, job)
			if err != nil {
				if nodeFailure(err) {
					return g.nodeError(err)
				}
				if errors.Is(err, blob.ErrNotBought) {
					return errorf("buy a priced dataset of the job ('emergence tx data buy ID --from KEY'), then pass --from KEY", "%w", err)
				}
				return failf("the job's blobs may not be on this node: pass --node of the node its crawlers used", "%w", err)
			}
			if len(recs) == 0 {
				return errorf("wait for its crawlers: 'emergence query data job "+strconv.FormatUint(job, 10)+"'", "job %d has no accepted pages yet", job)
			}
			var cleaned *dataBuildCleaned
			if cleanRecs {
				accepted := len(recs)
				var counts []clean.Count
				var opts clean.Options
				if languages != "" {
					opts.Languages = strings.Split(languages, ",")
				}
				recs, counts = builder.Clean(recs, opts)
				cleaned = &dataBuildCleaned{Accepted: accepted, Rejected: map[string]int{}}
				for _, c := range counts {
					if c.Filter != "kept" && c.N > 0 {
						cleaned.Rejected[c.Filter] = c.N
					}
				}
				if len(recs) == 0 {
					return errorf("build without --clean, or with other --languages", "the cleaning filters kept none of job %d's %d pages", job, accepted)
				}
			}
			ds, err := shard.Build(recs, j.ID, j.Licence, perShard)
			if err != nil {
				return failf("", "build: %w", err)
			}
			res := dataBuildOut{Job: j.ID, Records: len(recs), Root: ds.Manifest.Root, Licence: j.Licence, Dir: out, Cleaned: cleaned}
			res.Uploaded = cmd.Flags().Changed("upload")
			if res.Manifest, res.Shards, err = g.keepDataset(cmd.Context(), out, ds, res.Uploaded, from); err != nil {
				return err
			}
			return g.print(res, func(w io.Writer) {
				fmt.Fprintf(w, "job       %d\nrecords   %d\nroot      %s\nmanifest  %s\nshards    %s\nlicence   %s\ndir       %s\n",
					res.Job, res.Records, res.Root, res.Manifest, joinComma(res.Shards), res.Licence, out)
				if c := res.Cleaned; c != nil {
					fmt.Fprintf(w, "cleaned   kept %d of %d accepted pages; rejected:", res.Records, c.Accepted)
					for _, f := range clean.Filters {
						if n := c.Rejected[f]; n > 0 {
							fmt.Fprintf(w, " %s %d", f, n)
						}
					}
					fmt.Fprintln(w)
				}
				if res.Uploaded {
					fmt.Fprintf(w, "uploaded; publish with: emergence tx data publish --job %d --name NAME --root %s --manifest %s --shards %s --records %d --licence %q --from KEY\n",
						res.Job, res.Root, res.Manifest, joinComma(res.Shards), res.Records, res.Licence)
				}
			})
		},
	}
	fl := cmd.Flags()
	fl.Uint64Var(&job, "job", 0, "crawl job id")
	fl.StringVar(&out, "out", "", "output directory")
	fl.IntVar(&perShard, "records-per-shard", 1000, "records per Parquet shard")
	fl.BoolVar(&cleanRecs, "clean", false, "keep only the pages that pass the cleaning filters")
	fl.StringVar(&languages, "languages", "", "with --clean: comma-separated ISO 639-1 codes to keep (default: every language)")
	fl.Bool("upload", false, "put the shards and manifest in the node's blob store (needs --from)")
	fl.StringVar(&from, "from", "", "key that signs the uploads, and the reads of a sold job's WARC records")
	return cmd
}

func joinComma(s []string) string {
	var b bytes.Buffer
	for i, x := range s {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(x)
	}
	return b.String()
}

// recordProof is what data prove prints and data verify reads: one record, its
// inclusion proof and the dataset it belongs to.
type recordProof struct {
	Dataset uint64       `json:"dataset"`
	Record  shard.Record `json:"record"`
	Proof   shard.Proof  `json:"proof"`
}

// datasetRecords reads a dataset as its buyers do (builder.Dataset; signed by --from for
// a paid dataset) and turns its errors into hints.
func (g *globals) datasetRecords(cmd *cobra.Command, id uint64, from string) (data.Dataset, []shard.Record, error) {
	s := remote.New(g.client().Base(), nil)
	if from != "" {
		key, _, err := g.signer(from)
		if err != nil {
			return data.Dataset{}, nil, err
		}
		s = s.SignedBy(key)
	}
	d, recs, err := builder.Dataset(cmd.Context(), g.client(), s, id)
	var ae *client.APIError
	switch {
	case err == nil:
		return d, recs, nil
	case errors.Is(err, blob.ErrNotBought), errors.Is(err, blob.ErrNotFound), errors.Is(err, blob.ErrUnauthorized):
		return d, nil, g.blobError(err)
	case errors.Is(err, client.ErrNotFound) && errors.As(err, &ae):
		return d, nil, errorf("", "%s", ae.Msg)
	case nodeFailure(err):
		return d, nil, g.nodeError(err)
	case errors.Is(err, builder.ErrBadManifest):
		return d, nil, failf("the dataset's manifest blob is not a manifest, or names a malformed blob", "%w", err)
	case errors.Is(err, shard.ErrRootMismatch):
		return d, nil, failf("the publisher registered another root than its manifest's", "%w", err)
	default:
		return d, nil, failf("the dataset's shards do not match its root", "%w", err)
	}
}

func newDataProveCmd(g *globals) *cobra.Command {
	var id uint64
	var rec int
	var from, out string
	cmd := &cobra.Command{
		Use:   "prove --dataset ID --record N",
		Short: "Print an inclusion proof from one record of a dataset to its root on chain",
		Long: `Fetches the dataset's manifest and shards, checks them against the root registered on
chain, and prints record N (0-based, in id order) with its Merkle path to that root as JSON,
the input of 'emergence data verify'. A paid dataset's shards need --from, a key that bought it.`,
		Example: "  emergence data prove --dataset 1 --record 42 --from bob > proof.json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if id == 0 {
				return errorf("pass --dataset ID (see 'emergence query data dataset ID')", "no --dataset given")
			}
			d, recs, err := g.datasetRecords(cmd, id, from)
			if err != nil {
				return err
			}
			if rec < 0 || rec >= len(recs) {
				return errorf(fmt.Sprintf("records are numbered 0 to %d", len(recs)-1), "record %d out of range", rec)
			}
			p, err := shard.Prove(shard.Leaves(recs), rec)
			if err != nil {
				return failf("", "%w", err)
			}
			rp := recordProof{Dataset: d.ID, Record: recs[rec], Proof: p}
			if out != "" {
				b, _ := json.MarshalIndent(rp, "", "  ")
				if err := os.WriteFile(out, append(b, '\n'), 0o644); err != nil {
					return fmt.Errorf("write proof: %w", err)
				}
				return g.print(map[string]any{"dataset": d.ID, "record": rec, "root": d.Root, "out": out}, func(w io.Writer) {
					fmt.Fprintf(w, "proof of record %d (%s) of dataset %d -> %s\n", rec, recs[rec].URL, d.ID, out)
				})
			}
			return g.printJSON(rp)
		},
	}
	fl := cmd.Flags()
	fl.Uint64Var(&id, "dataset", 0, "dataset id")
	fl.IntVar(&rec, "record", -1, "record number (0-based)")
	fl.StringVar(&from, "from", "", "key of a buyer, for a paid dataset")
	fl.StringVar(&out, "out", "", "write the proof to this file instead of standard output")
	return cmd
}

func newDataVerifyCmd(g *globals) *cobra.Command {
	var in, root string
	cmd := &cobra.Command{
		Use:   "verify [--proof FILE] [--root HEX]",
		Short: "Check an inclusion proof: the record hashes to its leaf and the path leads to the dataset's root on chain",
		Long: `Reads a proof written by 'emergence data prove' (from --proof FILE, else standard input),
checks that the record hashes to the proof's leaf and that its path leads to the root of the
dataset as registered on chain. With --root it checks against that root and needs no node.`,
		Example: "  emergence data verify --proof proof.json\n  emergence data prove --dataset 1 --record 0 | emergence data verify",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var raw []byte
			var err error
			if in != "" {
				raw, err = os.ReadFile(in)
			} else {
				raw, err = io.ReadAll(g.stdin)
			}
			if err != nil {
				return errorf("pass --proof FILE, a file written by 'emergence data prove'", "read proof: %w", err)
			}
			var rp recordProof
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&rp); err != nil {
				return errorf("pass the JSON 'emergence data prove' prints", "malformed proof: %w", err)
			}
			source := "given root"
			if root == "" {
				var d data.Dataset
				if err := g.query(cmd.Context(), data.Name, "dataset/"+strconv.FormatUint(rp.Dataset, 10), nil, &d); err != nil {
					return err
				}
				root, source = d.Root, fmt.Sprintf("root of dataset %d on chain", rp.Dataset)
			}
			if err := shard.Verify(rp.Proof, &rp.Record, root); err != nil {
				return failf("the record or its path was changed, or it belongs to another dataset", "proof does not verify: %w", err)
			}
			return g.print(map[string]any{"dataset": rp.Dataset, "record": rp.Proof.Index, "id": rp.Record.ID, "url": rp.Record.URL, "root": root, "verified": true}, func(w io.Writer) {
				fmt.Fprintf(w, "record %d (%s, %s) verifies against the %s: %s\n", rp.Proof.Index, rp.Record.ID, rp.Record.URL, source, root)
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&in, "proof", "", "proof file (default: standard input)")
	fl.StringVar(&root, "root", "", "check against this root instead of the chain's")
	return cmd
}

// keepDataset writes a built dataset into dir (writeDatasetDir) and, with
// upload, puts it in the node's blob store signed by key from
// (uploadDataset), returning the manifest's hash and the shards' hashes.
func (g *globals) keepDataset(ctx context.Context, dir string, ds shard.Dataset, upload bool, from string) (manifest string, shards []string, err error) {
	mb, err := shard.MarshalManifest(ds.Manifest)
	if err != nil {
		return "", nil, failf("", "%w", err)
	}
	if manifest, shards, err = writeDatasetDir(dir, ds, mb); err != nil {
		return "", nil, err
	}
	if upload {
		if err := g.uploadDataset(ctx, from, ds, mb); err != nil {
			return "", nil, err
		}
	}
	return manifest, shards, nil
}

// writeDatasetDir writes a built dataset as DIR/shard-NNNNN.parquet and
// DIR/manifest.json (mb, the marshalled manifest), returning the manifest's
// hash and the shards' hashes in order, as publish takes them.
func writeDatasetDir(dir string, ds shard.Dataset, mb []byte) (manifest string, shards []string, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", nil, fmt.Errorf("create %s: %w", dir, err)
	}
	for i, b := range ds.Shards {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("shard-%05d.parquet", i)), b, 0o644); err != nil {
			return "", nil, fmt.Errorf("write shard: %w", err)
		}
		shards = append(shards, ds.Manifest.Shards[i].Hash)
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), mb, 0o644); err != nil {
		return "", nil, fmt.Errorf("write manifest: %w", err)
	}
	mh := sha256.Sum256(mb)
	return hex.EncodeToString(mh[:]), shards, nil
}

// uploadDataset puts a built dataset's shards and manifest (mb) in the
// node's blob store, signed by key from.
func (g *globals) uploadDataset(ctx context.Context, from string, ds shard.Dataset, mb []byte) error {
	key, _, err := g.signer(from)
	if err != nil {
		return err
	}
	up := remote.New(g.client().Base(), nil).SignedBy(key)
	for _, b := range append(append([][]byte(nil), ds.Shards...), mb) {
		if err := up.Put(ctx, sha256.Sum256(b), bytes.NewReader(b)); err != nil {
			return g.blobError(err)
		}
	}
	return nil
}
