package abciapp

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"emergence/app"
	"emergence/store"
	"emergence/store/pebblestore"
	"emergence/tx"
)

// Version of the application protocol, reported in Info.
const Version uint64 = 1

// App is the ABCI application.
type App struct {
	abci.BaseApplication

	store   *pebblestore.Store
	modules []app.Module
	byName  map[string]app.Module
	msgs    map[string]app.MsgHandler
	fees    app.FeeCollector
	logf    func(format string, args ...any)

	// Set by InitChain or loaded from state.
	chainID string
	// maxBlockGas is genesis' block gas limit (0: none), see config.
	maxBlockGas int64
	params      app.Params

	// Last commit: written by InitChain and Commit (consensus connection),
	// read by CheckTx, queries and the API; see setLast and LastCommit.
	last atomic.Pointer[lastCommit]

	// Block in progress (consensus connection only).
	pending *pendingBlock

	// Mempool view: committed state plus accepted transactions, and the
	// message-check failures since the last commit (see MempoolLimits).
	checkMu    sync.Mutex
	checkErr   error
	checkState *store.Cache
	checkFails map[tx.Address]int
	freeFails  int
	// committedView reads the committed state for CheckTx and keeps what
	// it read until the next commit, since every CheckTx of an account
	// reads its committed nonce (a Pebble read each, before).
	committedView *store.Cache
	// txView is the scope of one CheckTx over checkState, flushed into it
	// or reset after each tx: one cache for all, not one each.
	txView *store.Cache
	limits MempoolLimits

	// pre holds txs whose signature PreVerify checked, until their CheckTx;
	// seen holds the txs CheckTx accepted, for rechecks and FinalizeBlock.
	// Both are bounded by bytes; a tx CheckTx refuses is in neither.
	pre  *txCache
	seen *txCache

	// proposal is the last proposal ProcessProposal decoded, reused by
	// FinalizeBlock for the same block (consensus connection only).
	proposal *decodedBlock
	// prepared is the block PrepareProposal last built, whose ante checks
	// ProcessProposal need not run again (consensus connection only).
	prepared *preparedBlock

	// batcher verifies the signatures of concurrently submitted txs in
	// batches; started by the first PreVerify, stopped by Close.
	batcherOnce sync.Once
	batcher     *tx.Batcher

	// OnCommit, when set, is called after each Commit with the block's results.
	OnCommit func(app.BlockResult)
}

type lastCommit struct {
	height  int64
	appHash []byte
}

func (a *App) setLast(h int64, ah []byte) { a.last.Store(&lastCommit{height: h, appHash: ah}) }

type pendingBlock struct {
	height  int64
	time    time.Time
	cache   *store.Cache
	err     error
	appHash []byte
	result  app.BlockResult
	history []store.Write // account history index records (history.go)
}

var _ abci.Application = (*App)(nil)

// Options configure New.
type Options struct {
	// Fees collects transaction fees; required.
	Fees app.FeeCollector
	// Logf logs node-level faults; nil discards.
	Logf func(format string, args ...any)
	// Mempool bounds the node's work on unpaid transactions; zero fields
	// take DefaultMempoolLimits.
	Mempool MempoolLimits
}

// MempoolLimits bound what a node spends on transactions before anyone has
// paid for them: memory for verified signatures, mempool room per account,
// and proof checks that fail. They are node settings, not consensus rules:
// nodes may differ, and none of them affects a block's result.
type MempoolLimits struct {
	// CacheBytes bounds the verified-signature cache of mempool txs (the
	// sum of their encodings). Evicted txs are verified again in the block.
	CacheBytes int
	// MaxPendingPerSender is how many txs one account may have in the
	// mempool at once.
	MaxPendingPerSender uint64
	// MaxCheckFailsPerSender is how many message checks (proof
	// verification) of one account's txs may fail between two commits;
	// after that its txs with message checks are refused until the next
	// block.
	MaxCheckFailsPerSender int
	// MaxFreeCheckFails is how many message checks of self-funded txs,
	// which pay no fee up front, may fail between two commits over all
	// accounts; after that self-funded txs are refused until the next block.
	MaxFreeCheckFails int
}

// DefaultMempoolLimits: 64 MiB of cached txs, 256 pending txs per account,
// 4 failed message checks per account and 64 failed self-funded checks per
// block (64 failed UBI claims cost about 0.12 s of one core).
func DefaultMempoolLimits() MempoolLimits {
	return MempoolLimits{CacheBytes: 64 << 20, MaxPendingPerSender: 256, MaxCheckFailsPerSender: 4, MaxFreeCheckFails: 64}
}

func (l MempoolLimits) withDefaults() MempoolLimits {
	d := DefaultMempoolLimits()
	if l.CacheBytes <= 0 {
		l.CacheBytes = d.CacheBytes
	}
	if l.MaxPendingPerSender == 0 {
		l.MaxPendingPerSender = d.MaxPendingPerSender
	}
	if l.MaxCheckFailsPerSender <= 0 {
		l.MaxCheckFailsPerSender = d.MaxCheckFailsPerSender
	}
	if l.MaxFreeCheckFails <= 0 {
		l.MaxFreeCheckFails = d.MaxFreeCheckFails
	}
	return l
}

// preCacheBytes bounds PreVerify's results awaiting their CheckTx (which
// follows at once), so signature-valid txs that never pass cannot pile up.
const preCacheBytes = 16 << 20

