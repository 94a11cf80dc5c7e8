package subnet

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/bits"
	"strings"

	"emergence/app"
	"emergence/fixed"
	"emergence/store"
	"emergence/subnet/yuma"
	"emergence/tx"
)

// Bank is what the subnet module needs from the token module.
type Bank interface {
	Balance(r store.Reader, a tx.Address) uint64
	Lock(kv store.KV, from tx.Address, module string, amt uint64) error
	Release(kv store.KV, module string, to tx.Address, amt uint64) error
	MoveModule(kv store.KV, from, to string, amt uint64) error
	ModuleBalance(r store.Reader, name string) uint64
	Burn(kv store.KV, module string, amt uint64) error
	RegisterAccount(ctx *app.Context, name string) error
}

// Gas of the module's messages.
const (
	GasCreate    = 50_000
	GasRegister  = 30_000
	GasStake     = 10_000
	GasCommit    = 10_000
	GasReveal    = 20_000
	GasPerWeight = 200
	// GasServe: a serve's own work (the hotkey index, the neuron record
	// read and written) is small, but it is the cheapest message a signer
	// can send over and over, so its gas also covers its share of what
	// every transaction costs (the signature, the account and fee reads
	// and writes, the commit): emergence bench gas measured 10.4–11.7 CPU
	// ns per gas unit at 5,000 (load 20–26) and 21.0 once at load 19.
	GasServe       = 10_000
	GasPerReplaced = 2_000 // per stake record returned when a uid is replaced
	// GasPerPruneSkip is charged for each immune uid a registration into a
	// full subnet passes in the pruning index.
	GasPerPruneSkip = 20
)

// Epoch work. An epoch's cost grows with uids × validators (each permitted
// validator's weight and bond rows span up to every uid); EpochWork is its
// upper bound in work units, and GasPerEpochWork converts a work unit to
// gas at the chain's gas rate (measured by BenchmarkEpochWork).
const (
	// EpochBaseWork is the fixed part of an epoch: the subnet record, the
	// epoch record, the schedule.
	EpochBaseWork = 256
	// GasPerEpochWork is the gas of one work unit. BenchmarkEpochWork
	// measured 59–101 ns of CPU per unit (3–5 ns per gas) for the epoch
	// itself; the margin covers committing its writes.
	GasPerEpochWork = 20
)

// EpochWork is the work bound of an epoch on a subnet with n uids:
// EpochBaseWork + n · (min(max_validators, n) + 2), one cell per uid for
// each validator's weights and bonds, plus the owner's row and the uid's
// own record.
func EpochWork(h *Hyperparams, n uint16) uint64 {
	return EpochBaseWork + uint64(n)*(uint64(min(h.MaxValidators, n))+2)
}

// Module is the subnet module.
type Module struct {
	bank    Bank
	models  Models
	epoch   yuma.Epoch
	queries *app.Router
}

var _ app.Module = (*Module)(nil)

// New returns the subnet module using b for escrow and payments.
func New(b Bank) *Module {
	m := &Module{bank: b}
	m.queries = m.routes()
	return m
}

// Name implements app.Module.
func (m *Module) Name() string { return Name }

// Params are the module's genesis parameters.
type Params struct {
	// CreateCost is locked from a subnet's creator (uemg).
	CreateCost uint64 `json:"create_cost"`
	// MaxSubnets bounds the number of subnets.
	MaxSubnets uint16 `json:"max_subnets"`
	// EpochWorkPerBlock bounds the epoch work of one block in work units
	// (see [EpochWork]); no subnet may be larger than one block's budget
	// (0 in genesis: DefaultEpochWorkPerBlock).
	EpochWorkPerBlock uint64 `json:"epoch_work_per_block,omitempty"`
	// EpochGasPriceMilli prices an epoch's gas ([GasPerEpochWork] per work
	// unit) in uemg per 1000 gas (0 in genesis: DefaultEpochGasPriceMilli,
	// the app's default minimum gas price).
	EpochGasPriceMilli uint64 `json:"epoch_gas_price_milli,omitempty"`
}

// Defaults of the epoch budget and price.
const (
	DefaultEpochWorkPerBlock  = 1 << 20
	DefaultEpochGasPriceMilli = 10
)

