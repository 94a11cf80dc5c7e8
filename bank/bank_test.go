package bank_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"testing"

	"emergence/app"
	"emergence/app/apptest"
	"emergence/bank"
	"emergence/tx"
)

func newChain(t *testing.T) *apptest.Chain {
	return apptest.New(t, apptest.Genesis{Balances: map[string]uint64{"alice": 10_000_000, "bob": 1_000_000}}, bank.New())
}

func send(c *apptest.Chain, to string, amt uint64) tx.Msg {
	return c.Msg("bank/send", bank.SendMsg{To: apptest.Addr(to), Amount: amt})
}

func balance(t *testing.T, c *apptest.Chain, name string) uint64 {
	t.Helper()
	var a bank.Account
	if err := c.Query("bank/balance/"+apptest.Addr(name).String(), nil, &a); err != nil {
		t.Fatal(err)
	}
	return a.Balance
}

func TestSendAndFees(t *testing.T) {
	c := newChain(t)
	raw := c.Sign("alice", send(c, "carol", 2_500_000))
	res := c.Deliver(raw)
	c.MustOK(res[0])
	fee := c.App.Params().MinFee(1_000_000)
	if got, want := balance(t, c, "carol"), uint64(2_500_000); got != want {
		t.Fatalf("carol balance %d, want %d", got, want)
	}
	if got, want := balance(t, c, "alice"), uint64(10_000_000-2_500_000)-fee; got != want {
		t.Fatalf("alice balance %d, want %d", got, want)
	}
	if res[0].GasUsed == 0 || res[0].GasUsed > res[0].GasWanted {
		t.Fatalf("gas used %d of %d", res[0].GasUsed, res[0].GasWanted)
	}
	// The fee went to the treasury (no validators in this genesis).
	var s bank.SupplyInfo
	if err := c.Query("bank/supply", nil, &s); err != nil {
		t.Fatal(err)
	}
	if s.Supply != 11_000_000 || s.Modules[bank.PoolTreasury] != fee {
		t.Fatalf("supply %+v, want 11000000 with treasury %d", s, fee)
	}
}

func TestMultiSend(t *testing.T) {
	c := newChain(t)
	m := c.Msg("bank/multisend", bank.MultiSendMsg{Outputs: []bank.Output{{To: apptest.Addr("carol"), Amount: 10}, {To: apptest.Addr("dave"), Amount: 20}}})
	c.MustOK(c.Deliver(c.Sign("alice", m))[0])
	if balance(t, c, "carol") != 10 || balance(t, c, "dave") != 20 {
		t.Fatal("multisend did not pay both outputs")
	}
	// All or nothing: the second output is unaffordable.
	m = c.Msg("bank/multisend", bank.MultiSendMsg{Outputs: []bank.Output{{To: apptest.Addr("carol"), Amount: 10}, {To: apptest.Addr("dave"), Amount: 1 << 62}}})
	c.MustFail(c.Deliver(c.Sign("alice", m))[0], bank.CodeInsufficientFunds)
	if balance(t, c, "carol") != 10 {
		t.Fatal("failed multisend paid an output")
	}
	// Outputs that add up past 2^64.
	m = c.Msg("bank/multisend", bank.MultiSendMsg{Outputs: []bank.Output{{To: apptest.Addr("carol"), Amount: 1 << 63}, {To: apptest.Addr("dave"), Amount: 1 << 63}}})
	c.MustFail(c.Deliver(c.Sign("alice", m))[0], bank.CodeOverflow)
}