// New returns an app over an open store with the given modules, in the
// order their genesis and end-of-block work run.
func New(st *pebblestore.Store, opts Options, modules ...app.Module) (*App, error) {
	if opts.Fees == nil {
		return nil, errors.New("app: a fee collector is required")
	}
	a := &App{
		store:  st,
		byName: make(map[string]app.Module),
		msgs:   make(map[string]app.MsgHandler),
		fees:   opts.Fees,
		logf:   opts.Logf,
		limits: opts.Mempool.withDefaults(),
	}
	a.pre = newTxCache(preCacheBytes)
	a.seen = newTxCache(a.limits.CacheBytes)
	if a.logf == nil {
		a.logf = func(string, ...any) {}
	}
	for _, m := range modules {
		if _, dup := a.byName[m.Name()]; dup || m.Name() == app.Space {
			return nil, fmt.Errorf("app: duplicate module name %q", m.Name())
		}
		if err := checkCodes(m.Name(), m.Codes()); err != nil {
			return nil, fmt.Errorf("app: module %s: %w", m.Name(), err)
		}
		a.byName[m.Name()] = m
		a.modules = append(a.modules, m)
		for _, h := range m.Msgs() {
			if _, dup := a.msgs[h.Type]; dup {
				return nil, fmt.Errorf("app: message kind %q registered twice", h.Type)
			}
			a.msgs[h.Type] = h
		}
	}
	h, ah, err := st.LastCommit()
	if err != nil {
		return nil, err
	}
	a.setLast(h, ah)
	if err := a.loadConfig(); err != nil {
		return nil, err
	}
	a.resetCheckState()
	return a, nil
}

// Codes returns every result code: the app's, then each module's.
func (a *App) Codes() []app.Code {
	out := app.Codes()
	for _, m := range a.modules {
		out = append(out, m.Codes()...)
	}
	return out
}

// Module returns a registered module by name.
func (a *App) Module(name string) (app.Module, bool) {
	m, ok := a.byName[name]
	return m, ok
}

// Modules returns the registered modules in order.
func (a *App) Modules() []app.Module { return a.modules }

// Store returns the committed state store.
func (a *App) Store() *pebblestore.Store { return a.store }

// ChainID returns the chain id from genesis ("" before InitChain).
func (a *App) ChainID() string { return a.chainID }

// Params returns the app's consensus parameters.
func (a *App) Params() app.Params { return a.params }

var keyConfig = []byte("app/config")

type config struct {
	ChainID string     `json:"chain_id"`
	Params  app.Params `json:"params"`
	// MaxBlockGas is the consensus params' block gas limit from genesis
	// (0: none). ProcessProposal refuses blocks whose transactions' gas
	// limits add up to more.
	MaxBlockGas int64 `json:"max_block_gas,omitempty"`
}

func (a *App) loadConfig() error {
	var rerr error
	raw := a.store.Committed(&rerr).Get(keyConfig)
	if rerr != nil {
		return rerr
	}
	if raw == nil {
		a.params = app.DefaultParams()
		return nil
	}
	var c config
	if err := json.Unmarshal(raw, &c); err != nil {
		return fmt.Errorf("corrupt app config: %w", err)
	}
	a.chainID, a.params, a.maxBlockGas = c.ChainID, c.Params, c.MaxBlockGas
	return nil
}

// Info implements abci.Application.
func (a *App) Info(context.Context, *abci.InfoRequest) (*abci.InfoResponse, error) {
	h, ah := a.LastCommit()
	return &abci.InfoResponse{
		Data:             "emergence",
		Version:          "1",
		AppVersion:       Version,
		LastBlockHeight:  h,
		LastBlockAppHash: ah,
	}, nil
}

// InitChain implements abci.Application. It applies genesis and persists it
// at height 0, so the genesis app hash is known on restart.
func (a *App) InitChain(_ context.Context, req *abci.InitChainRequest) (*abci.InitChainResponse, error) {
	var g app.Genesis
	if len(req.AppStateBytes) > 0 {
		dec := json.NewDecoder(bytes.NewReader(req.AppStateBytes))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&g); err != nil {
			return nil, fmt.Errorf("decode genesis app_state: %w", err)
		}
	}
	//determinism:ok any unknown name fails InitChain; order only picks which one the error names
	for name := range g.Modules {
		if _, ok := a.byName[name]; !ok {
			return nil, fmt.Errorf("genesis has a section for unknown module %q", name)
		}
	}
	a.chainID = req.ChainId
	a.maxBlockGas = 0
	if cp := req.ConsensusParams; cp != nil && cp.Block != nil && cp.Block.MaxGas > 0 {
		a.maxBlockGas = cp.Block.MaxGas
	}
	a.params = app.DefaultParams()
	if g.Params != nil {
		a.params = *g.Params
	}
	var rerr error
	cache := store.NewCache(a.store.Committed(&rerr), &rerr)
	cache.Set(keyConfig, app.MustJSON(config{ChainID: a.chainID, Params: a.params, MaxBlockGas: a.maxBlockGas}))
	ctx := &app.Context{KV: cache, ChainID: a.chainID, Height: 0, Time: req.Time}
	for _, m := range a.modules {
		if err := m.InitGenesis(ctx, g.Modules[m.Name()]); err != nil {
			return nil, fmt.Errorf("genesis of module %s: %w", m.Name(), err)
		}
	}
	if rerr != nil {
		return nil, rerr
	}
	writes := cache.Writes()
	ah := store.WriteSetHash(nil, 0, writes)
	if err := a.store.Commit(writes, nil, 0, ah); err != nil {
		return nil, err
	}
	a.setLast(0, ah)
	a.resetCheckState()
	return &abci.InitChainResponse{AppHash: ah}, nil
}

