package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"emergence/api"
	"emergence/bank"
	"emergence/chain"
	"emergence/keys"
	"emergence/node"
	"emergence/node/genesis"
	"emergence/tx"
	"emergence/web"
)

func init() {
	topCommands = append(topCommands, newInitCmd, newStartCmd, newDevnetCmd, newTestnetCmd, newStatusCmd)
}

// running is a node with its API, as started by start and devnet.
type running struct {
	node *node.Node
	api  *api.Server
}

func (r *running) stop() error {
	aerr := r.api.Close()
	if err := r.node.Stop(); err != nil {
		return err
	}
	return aerr
}

// startNode starts the node in home and its API (apiAddr overrides the
// settings when not empty), with its blobs in the store that blobStore
// names, or else the settings' blob_store ("" for the directory blobs/ in
// home, see openBlobStore).
func startNode(ctx context.Context, home, apiAddr, blobStore string, logw io.Writer) (*running, error) {
	if os.Getenv("GOGC") == "" {
		// A node allocates per transaction at a high rate over a small live
		// heap; collecting less often buys throughput for little memory.
		debug.SetGCPercent(400)
	}
	c := chain.New()
	n, err := node.Start(ctx, home, node.Options{Modules: c.Modules(), Fees: c.Fees(), NotFound: c.NotFound(), LogWriter: logw, Logf: log.Printf})
	if err != nil {
		if errors.Is(err, node.ErrNoHome) {
			return nil, errorf(fmt.Sprintf("run 'emergence init --home %s' first, or 'emergence devnet --home %s'", home, home), "%w", err)
		}
		return nil, fmt.Errorf("start node: %w", err)
	}
	if blobStore == "" {
		blobStore = n.Settings.BlobStore // config/emergence.json's blob_store
	}
	blobs, err := openBlobStore(ctx, home, blobStore, n.Settings.BlobMaxBytes)
	if err != nil {
		n.Stop()
		return nil, err
	}
	srv := api.New(n, blobHandler(blobs, n))
	srv.Mount(web.Handler(srv.Handler())) // the web app at / (node never imports web)
	if apiAddr == "" {
		apiAddr = n.Settings.APIAddr
	}
	if err := srv.Listen(apiAddr); err != nil {
		n.Stop()
		free := "HOST:PORT on a free port"
		if a, ok := freeAPIAddr(apiAddr); ok {
			free = "such as --api " + a
		}
		return nil, failf(fmt.Sprintf("another node listens at %s (a devnet started for another README?): stop it, or pass a free address %s, which the home records for the commands given --home", apiAddr, free), "%w", err)
	}
	return &running{node: n, api: srv}, nil
}

// apiTaken reports whether something listens at addr now (another node, a
// devnet), so that a node started on it would fail.
func apiTaken(addr string) bool {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return errors.Is(err, syscall.EADDRINUSE)
	}
	l.Close()
	return false
}

// freeAPIAddr is the first address on addr's host, after addr's port, that
// nothing listens at now: the one to suggest when addr is taken. ok is
// false when addr has no port or none of the next 100 ports is free.
func freeAPIAddr(addr string) (free string, ok bool) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", false
	}
	p, err := strconv.Atoi(port)
	if err != nil || p == 0 {
		return "", false
	}
	for q := p + 1; q <= p+100 && q < 1<<16; q++ {
		a := net.JoinHostPort(host, strconv.Itoa(q))
		if l, err := net.Listen("tcp", a); err == nil {
			l.Close()
			return a, true
		}
	}
	return "", false
}

// startStep is what init prints as the next step: the start command, with
// a free --api when the home's API address is taken now (by a devnet, say),
// since that start would fail.
func startStep(w io.Writer, home, apiAddr string) {
	if !apiTaken(apiAddr) {
		fmt.Fprintf(w, "start it with: emergence start --home %s\n", home)
		return
	}
	fmt.Fprintf(w, "its API address %s is taken now (another node, a devnet?), so start it on a free one:\n", apiAddr)
	if a, ok := freeAPIAddr(apiAddr); ok {
		fmt.Fprintf(w, "  emergence start --home %s --api %s\n", home, a)
	} else {
		fmt.Fprintf(w, "  emergence start --home %s --api 127.0.0.1:PORT   # PORT: any free port\n", home)
	}
	fmt.Fprintf(w, "(start records --api in the home, so the commands given --home %s reach this node)\n", home)
}

