package abciapp_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"emergence/abciapp"
	"emergence/app"
	"emergence/app/apptest"
	"emergence/bank"
	"emergence/store"
	"emergence/tx"
)

// costly is a module whose messages carry a check standing for proof
// verification: it counts how often the check ran and fails when the
// message says so. "costly/claim" is self-funded, like a UBI claim.
type costly struct{ checks *int }

var codeBadProof = app.Code{Space: "costly", Num: 1, Desc: "proof does not verify"}

type costlyMsg struct {
	Valid bool `json:"valid"`
}

func (c costly) check(_ *app.Context, raw json.RawMessage) error {
	*c.checks++
	var m costlyMsg
	if err := app.DecodeMsg(raw, &m); err != nil {
		return err
	}
	if !m.Valid {
		return codeBadProof.Err()
	}
	return nil
}

func (costly) Name() string { return "costly" }
func (c costly) Msgs() []app.MsgHandler {
	handle := func(*app.Context, json.RawMessage) error { return nil }
	return []app.MsgHandler{
		{Type: "costly/attest", Gas: 1000, Check: c.check, Handle: handle},
		{Type: "costly/claim", Gas: 1000, Check: c.check, Handle: handle, SelfFunded: true},
	}
}
func (costly) Codes() []app.Code                                   { return []app.Code{codeBadProof} }
func (costly) InitGenesis(*app.Context, json.RawMessage) error     { return nil }
func (costly) EndBlock(*app.Context) error                         { return nil }
func (costly) Query(store.Reader, string, url.Values) (any, error) { return nil, app.ErrNotFound }
func (costly) Invariants(store.Reader) error                       { return nil }

func newMempoolChain(t *testing.T, lim abciapp.MempoolLimits, checks *int) *apptest.Chain {
	t.Helper()
	g := apptest.Genesis{Balances: map[string]uint64{"alice": 1 << 40, "bob": 1 << 40}}
	return apptest.NewWithOptions(t, apptest.Options{Mempool: lim}, g, bank.New(), costly{checks})
}

func mustCode(t *testing.T, r *abci.CheckTxResponse, want app.Code) {
	t.Helper()
	if r.Code != want.Num || r.Codespace != want.Space {
		t.Fatalf("CheckTx %s/%d (%s), want %s/%d (%s)", r.Codespace, r.Code, r.Log, want.Space, want.Num, want.Desc)
	}
}

func mustPass(t testing.TB, r *abci.CheckTxResponse) {
	t.Helper()
	if r.Code != 0 {
		t.Fatalf("CheckTx %s/%d: %s", r.Codespace, r.Code, r.Log)
	}
}

// submit is what the node's Submit does: verify in parallel, then CheckTx.
func submit(c *apptest.Chain, raw []byte) *abci.CheckTxResponse {
	c.App.PreVerify(raw)
	return c.Check(raw)
}

// The attack of issue 17.4: signature-valid 250 KB txs of an unknown kind
// (and ones whose sender cannot pay) were kept in the signature cache
// forever, though CheckTx refused them. Now nothing refused is kept.
func TestRefusedTxsLeaveNothingInTheCache(t *testing.T) {
	var checks int
	c := newMempoolChain(t, abciapp.MempoolLimits{}, &checks)
	big := strings.Repeat("x", 250_000)
	for i := 0; i < 64; i++ {
		raw := c.Sign("alice", c.Msg("junk/kind", map[string]any{"pad": big, "i": i}))
		if len(raw) < 250_000 {
			t.Fatalf("tx is %d bytes", len(raw))
		}
		mustCode(t, submit(c, raw), app.CodeUnknownMsg)
		c.ResyncNonce("alice")
	}
	// A sender with no balance: signature valid, fee unaffordable.
	mustCode(t, submit(c, c.Sign("mallory", c.Msg("bank/send", bank.SendMsg{To: apptest.Addr("bob"), Amount: 1}))), app.CodeInsufficientFunds)
	if n, b := c.App.CacheStats(); n != 0 || b != 0 {
		t.Fatalf("signature cache holds %d txs (%d bytes) after refusing every tx", n, b)
	}
	if checks != 0 {
		t.Fatalf("message checks ran %d times for txs that failed the ante", checks)
	}
	ok := c.Sign("alice", c.Msg("bank/send", bank.SendMsg{To: apptest.Addr("bob"), Amount: 1}))
	mustPass(t, submit(c, ok))
	if n, _ := c.App.CacheStats(); n != 1 {
		t.Fatalf("signature cache holds %d txs, want the 1 accepted", n)
	}
	c.MustOK(c.Deliver(ok)[0])
	if n, _ := c.App.CacheStats(); n != 0 {
		t.Fatalf("signature cache holds %d txs after their commit", n)
	}
}