// TestBadInput checks that every kind of bad transaction gets its numbered
// code, changes nothing but (where the signature was valid and the fee paid)
// the nonce and fee, and leaves the chain running.
func TestBadInput(t *testing.T) {
	c := newChain(t)
	key, alice := apptest.Key("alice")
	good := tx.Body{ChainID: apptest.ChainID, Signer: alice, Nonce: 0, Fee: 10_000, GasLimit: 1_000_000, Msgs: []tx.Msg{send(c, "bob", 1)}}
	sign := func(b tx.Body) []byte {
		raw, err := tx.Sign(b, key)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	badSig := sign(good)
	badSig[len(badSig)-1] ^= 1
	wrongChain := good
	wrongChain.ChainID = "other"
	future := good
	future.Nonce = 7
	unknown := good
	unknown.Msgs = []tx.Msg{{Type: "bank/steal", Value: json.RawMessage(`{}`)}}
	lowFee := good
	lowFee.Fee = 1
	tooMuchGas := good
	tooMuchGas.GasLimit = 1 << 40
	tooMuchGas.Fee = 1 << 40
	poor := good
	poor.Fee = 1 << 40
	poor.GasLimit = 40_000_000
	outOfGas := good
	outOfGas.GasLimit = 100
	outOfGas.Fee = 1
	bigMsg := good
	bigMsg.Msgs = []tx.Msg{c.Msg("bank/send", map[string]any{"to": apptest.Addr("bob"), "amount": 1, "pad": string(bytes.Repeat([]byte("x"), 300_000))})}
	badMsg := good
	badMsg.Msgs = []tx.Msg{{Type: "bank/send", Value: json.RawMessage(`{"to":"emg1xyz","amount":1}`)}}
	overflow := good
	overflow.Msgs = []tx.Msg{{Type: "bank/send", Value: json.RawMessage(`{"to":"` + apptest.Addr("bob").String() + `","amount":18446744073709551616}`)}}
	malformedJSON := tx.Encode([]byte(`{"chain_id":`), key.Public().(ed25519.PublicKey), make([]byte, 64))

	cases := []struct {
		name string
		raw  []byte
		want app.Code
	}{
		{"undecodable", []byte{1, 2, 3}, app.CodeTxDecode},
		{"malformed body", malformedJSON, app.CodeTxDecode},
		{"bad signature", badSig, app.CodeSignature},
		{"wrong chain id", sign(wrongChain), app.CodeWrongChainID},
		{"future nonce", sign(future), app.CodeNonceTooHigh},
		{"unknown message", sign(unknown), app.CodeUnknownMsg},
		{"fee below minimum", sign(lowFee), app.CodeInsufficientFee},
		{"gas limit too high", sign(tooMuchGas), app.CodeGasLimitTooHigh},
		{"cannot pay fee", sign(poor), app.CodeInsufficientFunds},
		{"gas over limit", sign(outOfGas), app.CodeOutOfGas},
		{"oversized", sign(bigMsg), app.CodeTxTooLarge},
	}
	before := balance(t, c, "alice")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if r := c.Check(tc.raw); r.Code != tc.want.Num || r.Codespace != tc.want.Space {
				t.Fatalf("CheckTx: %s/%d %q, want %s/%d", r.Codespace, r.Code, r.Log, tc.want.Space, tc.want.Num)
			}
			c.MustFail(c.Deliver(tc.raw)[0], tc.want)
		})
	}
	if got := balance(t, c, "alice"); got != before {
		t.Fatalf("rejected txs changed alice's balance: %d -> %d", before, got)
	}
	// Messages that fail after the ante checks still pay fee and nonce.
	c.MustFail(c.Deliver(sign(badMsg))[0], app.CodeInvalidMsg)
	good.Nonce = 1
	ov := overflow
	ov.Nonce = 1
	c.MustFail(c.Deliver(sign(ov))[0], app.CodeInvalidMsg)
	good.Nonce = 2
	c.MustOK(c.Deliver(sign(good))[0])
	// Replay of an included tx.
	c.MustFail(c.Deliver(sign(good))[0], app.CodeNonceTooLow)
}

func TestModuleAccountsRefuseTransfers(t *testing.T) {
	c := newChain(t)
	m := c.Msg("bank/send", bank.SendMsg{To: bank.ModuleAddress(bank.PoolUBI), Amount: 5})
	c.MustFail(c.Deliver(c.Sign("alice", m))[0], bank.CodeModuleAccount)
}