func newInitCmd(g *globals) *cobra.Command {
	var chainID, moniker, apiAddr string
	var blockTime time.Duration
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create a node home: validator keys, settings and a single-validator genesis",
		Long: `init creates a node home under --home: CometBFT validator and node keys, settings
(config/emergence.json) and a genesis with this node as the only validator. Edit
config/genesis.json before the first start to fund accounts or add validators.`,
		Example: "  emergence init --home ./node --chain-id emergence-1",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if node.Initialized(g.home) {
				return errorf("choose another --home or remove this one", "%s is already initialised", g.home)
			}
			s := node.DefaultSettings(chainID)
			s.Moniker, s.APIAddr, s.BlockTime = moniker, apiAddr, node.Duration(blockTime)
			if err := genesis.InitSingle(g.home, s, nil, tx.Address{}, nil); err != nil {
				return err
			}
			return g.print(map[string]string{"home": g.home, "chain_id": chainID}, func(w io.Writer) {
				fmt.Fprintf(w, "initialised %s (chain %s)\n", g.home, chainID)
				startStep(w, g.home, apiAddr)
			})
		},
	}
	cmd.Flags().StringVar(&chainID, "chain-id", "emergence-1", "chain id")
	cmd.Flags().StringVar(&moniker, "moniker", "node0", "node name")
	cmd.Flags().StringVar(&apiAddr, "api", defaultNode, "API listen address")
	cmd.Flags().DurationVar(&blockTime, "block-time", time.Second, "target time between blocks")
	return cmd
}

func newStartCmd(g *globals) *cobra.Command {
	var apiAddr, blobStore string
	cmd := &cobra.Command{
		Use:     "start",
		Short:   "Run the node in --home until interrupted",
		Example: "  emergence start --home ./testnet/node0",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			// As devnet does: every command given --home asks the address the
			// home records, so a node started on another one records it, and
			// before it starts, so that a command run right after it (wait,
			// status) asks this node and not the one at the old address.
			if apiAddr != "" && !strings.HasSuffix(apiAddr, ":0") && node.Initialized(g.home) {
				if err := recordAPIAddr(g.home, apiAddr); err != nil {
					return err
				}
			}
			r, err := startNode(cmd.Context(), g.home, apiAddr, blobStore, nil)
			if err != nil {
				return err
			}
			st := r.node.Status()
			fmt.Fprintf(g.stdout, "node %s of chain %s\n  api  http://%s\n  home %s (consensus log in logs/cometbft.log)\n", st.Moniker, st.ChainID, r.api.Addr(), g.home)
			<-cmd.Context().Done()
			fmt.Fprintln(g.stderr, "stopping")
			return r.stop()
		},
	}
	cmd.Flags().StringVar(&apiAddr, "api", "", "API listen address (default: from config/emergence.json, which then records this one)")
	blobStoreFlag(cmd, &blobStore)
	return cmd
}