func TestSignatureCacheIsBoundedByBytes(t *testing.T) {
	var checks int
	const budget = 4 << 10
	c := newMempoolChain(t, abciapp.MempoolLimits{CacheBytes: budget, MaxPendingPerSender: 1000}, &checks)
	var txs [][]byte
	for i := 0; i < 100; i++ {
		raw := c.Sign("alice", c.Msg("bank/send", bank.SendMsg{To: apptest.Addr("bob"), Amount: 1}))
		mustPass(t, submit(c, raw))
		txs = append(txs, raw)
		if _, b := c.App.CacheStats(); b > budget {
			t.Fatalf("after %d txs the cache holds %d bytes, budget %d", i+1, b, budget)
		}
	}
	// Evicted txs are verified again in the block, with the same results.
	for _, r := range c.Deliver(txs...) {
		c.MustOK(r)
	}
}

func TestPendingTxsPerSenderAreCapped(t *testing.T) {
	var checks int
	c := newMempoolChain(t, abciapp.MempoolLimits{MaxPendingPerSender: 3}, &checks)
	send := func(from string) []byte {
		return c.Sign(from, c.Msg("bank/send", bank.SendMsg{To: apptest.Addr("bob"), Amount: 1}))
	}
	var first [][]byte
	for i := 0; i < 3; i++ {
		raw := send("alice")
		mustPass(t, submit(c, raw))
		first = append(first, raw)
	}
	fourth := send("alice")
	mustCode(t, submit(c, fourth), app.CodeSenderBusy)
	mustPass(t, submit(c, send("bob"))) // other accounts are not held up
	for _, r := range c.Deliver(first...) {
		c.MustOK(r)
	}
	mustPass(t, submit(c, fourth))
}

// Proof checks run only after the cheap checks, and an account whose proofs
// keep failing stops costing verification until the next block.
func TestMessageChecksRunAfterCheapChecksAndAreBounded(t *testing.T) {
	var checks int
	c := newMempoolChain(t, abciapp.MempoolLimits{MaxCheckFailsPerSender: 2, MaxFreeCheckFails: 3}, &checks)
	bad := func(from, kind string) []byte { return c.Sign(from, c.Msg(kind, costlyMsg{Valid: false})) }

	mustCode(t, submit(c, bad("mallory", "costly/attest")), app.CodeInsufficientFunds)
	c.ResyncNonce("mallory")
	future := signAt(t, c, "alice", 7, c.Msg("costly/attest", costlyMsg{}))
	mustCode(t, submit(c, future), app.CodeNonceTooHigh)
	if checks != 0 {
		t.Fatalf("proof checks ran %d times for txs failing the ante", checks)
	}

	for i := 0; i < 2; i++ {
		mustCode(t, submit(c, bad("alice", "costly/attest")), codeBadProof)
		c.ResyncNonce("alice")
	}
	mustCode(t, submit(c, bad("alice", "costly/attest")), app.CodeSenderBusy)
	c.ResyncNonce("alice")
	if checks != 2 {
		t.Fatalf("proof checks ran %d times, want 2 (then refused)", checks)
	}
	// Self-funded claims from empty accounts pay nothing up front: their
	// failures are bounded over all accounts.
	for _, who := range []string{"h1", "h2", "h3"} {
		mustCode(t, submit(c, bad(who, "costly/claim")), codeBadProof)
	}
	mustCode(t, submit(c, bad("h4", "costly/claim")), app.CodeMempoolFull)
	if checks != 5 {
		t.Fatalf("proof checks ran %d times, want 5", checks)
	}
	c.Deliver()
	mustPass(t, submit(c, c.Sign("alice", c.Msg("costly/attest", costlyMsg{Valid: true}))))
	mustCode(t, submit(c, c.Sign("h5", c.Msg("costly/claim", costlyMsg{Valid: false}))), codeBadProof)
}