func (a *App) resetCheckState() {
	a.checkMu.Lock()
	a.checkErr = nil
	a.checkState = store.NewCache(a.store.Committed(&a.checkErr), &a.checkErr)
	a.committedView = store.NewCache(a.store.Committed(&a.checkErr), &a.checkErr)
	a.txView = store.NewCache(a.checkState, &a.checkErr)
	a.checkFails = make(map[tx.Address]int)
	a.freeFails = 0
	a.checkMu.Unlock()
}

// CheckTx implements abci.Application. The cheap checks come first: size,
// decoding, chain id, gas limit, message kinds and minimum fee, then the
// signature (once per tx; rechecks skip it), then nonce, per-account mempool
// room and fee balance against the mempool's view of state. Only then do
// message checks (proof verification) run, bounded per account and block by
// MempoolLimits. Only txs that pass everything stay in the signature cache.
func (a *App) CheckTx(_ context.Context, req *abci.CheckTxRequest) (*abci.CheckTxResponse, error) {
	e, err := a.checkedTx(req.Tx)
	if err != nil {
		a.seen.removeRaw(req.Tx)
		return checkResp(err, 0), nil
	}
	t := e.tx
	a.checkMu.Lock()
	defer a.checkMu.Unlock()
	err = a.checkLocked(e.hash, t, len(req.Tx), req.Type == abci.CHECK_TX_TYPE_RECHECK)
	if a.checkErr != nil {
		return nil, fmt.Errorf("check tx: %w", a.checkErr)
	}
	if err != nil {
		a.seen.remove(e.hash)
		return checkResp(err, t.Body.GasLimit), nil
	}
	a.seen.put(e)
	return &abci.CheckTxResponse{Code: 0, GasWanted: int64(t.Body.GasLimit)}, nil
}

// checkLocked runs CheckTx's stateful checks; on success the ante's effects
// (nonce, fee) stay in the mempool view. Message effects are not simulated.
func (a *App) checkLocked(hash [32]byte, t *tx.Tx, size int, recheck bool) error {
	b := &t.Body
	if !recheck {
		if n := a.pendingTxs(b.Signer); n >= a.limits.MaxPendingPerSender {
			return app.CodeSenderBusy.Errorf("account %s has %d txs in the mempool, at most %d; retry after they commit", b.Signer, n, a.limits.MaxPendingPerSender)
		}
	}
	kv := a.txView
	h, _ := a.LastCommit()
	ctx := &app.Context{KV: kv, ChainID: a.chainID, Height: h + 1, Signer: b.Signer, TxHash: hash, Checking: true}
	if _, err := a.ante(ctx, t, size); err != nil {
		kv.Reset()
		return err
	}
	if !recheck {
		if err := a.messageChecks(ctx, t); err != nil {
			kv.Reset()
			return err
		}
	}
	kv.WriteTo(a.checkState)
	return nil
}

// pendingTxs is how many txs of an account the mempool view holds: nonces
// are consecutive, so it is the view's nonce minus the committed one.
func (a *App) pendingTxs(addr tx.Address) uint64 {
	viewed, committed := app.Nonce(a.checkState, addr), app.Nonce(a.committedView, addr)
	if viewed < committed {
		return 0 // a commit is under way; its reset follows
	}
	return viewed - committed
}

// messageChecks runs the message kinds' Check hooks (proof verification),
// after the ante passed. Failures are counted per account, and for
// self-funded txs (no fee paid up front) over all accounts; past the limits
// the hooks do not run until the next commit.
func (a *App) messageChecks(ctx *app.Context, t *tx.Tx) error {
	hooks, selfFunded := false, false
	for _, m := range t.Body.Msgs {
		h := a.msgs[m.Type]
		hooks = hooks || h.Check != nil
		selfFunded = selfFunded || h.SelfFunded
	}
	if !hooks {
		return nil
	}
	signer := t.Body.Signer
	if n := a.checkFails[signer]; n >= a.limits.MaxCheckFailsPerSender {
		return app.CodeSenderBusy.Errorf("%d message checks of account %s failed since the last block; retry after the next block", n, signer)
	}
	if selfFunded && a.freeFails >= a.limits.MaxFreeCheckFails {
		return app.CodeMempoolFull.Errorf("%d self-funded txs failed their checks since the last block; retry after the next block", a.freeFails)
	}
	// Message checks see the ante's effects; what they write is dropped.
	mctx := *ctx
	mctx.KV = store.NewCache(ctx.KV, &a.checkErr)
	for _, m := range t.Body.Msgs {
		h := a.msgs[m.Type]
		if h.Check == nil {
			continue
		}
		if err := safeCall(func() error { return h.Check(&mctx, m.Value) }); err != nil {
			a.checkFails[signer]++
			if selfFunded {
				a.freeFails++
			}
			return err
		}
	}
	return nil
}

func checkResp(err error, gas uint64) *abci.CheckTxResponse {
	c := app.CodeOf(err)
	return &abci.CheckTxResponse{Code: c.Num, Codespace: c.Space, Log: err.Error(), GasWanted: int64(gas)}
}

