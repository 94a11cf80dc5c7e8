package genesis

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cometbft/cometbft/p2p"

	"emergence/app"
	"emergence/bank"
	"emergence/keys"
	"emergence/node"
)

// TestnetNode is one entry of a testnet's nodes.json.
type TestnetNode struct {
	Name string `json:"name"`
	Home string `json:"home"`
	API  string `json:"api"`
	RPC  string `json:"rpc"`
	P2P  string `json:"p2p"`
	ID   string `json:"node_id"`
}

// Testnet is the content of a testnet's nodes.json.
type Testnet struct {
	ChainID string            `json:"chain_id"`
	Nodes   []TestnetNode     `json:"nodes"`
	Keys    map[string]string `json:"keys"`
}

// TestnetFile is the name of the file, in a testnet's directory, that
// lists its nodes.
const TestnetFile = "nodes.json"

// InitTestnet writes dir/node0 ... dir/node{n-1}, each a validator home
// with its own loopback API, RPC and P2P ports, all sharing one genesis
// and peered with each other, and dir/nodes.json listing them. DevKeys
// (funded) and one reward key per node live in the test keyring under dir.
func InitTestnet(dir, chainID string, n int, blockTime time.Duration) (*Testnet, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create testnet directory: %w", err)
	}
	kr, err := keys.Open(dir, "test", nil)
	if err != nil {
		return nil, fmt.Errorf("open test keyring: %w", err)
	}
	tn := &Testnet{ChainID: chainID, Keys: map[string]string{}}
	var balances []bank.Output
	for _, name := range DevKeys {
		info, err := devKey(kr, name)
		if err != nil {
			return nil, err
		}
		tn.Keys[name] = info.Address.String()
		balances = append(balances, bank.Output{To: info.Address, Amount: DevFunds})
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
			return nil, fmt.Errorf("%s validator keys: %w", name, err)
		}
		var addrs [3]string
		for j := range addrs {
			if addrs[j], err = node.FreePort(); err != nil {
				return nil, fmt.Errorf("%s ports: %w", name, err)
			}
		}
		reward, _, err := kr.Add(name)
		if err != nil {
			return nil, fmt.Errorf("reward key %s: %w", name, err)
		}
		cons, err := node.ConsensusAddress(pv)
		if err != nil {
			return nil, fmt.Errorf("%s consensus address: %w", name, err)
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
			return nil, fmt.Errorf("save settings: %w", err)
		}
	}
	bg, err := json.Marshal(bank.Genesis{Balances: balances, Emission: bank.DefaultEmission(), Validators: bankVals})
	if err != nil {
		return nil, fmt.Errorf("encode bank genesis: %w", err)
	}
	if err := node.WriteGenesis(chainID, vals, app.Genesis{Modules: map[string]json.RawMessage{bank.Name: bg}}, homes...); err != nil {
		return nil, fmt.Errorf("write genesis: %w", err)
	}
	raw, err := json.MarshalIndent(tn, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", TestnetFile, err)
	}
	if err := os.WriteFile(filepath.Join(dir, TestnetFile), append(raw, '\n'), 0o600); err != nil {
		return nil, fmt.Errorf("write %s: %w", TestnetFile, err)
	}
	return tn, nil
}
