package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/spf13/cobra"

	"emergence/blob"
	"emergence/blob/remote"
	"emergence/data/builder"
	"emergence/data/shard"
	"emergence/device"
	"emergence/device/dataset"
	"emergence/device/ingestd"
	"emergence/device/merkle"
)

// newDeviceDatasetCmd is "emergence device dataset": an epoch's readings as
// a dataset in the data market's format.
func newDeviceDatasetCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "dataset", Short: "Build and verify datasets of an epoch's accepted readings"}
	cmd.AddCommand(newDeviceDatasetBuildCmd(g), newDeviceDatasetVerifyCmd(g))
	return cmd
}

// deviceDatasetOut is what device dataset build prints.
type deviceDatasetOut struct {
	Epoch     uint64   `json:"epoch"`
	Records   int      `json:"records"`
	Root      string   `json:"root"`
	EpochRoot string   `json:"epoch_root"`
	Manifest  string   `json:"manifest"`
	Shards    []string `json:"shards"`
	Dir       string   `json:"dir"`
	Uploaded  bool     `json:"uploaded"`
}

func newDeviceDatasetBuildCmd(g *globals) *cobra.Command {
	var epoch int64
	var ingestDir, out, licence, from string
	var perShard int
	cmd := &cobra.Command{
		Use:   "build --ingest-dir DIR --epoch N --out DIR [--upload --from KEY]",
		Short: "Build epoch N's dataset from an ingest node's accepted events and check it against the chain's epoch root",
		Long: `Reads DIR/epochs/N/accepted.parquet of an ingest node (its --dir), turns each accepted
event into a record of the data market's format (data/shard: id, url, text = the event's
JSON, fetched_at = its time, text_hash = its epoch leaf, crawlers = its owner, licence) in
the epoch's leaf order, and checks that the records rebuild the epoch root posted on chain.
Writes OUT/shard-NNNNN.parquet and OUT/manifest.json. With --upload --from KEY the shards
and manifest go to the node's blob store, ready for 'emergence tx device publish-dataset'.`,
		Example: "  emergence device dataset build --ingest-dir ingest1 --epoch 490895 --out drives --upload --from ingest1",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if epoch < 0 || ingestDir == "" || out == "" {
				return errorf("pass --ingest-dir DIR (an ingest node's --dir), --epoch N and --out DIR", "missing --ingest-dir, --epoch or --out")
			}
			if perShard < 1 {
				return errorf("pass --records-per-shard of at least 1", "records per shard %d", perShard)
			}
			n := uint64(epoch)
			rows, err := ingestd.ReadRows(filepath.Join(ingestDir, "epochs", strconv.FormatUint(n, 10), "accepted.parquet"))
			if err != nil {
				return errorf("close the epoch on that ingest node first; its events are under --dir/epochs/N", "read accepted events: %w", err)
			}
			evs := make([]dataset.Event, len(rows))
			for i, r := range rows {
				evs[i] = dataset.Event{JSON: r.Event, Owner: r.Owner}
			}
			var rec device.EpochRecord
			if err := g.query(cmd.Context(), device.Name, "epoch/"+strconv.FormatUint(n, 10), map[string][]string{"limit": {"1"}}, &rec); err != nil {
				return withHint(err, "an epoch has a record once an ingest node posted it")
			}
			ds, err := dataset.Build(n, evs, licence, perShard)
			if err != nil {
				return failf("", "build: %w", err)
			}
			recs, err := shard.Check(ds.Manifest, ds.Shards)
			if err == nil {
				err = dataset.CheckEpoch(n, recs, rec.Root)
			}
			if err != nil {
				return failf("build from the ingest node that posted the epoch ("+rec.Ingest.String()+")", "%w", err)
			}
			res := deviceDatasetOut{Epoch: n, Records: len(recs), Root: ds.Manifest.Root, EpochRoot: rec.Root, Dir: out}
			res.Uploaded = cmd.Flags().Changed("upload")
			if res.Manifest, res.Shards, err = g.keepDataset(cmd.Context(), out, ds, res.Uploaded, from); err != nil {
				return err
			}
			return g.print(res, func(w io.Writer) {
				fmt.Fprintf(w, "epoch       %d\nrecords     %d\nroot        %s\nepoch root  %s (rebuilt from the records)\nmanifest    %s\nshards      %s\ndir         %s\n",
					res.Epoch, res.Records, res.Root, res.EpochRoot, res.Manifest, joinComma(res.Shards), out)
				if res.Uploaded {
					fmt.Fprintf(w, "uploaded; publish with: emergence tx device publish-dataset --dir %s --name NAME --price AMOUNT --from KEY\n", out)
				}
			})
		},
	}
	fl := cmd.Flags()
	fl.Int64Var(&epoch, "epoch", -1, "epoch number")
	fl.StringVar(&ingestDir, "ingest-dir", "", "the ingest node's --dir")
	fl.StringVar(&out, "out", "", "output directory")
	fl.StringVar(&licence, "licence", "CC-BY-4.0", "licence of the dataset")
	fl.IntVar(&perShard, "records-per-shard", 10_000, "records per Parquet shard")
	fl.Bool("upload", false, "put the shards and manifest in the node's blob store (needs --from)")
	fl.StringVar(&from, "from", "", "key that signs the uploads")
	return cmd
}