func TestEmission(t *testing.T) {
	em := bank.Emission{PerBlock: 1000, HalvingInterval: 3, Validators: 40, Subnets: 30, UBI: 20, Treasury: 10}
	c := apptest.New(t, apptest.Genesis{Balances: map[string]uint64{"alice": 1}, Emission: &em}, bank.New())
	c.NextBlocks(6) // 3 blocks at 1000, 3 at 500
	var s bank.SupplyInfo
	if err := c.Query("bank/supply", nil, &s); err != nil {
		t.Fatal(err)
	}
	if s.Supply != 1+3*1000+3*500 {
		t.Fatalf("supply %d, want %d", s.Supply, 1+3*1000+3*500)
	}
	if s.Modules[bank.PoolSubnets] != 4500*30/100 || s.Modules[bank.PoolUBI] != 4500*20/100 {
		t.Fatalf("pools %+v", s.Modules)
	}
	// No validator signed (no CometBFT here): their share stays in the treasury.
	if s.Modules[bank.PoolTreasury] != 4500*50/100 {
		t.Fatalf("treasury %d, want %d", s.Modules[bank.PoolTreasury], 4500*50/100)
	}
}

func TestRestartKeepsState(t *testing.T) {
	c := newChain(t)
	c.MustOK(c.Deliver(c.Sign("alice", send(c, "carol", 42)))[0])
	h, ah := c.App.LastCommit()
	c.Reopen()
	h2, ah2 := c.App.LastCommit()
	if h != h2 || !bytes.Equal(ah, ah2) {
		t.Fatalf("after reopen: height %d app hash %X, want %d %X", h2, ah2, h, ah)
	}
	if balance(t, c, "carol") != 42 {
		t.Fatal("balance lost on reopen")
	}
	c.MustOK(c.Deliver(c.Sign("alice", send(c, "carol", 1)))[0])
}

func TestParseAmount(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"1000uemg", 1000, true}, {"2.5emg", 2_500_000, true}, {"7", 7, true}, {"0.000001emg", 1, true},
		{"1.0000001emg", 0, false}, {"-1uemg", 0, false}, {"18446744073709551616uemg", 0, false},
		{"18446744073710emg", 0, false}, {"emg", 0, false}, {"1.emg", 0, false}, {"abc", 0, false},
	} {
		got, err := bank.ParseAmount(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseAmount(%q) = %d, %v; want %d ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
	if got := bank.FormatAmount(2_500_000); got != "2.5emg" {
		t.Errorf("FormatAmount = %q", got)
	}
}

// TestNewAccountPaysForGrowth: a send that creates its recipient's
// account uses GasNewAccount more than the same send to an existing one,
// and with a gas limit that covers only the latter it fails out of gas,
// leaving no account behind (nonce and fee kept, as for any failed
// message).
func TestNewAccountPaysForGrowth(t *testing.T) {
	c := newChain(t)
	first := c.Deliver(c.Sign("alice", send(c, "carol", 5)))[0]
	c.MustOK(first)
	again := c.Deliver(c.Sign("alice", send(c, "carol", 5)))[0]
	c.MustOK(again)
	if got := first.GasUsed - again.GasUsed; got != bank.GasNewAccount {
		t.Fatalf("creating carol used %d gas more than sending to her again (%d, %d), want %d", got, first.GasUsed, again.GasUsed, bank.GasNewAccount)
	}
	before := balance(t, c, "alice")
	short := c.Deliver(c.SignWith("alice", again.GasUsed, send(c, "dave", 5)))[0]
	c.MustFail(short, app.CodeOutOfGas)
	if got := balance(t, c, "dave"); got != 0 {
		t.Fatalf("dave has %d after the failed send, want no account", got)
	}
	if got, want := balance(t, c, "alice"), before-c.App.Params().MinFee(again.GasUsed); got != want {
		t.Fatalf("alice has %d after the failed send, want %d (the fee charged, the 5 kept)", got, want)
	}
	c.MustOK(c.Deliver(c.SignWith("alice", again.GasUsed, send(c, "carol", 5)))[0])
}
