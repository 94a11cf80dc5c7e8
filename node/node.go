package node

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	cmtcfg "github.com/cometbft/cometbft/config"
	cmtflags "github.com/cometbft/cometbft/libs/cli/flags"
	cmtlog "github.com/cometbft/cometbft/libs/log"
	mempl "github.com/cometbft/cometbft/mempool"
	nm "github.com/cometbft/cometbft/node"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/proxy"
	cmttypes "github.com/cometbft/cometbft/types"

	"emergence/abciapp"
	"emergence/api"
	"emergence/app"
	"emergence/store/pebblestore"
	"emergence/tx"
)

// Node is a running Emergence node.
type Node struct {
	Home     string
	Settings Settings

	app   *abciapp.App
	store *pebblestore.Store
	cmt   *nm.Node
	hub   *Hub
	log   io.Closer

	notFound map[codeKey]bool // result codes the API answers 404
}

// Options configure Start.
type Options struct {
	// Modules in the order their genesis and end-of-block work run
	// (package chain composes them).
	Modules []app.Module
	// Fees collects transaction fees (the bank); required.
	Fees app.FeeCollector
	// NotFound lists the result codes that mean "no such object" to the
	// API (404); app.CodeNotFound always does.
	NotFound []app.Code
	// LogWriter receives CometBFT's log; nil writes logs/cometbft.log in home.
	LogWriter io.Writer
	// Logf logs node-level faults of the app.
	Logf func(format string, args ...any)
}