// PreVerify decodes a transaction, runs the cheap stateless checks and
// verifies its signature outside the mempool's lock, so that CheckTx, which
// the caller runs next, skips the work. Callers that submit many txs
// concurrently (the API, the in-process submitter) call it first to spread
// verification over all cores. Invalid txs are not remembered: CheckTx
// reports them with their code. It returns the tx's hash, from the cache
// when the tx is there.
func (a *App) PreVerify(raw []byte) [32]byte {
	if e, ok := a.seen.get(raw); ok {
		return e.hash
	}
	if e, ok := a.pre.get(raw); ok {
		return e.hash
	}
	h := tx.Hash(raw)
	a.batcherOnce.Do(func() { a.batcher = tx.NewBatcher(runtime.GOMAXPROCS(0)) }) //determinism:ok CheckTx only; the worker count changes speed, not results
	t, err := a.decodeStateless(raw)
	if err != nil {
		return h
	}
	if t.VerifyWith(a.batcher) == nil {
		a.pre.put(newCachedTx(raw, h, t))
	}
	return h
}

// PreVerifyBatch is PreVerify for the txs of one submission at once: their
// signatures go to the verifiers together, so that they are checked in
// batches (about half the cost per signature of one by one) rather than as
// they happen to arrive. The API's batch endpoint calls it before
// submitting the txs one by one.
func (a *App) PreVerifyBatch(raws [][]byte) {
	a.batcherOnce.Do(func() { a.batcher = tx.NewBatcher(runtime.GOMAXPROCS(0)) }) //determinism:ok CheckTx only; the worker count changes speed, not results
	var todo []*cachedTx
	var checks []tx.SigCheck
	for _, raw := range raws {
		if _, ok := a.seen.get(raw); ok {
			continue
		}
		if _, ok := a.pre.get(raw); ok {
			continue
		}
		t, err := a.decodeStateless(raw)
		if err != nil || tx.AddressFromPubKey(t.PubKey) != t.Body.Signer {
			continue // CheckTx reports it with its code
		}
		todo = append(todo, newCachedTx(raw, tx.Hash(raw), t))
		checks = append(checks, tx.SigCheck{Pub: t.PubKey, Msg: t.BodyBytes, Sig: t.Sig})
	}
	for i, ok := range a.batcher.VerifyMany(checks) {
		if ok {
			a.pre.put(todo[i])
		}
	}
}

// Close stops the app's background signature workers.
func (a *App) Close() {
	a.batcherOnce.Do(func() {})
	if a.batcher != nil {
		a.batcher.Close()
	}
}

// CacheStats returns how many verified txs the signature cache holds and
// the bytes they take (twice their encodings: the cache's key and the
// decoded tx).
func (a *App) CacheStats() (txs, bytes int) {
	n1, b1 := a.seen.stats()
	n2, b2 := a.pre.stats()
	return n1 + n2, b1 + b2
}

// checkedTx returns the decoded, signature-checked tx that passed the
// stateless checks, with its hash: from the cache when CheckTx (or
// PreVerify) already checked it.
func (a *App) checkedTx(raw []byte) (*cachedTx, error) {
	if e, ok := a.seen.get(raw); ok {
		return e, nil
	}
	if e, ok := a.pre.take(raw); ok {
		return e, nil
	}
	t, err := a.decodeStateless(raw)
	if err != nil {
		return nil, err
	}
	if err := t.Verify(); err != nil {
		return nil, app.CodeSignature.Errorf("%v", err)
	}
	return newCachedTx(raw, tx.Hash(raw), t), nil
}

// decodeStateless decodes raw and runs the ante checks that need no state.
func (a *App) decodeStateless(raw []byte) (*tx.Tx, error) {
	if uint64(len(raw)) > a.params.MaxTxBytes {
		return nil, app.CodeTxTooLarge.Errorf("%d bytes, at most %d", len(raw), a.params.MaxTxBytes)
	}
	t, err := tx.Decode(raw)
	if err != nil {
		return nil, app.CodeTxDecode.Errorf("%v", err)
	}
	if _, _, err := a.anteStateless(t, len(raw), true); err != nil {
		return nil, err
	}
	return t, nil
}

// ante checks what every transaction must pass before its messages run and
// applies its effects: chain id, gas limit, message kinds, fee, nonce. It
// returns the gas meter with the size and base message gas consumed.
func (a *App) ante(ctx *app.Context, t *tx.Tx, size int) (*app.GasMeter, error) {
	return a.anteFee(ctx, t, size, true)
}

// anteFee is ante; without fees it neither checks nor charges the fee
// (for simulations).
func (a *App) anteFee(ctx *app.Context, t *tx.Tx, size int, fees bool) (*app.GasMeter, error) {
	gas, selfFunded, err := a.anteStateless(t, size, fees)
	if err != nil {
		return nil, err
	}
	b := &t.Body
	nonce := app.Nonce(ctx.KV, b.Signer)
	switch {
	case b.Nonce < nonce:
		return nil, app.CodeNonceTooLow.Errorf("account %s is at nonce %d, tx has %d", b.Signer, nonce, b.Nonce)
	case b.Nonce > nonce:
		return nil, app.CodeNonceTooHigh.Errorf("account %s is at nonce %d, tx has %d", b.Signer, nonce, b.Nonce)
	}
	if fees && !selfFunded && b.Fee > 0 {
		if err := a.fees.ChargeFee(ctx.KV, b.Signer, b.Fee); err != nil {
			return nil, err
		}
	}
	app.SetNonce(ctx.KV, b.Signer, nonce+1)
	return gas, nil
}

