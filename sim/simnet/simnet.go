// Package simnet starts the network a simulation runs on: one validator
// running the chain as package chain composes it (CometBFT in-process, the
// app on Pebble), its HTTP API and blob store on loopback, all in a
// temporary directory that Close removes. The agents of a simulation talk
// to it only through Client, as real workers do.
package simnet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"emergence/api"
	"emergence/app"
	"emergence/bank"
	"emergence/blob"
	"emergence/blob/local"
	"emergence/chain"
	"emergence/client"
	"emergence/node"
	"emergence/tx"
)

// Config describes the network.
type Config struct {
	// ChainID of the network (default "emergence-sim").
	ChainID string
	// Balances are the genesis funds.
	Balances []bank.Output
	// Emission is the bank's emission schedule (nil: bank.DefaultEmission).
	Emission *bank.Emission
	// Reward receives the validator's block rewards (zero: no validator
	// rewards are paid).
	Reward tx.Address
	// Genesis holds other modules' genesis sections, by module name.
	Genesis map[string]json.RawMessage
	// BlockTime between blocks (default 100ms).
	BlockTime time.Duration
	// Log receives CometBFT's log (nil: discarded).
	Log io.Writer
}

// Net is a running simulation network.
type Net struct {
	// Client talks to the node's API.
	Client *client.Client
	// Node is the running node, for the simulation's own checks (invariants).
	Node *node.Node

	dir string
	api *api.Server
}

// Start initialises a node home in a new temporary directory, starts the
// node and its API, and waits for the first block (or ctx to end).
func Start(ctx context.Context, cfg Config) (n *Net, err error) {
	if cfg.ChainID == "" {
		cfg.ChainID = "emergence-sim"
	}
	if cfg.BlockTime == 0 {
		cfg.BlockTime = 100 * time.Millisecond
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	dir, err := os.MkdirTemp("", "emergence-sim-")
	if err != nil {
		return nil, fmt.Errorf("temp dir: %w", err)
	}
	n = &Net{dir: dir}
	defer func() {
		if err != nil {
			n.Close()
		}
	}()
	home := filepath.Join(dir, "node")
	if err := initHome(home, cfg); err != nil {
		return nil, err
	}
	c := chain.New()
	nd, err := node.Start(ctx, home, node.Options{Modules: c.Modules(), Fees: c.Fees(), NotFound: c.NotFound(), LogWriter: cfg.Log, Logf: func(string, ...any) {}})
	if err != nil {
		return nil, fmt.Errorf("start node: %w", err)
	}
	n.Node = nd
	blobs, err := local.Open(filepath.Join(home, "blobs"))
	if err != nil {
		return nil, fmt.Errorf("open blob store: %w", err)
	}
	srv := api.New(nd, blob.NewHandler(blobs, api.BlobQuota(nd)))
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		return nil, err
	}
	n.api = srv
	n.Client = client.New(srv.Addr())
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := n.Client.WaitHeight(wctx, 1); err != nil {
		return nil, fmt.Errorf("node made no block: %w", err)
	}
	return n, nil
}

// Addr returns the API's address.
func (n *Net) Addr() string { return n.api.Addr() }

// Close stops the API and the node and removes the directory.
func (n *Net) Close() error {
	var errs []error
	if n.api != nil {
		errs = append(errs, n.api.Close())
	}
	if n.Node != nil {
		errs = append(errs, n.Node.Stop())
	}
	errs = append(errs, os.RemoveAll(n.dir))
	return errors.Join(errs...)
}

func initHome(home string, cfg Config) error {
	pv, _, err := node.GenValidatorKeys(home)
	if err != nil {
		return fmt.Errorf("validator keys: %w", err)
	}
	p2p, err := node.FreePort()
	if err != nil {
		return fmt.Errorf("pick a p2p port: %w", err)
	}
	s := node.DefaultSettings(cfg.ChainID)
	s.APIAddr, s.P2PAddr, s.BlockTime = "127.0.0.1:0", p2p, node.Duration(cfg.BlockTime)
	bg := bank.Genesis{Emission: bank.DefaultEmission(), Balances: cfg.Balances}
	if cfg.Emission != nil {
		bg.Emission = *cfg.Emission
	}
	if !cfg.Reward.IsZero() {
		cons, err := node.ConsensusAddress(pv)
		if err != nil {
			return fmt.Errorf("consensus address: %w", err)
		}
		bg.Validators = []bank.Validator{{ConsensusAddress: cons, RewardAddress: cfg.Reward}}
	}
	raw, err := json.Marshal(bg)
	if err != nil {
		return fmt.Errorf("encode bank genesis: %w", err)
	}
	g := app.Genesis{Modules: map[string]json.RawMessage{bank.Name: raw}}
	for name, sec := range cfg.Genesis {
		g.Modules[name] = sec
	}
	if err := node.WriteGenesis(cfg.ChainID, []node.Validator{{Home: home, PV: pv, Power: 10}}, g, home); err != nil {
		return fmt.Errorf("write genesis: %w", err)
	}
	if err := node.SaveSettings(home, s); err != nil {
		return fmt.Errorf("save settings: %w", err)
	}
	return nil
}