// Start opens the app state and starts CometBFT. The ABCI handshake (replay
// of blocks the app has not committed) happens before Start returns.
func Start(ctx context.Context, home string, opts Options) (*Node, error) {
	s, err := LoadSettings(home)
	if err != nil {
		return nil, err
	}
	if len(opts.Modules) == 0 {
		return nil, errors.New("node: no modules")
	}
	if opts.Fees == nil {
		return nil, errors.New("node: no fee collector: set Options.Fees (chain.New().Fees())")
	}
	c := cometConfig(home, s)
	w := opts.LogWriter
	var logFile *os.File
	if w == nil {
		if err := os.MkdirAll(filepath.Join(home, "logs"), 0o700); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(filepath.Join(home, "logs", "cometbft.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return nil, err
		}
		logFile, w = f, f
	}
	logger, err := cmtflags.ParseLogLevel(c.LogLevel, cmtlog.NewTMLogger(cmtlog.NewSyncWriter(w)), cmtcfg.DefaultLogLevel)
	if err != nil {
		if logFile != nil {
			logFile.Close()
		}
		return nil, err
	}
	// Pebble's own messages go to the same log: its routine ones (WAL
	// replay on a normal restart, compactions) at debug level, where they
	// cannot be mistaken for corruption, its errors at error level.
	plog := pebbleLog{logger.With("module", "pebble")}
	st, err := pebblestore.OpenLogged(filepath.Join(home, "data", "app"), plog)
	if err != nil {
		if logFile != nil {
			logFile.Close()
		}
		return nil, err
	}
	n := &Node{Home: home, Settings: s, store: st, hub: NewHub(), notFound: map[codeKey]bool{keyOf(app.CodeNotFound): true}}
	if logFile != nil {
		n.log = logFile
	}
	for _, c := range opts.NotFound {
		n.notFound[keyOf(c)] = true
	}
	a, err := abciapp.New(st, abciapp.Options{Fees: opts.Fees, Logf: opts.Logf}, opts.Modules...)
	if err != nil {
		n.closeLocal()
		return nil, err
	}
	a.OnCommit = n.hub.publish
	n.app = a

	pv, err := privval.LoadOrGenFilePV(c.PrivValidatorKeyFile(), c.PrivValidatorStateFile(), nil)
	if err != nil {
		n.closeLocal()
		return nil, fmt.Errorf("validator key: %w", err)
	}
	nk, err := p2p.LoadOrGenNodeKey(c.NodeKeyFile())
	if err != nil {
		n.closeLocal()
		return nil, fmt.Errorf("node key: %w", err)
	}
	cmt, err := nm.NewNode(ctx, c, pv, nk,
		// Consensus and mempool connections get separate locks, so CheckTx
		// runs while a block executes; the app guards its mempool state itself.
		proxy.NewConnSyncLocalClientCreator(a),
		nm.DefaultGenesisDocProviderFunc(c), dbProvider(plog), metricsProvider(), logger)
	if err != nil {
		n.closeLocal()
		return nil, fmt.Errorf("start consensus: %w", err)
	}
	if err := cmt.Start(); err != nil {
		n.closeLocal()
		return nil, fmt.Errorf("start consensus: %w", err)
	}
	n.cmt = cmt
	return n, nil
}

func (n *Node) closeLocal() {
	n.store.Close()
	if n.log != nil {
		n.log.Close()
	}
}

// Stop stops consensus and closes the stores.
func (n *Node) Stop() error {
	var err error
	if n.cmt != nil && n.cmt.IsRunning() {
		err = n.cmt.Stop()
		n.cmt.Wait()
	}
	n.hub.close()
	n.app.Close()
	if cerr := n.store.Close(); err == nil {
		err = cerr
	}
	if n.log != nil {
		n.log.Close()
	}
	return err
}

// App returns the application.
func (n *Node) App() *abciapp.App { return n.app }

// Hub returns the commit hub (block and tx notifications).
func (n *Node) Hub() *Hub { return n.hub }

// Status returns the node's status.
func (n *Node) Status() api.Status {
	h, ah := n.app.LastCommit()
	st := api.Status{
		ChainID:    n.Settings.ChainID,
		Moniker:    n.Settings.Moniker,
		NodeID:     string(n.cmt.NodeInfo().ID()),
		Height:     h,
		AppHash:    fmt.Sprintf("%X", ah),
		CatchingUp: n.cmt.ConsensusReactor().WaitSync(),
		Peers:      n.cmt.Switch().Peers().Size(),
	}
	if meta := n.cmt.BlockStore().LoadBlockMeta(h); meta != nil {
		st.BlockTime = meta.Header.Time.UTC().Format(time.RFC3339Nano)
	}
	if pub, err := n.cmt.PrivValidator().GetPubKey(); err == nil {
		st.Validator = pub.Address().String()
	}
	return st
}

// ErrNoBlock is returned for heights the node does not have (it is an
// api.ErrNotFound).
var ErrNoBlock = api.Mark(api.ErrNotFound, errors.New("no block at that height"))

// Block returns a committed block; height 0 means the latest.
func (n *Node) Block(height int64) (*api.Block, error) {
	bs := n.cmt.BlockStore()
	if height == 0 {
		height = bs.Height()
	}
	if height < bs.Base() || height > bs.Height() || height <= 0 {
		return nil, fmt.Errorf("%w: %d (node has %d to %d)", ErrNoBlock, height, bs.Base(), bs.Height())
	}
	b, _ := bs.LoadBlock(height)
	if b == nil {
		return nil, fmt.Errorf("%w: %d", ErrNoBlock, height)
	}
	out := &api.Block{
		Height:   b.Height,
		Hash:     b.Hash().String(),
		Time:     b.Time,
		Proposer: b.ProposerAddress.String(),
		NumTxs:   len(b.Txs),
		TxHashes: make([]string, len(b.Txs)),
		Header:   api.BlockHeads{LastBlockHash: b.LastBlockID.Hash.String(), AppHash: b.AppHash.String()},
	}
	for i, t := range b.Txs {
		out.TxHashes[i] = tx.HashHex(t)
	}
	// The app hash after block H is in header H+1, and in the app's index.
	if ev, err := n.app.BlockEvents(height); err == nil {
		out.AppHash = ev.AppHash
		out.Events = wireEvents(ev.Events)
	} else if next := bs.LoadBlockMeta(height + 1); next != nil {
		out.AppHash = next.Header.AppHash.String()
	}
	return out, nil
}

// BlockByHash returns the committed block with a hash.
func (n *Node) BlockByHash(hash []byte) (*api.Block, error) {
	meta := n.cmt.BlockStore().LoadBlockMetaByHash(hash)
	if meta == nil {
		return nil, fmt.Errorf("%w: no block with hash %X", ErrNoBlock, hash)
	}
	return n.Block(meta.Header.Height)
}

// Submission errors: the API's, which map them to HTTP statuses.
var (
	// ErrMempoolFull: the node is at capacity; retry later.
	ErrMempoolFull = api.ErrMempoolFull
	// ErrDuplicateTx: the tx is already in the mempool (or was just seen).
	ErrDuplicateTx = api.ErrDuplicateTx
)

// Submit runs CheckTx through the mempool and returns its result. A tx that
// passes is gossiped and will be included in a block.
func (n *Node) Submit(raw []byte) (api.CheckResult, error) {
	res := api.CheckResult{Hash: tx.HashString(n.app.PreVerify(raw))}
	rr, err := n.cmt.Mempool().CheckTx(cmttypes.Tx(raw), "")
	if err != nil {
		var full mempl.ErrMempoolIsFull
		var tooLarge mempl.ErrTxTooLarge
		switch {
		case errors.As(err, &full):
			return res, fmt.Errorf("%w: %v", ErrMempoolFull, err)
		case errors.Is(err, mempl.ErrTxInCache):
			return res, ErrDuplicateTx
		case errors.As(err, &tooLarge):
			c := app.CodeTxTooLarge
			res.Code, res.Codespace, res.Log = c.Num, c.Space, err.Error()
			return res, nil
		}
		return res, fmt.Errorf("check tx: %w", err)
	}
	rr.Wait()
	// The mempool reports a rejected tx as an error on the request too; the
	// ABCI response, when there is one, is the authoritative result.
	r := rr.Response.GetCheckTx()
	if r == nil {
		return res, fmt.Errorf("check tx: %w", rr.Error())
	}
	res.Code, res.Codespace, res.Log = r.Code, r.Codespace, r.Log
	return res, nil
}

// PreVerifyBatch checks the signatures of txs about to be submitted
// together (see abciapp.App.PreVerifyBatch); Submit then skips the work.
func (n *Node) PreVerifyBatch(raws [][]byte) { n.app.PreVerifyBatch(raws) }

// BroadcastCommit submits a tx and waits until it is committed (or fails
// CheckTx, or ctx ends). It returns the committed result.
func (n *Node) BroadcastCommit(ctx context.Context, raw []byte) (*api.TxResult, error) {
	h := tx.Hash(raw)
	w := n.hub.waitTx(h)
	defer n.hub.cancelTx(h, w)
	cr, err := n.Submit(raw)
	if errors.Is(err, ErrDuplicateTx) {
		// Already in flight (or committed): wait for it like the first submitter.
		if r, err := n.Tx(h); err == nil {
			return r, nil
		}
		err = nil
	}
	if err != nil {
		return nil, err
	}
	if cr.Code != 0 {
		return &api.TxResult{Hash: cr.Hash, Code: cr.Code, Codespace: cr.Codespace, Log: cr.Log}, nil
	}
	select {
	case r := <-w:
		return &r, nil
	case <-ctx.Done():
		if r, err := n.Tx(h); err == nil {
			return r, nil
		}
		return nil, fmt.Errorf("waiting for commit of %X: %w", h, ctx.Err())
	}
}

// Codes returns every result code the node's app can return.
func (n *Node) Codes() []api.CodeInfo {
	cs := n.app.Codes()
	out := make([]api.CodeInfo, len(cs))
	for i, c := range cs {
		out[i] = api.CodeInfo{Codespace: c.Space, Code: c.Num, Description: c.Desc}
	}
	return out
}

// Simulate runs a tx against the mempool's state without keeping anything
// (see abciapp.App.Simulate).
func (n *Node) Simulate(raw []byte) (*api.TxResult, error) {
	r, err := n.app.Simulate(raw)
	if err != nil {
		return nil, err
	}
	w := wireTxResult(r)
	return &w, nil
}

// Tx returns a committed tx's result by hash.
func (n *Node) Tx(hash [32]byte) (*api.TxResult, error) {
	r, err := n.app.TxResult(hash)
	if err != nil {
		return nil, n.markAppError(err)
	}
	w := wireTxResult(*r)
	w.Body = n.txBody(r.Height, r.Index)
	return &w, nil
}

// AccountTxs returns the txs naming addr, newest first, from the app's
// account history index (see abciapp.App.AccountTxs).
func (n *Node) AccountTxs(addr tx.Address, height int64, index int, limit int) ([]api.AccountTx, error) {
	recs, err := n.app.AccountTxs(addr, height, index, limit)
	if err != nil {
		return nil, err
	}
	out := make([]api.AccountTx, len(recs))
	for i, r := range recs {
		out[i] = api.AccountTx{Hash: r.Hash, Height: r.Height, Index: r.Index, Code: r.Code, Codespace: r.Codespace, Role: r.Role, Msgs: r.Msgs}
	}
	return out, nil
}

// BlockTxs returns the results of a block's txs from offset (at most
// limit), each with its decoded body, and the block's number of txs.
func (n *Node) BlockTxs(height int64, offset, limit int) ([]api.TxResult, int, error) {
	bs := n.cmt.BlockStore()
	if height < bs.Base() || height > bs.Height() {
		return nil, 0, fmt.Errorf("%w: %d (node has %d to %d)", ErrNoBlock, height, bs.Base(), bs.Height())
	}
	b, _ := bs.LoadBlock(height)
	if b == nil {
		return nil, 0, fmt.Errorf("%w: %d", ErrNoBlock, height)
	}
	out := []api.TxResult{}
	for i := offset; i < len(b.Txs) && len(out) < limit; i++ {
		r, err := n.app.TxResult(tx.Hash(b.Txs[i]))
		if err != nil {
			return nil, 0, n.markAppError(err)
		}
		w := wireTxResult(*r)
		if t, err := tx.Decode(b.Txs[i]); err == nil {
			w.Body = &t.Body
		}
		out = append(out, w)
	}
	return out, len(b.Txs), nil
}

// txBody decodes the signed body of the tx at height and index in the
// block store, or returns nil when the block is gone (pruned) or the bytes
// do not decode (a tx that failed decoding has a result but no body).
func (n *Node) txBody(height int64, index int) *tx.Body {
	b, _ := n.cmt.BlockStore().LoadBlock(height)
	if b == nil || index < 0 || index >= len(b.Txs) {
		return nil
	}
	t, err := tx.Decode(b.Txs[index])
	if err != nil {
		return nil
	}
	return &t.Body
}

// Query answers a module query on committed state.
func (n *Node) Query(path string, params map[string][]string) (any, error) {
	v, err := n.app.QueryModule(path, params)
	if err != nil {
		return nil, n.markAppError(err)
	}
	return v, nil
}

// Subscribe streams committed blocks (see Hub.Subscribe).
func (n *Node) Subscribe(buffer int) (<-chan api.BlockResult, func()) {
	return n.hub.Subscribe(buffer)
}

// Hub fans committed blocks out to waiters and streams.
type Hub struct {
	mu      sync.Mutex
	waiters map[[32]byte]chan api.TxResult
	subs    map[chan api.BlockResult]struct{}
	closed  bool
}

// NewHub returns an empty hub.
func NewHub() *Hub {
	return &Hub{waiters: make(map[[32]byte]chan api.TxResult), subs: make(map[chan api.BlockResult]struct{})}
}

func (h *Hub) waitTx(hash [32]byte) chan api.TxResult {
	ch := make(chan api.TxResult, 1)
	h.mu.Lock()
	h.waiters[hash] = ch
	h.mu.Unlock()
	return ch
}

func (h *Hub) cancelTx(hash [32]byte, ch chan api.TxResult) {
	h.mu.Lock()
	if h.waiters[hash] == ch {
		delete(h.waiters, hash)
	}
	h.mu.Unlock()
}

// Subscribe returns a channel of committed blocks. Slow subscribers miss
// blocks rather than stall consensus. Call the returned func to unsubscribe.
func (h *Hub) Subscribe(buffer int) (<-chan api.BlockResult, func()) {
	ch := make(chan api.BlockResult, buffer)
	h.mu.Lock()
	if h.closed {
		close(ch)
	} else {
		h.subs[ch] = struct{}{}
	}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		if _, ok := h.subs[ch]; ok {
			delete(h.subs, ch)
			close(ch)
		}
		h.mu.Unlock()
	}
}

