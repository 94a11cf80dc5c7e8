package bank

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/bits"
	"net/url"
	"sort"
	"strings"

	"emergence/app"
	"emergence/store"
	"emergence/tx"
)

// Pools fed by emission and fees.
const (
	PoolFees     = "pool/fees"
	PoolSubnets  = "pool/subnets"
	PoolUBI      = "pool/ubi"
	PoolTreasury = "pool/treasury"
)

// Gas of the bank's messages (on top of the per-byte charge). A send is
// GasSend, plus GasNewAccount when it creates its recipient's account: the
// new balance is state every later read searches (bench gas's sends cost
// about a third more CPU on a chain of 98,304 accounts than on a fresh
// one), so growth pays for itself and a send to an existing account pays
// only its work. A multisend output is GasPerOutput whether or not it
// creates an account (its rows measure outputs to new accounts).
const (
	GasSend          = 1_500
	GasNewAccount    = 3_500
	GasPerOutput     = 3_000
	MaxOutputs       = 256
	maxModuleNameLen = 64
)

// State keys.
var (
	prefixBalance = []byte("bank/bal/")
	prefixModule  = []byte("bank/mod/")   // name -> address, to list module accounts
	prefixIsMod   = []byte("bank/ismod/") // address -> name
	keySupply     = []byte("bank/supply")
	keyParams     = []byte("bank/params")
)

// Bank is the token module. All its state is in the store; the struct
// holds only its query routes.
type Bank struct{ queries *app.Router }

var (
	_ app.Module       = (*Bank)(nil)
	_ app.FeeCollector = (*Bank)(nil)
)

// New returns the bank module.
func New() *Bank {
	b := &Bank{}
	b.queries = b.routes()
	return b
}

// Name implements app.Module.
func (b *Bank) Name() string { return Name }

func balanceKey(a tx.Address) []byte { return store.Key(prefixBalance, a[:]) }

// Balance returns an account's balance in uemg.
func (b *Bank) Balance(r store.Reader, a tx.Address) uint64 { return store.GetU64(r, balanceKey(a)) }

func (b *Bank) setBalance(kv store.KV, a tx.Address, v uint64) {
	store.PutNonZeroU64(kv, balanceKey(a), v)
}

// Supply returns the total supply in uemg.
func (b *Bank) Supply(r store.Reader) uint64 { return store.GetU64(r, keySupply) }

// Send moves amt from one account to another.
func (b *Bank) Send(kv store.KV, from, to tx.Address, amt uint64) error {
	if amt == 0 {
		return nil
	}
	fb := b.Balance(kv, from)
	if fb < amt {
		return CodeInsufficientFunds.Errorf("%s has %s, needs %s", from, FormatAmount(fb), FormatAmount(amt))
	}
	if from == to {
		return nil
	}
	tb := b.Balance(kv, to)
	nt, carry := bits.Add64(tb, amt, 0)
	if carry != 0 {
		return CodeOverflow.Errorf("balance of %s would overflow", to)
	}
	b.setBalance(kv, from, fb-amt)
	b.setBalance(kv, to, nt)
	return nil
}

// ModuleAddress returns the address of a named module account.
func ModuleAddress(name string) tx.Address { return tx.ModuleAddress(name) }

func (b *Bank) registerModule(kv store.KV, name string) tx.Address {
	addr := tx.ModuleAddress(name)
	k := store.Key(prefixModule, []byte(name))
	if kv.Get(k) == nil {
		kv.Set(k, addr[:])
		kv.Set(store.Key(prefixIsMod, addr[:]), []byte(name))
	}
	return addr
}

// RegisterAccount creates a module account (an escrow such as
// "escrow/label"). Modules call it from InitGenesis: every module account
// exists from genesis, so no one can send tokens to an escrow's address
// before the module first uses it (transfers to module accounts are
// refused), and locking into an account not created at genesis fails.
func (b *Bank) RegisterAccount(ctx *app.Context, name string) error {
	if ctx.Height != 0 {
		return fmt.Errorf("bank: module account %q must be created at genesis, not at height %d", name, ctx.Height)
	}
	if name == "" || len(name) > maxModuleNameLen {
		return fmt.Errorf("bank: module account name %q must have 1 to %d bytes", name, maxModuleNameLen)
	}
	b.registerModule(ctx.KV, name)
	return nil
}