// DefaultParams: creating a subnet locks 100 EMG; at most 128 subnets;
// epochs share DefaultEpochWorkPerBlock per block and pay
// DefaultEpochGasPriceMilli.
func DefaultParams() Params {
	return Params{
		CreateCost: 100_000_000, MaxSubnets: 128,
		EpochWorkPerBlock: DefaultEpochWorkPerBlock, EpochGasPriceMilli: DefaultEpochGasPriceMilli,
	}
}

// EpochFee is what an epoch of the given work costs at these params:
// ceil(work · GasPerEpochWork · EpochGasPriceMilli / 1000) uemg.
func (p Params) EpochFee(work uint64) uint64 {
	hi, lo := bits.Mul64(work, GasPerEpochWork)
	if hi != 0 {
		return ^uint64(0)
	}
	hi, lo = bits.Mul64(lo, p.EpochGasPriceMilli)
	lo, carry := bits.Add64(lo, 999, 0)
	hi += carry
	if hi >= 1000 {
		return ^uint64(0)
	}
	q, _ := bits.Div64(hi, lo, 1000)
	return q
}

// Genesis is the module's genesis section.
type Genesis struct {
	Params Params `json:"params"`
}

// InitGenesis implements app.Module.
func (m *Module) InitGenesis(ctx *app.Context, raw json.RawMessage) error {
	g := Genesis{Params: DefaultParams()}
	if err := app.DecodeGenesis(raw, &g); err != nil {
		return fmt.Errorf("decode subnet genesis: %w", err)
	}
	if g.Params.MaxSubnets == 0 {
		return fmt.Errorf("subnet genesis: max_subnets must be positive")
	}
	if g.Params.EpochWorkPerBlock == 0 {
		g.Params.EpochWorkPerBlock = DefaultEpochWorkPerBlock
	}
	if g.Params.EpochGasPriceMilli == 0 {
		g.Params.EpochGasPriceMilli = DefaultEpochGasPriceMilli
	}
	if g.Params.EpochWorkPerBlock < EpochBaseWork {
		return fmt.Errorf("subnet genesis: epoch_work_per_block %d below one empty epoch (%d)", g.Params.EpochWorkPerBlock, EpochBaseWork)
	}
	store.PutJSON(ctx.KV, keyParams, g.Params)
	return m.bank.RegisterAccount(ctx, Escrow)
}

func (m *Module) params(r store.Reader) (Params, error) {
	p := DefaultParams()
	_, err := store.GetJSON(r, keyParams, &p)
	return p, err
}

// Messages.

// Tasks are the built-in subnet types; workers check a subnet's task
// before serving or validating it.
var Tasks = []string{TaskClassify, TaskCustom}

// Built-in tasks.
const (
	// TaskClassify: miners classify integer feature vectors over HTTP
	// (package subnet/classify).
	TaskClassify = "classify"
	// TaskCustom: the chain imposes no protocol; miners and validators
	// agree on one off-chain.
	TaskCustom = "custom"
)

// CreateMsg is "subnet/create". Hyper nil takes DefaultHyperparams; an
// empty Task means TaskClassify.
type CreateMsg struct {
	Name  string       `json:"name"`
	Task  string       `json:"task,omitempty"`
	Hyper *Hyperparams `json:"hyperparams,omitempty"`
}

// RegisterMsg is "subnet/register": the signer's address becomes a hotkey.
// MaxBurn (0: no limit) protects against a price that rose meanwhile.
type RegisterMsg struct {
	NetUID  uint16 `json:"netuid"`
	MaxBurn uint64 `json:"max_burn"`
	Axon    string `json:"axon,omitempty"`
}

// ServeMsg is "subnet/serve": publish the hotkey's axon address.
type ServeMsg struct {
	NetUID uint16 `json:"netuid"`
	Axon   string `json:"axon"`
}

// StakeMsg is "subnet/stake" and "subnet/unstake".
type StakeMsg struct {
	NetUID uint16     `json:"netuid"`
	Hotkey tx.Address `json:"hotkey"`
	Amount uint64     `json:"amount"`
}

// SetHyperMsg is "subnet/set-hyperparams": the owner replaces the
// subnet's hyperparameters (max_uids may not drop below the uids in use).
type SetHyperMsg struct {
	NetUID uint16      `json:"netuid"`
	Hyper  Hyperparams `json:"hyperparams"`
}

