package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cometbft/cometbft/p2p"
	"github.com/spf13/cobra"

	"emergence/app"
	"emergence/bank"
	"emergence/keys"
	"emergence/node"
)

// TestnetNode is one entry of nodes.json.
type TestnetNode struct {
	Name string `json:"name"`
	Home string `json:"home"`
	API  string `json:"api"`
	RPC  string `json:"rpc"`
	P2P  string `json:"p2p"`
	ID   string `json:"node_id"`
}

// Testnet is the content of nodes.json.
type Testnet struct {
	ChainID string            `json:"chain_id"`
	Nodes   []TestnetNode     `json:"nodes"`
	Keys    map[string]string `json:"keys"`
}

func newTestnetCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "testnet", Short: "Lay out an N-validator network on loopback"}
	var n int
	var dir, chainID string
	var blockTime time.Duration
	initCmd := &cobra.Command{
		Use:   "init",
		Short: "Write N validator homes with distinct loopback ports and one genesis",
		Long: `testnet init writes DIR/node0 ... DIR/node{N-1}, each a validator home with its own
loopback API, RPC and P2P ports, all sharing one genesis and peered with each other, and
DIR/nodes.json listing every node. Dev keys alice, bob and carol (funded) live in the
test keyring under DIR. Run each node as its own process:

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
			if fileExists(filepath.Join(dir, "nodes.json")) {
				return errorf("choose another --dir or remove it", "%s already holds a testnet", dir)
			}
			tn, err := initTestnet(dir, chainID, n, blockTime)
			if err != nil {
				return err
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
	cmd.AddCommand(initCmd)
	return cmd
}

func initTestnet(dir, chainID string, n int, blockTime time.Duration) (*Testnet, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	kr, err := keys.Open(dir, "test", nil)
	if err != nil {
		return nil, err
	}
	tn := &Testnet{ChainID: chainID, Keys: map[string]string{}}
	var balances []bank.Output
	for _, name := range devKeys {
		info, err := kr.Show(name)
		if errors.Is(err, keys.ErrKeyNotFound) {
			info, _, err = kr.Add(name)
		}
		if err != nil {
			return nil, err
		}
		tn.Keys[name] = info.Address.String()
		balances = append(balances, bank.Output{To: info.Address, Amount: devFunds})
	}
	var vals []node.Validator
	var homes []string
	var settings []node.Settings
	var bankVals []bank.Validator
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("node%d", i)
		home := filepath.Join(dir, name)
		pv, nk, err := node.GenValidatorKeys(home)
		if err != nil {
			return nil, err
		}
		var addrs [3]string
		for j := range addrs {
			if addrs[j], err = node.FreePort(); err != nil {
				return nil, err
			}
		}
		reward, _, err := kr.Add(name)
		if err != nil {
			return nil, fmt.Errorf("reward key %s: %w", name, err)
		}
		cons, err := node.ConsensusAddress(pv)
		if err != nil {
			return nil, err
		}
		bankVals = append(bankVals, bank.Validator{ConsensusAddress: cons, RewardAddress: reward.Address})
		s := node.DefaultSettings(chainID)
		s.Moniker, s.APIAddr, s.RPCAddr, s.P2PAddr, s.BlockTime = name, addrs[0], addrs[1], addrs[2], node.Duration(blockTime)
		settings = append(settings, s)
		vals = append(vals, node.Validator{Home: home, PV: pv, Power: 10})
		homes = append(homes, home)
		tn.Nodes = append(tn.Nodes, TestnetNode{Name: name, Home: home, API: s.APIAddr, RPC: s.RPCAddr, P2P: s.P2PAddr, ID: string(nk.ID())})
	}
	for i := range settings {
		var peers []string
		for j, nd := range tn.Nodes {
			if j != i {
				peers = append(peers, p2p.IDAddressString(p2p.ID(nd.ID), nd.P2P))
			}
		}
		settings[i].PersistentPeers = strings.Join(peers, ",")
		if err := node.SaveSettings(homes[i], settings[i]); err != nil {
			return nil, err
		}
	}
	bg := bank.Genesis{Balances: balances, Emission: bank.DefaultEmission(), Validators: bankVals}
	if err := node.WriteGenesis(chainID, vals, app.Genesis{Modules: map[string]jsonRaw{"bank": mustJSON(bg)}}, homes...); err != nil {
		return nil, err
	}
	raw, err := json.MarshalIndent(tn, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "nodes.json"), append(raw, '\n'), 0o600); err != nil {
		return nil, err
	}
	return tn, nil
}