// moduleAccount returns the address of a module account created at genesis.
func (b *Bank) moduleAccount(r store.Reader, name string) (tx.Address, error) {
	addr := tx.ModuleAddress(name)
	if !b.isModule(r, addr) {
		return addr, fmt.Errorf("bank: module account %q was not created at genesis (call RegisterAccount from InitGenesis)", name)
	}
	return addr, nil
}

// ModuleBalance returns the balance of a module account ("escrow/label", "pool/ubi", ...).
func (b *Bank) ModuleBalance(r store.Reader, name string) uint64 {
	return b.Balance(r, tx.ModuleAddress(name))
}

// Lock moves amt from an account into a module account (an escrow).
func (b *Bank) Lock(kv store.KV, from tx.Address, module string, amt uint64) error {
	to, err := b.moduleAccount(kv, module)
	if err != nil {
		return err
	}
	return b.Send(kv, from, to, amt)
}

// Release moves amt from a module account to an account.
func (b *Bank) Release(kv store.KV, module string, to tx.Address, amt uint64) error {
	return b.Send(kv, tx.ModuleAddress(module), to, amt)
}

// MoveModule moves amt between two module accounts (e.g. slashed stake from
// an escrow to the treasury).
func (b *Bank) MoveModule(kv store.KV, from, to string, amt uint64) error {
	dst, err := b.moduleAccount(kv, to)
	if err != nil {
		return err
	}
	return b.Send(kv, tx.ModuleAddress(from), dst, amt)
}

// Burn destroys amt from a module account, reducing supply.
func (b *Bank) Burn(kv store.KV, module string, amt uint64) error {
	addr := tx.ModuleAddress(module)
	bal := b.Balance(kv, addr)
	if bal < amt {
		return CodeInsufficientFunds.Errorf("module %s has %s, burn needs %s", module, FormatAmount(bal), FormatAmount(amt))
	}
	b.setBalance(kv, addr, bal-amt)
	store.PutU64(kv, keySupply, b.Supply(kv)-amt)
	return nil
}

// mint creates amt in an account, increasing supply. It mints less when
// supply would overflow and returns what was minted.
func (b *Bank) mint(kv store.KV, to tx.Address, amt uint64) uint64 {
	s := b.Supply(kv)
	if amt > ^uint64(0)-s {
		amt = ^uint64(0) - s
	}
	if amt == 0 {
		return 0
	}
	store.PutU64(kv, keySupply, s+amt)
	b.setBalance(kv, to, b.Balance(kv, to)+amt)
	return amt
}

// feePool is the fee pool's address (registered as a module account in genesis).
var feePool = tx.ModuleAddress(PoolFees)

// ChargeFee implements app.FeeCollector.
func (b *Bank) ChargeFee(kv store.KV, payer tx.Address, fee uint64) error {
	bal := b.Balance(kv, payer)
	if bal < fee {
		return app.CodeInsufficientFunds.Errorf("%s has %s, fee is %s", payer, FormatAmount(bal), FormatAmount(fee))
	}
	return b.Send(kv, payer, feePool, fee)
}

// SendMsg is the value of a "bank/send" message.
type SendMsg struct {
	To     tx.Address `json:"to"`
	Amount uint64     `json:"amount"`
}

// Output is one recipient of a multi-send.
type Output struct {
	To     tx.Address `json:"to"`
	Amount uint64     `json:"amount"`
}

// MultiSendMsg is the value of a "bank/multisend" message.
type MultiSendMsg struct {
	Outputs []Output `json:"outputs"`
}

// Msgs implements app.Module.
func (b *Bank) Msgs() []app.MsgHandler {
	return []app.MsgHandler{
		{Type: "bank/send", Gas: GasSend, Handle: b.handleSend},
		{Type: "bank/multisend", Gas: GasSend, Handle: b.handleMultiSend},
	}
}

