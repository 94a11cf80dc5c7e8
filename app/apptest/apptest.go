// Package apptest drives the real ABCI application block by block in tests,
// without CometBFT: a temp-dir Pebble store, the given modules, deterministic
// keys, and a full invariant check after every block and at cleanup.
//
//	c := apptest.New(t, apptest.Genesis{Balances: map[string]uint64{"alice": 1000}}, bank.New(), mymodule.New(...))
//	c := apptest.Full(t, g)                  // the whole chain, as the node runs it
//	res := c.Deliver(c.Sign("alice", msg))   // one block, returns its results
//	c.MustOK(res[0])
package apptest

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/api/cometbft/types/v1"

	"emergence/abciapp"
	"emergence/app"
	"emergence/bank"
	"emergence/chain"
	"emergence/store"
	"emergence/store/pebblestore"
	"emergence/tx"
)

// TB is the part of testing.TB a Chain uses; *testing.T and *testing.B
// are TBs, and so is a program's own reporter (the gas benchmark drives
// chains outside tests).
type TB interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
	TempDir() string
	Cleanup(func())
}

// ChainID used by test chains.
const ChainID = "emergence-test"

// Genesis describes a test chain's genesis.
type Genesis struct {
	// Balances by key name (see Chain.Key) in uemg.
	Balances map[string]uint64
	// Modules holds genesis sections of other modules, by module name.
	Modules map[string]any
	// Emission replaces the bank's emission schedule (nil: no emission,
	// so balances only change by transactions).
	Emission *bank.Emission
	// Params replaces the app's params.
	Params *app.Params
}

// Options are node settings of a test chain (not consensus: genesis is
// in Genesis).
type Options struct {
	// Mempool limits of the app (zero fields: abciapp.DefaultMempoolLimits).
	Mempool abciapp.MempoolLimits
	// MaxBlockGas is the consensus params' block gas limit given to
	// InitChain (0: none, as CometBFT's -1).
	MaxBlockGas int64
}

// Chain is an app driven block by block.
type Chain struct {
	tb      TB
	opts    Options
	App     *abciapp.App
	Store   *pebblestore.Store
	Time    time.Time
	nonces  map[tx.Address]uint64
	dir     string
	modules []app.Module
	fees    app.FeeCollector
}

// Key returns a deterministic ed25519 key and address for a name.
func Key(name string) (ed25519.PrivateKey, tx.Address) {
	seed := sha256.Sum256([]byte("apptest/" + name))
	k := ed25519.NewKeyFromSeed(seed[:])
	return k, tx.AddressFromPubKey(k.Public().(ed25519.PublicKey))
}

// Addr returns the address of a named test key.
func Addr(name string) tx.Address { _, a := Key(name); return a }

// New starts a chain of some modules at height 0 with genesis applied.
// modules[0] must be the bank, which collects the fees. Invariants are
// checked after every block and at cleanup.
func New(tb TB, g Genesis, modules ...app.Module) *Chain {
	tb.Helper()
	return NewWithOptions(tb, Options{}, g, modules...)
}

// NewWithOptions is New with node settings.
func NewWithOptions(tb TB, opts Options, g Genesis, modules ...app.Module) *Chain {
	tb.Helper()
	if len(modules) == 0 {
		tb.Fatalf("apptest: no modules (modules[0] must be the bank)")
	}
	fees, ok := modules[0].(app.FeeCollector)
	if !ok {
		tb.Fatalf("apptest: modules[0] must be the bank, which collects fees")
	}
	return start(tb, opts, g, fees, modules)
}

// Full starts the whole chain as package chain composes it (the node's
// module order, shared instances and fee collector) with genesis applied.
func Full(tb TB, g Genesis) *Chain {
	tb.Helper()
	cc := chain.New()
	return start(tb, Options{}, g, cc.Fees(), cc.Modules())
}

