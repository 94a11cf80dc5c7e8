package main

import (
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"emergence/node"
	"emergence/node/genesis"
)

func newTestnetCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "testnet", Short: "Lay out an N-validator network on loopback"}
	var n int
	var dir, chainID, blobStore string
	var blockTime time.Duration
	initCmd := &cobra.Command{
		Use:   "init",
		Short: "Write N validator homes with distinct loopback ports and one genesis",
		Long: `testnet init writes DIR/node0 ... DIR/node{N-1}, each a validator home with its own
loopback API, RPC and P2P ports, all sharing one genesis and peered with each other, and
DIR/nodes.json listing every node. Dev keys alice, bob and carol (funded) live in the
test keyring under DIR. With --blob-store s3://BUCKET[/PREFIX]?endpoint=..., every node keeps
its blobs in that bucket under PREFIX/nodeN (blob_store in its config/emergence.json; the
keys come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY when it starts). Run each node
as its own process:

  emergence start --home DIR/node0 &  emergence start --home DIR/node1 &  ...`,
		Example: "  emergence testnet init --validators 4 --dir ./testnet",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if n < 1 || n > 64 {
				return errorf("use --validators between 1 and 64", "cannot make a testnet of %d validators", n)
			}
			if dir == "" {
				return errorf("pass --dir DIR", "no output directory")
			}
			if fileExists(filepath.Join(dir, genesis.TestnetFile)) {
				return errorf("choose another --dir or remove it", "%s already holds a testnet", dir)
			}
			// Check the store before writing anything.
			if _, err := nodeBlobStore(blobStore, "node0"); err != nil {
				return err
			}
			tn, err := genesis.InitTestnet(dir, chainID, n, blockTime)
			if err != nil {
				return err
			}
			for _, nd := range tn.Nodes {
				spec, err := nodeBlobStore(blobStore, nd.Name)
				if err != nil {
					return err
				}
				if spec == "" {
					break // no --blob-store: every node keeps the default
				}
				s, err := node.LoadSettings(nd.Home)
				if err != nil {
					return fmt.Errorf("%s settings: %w", nd.Name, err)
				}
				s.BlobStore = spec
				if err := node.SaveSettings(nd.Home, s); err != nil {
					return fmt.Errorf("%s settings: %w", nd.Name, err)
				}
			}
			return g.print(tn, func(w io.Writer) {
				fmt.Fprintf(w, "testnet %s: %d validators in %s\n", tn.ChainID, n, dir)
				for _, nd := range tn.Nodes {
					fmt.Fprintf(w, "  %s  api %s  rpc %s  p2p %s\n", nd.Name, nd.API, nd.RPC, nd.P2P)
				}
				fmt.Fprintf(w, "start each: emergence start --home %s\n", filepath.Join(dir, "node0"))
			})
		},
	}
	initCmd.Flags().IntVar(&n, "validators", 4, "number of validators")
	initCmd.Flags().StringVar(&dir, "dir", "", "output directory")
	initCmd.Flags().StringVar(&chainID, "chain-id", "emergence-testnet", "chain id")
	initCmd.Flags().DurationVar(&blockTime, "block-time", 500*time.Millisecond, "target time between blocks")
	initCmd.Flags().StringVar(&blobStore, "blob-store", "", `where the nodes keep blobs: "" for each home's blobs/ directory, or an S3 bucket `+
		`s3://BUCKET[/PREFIX]?endpoint=http://HOST:PORT shared by all, each node under PREFIX/nodeN`)
	cmd.AddCommand(initCmd)
	return cmd
}