func (b *Bank) checkRecipient(kv store.Reader, to tx.Address) error {
	if to.IsZero() {
		return CodeInvalidAddress.Errorf("recipient is the zero address")
	}
	if b.isModule(kv, to) {
		return CodeModuleAccount.Errorf("%s is a module account", to)
	}
	return nil
}

func (b *Bank) isModule(r store.Reader, a tx.Address) bool {
	return r.Get(store.Key(prefixIsMod, a[:])) != nil
}

func (b *Bank) handleSend(ctx *app.Context, raw json.RawMessage) error {
	var m SendMsg
	if err := decodeSend(raw, &m); err != nil {
		return err
	}
	if m.Amount == 0 {
		return CodeInvalidAmount.Errorf("amount must be positive")
	}
	if err := b.checkRecipient(ctx.KV, m.To); err != nil {
		return err
	}
	if m.To != ctx.Signer && b.Balance(ctx.KV, m.To) == 0 {
		if err := ctx.ConsumeGas(GasNewAccount, "new account"); err != nil {
			return err
		}
	}
	if err := b.Send(ctx.KV, ctx.Signer, m.To, m.Amount); err != nil {
		return err
	}
	ctx.Emit("transfer", "sender", ctx.Signer.String(), "recipient", m.To.String(), "amount", fmt.Sprint(m.Amount))
	return nil
}

func (b *Bank) handleMultiSend(ctx *app.Context, raw json.RawMessage) error {
	var m MultiSendMsg
	if err := app.DecodeMsg(raw, &m); err != nil {
		return err
	}
	if len(m.Outputs) == 0 || len(m.Outputs) > MaxOutputs {
		return CodeTooManyOutputs.Errorf("%d outputs, want 1 to %d", len(m.Outputs), MaxOutputs)
	}
	if err := ctx.ConsumeGas(uint64(len(m.Outputs))*GasPerOutput, "multisend outputs"); err != nil {
		return err
	}
	var total uint64
	for i, o := range m.Outputs {
		if o.Amount == 0 {
			return CodeInvalidAmount.Errorf("output %d: amount must be positive", i)
		}
		if err := b.checkRecipient(ctx.KV, o.To); err != nil {
			return fmt.Errorf("output %d: %w", i, err)
		}
		var carry uint64
		total, carry = bits.Add64(total, o.Amount, 0)
		if carry != 0 {
			return CodeOverflow.Errorf("outputs add up to more than 2^64")
		}
	}
	if bal := b.Balance(ctx.KV, ctx.Signer); bal < total {
		return CodeInsufficientFunds.Errorf("%s has %s, outputs need %s", ctx.Signer, FormatAmount(bal), FormatAmount(total))
	}
	for _, o := range m.Outputs {
		if err := b.Send(ctx.KV, ctx.Signer, o.To, o.Amount); err != nil {
			return err
		}
		ctx.Emit("transfer", "sender", ctx.Signer.String(), "recipient", o.To.String(), "amount", fmt.Sprint(o.Amount))
	}
	return nil
}

// Query implements app.Module:
//
//	balance/<address>   {address, balance, nonce}
//	supply              {supply, modules: {name: balance}}
//	params              emission parameters
func (b *Bank) Query(r store.Reader, path string, q url.Values) (any, error) {
	return b.queries.Query(r, path, q)
}

func (b *Bank) routes() *app.Router {
	return app.NewRouter(Name,
		app.Route{Pattern: "balance/{address}", Handle: func(r store.Reader, args []string, _ url.Values) (any, error) {
			addr, err := tx.ParseAddress(args[0])
			if err != nil {
				return nil, app.CodeBadQuery.Errorf("%v", err)
			}
			return Account{Address: addr, Balance: b.Balance(r, addr), Nonce: app.Nonce(r, addr)}, nil
		}},
		app.Route{Pattern: "supply", Handle: func(r store.Reader, _ []string, _ url.Values) (any, error) {
			return SupplyInfo{Supply: b.Supply(r), Modules: b.moduleBalances(r)}, nil
		}},
		app.Route{Pattern: "params", Handle: func(r store.Reader, _ []string, _ url.Values) (any, error) { return b.params(r) }},
	)
}