// CommitMsg is "subnet/commit-weights": Hash is hex of [CommitHash].
type CommitMsg struct {
	NetUID uint16 `json:"netuid"`
	Hash   string `json:"hash"`
}

// WeightsMsg is "subnet/reveal-weights" (with Salt, hex) and
// "subnet/set-weights" (without).
type WeightsMsg struct {
	NetUID uint16   `json:"netuid"`
	UIDs   []uint16 `json:"uids"`
	Values []uint16 `json:"values"`
	Salt   string   `json:"salt,omitempty"`
}

// CommitDomain separates weight commitments from every other hash of the
// chain; the version changes whenever the encoding below does.
const CommitDomain = "emergence/subnet/weights/v2"

// CommitHash is the commitment to a weight vector: SHA-256 over the
// length-prefixed fields domain ‖ hotkey ‖ netuid ‖ uids ‖ values ‖ salt,
// each written as a big-endian u32 byte length followed by its bytes (uids
// and values as big-endian u16 each). Every field is length-prefixed, so
// no two different (hotkey, netuid, uids, values, salt) tuples share an
// encoding: a commit opens exactly one way. Validators keep the salt
// secret until they reveal.
func CommitHash(hotkey tx.Address, netuid uint16, uids, values []uint16, salt []byte) [32]byte {
	h := sha256.New()
	field := func(b []byte) {
		h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(b))))
		h.Write(b)
	}
	u16s := func(v []uint16) []byte {
		b := make([]byte, 0, 2*len(v))
		for _, x := range v {
			b = binary.BigEndian.AppendUint16(b, x)
		}
		return b
	}
	field([]byte(CommitDomain))
	field(hotkey[:])
	field(store.BE16(netuid))
	field(u16s(uids))
	field(u16s(values))
	field(salt)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// Msgs implements app.Module.
func (m *Module) Msgs() []app.MsgHandler {
	return []app.MsgHandler{
		{Type: "subnet/create", Gas: GasCreate, Handle: m.handleCreate},
		{Type: "subnet/register", Gas: GasRegister, Handle: m.handleRegister},
		{Type: "subnet/serve", Gas: GasServe, Handle: m.handleServe},
		{Type: "subnet/stake", Gas: GasStake, Handle: m.handleStake},
		{Type: "subnet/unstake", Gas: GasStake, Handle: m.handleUnstake},
		{Type: "subnet/commit-weights", Gas: GasCommit, Handle: m.handleCommit},
		{Type: "subnet/reveal-weights", Gas: GasReveal, Handle: m.handleReveal},
		{Type: "subnet/set-weights", Gas: GasReveal, Handle: m.handleSetWeights},
		{Type: "subnet/set-hyperparams", Gas: GasCommit, Handle: m.handleSetHyper},
		{Type: "subnet/serve-model", Gas: GasServeModel, Handle: m.handleServeModel},
	}
}

func (m *Module) handleCreate(ctx *app.Context, raw json.RawMessage) error {
	var msg CreateMsg
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	if msg.Name == "" || len(msg.Name) > MaxNameLen {
		return CodeInvalidParams.Errorf("name must be 1 to %d bytes", MaxNameLen)
	}
	task := msg.Task
	if task == "" {
		task = TaskClassify
	}
	if task != TaskClassify && task != TaskCustom {
		return CodeInvalidParams.Errorf("task %q: want %q or %q", msg.Task, TaskClassify, TaskCustom)
	}
	h := DefaultHyperparams()
	if msg.Hyper != nil {
		h = *msg.Hyper
	}
	if err := h.Validate(); err != nil {
		return err
	}
	p, err := m.params(ctx.KV)
	if err != nil {
		return err
	}
	if err := fitsBudget(&h, p); err != nil {
		return err
	}
	next := uint16(store.GetU64(ctx.KV, keyNext))
	if next >= p.MaxSubnets {
		return CodeTooManySubnets.Errorf("%d subnets exist, the limit is %d", next, p.MaxSubnets)
	}
	if bal := m.bank.Balance(ctx.KV, ctx.Signer); bal < p.CreateCost {
		return CodeInsufficient.Errorf("creating a subnet locks %d uemg, %s has %d", p.CreateCost, ctx.Signer, bal)
	}
	if err := m.bank.Lock(ctx.KV, ctx.Signer, Escrow, p.CreateCost); err != nil {
		return err
	}
	s := &Subnet{
		NetUID: next, Name: msg.Name, Task: task, Owner: ctx.Signer, Locked: p.CreateCost, CreatedAt: ctx.Height,
		Hyper: h, LastEpoch: ctx.Height, Burn: h.MinBurn, BurnBlock: ctx.Height,
	}
	saveSubnet(ctx.KV, s)
	ctx.KV.Set(keyNext, store.BE64(uint64(next)+1))
	ctx.Emit("subnet-created", "netuid", fmt.Sprint(next), "owner", ctx.Signer.String(), "locked", fmt.Sprint(p.CreateCost))
	return nil
}