func start(tb TB, opts Options, g Genesis, fees app.FeeCollector, modules []app.Module) *Chain {
	tb.Helper()
	c := &Chain{tb: tb, opts: opts, dir: tb.TempDir(), Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), nonces: map[tx.Address]uint64{}, modules: modules, fees: fees}
	c.open()
	bg := bank.Genesis{Emission: bank.Emission{PerBlock: 0, Validators: 0, Subnets: 0, UBI: 0, Treasury: 100}}
	if g.Emission != nil {
		bg.Emission = *g.Emission
	}
	names := make([]string, 0, len(g.Balances))
	for n := range g.Balances {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		bg.Balances = append(bg.Balances, bank.Output{To: Addr(n), Amount: g.Balances[n]})
	}
	mods := map[string]json.RawMessage{"bank": mustJSON(tb, bg)}
	for name, v := range g.Modules {
		mods[name] = mustJSON(tb, v)
	}
	ag := app.Genesis{Params: g.Params, Modules: mods}
	req := &abci.InitChainRequest{ChainId: ChainID, Time: c.Time, AppStateBytes: mustJSON(tb, ag), InitialHeight: 1}
	if opts.MaxBlockGas > 0 {
		req.ConsensusParams = &cmtproto.ConsensusParams{Block: &cmtproto.BlockParams{MaxBytes: 16 << 20, MaxGas: opts.MaxBlockGas}}
	}
	_, err := c.App.InitChain(context.Background(), req)
	if err != nil {
		tb.Fatalf("InitChain: %v", err)
	}
	c.check()
	tb.Cleanup(func() {
		c.check()
		c.Store.Close()
	})
	return c
}

func (c *Chain) open() {
	st, err := pebblestore.Open(filepath.Join(c.dir, "app"))
	if err != nil {
		c.tb.Fatalf("open store: %v", err)
	}
	a, err := abciapp.New(st, abciapp.Options{Fees: c.fees, Logf: c.tb.Logf, Mempool: c.opts.Mempool}, c.modules...)
	if err != nil {
		c.tb.Fatalf("abciapp.New: %v", err)
	}
	c.Store, c.App = st, a
}

// Reopen closes the store and opens it again with a fresh App, as a node
// restart does.
func (c *Chain) Reopen() {
	c.tb.Helper()
	c.Store.Close()
	c.open()
}

func mustJSON(tb TB, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatalf("encode: %v", err)
	}
	return b
}

func (c *Chain) check() {
	c.tb.Helper()
	if err := c.App.CheckInvariants(); err != nil {
		c.tb.Fatalf("after height %d: %v", c.Height(), err)
	}
}

// Use makes the chain report to tb from now on (for fuzz targets, whose
// per-input *testing.T differs from the *testing.F that built the chain).
func (c *Chain) Use(tb TB) { c.tb = tb }

// Height returns the last committed height.
func (c *Chain) Height() int64 { h, _ := c.App.LastCommit(); return h }

// Sign builds a signed tx from the named key with the next nonce, the
// default gas limit and the minimum fee.
func (c *Chain) Sign(name string, msgs ...tx.Msg) []byte {
	return c.SignWith(name, 1_000_000, msgs...)
}

// SignWith is Sign with an explicit gas limit.
func (c *Chain) SignWith(name string, gas uint64, msgs ...tx.Msg) []byte {
	c.tb.Helper()
	k, a := Key(name)
	raw, err := tx.Sign(tx.Body{ChainID: ChainID, Signer: a, Nonce: c.nonces[a], Fee: c.App.Params().MinFee(gas), GasLimit: gas, Msgs: msgs}, k)
	if err != nil {
		c.tb.Fatalf("sign: %v", err)
	}
	c.nonces[a]++
	return raw
}

// Msg encodes a message value, failing the test on error.
func (c *Chain) Msg(kind string, v any) tx.Msg {
	c.tb.Helper()
	m, err := tx.NewMsg(kind, v)
	if err != nil {
		c.tb.Fatal(err)
	}
	return m
}