// Account is the answer to a balance query.
type Account struct {
	Address tx.Address `json:"address"`
	Balance uint64     `json:"balance"`
	Nonce   uint64     `json:"nonce"`
}

// SupplyInfo is the answer to a supply query.
type SupplyInfo struct {
	Supply  uint64            `json:"supply"`
	Modules map[string]uint64 `json:"modules"`
}

func (b *Bank) moduleBalances(r store.Reader) map[string]uint64 {
	out := make(map[string]uint64)
	r.Iterate(prefixModule, store.PrefixEnd(prefixModule), func(k, v []byte) bool {
		var a tx.Address
		copy(a[:], v)
		out[string(k[len(prefixModule):])] = b.Balance(r, a)
		return true
	})
	return out
}

// Invariants implements app.Module: supply equals the sum of all balances
// (accounts, escrows and pools), and no balance record is zero.
func (b *Bank) Invariants(r store.Reader) error {
	var sum uint64
	var err error
	r.Iterate(prefixBalance, store.PrefixEnd(prefixBalance), func(k, v []byte) bool {
		if len(v) != 8 || len(k) != len(prefixBalance)+tx.AddressLen {
			err = fmt.Errorf("corrupt balance record %x", k)
			return false
		}
		x := binary.BigEndian.Uint64(v)
		if x == 0 {
			err = fmt.Errorf("zero balance stored for %x", k[len(prefixBalance):])
			return false
		}
		var c uint64
		sum, c = bits.Add64(sum, x, 0)
		if c != 0 {
			err = fmt.Errorf("balances overflow")
			return false
		}
		return true
	})
	if err != nil {
		return err
	}
	if s := b.Supply(r); s != sum {
		return fmt.Errorf("token conservation: supply %d != sum of balances %d", s, sum)
	}
	return nil
}

// Genesis is the bank's genesis section.
type Genesis struct {
	Balances   []Output    `json:"balances"`
	Emission   Emission    `json:"emission"`
	Validators []Validator `json:"validators"`
}

// Validator maps a consensus key (its 20-byte address, hex) to the account
// that receives its rewards.
type Validator struct {
	ConsensusAddress string     `json:"consensus_address"`
	RewardAddress    tx.Address `json:"reward_address"`
}

// Emission is the emission schedule.
type Emission struct {
	// PerBlock is minted each block before the first halving, in uemg.
	PerBlock uint64 `json:"per_block"`
	// HalvingInterval in blocks (0: never halves).
	HalvingInterval uint64 `json:"halving_interval"`
	// Split in percent; must add up to 100.
	Validators uint64 `json:"validators_pct"`
	Subnets    uint64 `json:"subnets_pct"`
	UBI        uint64 `json:"ubi_pct"`
	Treasury   uint64 `json:"treasury_pct"`
}

// DefaultEmission: 10 EMG per block, halving every 10,512,000 blocks (about
// two years at 6 s), split 40/30/20/10.
func DefaultEmission() Emission {
	return Emission{PerBlock: 10 * UnitsPerEMG, HalvingInterval: 10_512_000, Validators: 40, Subnets: 30, UBI: 20, Treasury: 10}
}

type params struct {
	Emission   Emission    `json:"emission"`
	Validators []Validator `json:"validators"`
}

func (b *Bank) params(r store.Reader) (params, error) {
	var p params
	if _, err := store.GetJSON(r, keyParams, &p); err != nil {
		return p, fmt.Errorf("bank: %w", err)
	}
	return p, nil
}

