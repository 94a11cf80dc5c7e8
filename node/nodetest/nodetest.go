// Package nodetest starts a real single-validator Emergence node for tests:
// CometBFT in-process, the whole chain as package chain composes it, the app
// on Pebble in a temp dir, the blob store and the HTTP API on a loopback
// port, driven through package client.
//
//	net := nodetest.Start(t, nodetest.Options{ExtraKeys: []string{"dave"}})
//	res, err := net.Client.SignAndBroadcast(ctx, net.Key("alice"), client.TxOptions{}, msg)
//
// Keys alice, bob and carol (apptest.Key) hold 1,000,000 EMG each.
package nodetest

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"emergence/api"
	"emergence/app"
	"emergence/app/apptest"
	"emergence/bank"
	"emergence/blob"
	"emergence/blob/local"
	"emergence/chain"
	"emergence/client"
	"emergence/node"
	"emergence/tx"
)

// Funds of each test key, in uemg.
const Funds = 1_000_000 * bank.UnitsPerEMG

// Options configure Start.
type Options struct {
	// Genesis sections of other modules, by module name.
	Genesis map[string]any
	// Emission schedule (nil: the default one).
	Emission *bank.Emission
	// BlockTime between blocks (0: 100ms).
	BlockTime time.Duration
	// ExtraKeys are funded like alice, bob and carol.
	ExtraKeys []string
	// Home reuses a directory (to restart a node); empty: a new temp dir.
	Home string
}

// Net is a running test node.
type Net struct {
	Home   string
	Node   *node.Node
	API    *api.Server
	Client *client.Client
	Blobs  blob.Store
	opts   Options
	tb     testing.TB
}

// Key returns the private key of a test key name.
func (n *Net) Key(name string) ed25519.PrivateKey { k, _ := apptest.Key(name); return k }

// Addr returns the address of a test key name.
func (n *Net) Addr(name string) tx.Address { return apptest.Addr(name) }

// Start initialises (unless opts.Home holds a node) and starts a node and
// its API; Stop runs at cleanup.
func Start(tb testing.TB, opts Options) *Net {
	tb.Helper()
	home := opts.Home
	if home == "" {
		home = filepath.Join(tb.TempDir(), "node")
	}
	if opts.BlockTime == 0 {
		opts.BlockTime = 100 * time.Millisecond
	}
	if !node.Initialized(home) {
		initHome(tb, home, opts)
	}
	n := &Net{Home: home, opts: opts, tb: tb}
	n.start()
	tb.Cleanup(func() { n.Stop() })
	return n
}

func initHome(tb testing.TB, home string, opts Options) {
	pv, _, err := node.GenValidatorKeys(home)
	if err != nil {
		tb.Fatal(err)
	}
	p2p, err := node.FreePort()
	if err != nil {
		tb.Fatal(err)
	}
	s := node.DefaultSettings(apptest.ChainID)
	s.APIAddr, s.P2PAddr, s.BlockTime = "127.0.0.1:0", p2p, node.Duration(opts.BlockTime)
	cons, err := node.ConsensusAddress(pv)
	if err != nil {
		tb.Fatal(err)
	}
	bg := bank.Genesis{Emission: bank.DefaultEmission(), Validators: []bank.Validator{{ConsensusAddress: cons, RewardAddress: apptest.Addr("validator")}}}
	if opts.Emission != nil {
		bg.Emission = *opts.Emission
	}
	for _, k := range append([]string{"alice", "bob", "carol"}, opts.ExtraKeys...) {
		bg.Balances = append(bg.Balances, bank.Output{To: apptest.Addr(k), Amount: Funds})
	}
	mods := map[string]json.RawMessage{"bank": mustJSON(tb, bg)}
	for k, v := range opts.Genesis {
		mods[k] = mustJSON(tb, v)
	}
	if err := node.WriteGenesis(apptest.ChainID, []node.Validator{{Home: home, PV: pv, Power: 10}}, app.Genesis{Modules: mods}, home); err != nil {
		tb.Fatal(err)
	}
	if err := node.SaveSettings(home, s); err != nil {
		tb.Fatal(err)
	}
}

func mustJSON(tb testing.TB, v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func (n *Net) start() {
	tb := n.tb
	tb.Helper()
	c := chain.New()
	var logw io.Writer = io.Discard
	if os.Getenv("EMERGENCE_TEST_LOG") != "" {
		logw = os.Stderr
	}
	nd, err := node.Start(context.Background(), n.Home, node.Options{Modules: c.Modules(), Fees: c.Fees(), NotFound: c.NotFound(), LogWriter: logw, Logf: tb.Logf})
	if err != nil {
		tb.Fatalf("start node: %v", err)
	}
	blobs, err := local.Open(filepath.Join(n.Home, "blobs"))
	if err != nil {
		nd.Stop()
		tb.Fatal(err)
	}
	srv := api.New(nd, blob.NewHandler(blobs, api.BlobQuota(nd)))
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		nd.Stop()
		tb.Fatal(err)
	}
	n.Node, n.API, n.Blobs, n.Client = nd, srv, blobs, client.New(srv.Addr())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := n.Client.WaitHeight(ctx, 1); err != nil {
		tb.Fatalf("node made no block: %v", err)
	}
}

// Stop stops the node and its API (idempotent).
func (n *Net) Stop() {
	if n.Node == nil {
		return
	}
	n.API.Close()
	if err := n.Node.Stop(); err != nil {
		n.tb.Errorf("stop node: %v", err)
	}
	n.Node = nil
}

// Restart stops the node and starts it again on the same home.
func (n *Net) Restart() {
	n.tb.Helper()
	n.Stop()
	n.start()
}

// CheckInvariants runs every module's invariants on the node's committed state.
func (n *Net) CheckInvariants() {
	n.tb.Helper()
	if err := n.Node.App().CheckInvariants(); err != nil {
		n.tb.Fatal(err)
	}
}