func (h *Hub) publish(ab app.BlockResult) {
	b := wireBlockResult(ab)
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range b.Txs {
		raw, _ := hex.DecodeString(r.Hash)
		var k [32]byte
		copy(k[:], raw)
		if ch, ok := h.waiters[k]; ok {
			ch <- r
			delete(h.waiters, k)
		}
	}
	for ch := range h.subs {
		select {
		case ch <- b:
		default:
		}
	}
	blocksCommitted.Inc()
	txsCommitted.Add(float64(len(b.Txs)))
	height.Set(float64(b.Height))
}

func (h *Hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for ch := range h.subs {
		close(ch)
		delete(h.subs, ch)
	}
}

// dbProvider opens CometBFT's own databases (blocks, state, evidence, tx
// index) as CometBFT's default provider does, except that a Pebble backend
// logs through log, as the app's store does. CometBFT's default opens Pebble
// with its default logger, which prints the write-ahead log replay of every
// normal restart ("WAL ... stopped reading at offset") to stderr, where it
// reads like corruption.
func dbProvider(log pebblestore.Logger) cmtcfg.DBProvider {
	return func(ctx *cmtcfg.DBContext) (dbm.DB, error) {
		if dbm.BackendType(ctx.Config.DBBackend) != dbm.PebbleDBBackend {
			return cmtcfg.DefaultDBProvider(ctx)
		}
		return dbm.NewPebbleDBWithOpts(ctx.ID, ctx.Config.DBDir(), pebblestore.LoggedOptions(log))
	}
}

// pebbleLog writes Pebble's messages to the node's log.
type pebbleLog struct{ l cmtlog.Logger }

func (p pebbleLog) Debugf(format string, args ...any) { p.l.Debug(fmt.Sprintf(format, args...)) }
func (p pebbleLog) Errorf(format string, args ...any) { p.l.Error(fmt.Sprintf(format, args...)) }