// InitGenesis implements app.Module.
func (b *Bank) InitGenesis(ctx *app.Context, raw json.RawMessage) error {
	g := Genesis{Emission: DefaultEmission()}
	if err := app.DecodeGenesis(raw, &g); err != nil {
		return fmt.Errorf("decode bank genesis: %w", err)
	}
	e := g.Emission
	if e.Validators+e.Subnets+e.UBI+e.Treasury != 100 {
		return fmt.Errorf("emission split adds up to %d%%, want 100%%", e.Validators+e.Subnets+e.UBI+e.Treasury)
	}
	for i, v := range g.Validators {
		if x, err := hex.DecodeString(v.ConsensusAddress); err != nil || len(x) != 20 {
			return fmt.Errorf("validator %d: consensus_address must be 40 hex characters", i)
		}
		g.Validators[i].ConsensusAddress = strings.ToUpper(v.ConsensusAddress)
	}
	for _, pool := range []string{PoolFees, PoolSubnets, PoolUBI, PoolTreasury} {
		b.registerModule(ctx.KV, pool)
	}
	for i, o := range g.Balances {
		if o.To.IsZero() {
			return fmt.Errorf("genesis balance %d: zero address", i)
		}
		if b.mint(ctx.KV, o.To, o.Amount) != o.Amount {
			return fmt.Errorf("genesis balances overflow the supply")
		}
	}
	store.PutJSON(ctx.KV, keyParams, params{Emission: e, Validators: g.Validators})
	return nil
}

// EndBlock implements app.Module: it mints the block's emission and pays
// validators their share and the collected fees.
func (b *Bank) EndBlock(ctx *app.Context) error {
	p, err := b.params(ctx.KV)
	if err != nil {
		return err
	}
	e := p.Emission
	amount := e.PerBlock
	if e.HalvingInterval > 0 && ctx.Height > 0 {
		halvings := uint64(ctx.Height-1) / e.HalvingInterval
		if halvings >= 64 {
			amount = 0
		} else {
			amount >>= halvings
		}
	}
	treasury := tx.ModuleAddress(PoolTreasury)
	if amount > 0 {
		minted := b.mint(ctx.KV, treasury, amount)
		split := func(pct uint64) uint64 { hi, lo := bits.Mul64(minted, pct); q, _ := bits.Div64(hi, lo, 100); return q }
		if err := b.MoveModule(ctx.KV, PoolTreasury, PoolSubnets, split(e.Subnets)); err != nil {
			return err
		}
		if err := b.MoveModule(ctx.KV, PoolTreasury, PoolUBI, split(e.UBI)); err != nil {
			return err
		}
		if err := b.payValidators(ctx, p.Validators, PoolTreasury, split(e.Validators)); err != nil {
			return err
		}
		ctx.Emit("emission", "height", fmt.Sprint(ctx.Height), "minted", fmt.Sprint(minted))
	}
	if fees := b.ModuleBalance(ctx.KV, PoolFees); fees > 0 {
		if err := b.payValidators(ctx, p.Validators, PoolFees, fees); err != nil {
			return err
		}
	}
	return nil
}

// payValidators pays amt from a pool to the reward addresses of validators
// that signed the previous block, pro rata to power. What cannot be
// attributed stays in (or moves to) the treasury.
func (b *Bank) payValidators(ctx *app.Context, vals []Validator, pool string, amt uint64) error {
	rewards := make(map[string]tx.Address, len(vals))
	for _, v := range vals {
		rewards[v.ConsensusAddress] = v.RewardAddress
	}
	type share struct {
		to    tx.Address
		power uint64
	}
	var shares []share
	var total uint64
	for _, v := range ctx.Votes {
		if !v.SignedBlock || v.Power <= 0 {
			continue
		}
		to, ok := rewards[strings.ToUpper(hex.EncodeToString(v.Address))]
		if !ok {
			continue
		}
		shares = append(shares, share{to, uint64(v.Power)})
		total += uint64(v.Power)
	}
	sort.SliceStable(shares, func(i, j int) bool { return bytes.Compare(shares[i].to[:], shares[j].to[:]) < 0 })
	var paid uint64
	for _, s := range shares {
		hi, lo := bits.Mul64(amt, s.power)
		q, _ := bits.Div64(hi, lo, total)
		if err := b.Release(ctx.KV, pool, s.to, q); err != nil {
			return err
		}
		paid += q
	}
	if pool != PoolTreasury {
		return b.MoveModule(ctx.KV, pool, PoolTreasury, amt-paid)
	}
	return nil
}
