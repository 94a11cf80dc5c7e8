package main

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/spf13/cobra"

	"emergence/blob"
	"emergence/blob/remote"
	"emergence/client"
	"emergence/tx"
)

func init() {
	topCommands = append(topCommands, newBlobCmd)
}

func newBlobCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "blob",
		Short: "Upload and download content-addressed blobs on a node",
		Long: `blob puts files on the node at --node and gets them back by hash (the SHA-256 of
their bytes, as transactions name them). Uploads are signed by --from and charged to
its quota. A paid dataset's shards are served only to its buyers: get them with
--from set to the buying key.`,
	}
	cmd.AddCommand(newBlobPutCmd(g), newBlobGetCmd(g))
	return cmd
}

func newBlobPutCmd(g *globals) *cobra.Command {
	var from string
	cmd := &cobra.Command{
		Use:     "put FILE",
		Short:   "Upload a file; prints its hash",
		Example: "  emergence blob put shard-0.parquet --from alice",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			key, _, err := g.signer(from)
			if err != nil {
				return err
			}
			h, size, err := hashFile(args[0])
			if err != nil {
				return errorf("pass a readable file", "%w", err)
			}
			f, err := os.Open(args[0])
			if err != nil {
				return errorf("pass a readable file", "%w", err)
			}
			defer f.Close()
			s := remote.New(g.client().Base(), nil).SignedBy(key)
			if err := s.Put(cmd.Context(), h, f); err != nil {
				return g.blobError(err)
			}
			hx := blob.FormatHash(h)
			return g.print(map[string]any{"hash": hx, "size": size}, func(w io.Writer) { fmt.Fprintln(w, hx) })
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "key name or address that signs the upload")
	return cmd
}

func newBlobGetCmd(g *globals) *cobra.Command {
	var from, out string
	cmd := &cobra.Command{
		Use:   "get HASH",
		Short: "Download a blob by hash, checking its bytes",
		Long: `get downloads the blob with the given hash and checks that its bytes hash to it.
With --out it writes the file (only once complete and checked), else it writes to
standard output. A paid dataset's shards need --from: the key of an account that
bought the dataset signs the request.`,
		Example: "  emergence blob get 3f5a...e9 --out shard-0.parquet --from bob",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			h, err := blob.ParseHash(args[0])
			if err != nil {
				return errorf("a blob hash is 64 hex digits, as 'emergence blob put' prints", "%w", err)
			}
			s := remote.New(g.client().Base(), nil)
			if from != "" {
				key, _, err := g.signer(from)
				if err != nil {
					return err
				}
				s = s.SignedBy(key)
			}
			rc, _, err := s.Get(cmd.Context(), h)
			if err != nil {
				return g.blobError(err)
			}
			defer rc.Close()
			if out == "" {
				if _, err := io.Copy(g.stdout, rc); err != nil {
					return g.blobError(err)
				}
				return nil
			}
			tmp, err := os.CreateTemp(filepath.Dir(out), ".blob-*")
			if err != nil {
				return errorf("pass --out in a writable directory", "%w", err)
			}
			defer os.Remove(tmp.Name())
			n, err := io.Copy(tmp, rc)
			if err != nil {
				tmp.Close()
				return g.blobError(err)
			}
			if err := tmp.Close(); err != nil {
				return failf("", "write %s: %w", out, err)
			}
			if err := os.Rename(tmp.Name(), out); err != nil {
				return failf("", "write %s: %w", out, err)
			}
			return g.print(map[string]any{"hash": blob.FormatHash(h), "size": n, "path": out}, func(w io.Writer) {
				fmt.Fprintf(w, "wrote %s (%d bytes)\n", out, n)
			})
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "key name or address that signs the request (needed for a paid dataset's shards)")
	cmd.Flags().StringVar(&out, "out", "", "file to write (default: standard output)")
	return cmd
}

// blobError turns a blob API failure into an error with a hint.
func (g *globals) blobError(err error) error {
	var nb *blob.NotBoughtError
	switch {
	case errors.As(err, &nb):
		id := "ID"
		if len(nb.Datasets) > 0 {
			id = strconv.FormatUint(nb.Datasets[0], 10)
		}
		hint := "buy it first: emergence tx data buy " + id + " --from KEY, then pass --from KEY"
		if nb.Reader != (tx.Address{}) {
			hint = "buy it first: emergence tx data buy " + id + " --from " + nb.Reader.String()
		}
		return &cliError{status: exitUsage, hint: hint, err: err}
	case errors.Is(err, blob.ErrNotFound):
		return errorf("check the hash; the node stores only blobs uploaded to it", "%w", err)
	case errors.Is(err, blob.ErrHashMismatch):
		return failf("the node sent bytes with another hash: try another node", "%w", err)
	case errors.Is(err, blob.ErrUnauthorized), errors.Is(err, blob.ErrForbidden):
		return errorf("sign with a funded key: --from KEY (see 'emergence keys list'); check this machine's clock", "%w", err)
	case errors.Is(err, blob.ErrQuota):
		return errorf("wait for the quota window to pass, or upload from another account", "%w", err)
	case errors.Is(err, blob.ErrTooLarge):
		return errorf("the node's blob size limit is in its config/emergence.json (blob_max_bytes)", "%w", err)
	case client.Unreachable(err):
		return g.nodeError(err)
	default:
		return failf("see the node's log", "%w", err)
	}
}

// hashFile returns the SHA-256 and size of a file.
func hashFile(path string) ([32]byte, int64, error) {
	var h [32]byte
	f, err := os.Open(path)
	if err != nil {
		return h, 0, err
	}
	defer f.Close()
	d := sha256.New()
	n, err := io.Copy(d, f)
	if err != nil {
		return h, 0, fmt.Errorf("read %s: %w", path, err)
	}
	d.Sum(h[:0])
	return h, n, nil
}
