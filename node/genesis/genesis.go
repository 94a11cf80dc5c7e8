// Package genesis lays out node homes with their genesis: the one-validator
// home of 'emergence init', the development network of 'emergence devnet'
// (funded dev keys, a validator reward key and a funded governance key) and
// the N-validator loopback testnet of 'emergence testnet init'.
//
// It writes files only; starting a node from a home is package node's job.
package genesis

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"emergence/app"
	"emergence/bank"
	"emergence/keys"
	"emergence/node"
	"emergence/personhood"
	"emergence/tx"
)

// DevKeys are the funded keys of a devnet and of a testnet, kept in the
// test keyring of the network's home.
var DevKeys = []string{"alice", "bob", "carol"}

// DevFunds is each dev key's genesis balance: 1,000,000 EMG.
const DevFunds = 1_000_000 * bank.UnitsPerEMG

// GovernanceFunds is the devnet governance key's genesis balance: enough
// for the fees of many governance transactions.
const GovernanceFunds = 1_000 * bank.UnitsPerEMG

// Role keys of a devnet, besides DevKeys.
const (
	// ValidatorKey receives the devnet validator's block rewards.
	ValidatorKey = "validator"
	// GovernanceKey may suspend personhood operators on a devnet.
	GovernanceKey = "governance"
)

// InitSingle writes a one-validator home: validator keys, settings s and a
// genesis with the bank balances, the validator's reward address (none if
// zero) and, in extra, other modules' genesis sections by module name.
func InitSingle(home string, s node.Settings, balances []bank.Output, reward tx.Address, extra map[string]json.RawMessage) error {
	p2p, err := node.FreePort()
	if err != nil {
		return fmt.Errorf("pick a p2p port: %w", err)
	}
	if s.P2PAddr == "" || s.P2PAddr == node.DefaultSettings("").P2PAddr {
		s.P2PAddr = p2p
	}
	pv, _, err := node.GenValidatorKeys(home)
	if err != nil {
		return fmt.Errorf("validator keys: %w", err)
	}
	cons, err := node.ConsensusAddress(pv)
	if err != nil {
		return fmt.Errorf("consensus address: %w", err)
	}
	bg := bank.Genesis{Balances: balances, Emission: bank.DefaultEmission()}
	if !reward.IsZero() {
		bg.Validators = []bank.Validator{{ConsensusAddress: cons, RewardAddress: reward}}
	}
	raw, err := json.Marshal(bg)
	if err != nil {
		return fmt.Errorf("encode bank genesis: %w", err)
	}
	g := app.Genesis{Modules: map[string]json.RawMessage{bank.Name: raw}}
	for name, raw := range extra {
		g.Modules[name] = raw
	}
	if err := node.WriteGenesis(s.ChainID, []node.Validator{{Home: home, PV: pv, Power: 10}}, g, home); err != nil {
		return fmt.Errorf("write genesis: %w", err)
	}
	if err := node.SaveSettings(home, s); err != nil {
		return fmt.Errorf("save settings: %w", err)
	}
	return nil
}

// devKey returns the key called name in kr, creating it if missing.
func devKey(kr *keys.Keyring, name string) (keys.Info, error) {
	info, err := kr.Show(name)
	if errors.Is(err, keys.ErrKeyNotFound) {
		info, _, err = kr.Add(name)
	}
	if err != nil {
		return keys.Info{}, fmt.Errorf("dev key %s: %w", name, err)
	}
	return info, nil
}

// DevnetChainID is the chain id of every devnet.
const DevnetChainID = "emergence-devnet"

// InitDevnet creates a devnet home: DevKeys in the test keyring, funded
// with DevFunds each; a validator whose rewards go to ValidatorKey; and
// GovernanceKey, funded with GovernanceFunds and set as the personhood
// governance, so it can pay for the transactions it may send.
func InitDevnet(home, apiAddr string, blockTime time.Duration) error {
	kr, err := keys.Open(home, "test", nil)
	if err != nil {
		return fmt.Errorf("open test keyring: %w", err)
	}
	var balances []bank.Output
	for _, name := range DevKeys {
		info, err := devKey(kr, name)
		if err != nil {
			return err
		}
		balances = append(balances, bank.Output{To: info.Address, Amount: DevFunds})
	}
	val, err := devKey(kr, ValidatorKey)
	if err != nil {
		return err
	}
	gov, err := devKey(kr, GovernanceKey)
	if err != nil {
		return err
	}
	balances = append(balances, bank.Output{To: gov.Address, Amount: GovernanceFunds})
	ph := personhood.Genesis{Params: personhood.DefaultParams()}
	ph.Params.Governance = gov.Address
	raw, err := json.Marshal(ph)
	if err != nil {
		return fmt.Errorf("encode personhood genesis: %w", err)
	}
	s := node.DefaultSettings(DevnetChainID)
	s.APIAddr, s.BlockTime = apiAddr, node.Duration(blockTime)
	s.P2PAddr = ""
	return InitSingle(home, s, balances, val.Address, map[string]json.RawMessage{personhood.Name: raw})
}
