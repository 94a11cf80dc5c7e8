package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/types"
	cmttime "github.com/cometbft/cometbft/types/time"

	"emergence/app"
)

// Settings are a node's own settings, kept in config/emergence.json.
type Settings struct {
	ChainID         string   `json:"chain_id"`
	Moniker         string   `json:"moniker"`
	APIAddr         string   `json:"api_addr"`
	P2PAddr         string   `json:"p2p_addr"`
	RPCAddr         string   `json:"rpc_addr,omitempty"`
	PersistentPeers string   `json:"persistent_peers,omitempty"`
	BlockTime       Duration `json:"block_time"`
	BlobMaxBytes    int64    `json:"blob_max_bytes"`
	MempoolSize     int      `json:"mempool_size"`
	// BlobStore names where the node keeps blobs, as start's --blob-store takes it ("" for
	// the directory blobs/ in the home); the flag, when given, overrides it.
	BlobStore string `json:"blob_store,omitempty"`
}

// Duration is a time.Duration written as text ("500ms") in JSON.
type Duration time.Duration

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	x, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(x)
	return nil
}

// ErrNoHome is returned when a home directory has not been initialised.
var ErrNoHome = errors.New("node home not initialised")

func settingsPath(home string) string { return filepath.Join(home, "config", "emergence.json") }

// Initialized reports whether home holds an initialised node.
func Initialized(home string) bool {
	_, err := os.Stat(settingsPath(home))
	return err == nil
}

// LoadSettings reads config/emergence.json.
func LoadSettings(home string) (Settings, error) {
	var s Settings
	raw, err := os.ReadFile(settingsPath(home))
	if errors.Is(err, os.ErrNotExist) {
		return s, fmt.Errorf("%w: %s has no config/emergence.json", ErrNoHome, home)
	}
	if err != nil {
		return s, fmt.Errorf("read settings: %w", err)
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return s, fmt.Errorf("parse %s: %w", settingsPath(home), err)
	}
	return s, nil
}

// SaveSettings writes config/emergence.json.
func SaveSettings(home string, s Settings) error {
	if err := os.MkdirAll(filepath.Join(home, "config"), 0o700); err != nil {
		return err
	}
	raw, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(settingsPath(home), append(raw, '\n'), 0o600)
}

// SetBlockTime changes the target time between blocks of an initialised
// home (a node resumed with a new block time), keeping its other settings.
func SetBlockTime(home string, d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("block time %s: must be positive", d)
	}
	s, err := LoadSettings(home)
	if err != nil {
		return err
	}
	s.BlockTime = Duration(d)
	return SaveSettings(home, s)
}

func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, perm); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// DefaultSettings returns settings for a single node on loopback.
func DefaultSettings(chainID string) Settings {
	return Settings{
		ChainID:      chainID,
		Moniker:      "node0",
		APIAddr:      "127.0.0.1:8545",
		P2PAddr:      "127.0.0.1:26656",
		BlockTime:    Duration(time.Second),
		BlobMaxBytes: 64 << 20,
		MempoolSize:  50_000,
	}
}

// FreePort returns a loopback address with a port that was free a moment ago.
func FreePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// cometConfig builds CometBFT's config for home from the node's settings.
func cometConfig(home string, s Settings) *cmtcfg.Config {
	c := cmtcfg.DefaultConfig()
	c.SetRoot(home)
	c.Moniker = s.Moniker
	c.P2P.ListenAddress = "tcp://" + s.P2PAddr
	c.P2P.PersistentPeers = s.PersistentPeers
	c.P2P.AllowDuplicateIP = true
	c.P2P.AddrBookStrict = false
	c.P2P.PexReactor = false
	c.P2P.FlushThrottleTimeout = 10 * time.Millisecond
	c.RPC.ListenAddress = ""
	if s.RPCAddr != "" {
		c.RPC.ListenAddress = "tcp://" + s.RPCAddr
	}
	c.GRPC.ListenAddress = ""
	c.Consensus.TimeoutCommit = time.Duration(s.BlockTime)
	// CometBFT's default. A proposer reaps its mempool only after the
	// last block's recheck has released it, so at load a full block's
	// proposal (10,000 transfers) took 0.5-0.9 s to be ready and past the
	// 1 s this was, the round was lost: a nil prevote and 1.3 s more.
	c.Consensus.TimeoutPropose = 3 * time.Second
	c.Consensus.PeerGossipSleepDuration = 10 * time.Millisecond
	c.Mempool.Size = s.MempoolSize
	c.Mempool.CacheSize = 2 * s.MempoolSize
	c.Mempool.MaxTxsBytes = 1 << 30
	c.Mempool.MaxTxBytes = 1 << 20
	c.TxIndex.Indexer = "null"
	c.Instrumentation.Prometheus = false
	c.LogLevel = "info"
	return c
}