// fitsBudget refuses hyperparameters whose full epoch exceeds one block's
// epoch work budget: every epoch must fit in a block.
func fitsBudget(h *Hyperparams, p Params) error {
	if w := EpochWork(h, h.MaxUIDs); w > p.EpochWorkPerBlock {
		return CodeInvalidParams.Errorf("max_uids %d × max_validators %d: an epoch of %d work units exceeds the %d a block allows; lower max_uids or max_validators",
			h.MaxUIDs, h.MaxValidators, w, p.EpochWorkPerBlock)
	}
	return nil
}

func validAxon(a string) bool {
	if len(a) > MaxAxonLen {
		return false
	}
	for _, c := range a {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

func (m *Module) handleRegister(ctx *app.Context, raw json.RawMessage) error {
	var msg RegisterMsg
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	if !validAxon(msg.Axon) {
		return CodeInvalidAxon.Errorf("axon must be up to %d printable characters without spaces", MaxAxonLen)
	}
	s, err := loadSubnet(ctx.KV, msg.NetUID)
	if err != nil {
		return err
	}
	if _, ok := uidOf(ctx.KV, s.NetUID, ctx.Signer); ok {
		return CodeAlreadyRegistered.Errorf("%s is already a hotkey on subnet %d", ctx.Signer, s.NetUID)
	}
	price := s.Price(ctx.Height)
	if msg.MaxBurn != 0 && price > msg.MaxBurn {
		return CodeBurnTooHigh.Errorf("price is %d uemg, max_burn %d", price, msg.MaxBurn)
	}
	var uid uint16
	if s.N < s.Hyper.MaxUIDs {
		uid = s.N
		s.N++
	} else {
		uid, err = m.pruneCandidate(ctx, s)
		if err != nil {
			return err
		}
		if err := m.replace(ctx, s, uid); err != nil {
			return err
		}
	}
	if bal := m.bank.Balance(ctx.KV, ctx.Signer); bal < price {
		return CodeInsufficient.Errorf("registration burns %d uemg, %s has %d", price, ctx.Signer, bal)
	}
	if err := m.bank.Lock(ctx.KV, ctx.Signer, Escrow, price); err != nil {
		return err
	}
	if err := m.bank.Burn(ctx.KV, Escrow, price); err != nil {
		return err
	}
	next, ok := fixed.MulDiv(price, s.Hyper.BurnIncreasePct, 100)
	if !ok || next > s.Hyper.MaxBurn {
		next = s.Hyper.MaxBurn
	}
	s.Burn, s.BurnBlock = max(next, s.Hyper.MinBurn), ctx.Height
	n := &Neuron{UID: uid, Hotkey: ctx.Signer, RegisteredAt: ctx.Height, LastUpdate: ctx.Height, Axon: msg.Axon, Active: true}
	saveNeuron(ctx.KV, s.NetUID, n)
	ctx.KV.Set(pruneKey(s.NetUID, n), pruneMark)
	ctx.KV.Set(hotkeyKey(s.NetUID, ctx.Signer), store.BE16(uid))
	saveSubnet(ctx.KV, s)
	ctx.Emit("subnet-registered", "netuid", fmt.Sprint(s.NetUID), "uid", fmt.Sprint(uid), "hotkey", ctx.Signer.String(), "burned", fmt.Sprint(price))
	return nil
}

// pruneCandidate returns the non-immune uid with the lowest emission (ties:
// earliest registration, then lowest uid), never the owner's hotkey. It
// walks the pruning index from its lowest entry and charges GasPerPruneSkip
// for every immune (or owner) entry it passes.
func (m *Module) pruneCandidate(ctx *app.Context, s *Subnet) (uint16, error) {
	ownerUID, hasOwner := uidOf(ctx.KV, s.NetUID, s.Owner)
	pre := store.Key(prefixPrune, store.BE16(s.NetUID))
	best := -1
	var err error
	ctx.KV.Iterate(pre, store.PrefixEnd(pre), func(k, _ []byte) bool {
		if len(k) != len(pre)+18 {
			err = fmt.Errorf("subnet %d: malformed pruning index key %q", s.NetUID, k)
			return false
		}
		regAt := int64(binary.BigEndian.Uint64(k[len(pre)+8:]))
		uid := binary.BigEndian.Uint16(k[len(pre)+16:])
		if (hasOwner && uid == ownerUID) || ctx.Height-regAt < int64(s.Hyper.ImmunityPeriod) {
			err = ctx.ConsumeGas(GasPerPruneSkip, "passing an immune uid in the pruning index")
			return err == nil
		}
		best = int(uid)
		return false
	})
	if err != nil {
		return 0, err
	}
	if best < 0 {
		return 0, CodeAllImmune.Errorf("subnet %d has %d uids, all immune for %d blocks after registration", s.NetUID, s.N, s.Hyper.ImmunityPeriod)
	}
	return uint16(best), nil
}

// replace deregisters the hotkey at uid: its stakes are returned, its
// weights, bonds and index are removed.
func (m *Module) replace(ctx *app.Context, s *Subnet, uid uint16) error {
	old, err := loadNeuron(ctx.KV, s.NetUID, uid)
	if err != nil {
		return err
	}
	type refund struct {
		k      []byte
		staker tx.Address
		amt    uint64
	}
	var refunds []refund
	var bad error
	pre := stakePrefix(s.NetUID, old.Hotkey)
	ctx.KV.Iterate(pre, store.PrefixEnd(pre), func(k, v []byte) bool {
		amt, err := stakeAmount(k, v)
		if err != nil {
			bad = err
			return false
		}
		var st tx.Address
		copy(st[:], k[len(pre):])
		refunds = append(refunds, refund{bytes.Clone(k), st, amt})
		return true
	})
	if bad != nil {
		return bad
	}
	if err := ctx.ConsumeGas(uint64(len(refunds))*GasPerReplaced, "returning stakes of the replaced uid"); err != nil {
		return err
	}
	for _, r := range refunds {
		if err := m.bank.Release(ctx.KV, Escrow, r.staker, r.amt); err != nil {
			return err
		}
		ctx.KV.Delete(r.k)
		s.TotalStake -= r.amt
	}
	ctx.KV.Delete(hotkeyKey(s.NetUID, old.Hotkey))
	ctx.KV.Delete(pruneKey(s.NetUID, old))
	ctx.KV.Delete(weightKey(s.NetUID, uid))
	ctx.KV.Delete(weightEpochKey(s.NetUID, uid))
	ctx.KV.Delete(bondKey(s.NetUID, uid))
	if old.Model != "" {
		ctx.KV.Delete(modelKey(old.Model, s.NetUID, uid))
	}
	ctx.Emit("subnet-deregistered", "netuid", fmt.Sprint(s.NetUID), "uid", fmt.Sprint(uid), "hotkey", old.Hotkey.String())
	return nil
}

func (m *Module) handleSetHyper(ctx *app.Context, raw json.RawMessage) error {
	var msg SetHyperMsg
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	s, err := loadSubnet(ctx.KV, msg.NetUID)
	if err != nil {
		return err
	}
	if ctx.Signer != s.Owner {
		return CodeNotOwner.Errorf("subnet %d is owned by %s", s.NetUID, s.Owner)
	}
	if err := msg.Hyper.Validate(); err != nil {
		return err
	}
	p, err := m.params(ctx.KV)
	if err != nil {
		return err
	}
	if err := fitsBudget(&msg.Hyper, p); err != nil {
		return err
	}
	if msg.Hyper.MaxUIDs < s.N {
		return CodeInvalidParams.Errorf("max_uids %d below the %d uids in use", msg.Hyper.MaxUIDs, s.N)
	}
	s.Hyper = msg.Hyper
	s.Burn = min(max(s.Burn, s.Hyper.MinBurn), s.Hyper.MaxBurn)
	saveSubnet(ctx.KV, s)
	ctx.Emit("subnet-hyperparams", "netuid", fmt.Sprint(s.NetUID), "tempo", fmt.Sprint(s.Hyper.Tempo))
	return nil
}

func (m *Module) handleServe(ctx *app.Context, raw json.RawMessage) error {
	var msg ServeMsg
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	if msg.Axon == "" || !validAxon(msg.Axon) {
		return CodeInvalidAxon.Errorf("axon must be 1 to %d printable characters without spaces", MaxAxonLen)
	}
	n, err := m.signerNeuron(ctx, msg.NetUID)
	if err != nil {
		return err
	}
	n.Axon = msg.Axon
	saveNeuron(ctx.KV, msg.NetUID, n)
	return nil
}

// signerNeuron loads the signer's neuron on a subnet. It checks that the
// subnet exists without decoding its record (serve, the cheapest message
// that calls it, spent a seventh of its block decoding it).
func (m *Module) signerNeuron(ctx *app.Context, net uint16) (*Neuron, error) {
	if ctx.KV.Get(netKey(net)) == nil {
		return nil, CodeSubnetNotFound.Errorf("no subnet %d", net)
	}
	uid, ok := uidOf(ctx.KV, net, ctx.Signer)
	if !ok {
		return nil, CodeNotRegistered.Errorf("%s is not registered on subnet %d", ctx.Signer, net)
	}
	return loadNeuron(ctx.KV, net, uid)
}

func (m *Module) handleStake(ctx *app.Context, raw json.RawMessage) error {
	var msg StakeMsg
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	if msg.Amount == 0 {
		return CodeInvalidAmount.Errorf("amount must be positive")
	}
	s, err := loadSubnet(ctx.KV, msg.NetUID)
	if err != nil {
		return err
	}
	uid, ok := uidOf(ctx.KV, s.NetUID, msg.Hotkey)
	if !ok {
		return CodeNotRegistered.Errorf("%s is not a hotkey on subnet %d", msg.Hotkey, s.NetUID)
	}
	n, err := loadNeuron(ctx.KV, s.NetUID, uid)
	if err != nil {
		return err
	}
	if bal := m.bank.Balance(ctx.KV, ctx.Signer); bal < msg.Amount {
		return CodeInsufficient.Errorf("%s has %d uemg, stake needs %d", ctx.Signer, bal, msg.Amount)
	}
	if s.TotalStake+msg.Amount < s.TotalStake {
		return CodeInvalidAmount.Errorf("total stake would overflow")
	}
	if err := m.bank.Lock(ctx.KV, ctx.Signer, Escrow, msg.Amount); err != nil {
		return err
	}
	k := stakeKey(s.NetUID, msg.Hotkey, ctx.Signer)
	store.PutNonZeroU64(ctx.KV, k, store.GetU64(ctx.KV, k)+msg.Amount)
	n.Stake += msg.Amount
	s.TotalStake += msg.Amount
	saveNeuron(ctx.KV, s.NetUID, n)
	saveSubnet(ctx.KV, s)
	ctx.Emit("subnet-stake", "netuid", fmt.Sprint(s.NetUID), "hotkey", msg.Hotkey.String(), "staker", ctx.Signer.String(), "amount", fmt.Sprint(msg.Amount))
	return nil
}

func (m *Module) handleUnstake(ctx *app.Context, raw json.RawMessage) error {
	var msg StakeMsg
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	if msg.Amount == 0 {
		return CodeInvalidAmount.Errorf("amount must be positive")
	}
	s, err := loadSubnet(ctx.KV, msg.NetUID)
	if err != nil {
		return err
	}
	k := stakeKey(s.NetUID, msg.Hotkey, ctx.Signer)
	have := store.GetU64(ctx.KV, k)
	if have < msg.Amount {
		return CodeStakeTooLow.Errorf("%s has %d uemg staked on %s, asked to unstake %d", ctx.Signer, have, msg.Hotkey, msg.Amount)
	}
	uid, ok := uidOf(ctx.KV, s.NetUID, msg.Hotkey)
	if !ok {
		return fmt.Errorf("stake record for unregistered hotkey %s", msg.Hotkey)
	}
	n, err := loadNeuron(ctx.KV, s.NetUID, uid)
	if err != nil {
		return err
	}
	if err := m.bank.Release(ctx.KV, Escrow, ctx.Signer, msg.Amount); err != nil {
		return err
	}
	store.PutNonZeroU64(ctx.KV, k, have-msg.Amount)
	n.Stake -= msg.Amount
	s.TotalStake -= msg.Amount
	saveNeuron(ctx.KV, s.NetUID, n)
	saveSubnet(ctx.KV, s)
	ctx.Emit("subnet-unstake", "netuid", fmt.Sprint(s.NetUID), "hotkey", msg.Hotkey.String(), "staker", ctx.Signer.String(), "amount", fmt.Sprint(msg.Amount))
	return nil
}

// mayVote reports whether the signer's neuron may set weights: it needs a
// validator permit unless it is the subnet owner's hotkey.
func mayVote(s *Subnet, n *Neuron) error {
	if n.ValidatorPermit || n.Hotkey == s.Owner {
		return nil
	}
	return CodeNoPermit.Errorf("uid %d has no validator permit on subnet %d (permits go to the %d largest stakes at each epoch)", n.UID, s.NetUID, s.Hyper.MaxValidators)
}

func (m *Module) handleCommit(ctx *app.Context, raw json.RawMessage) error {
	var msg CommitMsg
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	h, err := hex.DecodeString(msg.Hash)
	if err != nil || len(h) != 32 {
		return CodeInvalidWeights.Errorf("hash must be 64 hex characters")
	}
	s, err := loadSubnet(ctx.KV, msg.NetUID)
	if err != nil {
		return err
	}
	if !s.Hyper.CommitReveal {
		return CodeCommitReveal.Errorf("subnet %d sets weights directly (subnet/set-weights)", s.NetUID)
	}
	n, err := m.signerNeuron(ctx, msg.NetUID)
	if err != nil {
		return err
	}
	if err := mayVote(s, n); err != nil {
		return err
	}
	c := Commit{Hash: strings.ToLower(msg.Hash), Height: ctx.Height, Epoch: s.Epochs}
	if i := n.pendingCommit(s.Epochs); i >= 0 {
		n.Commits[i] = c // a second commit in one epoch replaces the first
	} else {
		if n.unexpiredCommits() >= MaxPendingCommits {
			return CodeTooManyCommits.Errorf("uid %d has %d commits waiting for their reveal on subnet %d", n.UID, MaxPendingCommits, s.NetUID)
		}
		n.Commits = append(n.Commits, c)
	}
	saveNeuron(ctx.KV, s.NetUID, n)
	ctx.Emit("subnet-commit", "netuid", fmt.Sprint(s.NetUID), "uid", fmt.Sprint(n.UID), "epoch", fmt.Sprint(s.Epochs))
	return nil
}

func (m *Module) handleReveal(ctx *app.Context, raw json.RawMessage) error {
	var msg WeightsMsg
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	s, err := loadSubnet(ctx.KV, msg.NetUID)
	if err != nil {
		return err
	}
	if !s.Hyper.CommitReveal {
		return CodeCommitReveal.Errorf("subnet %d sets weights directly (subnet/set-weights)", s.NetUID)
	}
	n, err := m.signerNeuron(ctx, msg.NetUID)
	if err != nil {
		return err
	}
	// Exactly one commit can be due: the one made RevealPeriodEpochs ago.
	period := s.Hyper.RevealPeriodEpochs
	ci := -1
	if s.Epochs >= period {
		ci = n.pendingCommit(s.Epochs - period)
	}
	if ci < 0 {
		if len(n.Commits) == 0 {
			return CodeNoCommit.Errorf("uid %d has no pending commit on subnet %d", n.UID, s.NetUID)
		}
		for _, c := range n.Commits {
			if !c.Expired {
				return CodeRevealWindow.Errorf("commit of epoch %d is revealed in epoch %d; the subnet is in epoch %d", c.Epoch, c.Epoch+period, s.Epochs)
			}
		}
		c := n.Commits[len(n.Commits)-1]
		return CodeRevealWindow.Errorf("commit of epoch %d expired: it had to be revealed in epoch %d; the subnet is in epoch %d", c.Epoch, c.Epoch+period, s.Epochs)
	}
	commit := n.Commits[ci]
	if len(msg.UIDs) != len(msg.Values) {
		return CodeInvalidWeights.Errorf("%d uids but %d values", len(msg.UIDs), len(msg.Values))
	}
	salt, err := hex.DecodeString(msg.Salt)
	if err != nil {
		return CodeInvalidWeights.Errorf("salt must be hex")
	}
	got := CommitHash(ctx.Signer, s.NetUID, msg.UIDs, msg.Values, salt)
	if hex.EncodeToString(got[:]) != commit.Hash {
		return CodeRevealMismatch.Errorf("hash of the revealed weights is %x, committed %s in epoch %d", got, commit.Hash, commit.Epoch)
	}
	if err := mayVote(s, n); err != nil {
		return err
	}
	if err := m.storeWeights(ctx, s, n, msg.UIDs, msg.Values); err != nil {
		return err
	}
	// The copy check compares these weights with their commit epoch's
	// consensus.
	store.PutU64(ctx.KV, weightEpochKey(s.NetUID, n.UID), commit.Epoch)
	n.Commits = append(n.Commits[:ci], n.Commits[ci+1:]...)
	if len(n.Commits) == 0 {
		n.Commits = nil
	}
	saveNeuron(ctx.KV, s.NetUID, n)
	return nil
}

func (m *Module) handleSetWeights(ctx *app.Context, raw json.RawMessage) error {
	var msg WeightsMsg
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	if msg.Salt != "" {
		return CodeInvalidWeights.Errorf("set-weights takes no salt")
	}
	s, err := loadSubnet(ctx.KV, msg.NetUID)
	if err != nil {
		return err
	}
	if s.Hyper.CommitReveal {
		return CodeCommitReveal.Errorf("subnet %d requires commit–reveal (subnet/commit-weights, then subnet/reveal-weights)", s.NetUID)
	}
	n, err := m.signerNeuron(ctx, msg.NetUID)
	if err != nil {
		return err
	}
	if err := mayVote(s, n); err != nil {
		return err
	}
	if err := m.storeWeights(ctx, s, n, msg.UIDs, msg.Values); err != nil {
		return err
	}
	saveNeuron(ctx.KV, s.NetUID, n)
	return nil
}

// storeWeights validates a weight vector, max-upscales it as subtensor's
// set_weights does, stores it and marks the neuron updated.
func (m *Module) storeWeights(ctx *app.Context, s *Subnet, n *Neuron, uids, values []uint16) error {
	if len(uids) != len(values) {
		return CodeInvalidWeights.Errorf("%d uids but %d values", len(uids), len(values))
	}
	if len(uids) == 0 {
		return CodeInvalidWeights.Errorf("no weights")
	}
	if len(uids) > int(s.N) {
		return CodeTooManyWeights.Errorf("%d weights for a subnet of %d uids", len(uids), s.N)
	}
	if err := ctx.ConsumeGas(uint64(len(uids))*GasPerWeight, "weights"); err != nil {
		return err
	}
	seen := make([]bool, s.N)
	var any bool
	for i, u := range uids {
		if u >= s.N {
			return CodeUnknownUID.Errorf("uid %d does not exist (subnet %d has %d uids)", u, s.NetUID, s.N)
		}
		if seen[u] {
			return CodeDuplicateUID.Errorf("uid %d appears twice", u)
		}
		seen[u] = true
		any = any || values[i] != 0
	}
	if !any {
		return CodeInvalidWeights.Errorf("all weights are zero")
	}
	v := append([]uint16(nil), values...)
	fixed.MaxUpscaleU16(v)
	row := make([]yuma.Entry, len(uids))
	for i := range uids {
		row[i] = yuma.Entry{UID: uids[i], Value: v[i]}
	}
	setRow(ctx.KV, weightKey(s.NetUID, n.UID), row)
	n.LastUpdate = ctx.Height
	ctx.Emit("subnet-weights", "netuid", fmt.Sprint(s.NetUID), "uid", fmt.Sprint(n.UID), "count", fmt.Sprint(len(uids)))
	return nil
}