// anteStateless is the part of the ante that needs no state: chain id, gas
// limit, message kinds, minimum fee and the intrinsic gas. It reports
// whether the tx is self-funded.
func (a *App) anteStateless(t *tx.Tx, size int, fees bool) (*app.GasMeter, bool, error) {
	b := &t.Body
	if b.ChainID != a.chainID {
		return nil, false, app.CodeWrongChainID.Errorf("tx is for %q, this chain is %q", b.ChainID, a.chainID)
	}
	if b.GasLimit > a.params.MaxTxGas {
		return nil, false, app.CodeGasLimitTooHigh.Errorf("gas limit %d, at most %d", b.GasLimit, a.params.MaxTxGas)
	}
	selfFunded := false
	for i, m := range b.Msgs {
		h, ok := a.msgs[m.Type]
		if !ok {
			return nil, false, app.CodeUnknownMsg.Errorf("message %d has kind %q", i, m.Type)
		}
		if h.SelfFunded {
			selfFunded = true
		}
	}
	if selfFunded && len(b.Msgs) != 1 {
		return nil, false, app.CodeInvalidMsg.Errorf("a self-funded message must be the only message of its transaction")
	}
	if min := a.params.MinFee(b.GasLimit); fees && b.Fee < min {
		return nil, false, app.CodeInsufficientFee.Errorf("fee %duemg is below %duemg for gas limit %d", b.Fee, min, b.GasLimit)
	}
	gas := &app.GasMeter{Limit: b.GasLimit}
	if err := gas.Consume(uint64(size)*a.params.GasPerByte, "tx bytes"); err != nil {
		return nil, false, err
	}
	for _, m := range b.Msgs {
		if err := gas.Consume(a.msgs[m.Type].Gas, m.Type); err != nil {
			return nil, false, err
		}
	}
	return gas, selfFunded, nil
}

// PrepareProposal implements abci.Application: it keeps the mempool's order,
// drops txs that would fail their ante checks (as ProcessProposal will
// check) and trims to the byte limit, counting protobuf overhead, and to
// genesis' block gas limit.
func (a *App) PrepareProposal(_ context.Context, req *abci.PrepareProposalRequest) (*abci.PrepareProposalResponse, error) {
	a.prepared = nil
	decoded := a.decodeAll(req.Txs)
	sim := a.newAnteSim(req.Height, req.Time)
	txs := make([][]byte, 0, len(req.Txs))
	kept := make([]decodedTx, 0, len(req.Txs))
	var total int64
	var gas uint64
	for i, t := range req.Txs {
		size := int64(len(t)) + protoOverhead(len(t))
		if total+size > req.MaxTxBytes {
			break
		}
		if d := decoded[i]; a.maxBlockGas > 0 && d.err == nil && addGas(gas, d.tx.Body.GasLimit) > uint64(a.maxBlockGas) {
			break
		}
		if err := sim.try(t, decoded[i]); err != nil {
			continue
		}
		if sim.err != nil {
			return nil, fmt.Errorf("prepare proposal %d: %w", req.Height, sim.err)
		}
		total += size
		gas = addGas(gas, decoded[i].tx.Body.GasLimit)
		txs = append(txs, t)
		kept = append(kept, decoded[i])
	}
	h, ah := a.LastCommit()
	a.prepared = &preparedBlock{height: req.Height, time: req.Time, lastHeight: h, lastHash: ah, txs: txs, decoded: kept}
	return &abci.PrepareProposalResponse{Txs: txs}, nil
}

// preparedBlock is what PrepareProposal returned, with the state and block
// header fields its ante checks ran on.
type preparedBlock struct {
	height     int64
	time       time.Time
	lastHeight int64
	lastHash   []byte
	txs        [][]byte
	decoded    []decodedTx
}

// matches reports whether req proposes exactly the block p holds, on the
// same committed state.
func (p *preparedBlock) matches(req *abci.ProcessProposalRequest, lastHeight int64, lastHash []byte) bool {
	if p == nil || p.height != req.Height || !p.time.Equal(req.Time) || p.lastHeight != lastHeight ||
		!bytes.Equal(p.lastHash, lastHash) || len(p.txs) != len(req.Txs) {
		return false
	}
	for i, t := range req.Txs {
		if !bytes.Equal(t, p.txs[i]) {
			return false
		}
	}
	return true
}

// addGas adds gas limits, saturating instead of wrapping.
func addGas(a, b uint64) uint64 {
	if a+b < a {
		return ^uint64(0)
	}
	return a + b
}

// blockGas is the sum of a proposal's decodable txs' gas limits.
func blockGas(decoded []decodedTx) uint64 {
	var total uint64
	for _, d := range decoded {
		if d.err == nil {
			total = addGas(total, d.tx.Body.GasLimit)
		}
	}
	return total
}

// protoOverhead is the field tag plus length varint of one tx in a block's data.
func protoOverhead(n int) int64 {
	o := int64(1)
	for v := uint64(n); v >= 0x80; v >>= 7 {
		o++
	}
	return o + 1
}

