package genesis_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"emergence/app"
	"emergence/bank"
	"emergence/keys"
	"emergence/node"
	"emergence/node/genesis"
	"emergence/personhood"
)

// appState reads the app state of the genesis in home.
func appState(t *testing.T, home string) app.Genesis {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(home, "config", "genesis.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		ChainID  string      `json:"chain_id"`
		AppState app.Genesis `json:"app_state"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.AppState
}

func balances(t *testing.T, g app.Genesis) map[string]uint64 {
	t.Helper()
	var bg bank.Genesis
	if err := json.Unmarshal(g.Modules[bank.Name], &bg); err != nil {
		t.Fatal(err)
	}
	out := map[string]uint64{}
	for _, o := range bg.Balances {
		out[o.To.String()] += o.Amount
	}
	return out
}

// TestDevnetFundsGovernance checks the devnet genesis: every dev key holds
// DevFunds, and the governance key is both personhood's governance and
// funded, so its suspend-operator can pay its fee.
func TestDevnetFundsGovernance(t *testing.T) {
	home := t.TempDir()
	if err := genesis.InitDevnet(home, "127.0.0.1:0", time.Second); err != nil {
		t.Fatal(err)
	}
	if !node.Initialized(home) {
		t.Fatal("devnet home not initialised")
	}
	kr, err := keys.Open(home, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	g := appState(t, home)
	bal := balances(t, g)
	for _, name := range genesis.DevKeys {
		info, err := kr.Show(name)
		if err != nil {
			t.Fatal(err)
		}
		if got := bal[info.Address.String()]; got != genesis.DevFunds {
			t.Errorf("%s holds %d uemg in genesis, want %d", name, got, genesis.DevFunds)
		}
	}
	gov, err := kr.Show(genesis.GovernanceKey)
	if err != nil {
		t.Fatal(err)
	}
	if got := bal[gov.Address.String()]; got != genesis.GovernanceFunds {
		t.Errorf("governance holds %d uemg in genesis, want %d", got, genesis.GovernanceFunds)
	}
	var ph personhood.Genesis
	if err := json.Unmarshal(g.Modules[personhood.Name], &ph); err != nil {
		t.Fatal(err)
	}
	if ph.Params.Governance != gov.Address {
		t.Errorf("personhood governance %s, want the governance key %s", ph.Params.Governance, gov.Address)
	}
	s, err := node.LoadSettings(home)
	if err != nil {
		t.Fatal(err)
	}
	if s.ChainID != genesis.DevnetChainID {
		t.Errorf("chain id %q, want %q", s.ChainID, genesis.DevnetChainID)
	}
}

// TestTestnetLayout checks that every node of a testnet has its own ports,
// peers with all the others and shares one genesis funding the dev keys.
func TestTestnetLayout(t *testing.T) {
	dir := t.TempDir()
	tn, err := genesis.InitTestnet(dir, "emergence-test", 3, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(tn.Nodes) != 3 {
		t.Fatalf("%d nodes, want 3", len(tn.Nodes))
	}
	seen := map[string]bool{}
	for _, nd := range tn.Nodes {
		for _, a := range []string{nd.API, nd.RPC, nd.P2P} {
			if seen[a] {
				t.Errorf("address %s used twice", a)
			}
			seen[a] = true
		}
		s, err := node.LoadSettings(nd.Home)
		if err != nil {
			t.Fatal(err)
		}
		for _, other := range tn.Nodes {
			if want := other.ID + "@" + other.P2P; (other.Name == nd.Name) == contains(s.PersistentPeers, want) {
				t.Errorf("%s peers %q: peering with %s wrong", nd.Name, s.PersistentPeers, other.Name)
			}
		}
		bal := balances(t, appState(t, nd.Home))
		for _, name := range genesis.DevKeys {
			if got := bal[tn.Keys[name]]; got != genesis.DevFunds {
				t.Errorf("%s: %s holds %d in genesis, want %d", nd.Name, name, got, genesis.DevFunds)
			}
		}
	}
	raw, err := os.ReadFile(filepath.Join(dir, genesis.TestnetFile))
	if err != nil {
		t.Fatal(err)
	}
	var back genesis.Testnet
	if err := json.Unmarshal(raw, &back); err != nil || back.ChainID != "emergence-test" || len(back.Nodes) != 3 {
		t.Fatalf("%s: %v %+v", genesis.TestnetFile, err, back)
	}
}

func contains(list, s string) bool { return slices.Contains(strings.Split(list, ","), s) }