// ResyncNonce reads a key's nonce from state (after a tx failed its ante
// checks and did not consume the nonce).
func (c *Chain) ResyncNonce(name string) {
	a := Addr(name)
	c.nonces[a] = app.Nonce(c.App.Store().Committed(nil), a)
}

// Check runs CheckTx on a tx against the mempool view.
func (c *Chain) Check(raw []byte) *abci.CheckTxResponse {
	c.tb.Helper()
	r, err := c.App.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: raw, Type: abci.CHECK_TX_TYPE_CHECK})
	if err != nil {
		c.tb.Fatalf("CheckTx: %v", err)
	}
	return r
}

// Deliver executes one block holding txs, commits it, checks invariants and
// returns the tx results. The block time advances by one second.
func (c *Chain) Deliver(txs ...[]byte) []app.TxResult {
	c.tb.Helper()
	return c.DeliverBlock(txs).Txs
}

// DeliverBlock is Deliver returning the whole block result.
func (c *Chain) DeliverBlock(txs [][]byte) app.BlockResult {
	c.tb.Helper()
	r, _ := c.DeliverBlockMeasured(txs)
	return r
}

// DeliverBlockMeasured is DeliverBlock also returning, for each clock, how
// much of it FinalizeBlock and Commit took (the invariant check after them
// excluded). A clock returns a reading such as the process's CPU time; with
// none given, the wall clock is used.
func (c *Chain) DeliverBlockMeasured(txs [][]byte, clocks ...func() time.Duration) (app.BlockResult, []time.Duration) {
	c.tb.Helper()
	if len(clocks) == 0 {
		t0 := time.Now()
		clocks = []func() time.Duration{func() time.Duration { return time.Since(t0) }}
	}
	h := c.Height() + 1
	c.Time = c.Time.Add(time.Second)
	hash := sha256.Sum256([]byte(fmt.Sprintf("block %d", h)))
	var got app.BlockResult
	prev := c.App.OnCommit
	c.App.OnCommit = func(b app.BlockResult) { got = b }
	defer func() { c.App.OnCommit = prev }()
	start := make([]time.Duration, len(clocks))
	for i, clk := range clocks {
		start[i] = clk()
	}
	if _, err := c.App.FinalizeBlock(context.Background(), &abci.FinalizeBlockRequest{Txs: txs, Height: h, Time: c.Time, Hash: hash[:]}); err != nil {
		c.tb.Fatalf("FinalizeBlock %d: %v", h, err)
	}
	if _, err := c.App.Commit(context.Background(), &abci.CommitRequest{}); err != nil {
		c.tb.Fatalf("Commit %d: %v", h, err)
	}
	took := make([]time.Duration, len(clocks))
	for i, clk := range clocks {
		took[i] = clk() - start[i]
	}
	c.check()
	return got, took
}

// NextBlocks commits n empty blocks.
func (c *Chain) NextBlocks(n int) {
	c.tb.Helper()
	for i := 0; i < n; i++ {
		c.Deliver()
	}
}

// MustOK fails the test unless r succeeded.
func (c *Chain) MustOK(r app.TxResult) {
	c.tb.Helper()
	if r.Code != 0 {
		c.tb.Fatalf("tx failed: code %s/%d: %s", r.Codespace, r.Code, r.Log)
	}
}

// MustFail fails the test unless r failed with code want.
func (c *Chain) MustFail(r app.TxResult, want app.Code) {
	c.tb.Helper()
	if r.Code != want.Num || r.Codespace != want.Space {
		c.tb.Fatalf("tx result %s/%d (%s), want %s/%d (%s)", r.Codespace, r.Code, r.Log, want.Space, want.Num, want.Desc)
	}
}

// Query runs a module query on committed state and decodes it into out.
func (c *Chain) Query(path string, params map[string][]string, out any) error {
	v, err := c.App.QueryModule(path, params)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, out)
}

// Reader returns a Reader over committed state.
func (c *Chain) Reader() store.Reader { return c.Store.Committed(nil) }