// signAt signs a tx of the named key with an explicit nonce.
func signAt(t *testing.T, c *apptest.Chain, name string, nonce uint64, msgs ...tx.Msg) []byte {
	t.Helper()
	k, a := apptest.Key(name)
	raw, err := tx.Sign(tx.Body{ChainID: apptest.ChainID, Signer: a, Nonce: nonce, Fee: c.App.Params().MinFee(1_000_000), GasLimit: 1_000_000, Msgs: msgs}, k)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// zeroFee signs a tx with no fee and the default gas limit, as a client
// does before it simulates.
func zeroFee(t *testing.T, c *apptest.Chain, name string, nonce uint64, msgs ...tx.Msg) []byte {
	t.Helper()
	k, a := apptest.Key(name)
	raw, err := tx.Sign(tx.Body{ChainID: apptest.ChainID, Signer: a, Nonce: nonce, GasLimit: 1_000_000, Msgs: msgs}, k)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func process(t *testing.T, c *apptest.Chain, txs ...[]byte) abci.ProcessProposalStatus {
	t.Helper()
	r, err := c.App.ProcessProposal(context.Background(), &abci.ProcessProposalRequest{Txs: txs, Height: c.Height() + 1, Time: c.Time, Hash: []byte("proposal")})
	if err != nil {
		t.Fatal(err)
	}
	return r.Status
}

// A proposer that packs a block with txs failing the ante check (which would
// take block space for free) has its proposal refused; an honest proposer's
// PrepareProposal never does.
func TestProcessProposalRefusesTxsFailingTheAnte(t *testing.T) {
	var checks int
	c := newMempoolChain(t, abciapp.MempoolLimits{}, &checks)
	send := func(from string) []byte {
		return c.Sign(from, c.Msg("bank/send", bank.SendMsg{To: apptest.Addr("bob"), Amount: 1}))
	}
	good := send("alice")
	unknown := signAt(t, c, "alice", 1, c.Msg("junk/kind", struct{}{}))
	broke := send("mallory")
	c.ResyncNonce("mallory")
	badSig := append([]byte{}, send("bob")...)
	badSig[len(badSig)-1] ^= 1
	c.ResyncNonce("bob")
	replay := good
	cases := map[string][][]byte{
		"unknown kind":   {good, unknown},
		"unfunded fee":   {broke},
		"bad signature":  {badSig},
		"replayed nonce": {good, replay},
		"garbage":        {[]byte("not a tx")},
	}
	for name, txs := range cases {
		if st := process(t, c, txs...); st != abci.PROCESS_PROPOSAL_STATUS_REJECT {
			t.Errorf("%s: proposal %v, want REJECT", name, st)
		}
	}
	next := send("alice") // nonce 1, after good; unknown had nonce 1 too
	all := [][]byte{good, unknown, broke, badSig, next}
	pp, err := c.App.PrepareProposal(context.Background(), &abci.PrepareProposalRequest{Txs: all, MaxTxBytes: 1 << 20, Height: c.Height() + 1, Time: c.Time})
	if err != nil {
		t.Fatal(err)
	}
	if len(pp.Txs) != 2 || string(pp.Txs[0]) != string(good) || string(pp.Txs[1]) != string(next) {
		t.Fatalf("PrepareProposal kept %d txs, want the 2 that pass the ante", len(pp.Txs))
	}
	if st := process(t, c, pp.Txs...); st != abci.PROCESS_PROPOSAL_STATUS_ACCEPT {
		t.Fatalf("own proposal %v, want ACCEPT", st)
	}
	for _, r := range c.Deliver(pp.Txs...) {
		c.MustOK(r)
	}
}

// ProcessProposal skips the ante checks only for the exact block the same
// app just prepared: the same txs in the same order, height and time. A
// block of the same length with one tx swapped for one failing the ante,
// or the prepared txs in another order, is checked and refused.
func TestProcessProposalChecksAnythingButTheBlockItPrepared(t *testing.T) {
	var checks int
	c := newMempoolChain(t, abciapp.MempoolLimits{}, &checks)
	send := func(from string) []byte {
		return c.Sign(from, c.Msg("bank/send", bank.SendMsg{To: apptest.Addr("bob"), Amount: 1}))
	}
	a0, a1 := send("alice"), send("alice")
	unknown := signAt(t, c, "alice", 1, c.Msg("junk/kind", struct{}{}))
	prepare := func() [][]byte {
		t.Helper()
		pp, err := c.App.PrepareProposal(context.Background(), &abci.PrepareProposalRequest{Txs: [][]byte{a0, unknown, a1}, MaxTxBytes: 1 << 20, Height: c.Height() + 1, Time: c.Time})
		if err != nil {
			t.Fatal(err)
		}
		if len(pp.Txs) != 2 {
			t.Fatalf("PrepareProposal kept %d txs, want 2", len(pp.Txs))
		}
		return pp.Txs
	}
	prepare()
	if st := process(t, c, a0, unknown); st != abci.PROCESS_PROPOSAL_STATUS_REJECT {
		t.Fatalf("prepared block with a tx swapped for an unknown kind: %v, want REJECT", st)
	}
	prepare()
	if st := process(t, c, a1, a0); st != abci.PROCESS_PROPOSAL_STATUS_REJECT {
		t.Fatalf("prepared txs out of nonce order: %v, want REJECT", st)
	}
	txs := prepare()
	if st := process(t, c, txs...); st != abci.PROCESS_PROPOSAL_STATUS_ACCEPT {
		t.Fatalf("own prepared block: %v, want ACCEPT", st)
	}
	for _, r := range c.Deliver(txs...) {
		c.MustOK(r)
	}
}

// A proposer that packs more gas than genesis' block gas limit has its
// proposal refused (CometBFT's reaping keeps honest proposers under it), and
// PrepareProposal trims an honest proposal to the limit.
func TestProcessProposalRefusesBlocksOverTheGasLimit(t *testing.T) {
	var checks int
	g := apptest.Genesis{Balances: map[string]uint64{"alice": 1 << 40, "bob": 1 << 40}}
	c := apptest.NewWithOptions(t, apptest.Options{MaxBlockGas: 250_000}, g, bank.New(), costly{&checks})
	send := func(from string) []byte {
		return c.SignWith(from, 100_000, c.Msg("bank/send", bank.SendMsg{To: apptest.Addr("carol"), Amount: 1}))
	}
	a1, b1, a2 := send("alice"), send("bob"), send("alice")
	if st := process(t, c, a1, b1); st != abci.PROCESS_PROPOSAL_STATUS_ACCEPT {
		t.Fatalf("200,000 gas under a 250,000 limit: %v, want ACCEPT", st)
	}
	if st := process(t, c, a1, b1, a2); st != abci.PROCESS_PROPOSAL_STATUS_REJECT {
		t.Fatalf("300,000 gas over a 250,000 limit: %v, want REJECT", st)
	}
	pp, err := c.App.PrepareProposal(context.Background(), &abci.PrepareProposalRequest{Txs: [][]byte{a1, b1, a2}, MaxTxBytes: 1 << 20, Height: c.Height() + 1, Time: c.Time})
	if err != nil {
		t.Fatal(err)
	}
	if len(pp.Txs) != 2 {
		t.Fatalf("PrepareProposal kept %d txs, want the 2 that fit the gas limit", len(pp.Txs))
	}
	for _, r := range c.Deliver(pp.Txs...) {
		c.MustOK(r)
	}
}

// TestPreVerifyBatch: the API's batch submission checks a batch's
// signatures together; a tx with a bad signature among good ones is not
// taken for verified (CheckTx refuses it), the good ones pass, and only
// those are cached.
func TestPreVerifyBatch(t *testing.T) {
	var checks int
	c := newMempoolChain(t, abciapp.MempoolLimits{}, &checks)
	var raws [][]byte
	for i := 0; i < 5; i++ {
		raws = append(raws, c.Sign("alice", c.Msg("bank/send", bank.SendMsg{To: apptest.Addr("bob"), Amount: uint64(i + 1)})))
	}
	bad := c.Sign("bob", c.Msg("bank/send", bank.SendMsg{To: apptest.Addr("alice"), Amount: 1}))
	bad[len(bad)-1] ^= 1
	batch := append([][]byte{raws[0], raws[1], bad}, raws[2:]...)
	c.App.PreVerifyBatch(batch)
	if n, _ := c.App.CacheStats(); n != len(raws) {
		t.Fatalf("signature cache holds %d txs after the batch, want its %d good ones", n, len(raws))
	}
	for i, raw := range batch {
		r := c.Check(raw)
		if i == 2 {
			mustCode(t, r, app.CodeSignature)
			continue
		}
		mustPass(t, r)
	}
	if n, _ := c.App.CacheStats(); n != len(raws) {
		t.Fatalf("signature cache holds %d txs after CheckTx, want the %d accepted", n, len(raws))
	}
	// A batch again: nothing is verified twice or cached twice.
	c.App.PreVerifyBatch(raws)
	if n, _ := c.App.CacheStats(); n != len(raws) {
		t.Fatalf("signature cache holds %d txs", n)
	}
	for _, r := range c.Deliver(raws...) {
		c.MustOK(r)
	}
}

// processCPU is the process's CPU time (user and system) so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPreVerify compares checking 100 submitted txs' signatures one
// by one (PreVerify, as a single POST /v1/txs does) with all at once
// (PreVerifyBatch, as POST /v1/txs/batch does); ns/op is per tx, and
// cpu-ns/op the process's CPU time per tx (the verifier workers' included).
func BenchmarkPreVerify(b *testing.B) {
	var checks int
	c := apptest.NewWithOptions(b, apptest.Options{}, apptest.Genesis{Balances: map[string]uint64{"alice": 1 << 40, "bob": 1 << 40}}, bank.New(), costly{&checks})
	const n = 100
	batch := func() [][]byte {
		var raws [][]byte
		for i := 0; i < n; i++ {
			raws = append(raws, c.Sign("alice", c.Msg("bank/send", bank.SendMsg{To: apptest.Addr("bob"), Amount: uint64(i + 1)})))
		}
		return raws
	}
	for _, mode := range []string{"one-by-one", "batch"} {
		b.Run(mode, func(b *testing.B) {
			var cpu time.Duration
			defer func() { b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op") }()
			for i := 0; i < b.N; i += n {
				b.StopTimer()
				raws := batch()
				b.StartTimer()
				t0 := processCPU()
				if mode == "batch" {
					c.App.PreVerifyBatch(raws)
				} else {
					for _, raw := range raws {
						c.App.PreVerify(raw)
					}
				}
				cpu += processCPU() - t0
				b.StopTimer()
				for _, raw := range raws {
					mustPass(b, c.Check(raw))
				}
				c.Deliver(raws...)
				b.StartTimer()
			}
		})
	}
}

func recheck(t *testing.T, c *apptest.Chain, raw []byte) *abci.CheckTxResponse {
	t.Helper()
	r, err := c.App.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: raw, Type: abci.CHECK_TX_TYPE_RECHECK})
	if err != nil {
		t.Fatalf("recheck: %v", err)
	}
	return r
}

// CometBFT rechecks every pending tx after each block. Commit resets the
// mempool view to committed state, so the rechecks are what put the
// pending txs' nonces and fees back: after them, a sender's next tx is
// accepted; a pending tx whose fee the block made unaffordable is refused
// on recheck, so CometBFT evicts it.
func TestRecheckKeepsPendingNoncesAndEvictsSpentTxs(t *testing.T) {
	g := apptest.Genesis{Balances: map[string]uint64{"alice": 1 << 40, "bob": 1 << 40, "carol": 100_000}}
	c := apptest.New(t, g, bank.New())
	send := func(from string, amount uint64) []byte {
		return c.Sign(from, c.Msg("bank/send", bank.SendMsg{To: apptest.Addr("bob"), Amount: amount}))
	}
	a1, a2, a3 := send("alice", 1), send("alice", 1), send("alice", 1)
	// carol's sends pass CheckTx together (it charges fees, 10,000 each, not
	// the amounts); once the first commits, she cannot pay the second's fee.
	spend, broke := send("carol", 85_000), send("carol", 1)
	for _, raw := range [][]byte{a1, a2, a3, spend, broke} {
		mustPass(t, submit(c, raw))
	}
	for _, r := range c.Deliver(a1, spend) {
		c.MustOK(r)
	}
	a4 := send("alice", 1)
	// Before the rechecks the view is committed state: alice is at nonce 1.
	mustCode(t, c.Check(a4), app.CodeNonceTooHigh)
	mustPass(t, recheck(t, c, a2))
	mustPass(t, recheck(t, c, a3))
	mustCode(t, recheck(t, c, broke), app.CodeInsufficientFunds)
	mustPass(t, c.Check(a4))
	for _, r := range c.Deliver(a2, a3, a4) {
		c.MustOK(r)
	}
}
