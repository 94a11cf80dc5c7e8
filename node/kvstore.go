package node

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/cometbft/cometbft/abci/example/kvstore"
	cmtcfg "github.com/cometbft/cometbft/config"
	cmtflags "github.com/cometbft/cometbft/libs/cli/flags"
	cmtlog "github.com/cometbft/cometbft/libs/log"
	nm "github.com/cometbft/cometbft/node"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/proxy"

	"emergence/api"
)

// KVStore is a running CometBFT node with CometBFT's own kvstore example
// application: the reference the transfers benchmark measures Emergence
// against.
type KVStore struct {
	// RPCAddr is its JSON-RPC address (host:port).
	RPCAddr string
	cmt     *nm.Node
	log     io.Closer
}

// StartKVStore starts, in home, the node that `cometbft start
// --proxy_app=kvstore` runs (CometBFT's kvstore example over an in-memory
// database, through a local ABCI client), under the CometBFT configuration
// Start gives an Emergence node with home's settings: the same block time,
// mempool size, cache and recheck, and p2p settings. Its JSON-RPC listens
// on the settings' RPCAddr, which must be set. CometBFT's log goes to
// logw, or logs/cometbft.log in home when logw is nil.
func StartKVStore(ctx context.Context, home string, logw io.Writer) (*KVStore, error) {
	s, err := LoadSettings(home)
	if err != nil {
		return nil, err
	}
	if s.RPCAddr == "" {
		return nil, fmt.Errorf("kvstore node: %s has no rpc_addr in config/emergence.json", home)
	}
	c := cometConfig(home, s)
	// Its JSON-RPC takes as many calls per batch request as the API's
	// POST /v1/txs/batch takes txs (CometBFT's default is 10), so that the
	// benchmark loads both nodes with requests of the same size.
	c.RPC.MaxRequestBatchSize = api.MaxBatchTxs
	k := &KVStore{RPCAddr: s.RPCAddr}
	if logw == nil {
		if err := os.MkdirAll(filepath.Join(home, "logs"), 0o700); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(filepath.Join(home, "logs", "cometbft.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return nil, err
		}
		k.log, logw = f, f
	}
	fail := func(err error) (*KVStore, error) {
		if k.log != nil {
			k.log.Close()
		}
		return nil, err
	}
	logger, err := cmtflags.ParseLogLevel(c.LogLevel, cmtlog.NewTMLogger(cmtlog.NewSyncWriter(logw)), cmtcfg.DefaultLogLevel)
	if err != nil {
		return fail(err)
	}
	pv, err := privval.LoadOrGenFilePV(c.PrivValidatorKeyFile(), c.PrivValidatorStateFile(), nil)
	if err != nil {
		return fail(fmt.Errorf("validator key: %w", err))
	}
	nk, err := p2p.LoadOrGenNodeKey(c.NodeKeyFile())
	if err != nil {
		return fail(fmt.Errorf("node key: %w", err))
	}
	cmt, err := nm.NewNode(ctx, c, pv, nk, proxy.NewLocalClientCreator(kvstore.NewInMemoryApplication()),
		nm.DefaultGenesisDocProviderFunc(c), cmtcfg.DefaultDBProvider, metricsProvider(), logger)
	if err != nil {
		return fail(fmt.Errorf("start kvstore node: %w", err))
	}
	if err := cmt.Start(); err != nil {
		return fail(fmt.Errorf("start kvstore node: %w", err))
	}
	k.cmt = cmt
	return k, nil
}

// Stop stops the kvstore node.
func (k *KVStore) Stop() error {
	var err error
	if k.cmt.IsRunning() {
		err = k.cmt.Stop()
		k.cmt.Wait()
	}
	if k.log != nil {
		k.log.Close()
	}
	return err
}