// ProcessProposal implements abci.Application: it refuses a proposal that
// carries a tx failing its ante checks (size, decoding, signature, chain id,
// gas limit, message kinds, fees, nonces, run in order over committed state),
// since such a tx would take block space without paying for it. Messages
// that fail still fail with a result code in FinalizeBlock, fee charged.
func (a *App) ProcessProposal(_ context.Context, req *abci.ProcessProposalRequest) (*abci.ProcessProposalResponse, error) {
	// A proposer's own block, as PrepareProposal built it on the same
	// committed state and header, passes: PrepareProposal ran these exact
	// checks over these txs in this order (a tx it dropped left no effect
	// behind, as try keeps only passing txs' effects), kept only txs that
	// passed and stayed under both limits. The verdict is the one the
	// checks below would give, so every node still agrees; only the
	// proposer saves running them twice.
	prep := a.prepared
	a.prepared = nil
	if lh, lah := a.LastCommit(); prep.matches(req, lh, lah) {
		a.proposal = &decodedBlock{hash: bytes.Clone(req.Hash), txs: prep.decoded}
		return &abci.ProcessProposalResponse{Status: abci.PROCESS_PROPOSAL_STATUS_ACCEPT}, nil
	}
	decoded := a.decodeAll(req.Txs)
	// CometBFT keeps honest proposals under genesis' block gas limit when it
	// reaps the mempool; a proposer that packs more is refused, so no block
	// can hold more work than the limit allows.
	if total := blockGas(decoded); a.maxBlockGas > 0 && total > uint64(a.maxBlockGas) {
		a.logf("refusing proposal at height %d: its txs ask for %d gas, the block limit is %d", req.Height, total, a.maxBlockGas)
		return &abci.ProcessProposalResponse{Status: abci.PROCESS_PROPOSAL_STATUS_REJECT}, nil
	}
	sim := a.newAnteSim(req.Height, req.Time)
	for i, t := range req.Txs {
		if err := sim.try(t, decoded[i]); err != nil {
			a.logf("refusing proposal at height %d: tx %d (%X): %v", req.Height, i, decoded[i].hash[:], err)
			return &abci.ProcessProposalResponse{Status: abci.PROCESS_PROPOSAL_STATUS_REJECT}, nil
		}
	}
	if sim.err != nil {
		return nil, fmt.Errorf("process proposal %d: %w", req.Height, sim.err)
	}
	a.proposal = &decodedBlock{hash: bytes.Clone(req.Hash), txs: decoded}
	return &abci.ProcessProposalResponse{Status: abci.PROCESS_PROPOSAL_STATUS_ACCEPT}, nil
}

// decodedBlock is a proposal's decoded txs, by block hash.
type decodedBlock struct {
	hash []byte
	txs  []decodedTx
}

// anteSim runs txs' ante checks in order over committed state, as
// FinalizeBlock does before their messages, keeping the effects of those
// that pass. It is deterministic: every node computes the same verdicts.
type anteSim struct {
	a    *App
	kv   *store.Cache
	err  error
	base app.Context
}

func (a *App) newAnteSim(height int64, t time.Time) *anteSim {
	s := &anteSim{a: a, base: app.Context{ChainID: a.chainID, Height: height, Time: t}}
	s.kv = store.NewCache(a.store.Committed(&s.err), &s.err)
	return s
}

// try runs one tx's ante; its effects stay only when it passes.
func (s *anteSim) try(raw []byte, d decodedTx) error {
	if d.err != nil {
		return d.err
	}
	kv := store.NewCache(s.kv, &s.err)
	ctx := s.base
	ctx.KV, ctx.Signer, ctx.TxHash = kv, d.tx.Body.Signer, d.hash
	if _, err := s.a.ante(&ctx, d.tx, len(raw)); err != nil {
		return err
	}
	kv.WriteTo(s.kv)
	return nil
}

// FinalizeBlock implements abci.Application: it runs every transaction and
// the modules' end-of-block work against a staged cache and computes the
// new app hash. Nothing is written to disk until Commit.
func (a *App) FinalizeBlock(_ context.Context, req *abci.FinalizeBlockRequest) (*abci.FinalizeBlockResponse, error) {
	lastH, lastHash := a.LastCommit()
	if req.Height != lastH+1 {
		return nil, fmt.Errorf("finalize block %d: app is at height %d", req.Height, lastH)
	}
	p := &pendingBlock{height: req.Height, time: req.Time}
	p.cache = store.NewCache(a.store.Committed(&p.err), &p.err)
	var entropy [32]byte
	copy(entropy[:], req.Hash)
	votes := make([]app.VoteInfo, 0, len(req.DecidedLastCommit.Votes))
	for _, v := range req.DecidedLastCommit.Votes {
		votes = append(votes, app.VoteInfo{Address: v.Validator.Address, Power: v.Validator.Power, SignedBlock: v.BlockIdFlag == 2 /* COMMIT */})
	}
	base := app.Context{ChainID: a.chainID, Height: req.Height, Time: req.Time, Entropy: entropy, Votes: votes, Proposer: req.ProposerAddress}

	var decoded []decodedTx
	if pp := a.proposal; pp != nil && bytes.Equal(pp.hash, req.Hash) && len(pp.txs) == len(req.Txs) {
		decoded = pp.txs
	} else {
		decoded = a.decodeAll(req.Txs)
	}
	a.proposal = nil
	results := make([]*abci.ExecTxResult, len(req.Txs))
	p.result = app.BlockResult{Height: req.Height, Time: req.Time, Txs: make([]app.TxResult, len(req.Txs))}
	for i, raw := range req.Txs {
		r := a.deliver(&base, p.cache, raw, decoded[i])
		r.Height, r.Index = req.Height, i
		p.result.Txs[i] = r
		if t := decoded[i].tx; t != nil {
			p.history = append(p.history, historyWrites(t, r)...)
		}
		results[i] = &abci.ExecTxResult{Code: r.Code, Codespace: r.Codespace, Log: r.Log,
			GasWanted: int64(r.GasWanted), GasUsed: int64(r.GasUsed), Events: toABCIEvents(r.Events)}
		if p.err != nil {
			return nil, fmt.Errorf("block %d tx %d: %w", req.Height, i, p.err)
		}
	}
	end := base
	end.KV = p.cache
	for _, m := range a.modules {
		if err := m.EndBlock(&end); err != nil {
			return nil, fmt.Errorf("end block %d, module %s: %w", req.Height, m.Name(), err)
		}
	}
	if p.err != nil {
		return nil, fmt.Errorf("block %d end: %w", req.Height, p.err)
	}
	p.result.Events = end.Events()
	p.appHash = store.WriteSetHash(lastHash, req.Height, p.cache.Writes())
	p.result.AppHash = fmt.Sprintf("%X", p.appHash)
	a.pending = p
	return &abci.FinalizeBlockResponse{TxResults: results, AppHash: p.appHash, Events: toABCIEvents(end.Events())}, nil
}