// readDatasetManifest reads DIR/manifest.json and its hash.
func readDatasetManifest(dir string) (shard.Manifest, string, error) {
	var m shard.Manifest
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return m, "", errorf("pass the --out directory of 'emergence device dataset build'", "read manifest: %w", err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, "", errorf("pass the --out directory of 'emergence device dataset build'", "manifest: %w", err)
	}
	h := sha256.Sum256(b)
	return m, hex.EncodeToString(h[:]), nil
}

// deviceRecordProof is one record of an epoch's dataset with its proofs:
// under the dataset root (data/shard) and under the epoch root (device/merkle).
type deviceRecordProof struct {
	Epoch      uint64       `json:"epoch"`
	Record     shard.Record `json:"record"`
	Dataset    shard.Proof  `json:"dataset_proof"`
	EpochProof merkle.Proof `json:"epoch_proof"`
	EpochRoot  string       `json:"epoch_root"`
}

func newDeviceDatasetVerifyCmd(g *globals) *cobra.Command {
	var epoch, record int64
	cmd := &cobra.Command{
		Use:   "verify --epoch N [--record I]",
		Short: "Fetch epoch N's published dataset and check it against its root and the epoch root on chain",
		Long: `Fetches epoch N's dataset (manifest and shards) from the node's blob store, checks every
shard against the manifest and the manifest's root against the root registered on chain,
then rebuilds the epoch's Merkle root from the records and compares it with the root the
ingest node posted: every reading traces back to the epoch's commitment. With --record I
it prints record I with its inclusion proofs under both roots, each checked.`,
		Example: "  emergence device dataset verify --epoch 490895 --record 3",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if epoch < 0 {
				return errorf("pass --epoch N of a published dataset", "no --epoch given")
			}
			n := uint64(epoch)
			var d device.EpochDataset
			if err := g.query(cmd.Context(), device.Name, "dataset/"+strconv.FormatUint(n, 10), nil, &d); err != nil {
				return withHint(err, deviceQueryHints["dataset"])
			}
			var rec device.EpochRecord
			if err := g.query(cmd.Context(), device.Name, "epoch/"+strconv.FormatUint(n, 10), map[string][]string{"limit": {"1"}}, &rec); err != nil {
				return err
			}
			s := remote.New(g.client().Base(), nil)
			get := func(hx string) ([]byte, error) {
				h, err := blob.ParseHash(hx)
				if err != nil {
					return nil, failf("the dataset names a malformed blob", "%w", err)
				}
				rc, _, err := s.Get(cmd.Context(), h)
				if err != nil {
					return nil, g.blobError(err)
				}
				defer rc.Close()
				return io.ReadAll(rc)
			}
			m, shards, err := builder.Fetch(d.Manifest, d.Root, get)
			var re *builder.RootError
			switch {
			case errors.As(err, &re):
				return failf("the ingest node registered another root than its manifest's", "%w", err)
			case errors.Is(err, builder.ErrBadManifest):
				return failf("the dataset's manifest blob is not a manifest", "%w", err)
			case err != nil:
				return err
			}
			recs, err := shard.Check(m, shards)
			if err == nil {
				err = dataset.CheckEpoch(n, recs, rec.Root)
			}
			if err != nil {
				return failf("do not trust this dataset: its records are not the epoch's committed events", "%w", err)
			}
			if record < 0 {
				return g.print(map[string]any{"epoch": n, "records": len(recs), "root": d.Root, "epoch_root": rec.Root, "verified": true}, func(w io.Writer) {
					fmt.Fprintf(w, "epoch %d: %d records under root %s rebuild the epoch root %s on chain: verified\n", n, len(recs), d.Root, rec.Root)
				})
			}
			if record >= int64(len(recs)) {
				return errorf(fmt.Sprintf("pass --record 0 to %d", len(recs)-1), "no record %d", record)
			}
			i := int(record)
			dp, err := shard.Prove(shard.Leaves(recs), i)
			if err != nil {
				return failf("", "%w", err)
			}
			leaves := make([][32]byte, len(recs))
			for k, r := range recs {
				leaves[k] = merkle.Leaf([]byte(r.Text))
			}
			out := deviceRecordProof{Epoch: n, Record: recs[i], Dataset: dp, EpochProof: merkle.Prove(leaves, i), EpochRoot: rec.Root}
			root, _ := hex.DecodeString(rec.Root)
			if err := shard.Verify(out.Dataset, &out.Record, d.Root); err != nil {
				return failf("", "record %d under the dataset root: %w", i, err)
			}
			if err := merkle.Verify([32]byte(root), leaves[i], out.EpochProof); err != nil {
				return failf("", "record %d under the epoch root: %w", i, err)
			}
			return g.print(out, func(w io.Writer) {
				fmt.Fprintf(w, "record %d (%s): proven under the dataset root %s and the epoch root %s\n", i, out.Record.URL, d.Root, rec.Root)
			})
		},
	}
	cmd.Flags().Int64Var(&epoch, "epoch", -1, "epoch number")
	cmd.Flags().Int64Var(&record, "record", -1, "also prove this record (index)")
	return cmd
}