func newDevnetCmd(g *globals) *cobra.Command {
	var apiAddr, blobStore string
	var blockTime time.Duration
	cmd := &cobra.Command{
		Use:   "devnet",
		Short: "Run a single-validator development network on loopback",
		Long: `devnet runs a fresh single-validator network on loopback, with dev keys alice, bob and
carol (1,000,000 EMG each) in the test keyring under --home, a "validator" key that
receives the block rewards and a "governance" key (1,000 EMG for fees) that may suspend
personhood operators. It prints the API address, the chain id and the dev addresses,
and runs until interrupted. Started again with the same --home it resumes the same chain.`,
		Example: "  emergence devnet --home /tmp/emg --api 127.0.0.1:8545 --block-time 500ms",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fresh := !node.Initialized(g.home)
			if fresh {
				if err := genesis.InitDevnet(g.home, apiAddr, blockTime); err != nil {
					return err
				}
			} else if cmd.Flags().Changed("block-time") {
				if blockTime <= 0 {
					return errorf("pass a positive --block-time such as 500ms", "block time %s", blockTime)
				}
				if err := node.SetBlockTime(g.home, blockTime); err != nil {
					return err
				}
			}
			addr := ""
			if cmd.Flags().Changed("api") {
				addr = apiAddr
				// A resumed home keeps the address it was created with, and
				// every command with --home asks that one: record the new one,
				// or they would talk to whatever else listens there (another
				// devnet, with the same chain id).
				if !fresh && !strings.HasSuffix(apiAddr, ":0") {
					if err := recordAPIAddr(g.home, apiAddr); err != nil {
						return err
					}
				}
			}
			r, err := startNode(cmd.Context(), g.home, addr, blobStore, nil)
			if err != nil {
				return err
			}
			kr, err := keys.Open(g.home, "test", nil)
			if err != nil {
				r.stop()
				return err
			}
			out := devnetInfo{API: "http://" + r.api.Addr(), ChainID: r.node.Settings.ChainID, Home: g.home, Resumed: !fresh, Keys: map[string]string{}}
			for _, k := range genesis.DevKeys {
				if info, err := kr.Show(k); err == nil {
					out.Keys[k] = info.Address.String()
				}
			}
			g.print(out, func(w io.Writer) {
				verb := "started"
				if !fresh {
					verb = "resumed"
				}
				fmt.Fprintf(w, "devnet %s\n  chain id  %s\n  api       %s\n  home      %s\n", verb, out.ChainID, out.API, g.home)
				for _, k := range genesis.DevKeys {
					fmt.Fprintf(w, "  %-9s %s\n", k, out.Keys[k])
				}
				fmt.Fprintf(w, "try: emergence tx bank send alice bob 1.5emg --home %s --keyring-backend test\n", g.home)
				fmt.Fprintln(w, "press Ctrl-C to stop")
			})
			<-cmd.Context().Done()
			fmt.Fprintln(g.stderr, "stopping devnet")
			return r.stop()
		},
	}
	cmd.Flags().StringVar(&apiAddr, "api", defaultNode, "API listen address")
	cmd.Flags().DurationVar(&blockTime, "block-time", time.Second, "target time between blocks")
	blobStoreFlag(cmd, &blobStore)
	return cmd
}

// recordAPIAddr makes addr the API address recorded in home, the one
// commands given --home talk to.
func recordAPIAddr(home, addr string) error {
	s, err := node.LoadSettings(home)
	if err != nil {
		return err
	}
	if s.APIAddr == addr {
		return nil
	}
	s.APIAddr = addr
	if err := node.SaveSettings(home, s); err != nil {
		return fmt.Errorf("record api address %s in %s: %w", addr, home, err)
	}
	return nil
}

type devnetInfo struct {
	API     string            `json:"api"`
	ChainID string            `json:"chain_id"`
	Home    string            `json:"home"`
	Resumed bool              `json:"resumed"`
	Keys    map[string]string `json:"keys"`
}

func newStatusCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show the status of the node at --node",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := g.client().Status(cmd.Context())
			if err != nil {
				return g.nodeError(err)
			}
			return g.print(st, func(w io.Writer) {
				fmt.Fprintf(w, "chain id     %s\nheight       %d\napp hash     %s\nblock time   %s\ncatching up  %v\npeers        %d\nnode         %s (%s)\n",
					st.ChainID, st.Height, st.AppHash, st.BlockTime, st.CatchingUp, st.Peers, st.Moniker, st.NodeID)
			})
		},
	}
}

func parseAmount(s string) (uint64, error) {
	v, err := bank.ParseAmount(s)
	if err != nil {
		return 0, errorf("write amounts like 1000uemg or 2.5emg (1 emg = 1,000,000 uemg)", "%w", err)
	}
	return v, nil
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func trimHex(s string) string { return strings.TrimPrefix(strings.ToLower(s), "0x") }