// decodeAll decodes and verifies the block's txs, in parallel for those that
// CheckTx did not already verify. The result for each tx is independent of
// scheduling, so this does not affect determinism: each worker writes only
// out[i] for its own indexes i, decoding is a pure function of the bytes,
// tx.VerifyBatch gives each signature exactly the verdict one-by-one ZIP-215
// verification gives it, whatever the batch (see there), and wg.Wait joins
// the workers before out is read. The transactions then run in block order.
//
//determinism:ok workers only parallelise pure per-tx checks (argument above)
func (a *App) decodeAll(txs [][]byte) []decodedTx {
	out := make([]decodedTx, len(txs))
	var todo []int
	for i, raw := range txs {
		if e, ok := a.seen.get(raw); ok {
			out[i].hash, out[i].tx = e.hash, e.tx
		} else {
			out[i].hash = tx.Hash(raw)
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 {
		return out
	}
	workers := min(runtime.GOMAXPROCS(0), len(todo))
	parallel := func(n int, fn func(i int)) {
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for j := w; j < n; j += workers {
					fn(j)
				}
			}(w)
		}
		wg.Wait()
	}
	parallel(len(todo), func(j int) {
		i := todo[j]
		if uint64(len(txs[i])) > a.params.MaxTxBytes {
			out[i].err = app.CodeTxTooLarge.Errorf("%d bytes, at most %d", len(txs[i]), a.params.MaxTxBytes)
			return
		}
		t, err := tx.Decode(txs[i])
		if err != nil {
			out[i].err = app.CodeTxDecode.Errorf("%v", err)
			return
		}
		if tx.AddressFromPubKey(t.PubKey) != t.Body.Signer {
			out[i].err = app.CodeSignature.Errorf("%v: public key does not belong to signer %s", tx.ErrSignature, t.Body.Signer)
			return
		}
		out[i].tx = t
	})
	// Verify the decoded ones in batches, batches in parallel: one batch a
	// worker, of 64 to 512 signatures (a batch of 512 costs about a fifth
	// less CPU per signature than one of 64; larger ones gain little).
	var check []int
	for _, i := range todo {
		if out[i].tx != nil {
			check = append(check, i)
		}
	}
	chunk := min(512, max(64, (len(check)+workers-1)/workers))
	parallel((len(check)+chunk-1)/chunk, func(c int) {
		part := check[c*chunk : min(len(check), (c+1)*chunk)]
		sc := make([]tx.SigCheck, len(part))
		for k, i := range part {
			t := out[i].tx
			sc[k] = tx.SigCheck{Pub: t.PubKey, Msg: t.BodyBytes, Sig: t.Sig}
		}
		for k, ok := range tx.VerifyBatch(sc) {
			if !ok {
				i := part[k]
				out[i].tx = nil
				out[i].err = app.CodeSignature.Errorf("%v: signature does not verify", tx.ErrSignature)
			}
		}
	})
	return out
}

type decodedTx struct {
	hash [32]byte
	tx   *tx.Tx
	err  error
}

// deliver runs one transaction. Failed ante checks leave no trace; failed
// messages keep the nonce and fee and drop the messages' writes.
func (a *App) deliver(base *app.Context, block *store.Cache, raw []byte, d decodedTx) app.TxResult {
	res := app.TxResult{Hash: fmt.Sprintf("%X", d.hash[:])}
	if d.err != nil {
		return failResult(res, d.err)
	}
	t := d.tx
	res.GasWanted = t.Body.GasLimit
	anteKV := store.NewCache(block, nil)
	ctx := *base
	ctx.KV, ctx.Signer, ctx.TxHash = anteKV, t.Body.Signer, d.hash
	gas, err := a.ante(&ctx, t, len(raw))
	if err != nil {
		return failResult(res, err)
	}
	anteKV.WriteTo(block)
	ctx.Gas = gas
	msgKV := store.NewCache(block, nil)
	ctx.KV = msgKV
	selfFunded := false
	for i, m := range t.Body.Msgs {
		h := a.msgs[m.Type]
		selfFunded = selfFunded || h.SelfFunded
		if err := safeCall(func() error { return h.Handle(&ctx, m.Value) }); err != nil {
			res.GasUsed = gas.Used
			if app.CodeOf(err) == app.CodeInternal {
				a.logf("tx %s message %d (%s): %v", res.Hash, i, m.Type, err)
			}
			return failResult(res, fmt.Errorf("message %d (%s): %w", i, m.Type, err))
		}
	}
	if selfFunded && t.Body.Fee > 0 {
		if err := a.fees.ChargeFee(msgKV, t.Body.Signer, t.Body.Fee); err != nil {
			res.GasUsed = gas.Used
			return failResult(res, err)
		}
	}
	msgKV.WriteTo(block)
	res.GasUsed = gas.Used
	res.Events = ctx.Events()
	return res
}

func failResult(res app.TxResult, err error) app.TxResult {
	c := app.CodeOf(err)
	res.Code, res.Codespace, res.Log = c.Num, c.Space, err.Error()
	return res
}