// Validator is one genesis validator: its consensus public key and power,
// and the reward account the bank module pays.
type Validator struct {
	Home  string
	PV    *privval.FilePV
	Power int64
}

// GenValidatorKeys creates (or loads) the consensus and node keys in home.
func GenValidatorKeys(home string) (*privval.FilePV, *p2p.NodeKey, error) {
	for _, d := range []string{"config", "data"} {
		if err := os.MkdirAll(filepath.Join(home, d), 0o700); err != nil {
			return nil, nil, err
		}
	}
	c := cmtcfg.DefaultConfig()
	c.SetRoot(home)
	pv, err := privval.LoadOrGenFilePV(c.PrivValidatorKeyFile(), c.PrivValidatorStateFile(), nil)
	if err != nil {
		return nil, nil, fmt.Errorf("validator key: %w", err)
	}
	nk, err := p2p.LoadOrGenNodeKey(c.NodeKeyFile())
	if err != nil {
		return nil, nil, fmt.Errorf("node key: %w", err)
	}
	return pv, nk, nil
}

// MaxBlockGas is the block gas limit in genesis: at the gas benchmark's
// target of at most 20 ns per gas unit (emergence bench gas) a full block
// executes in at most one second. It equals the app's default max_tx_gas,
// so every valid transaction fits a block.
const MaxBlockGas = 50_000_000

// GenesisParams are the CometBFT consensus parameters Emergence uses:
// 16 MiB blocks and MaxBlockGas (proposers take transactions from the
// mempool up to it, by their gas limits).
func GenesisParams() *types.ConsensusParams {
	p := types.DefaultConsensusParams()
	p.Block.MaxBytes = 16 << 20
	p.Block.MaxGas = MaxBlockGas
	return p
}

// WriteGenesis writes one genesis.json to each home.
func WriteGenesis(chainID string, vals []Validator, appState app.Genesis, homes ...string) error {
	doc := types.GenesisDoc{
		ChainID:         chainID,
		GenesisTime:     cmttime.Now(),
		ConsensusParams: GenesisParams(),
	}
	for _, v := range vals {
		pub, err := v.PV.GetPubKey()
		if err != nil {
			return err
		}
		doc.Validators = append(doc.Validators, types.GenesisValidator{Address: pub.Address(), PubKey: pub, Power: v.Power, Name: filepath.Base(v.Home)})
	}
	raw, err := json.Marshal(appState)
	if err != nil {
		return fmt.Errorf("encode app state: %w", err)
	}
	doc.AppState = raw
	if err := doc.ValidateAndComplete(); err != nil {
		return fmt.Errorf("genesis: %w", err)
	}
	for _, h := range homes {
		c := cmtcfg.DefaultConfig()
		c.SetRoot(h)
		if err := doc.SaveAs(c.GenesisFile()); err != nil {
			return fmt.Errorf("write genesis: %w", err)
		}
	}
	return nil
}

// ConsensusAddress returns the hex consensus address of a validator key.
func ConsensusAddress(pv *privval.FilePV) (string, error) {
	pub, err := pv.GetPubKey()
	if err != nil {
		return "", err
	}
	return pub.Address().String(), nil
}
