package bank_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"emergence/app"
	"emergence/app/apptest"
	"emergence/bank"
	"emergence/label"
	"emergence/store"
	"emergence/tx"
)

// The attack of issue 17.11: tokens sent to the label escrow's address
// before the first job broke the label invariant (escrow balance = what its
// jobs and stakes account for). Every module account now exists from
// genesis, so the transfer is refused and the invariants keep holding.
func TestSendToAnEscrowBeforeItsFirstUseIsRefused(t *testing.T) {
	b := bank.New()
	c := apptest.New(t, apptest.Genesis{Balances: map[string]uint64{"alice": 10_000_000}}, b, label.New(b))
	escrow := tx.ModuleAddress(label.Escrow)
	res := c.Deliver(
		c.Sign("alice", c.Msg("bank/send", bank.SendMsg{To: escrow, Amount: 1_000})),
		c.Sign("alice", c.Msg("bank/multisend", bank.MultiSendMsg{Outputs: []bank.Output{{To: apptest.Addr("bob"), Amount: 1}, {To: escrow, Amount: 1_000}}})),
	)
	c.MustFail(res[0], bank.CodeModuleAccount)
	c.MustFail(res[1], bank.CodeModuleAccount)
	if got := b.ModuleBalance(c.Reader(), label.Escrow); got != 0 {
		t.Fatalf("label escrow holds %d after refused transfers", got)
	}
}

// lateEscrow locks into a module account it never created at genesis.
type lateEscrow struct{ b *bank.Bank }

func (lateEscrow) Name() string { return "late" }
func (m lateEscrow) Msgs() []app.MsgHandler {
	return []app.MsgHandler{{Type: "late/lock", Gas: 1000, Handle: func(ctx *app.Context, _ json.RawMessage) error {
		return m.b.Lock(ctx.KV, ctx.Signer, "escrow/late", 10)
	}}}
}
func (lateEscrow) Codes() []app.Code                                   { return nil }
func (lateEscrow) InitGenesis(*app.Context, json.RawMessage) error     { return nil }
func (lateEscrow) EndBlock(*app.Context) error                         { return nil }
func (lateEscrow) Query(store.Reader, string, url.Values) (any, error) { return nil, app.ErrNotFound }
func (lateEscrow) Invariants(store.Reader) error                       { return nil }

func TestLockIntoAnAccountNotCreatedAtGenesisFails(t *testing.T) {
	b := bank.New()
	c := apptest.New(t, apptest.Genesis{Balances: map[string]uint64{"alice": 10_000_000}}, b, lateEscrow{b})
	c.MustFail(c.Deliver(c.Sign("alice", c.Msg("late/lock", struct{}{})))[0], app.CodeInternal)
	if err := b.RegisterAccount(&app.Context{KV: store.NewCache(c.Reader(), nil), Height: 3}, "escrow/late"); err == nil {
		t.Fatal("RegisterAccount after genesis succeeded")
	}
}

// TestCorruptParamsAreAnError: bank params that do not decode fail the
// params query and end-of-block work with an error, never a panic.
func TestCorruptParamsAreAnError(t *testing.T) {
	c := apptest.New(t, apptest.Genesis{}, bank.New())
	kv := store.NewCache(c.Reader(), nil)
	kv.Set([]byte("bank/params"), []byte("{not json"))
	b := bank.New()
	if _, err := b.Query(kv, "params", nil); err == nil || !strings.Contains(err.Error(), "corrupt state") {
		t.Errorf("params query on corrupt params: %v", err)
	}
	if err := b.EndBlock(&app.Context{KV: kv, Height: 2}); err == nil || !strings.Contains(err.Error(), "corrupt state") {
		t.Errorf("end block on corrupt params: %v", err)
	}
}