// safeCall runs fn and turns a panic into a CodeInternal error, so a bug in a
// handler fails one transaction (identically on every node) instead of the node.
func safeCall(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = app.CodeInternal.Errorf("panic: %v", r)
		}
	}()
	return fn()
}

func toABCIEvents(evs []app.Event) []abci.Event {
	if len(evs) == 0 {
		return nil
	}
	out := make([]abci.Event, len(evs))
	for i, e := range evs {
		attrs := make([]abci.EventAttribute, len(e.Attrs))
		for j, at := range e.Attrs {
			attrs[j] = abci.EventAttribute{Key: at.Key, Value: at.Value, Index: true}
		}
		out[i] = abci.Event{Type: e.Type, Attributes: attrs}
	}
	return out
}

// Commit implements abci.Application: the block's writes, its tx results
// index, the height and the app hash go to Pebble in one synced batch.
func (a *App) Commit(context.Context, *abci.CommitRequest) (*abci.CommitResponse, error) {
	p := a.pending
	if p == nil {
		return nil, errors.New("commit without a finalized block")
	}
	index := make([]store.Write, 0, len(p.result.Txs)+len(p.history)+1)
	hashes := make([][32]byte, len(p.result.Txs))
	for i := range p.result.Txs {
		r := &p.result.Txs[i]
		hex.Decode(hashes[i][:], []byte(r.Hash)) // FinalizeBlock wrote it from the 32-byte hash
		index = append(index, store.Write{Key: txIndexKey(hashes[i][:]), Value: appendTxResult(nil, r)})
	}
	index = append(index, p.history...)
	blk := p.result
	blk.Txs = nil
	index = append(index, store.Write{Key: blockIndexKey(p.height), Value: app.MustJSON(blk)})
	if err := a.store.Commit(p.cache.Writes(), index, p.height, p.appHash); err != nil {
		return nil, err
	}
	a.setLast(p.height, p.appHash)
	a.pending = nil
	// Committed txs leave the mempool; their signatures are not needed again.
	for _, h := range hashes {
		a.seen.remove(h)
	}
	a.resetCheckState()
	if a.OnCommit != nil {
		a.OnCommit(p.result)
	}
	return &abci.CommitResponse{}, nil
}

func txIndexKey(hash []byte) []byte { return append([]byte("tx/"), hash...) }

func blockIndexKey(h int64) []byte { return binary.BigEndian.AppendUint64([]byte("blk/"), uint64(h)) }

// TxResult returns the stored result of a committed transaction by hash.
func (a *App) TxResult(hash [32]byte) (*app.TxResult, error) {
	raw, err := a.store.Index(txIndexKey(hash[:]))
	if err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, app.ErrNotFound
	}
	var r app.TxResult
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("corrupt tx index: %w", err)
	}
	return &r, nil
}

// BlockEvents returns the stored end-of-block result of a committed height
// (without its txs).
func (a *App) BlockEvents(height int64) (*app.BlockResult, error) {
	raw, err := a.store.Index(blockIndexKey(height))
	if err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, app.ErrNotFound
	}
	var r app.BlockResult
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("corrupt block index: %w", err)
	}
	return &r, nil
}

// LastCommit returns the last committed height and app hash.
func (a *App) LastCommit() (int64, []byte) {
	l := a.last.Load()
	return l.height, l.appHash
}

// Query implements abci.Application: path "/<module>/<path>", data is
// ignored; the answer is JSON.
func (a *App) Query(_ context.Context, req *abci.QueryRequest) (*abci.QueryResponse, error) {
	v, err := a.QueryModule(req.Path, nil)
	if err != nil {
		c := app.CodeOf(err)
		h, _ := a.LastCommit()
		return &abci.QueryResponse{Code: c.Num, Codespace: c.Space, Log: err.Error(), Height: h}, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	h, _ := a.LastCommit()
	return &abci.QueryResponse{Value: b, Height: h}, nil
}

// QueryModule answers a module query on a consistent snapshot of committed
// state. path is "<module>/<rest>" (a leading slash is ignored).
func (a *App) QueryModule(path string, params map[string][]string) (any, error) {
	for len(path) > 0 && path[0] == '/' {
		path = path[1:]
	}
	name, rest := path, ""
	for i := 0; i < len(path); i++ {
		if path[i] == '/' {
			name, rest = path[:i], path[i+1:]
			break
		}
	}
	m, ok := a.byName[name]
	if !ok {
		return nil, app.CodeNotFound.Errorf("no module %q", name)
	}
	var rerr error
	snap := a.store.Snapshot(&rerr)
	defer snap.Close()
	v, err := m.Query(snap, rest, params)
	if rerr != nil {
		return nil, rerr
	}
	return v, err
}

// CheckInvariants runs every module's invariants on committed state.
func (a *App) CheckInvariants() error {
	var rerr error
	snap := a.store.Snapshot(&rerr)
	defer snap.Close()
	for _, m := range a.modules {
		if err := m.Invariants(snap); err != nil {
			return fmt.Errorf("invariant of %s: %w", m.Name(), err)
		}
	}
	return rerr
}

// checkCodes verifies that a code table is numbered 1..n in one codespace.
func checkCodes(space string, codes []app.Code) error {
	for i, c := range codes {
		if c.Space != space {
			return fmt.Errorf("code %d of %s is in codespace %q", c.Num, space, c.Space)
		}
		if c.Num != uint32(i+1) {
			return fmt.Errorf("codes of %s must be numbered 1, 2, ... in order; position %d has %d", space, i+1, c.Num)
		}
		if c.Desc == "" {
			return fmt.Errorf("code %s/%d has no description", space, c.Num)
		}
	}
	return nil
}
