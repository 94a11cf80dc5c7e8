// Package personhood is the chain module for proof of personhood and UBI,
// modelled on World ID v3 and the WLD recurring grants.
//
// Enrolment operators (the role of World's Orb) are registered in genesis or
// by a transaction, with a bonded stake and an ed25519 device key. Before
// enrolling someone an operator runs the off-chain uniqueness service
// (package iris) and then signs the person's identity commitment (package
// identity) with its device key; the module checks the signature, refuses
// duplicates and appends the commitment to an incremental Merkle tree
// (package tree) kept in state, with a history of recent roots that expire
// after RootExpiryBlocks. The governance key set in genesis can suspend an
// operator and slash its stake to the treasury. Suspension revokes every
// identity the operator enrolled: the leaves are emptied (at most
// MaxRevoke per message, personhood/revoke continues), every earlier root
// stops being valid at once, and revoked people no longer count as
// members; their enrolments stay listed, marked revoked.
//
// # UBI
//
// Emission feeds the bank's pool/ubi. Epochs are EpochBlocks long: epoch e
// covers heights e*EpochBlocks .. (e+1)*EpochBlocks-1. When an epoch opens
// (end of the block before it) the module fixes its grant:
//
//	budget = pool/ubi balance * PoolShareBps / 10000
//	grant  = min(MaxGrant, budget / max(1, enrolled people))
//
// A person claims at most once per epoch with a Groth16 proof (package
// claim) whose external nullifier is identity.EpochExternalNullifier(e) and
// whose signal is the recipient address; the nullifier hash is recorded per
// epoch. An epoch's grant can be claimed during that epoch and the next one.
// The claim message is self-funded: the recipient may be a fresh address,
// and the transaction fee is charged after the grant arrives.
//
// # Personhood for other modules
//
// A module that wants "one human per account" has the account send
// personhood/prove-human with a proof whose external nullifier is
// identity.AppExternalNullifier(app) and whose signal is the account. The
// module records (app, nullifier hash) -> account, so one person can bind
// one account per app, unlinkably to their UBI claims and other apps.
// Other modules then ask Module.IsHuman(r, app, account).
//
// The handlers are deterministic: integers only, no map iteration, no clock,
// no randomness; time is the block height.
package personhood

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"sync"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"emergence/app"
	"emergence/bank"
	"emergence/personhood/claim"
	"emergence/personhood/devkeys"
	"emergence/personhood/identity"
	"emergence/personhood/tree"
	"emergence/store"
	"emergence/tx"
)

// Name is the module name: codespace, genesis key, query route, key prefix.
const Name = "personhood"

// Escrow is the module account holding operator stakes.
const Escrow = "escrow/" + Name

// Gas charged per message (proof verification dominates claims).
const (
	GasRegister = 50_000
	GasEnrol    = 150_000
	// GasEnrolEach is charged per commitment of an enrol-batch message.
	GasEnrolEach = 20_000
	GasSuspend   = 50_000
	// GasRevokeEach is charged per enrolment a suspension revokes (one
	// tree path of TreeDepth hashes and writes).
	GasRevokeEach = 60_000
	GasClaim      = 400_000
	GasProve      = 400_000
)

var errReadOnly = errors.New("personhood: tree view is read-only")

// Bank is what the module needs from the bank.
type Bank interface {
	Balance(r store.Reader, a tx.Address) uint64
	Lock(kv store.KV, from tx.Address, module string, amt uint64) error
	Release(kv store.KV, module string, to tx.Address, amt uint64) error
	MoveModule(kv store.KV, from, to string, amt uint64) error
	ModuleBalance(r store.Reader, name string) uint64
	RegisterAccount(ctx *app.Context, name string) error
}

// Params are the module's genesis parameters.
type Params struct {
	// Governance may suspend and slash operators.
	Governance tx.Address `json:"governance"`
	// MinOperatorStake is the least stake an operator bonds, in uemg.
	MinOperatorStake uint64 `json:"min_operator_stake"`
	// TreeDepth of the identity tree; the verifying key must match it.
	TreeDepth int `json:"tree_depth"`
	// RootExpiryBlocks is how long a superseded root stays valid.
	RootExpiryBlocks uint64 `json:"root_expiry_blocks"`
	// EpochBlocks is the UBI epoch length.
	EpochBlocks uint64 `json:"epoch_blocks"`
	// PoolShareBps is the share of pool/ubi an epoch may pay out, in 1/10000.
	PoolShareBps uint64 `json:"pool_share_bps"`
	// MaxGrant caps one person's grant per epoch, in uemg.
	MaxGrant uint64 `json:"max_grant"`
	// VerifyingKey is the hex claim-circuit verifying key (claim.VerifyingKeySize bytes).
	VerifyingKey string `json:"verifying_key"`
}

// OperatorGenesis is an operator registered at genesis; its stake is locked
// from its genesis balance.
type OperatorGenesis struct {
	Address   tx.Address `json:"address"`
	DeviceKey string     `json:"device_key"`
	Stake     uint64     `json:"stake"`
}

// Genesis is the module's genesis section. Zero fields take defaults.
type Genesis struct {
	Params    Params            `json:"params"`
	Operators []OperatorGenesis `json:"operators,omitempty"`
}

// DefaultParams returns the defaults: depth-30 tree with the embedded devnet
// verifying key, 100-block root expiry, 100-block epochs, 10% of the pool
// per epoch, grants capped at 1 EMG, 100 EMG minimum stake, no governance.
func DefaultParams() Params {
	return Params{
		MinOperatorStake: 100_000_000,
		TreeDepth:        devkeys.Depth,
		RootExpiryBlocks: 100,
		EpochBlocks:      100,
		PoolShareBps:     1000,
		MaxGrant:         1_000_000,
		VerifyingKey:     hex.EncodeToString(devkeys.VerifyingKey),
	}
}

// Operator is an enrolment operator's state.
type Operator struct {
	Address   tx.Address `json:"address"`
	DeviceKey string     `json:"device_key"`
	Stake     uint64     `json:"stake"`
	Slashed   uint64     `json:"slashed"`
	Suspended bool       `json:"suspended"`
	Enrolled  uint64     `json:"enrolled"`
	// Revoked counts the operator's enrolments revoked by its suspension
	// (all of them once it equals Enrolled).
	Revoked uint64 `json:"revoked"`
	Since   int64  `json:"since"`
}

// Enrolment is one commitment in the tree.
type Enrolment struct {
	Index      uint64     `json:"index"`
	Commitment string     `json:"commitment"`
	Operator   tx.Address `json:"operator"`
	Height     int64      `json:"height"`
	// Revoked is set when the operator's suspension emptied the leaf.
	Revoked bool `json:"revoked,omitempty"`
}

// Epoch is one UBI epoch's record.
type Epoch struct {
	Number      uint64 `json:"number"`
	StartHeight int64  `json:"start_height"`
	Members     uint64 `json:"members"`
	Budget      uint64 `json:"budget"`
	Grant       uint64 `json:"grant"`
	Claims      uint64 `json:"claims"`
	Paid        uint64 `json:"paid"`

	// The UBI pool over time. Pool is pool/ubi's balance when the epoch
	// opened (end of the block before it) and PaidOut what the pool paid in
	// grants while this was the current epoch (its own claims and late
	// claims of the epoch before). When the next epoch opens, Closed is
	// set, PoolEnd is the balance then and Inflow what flowed in meanwhile
	// (emission): PoolEnd = Pool + Inflow - PaidOut.
	Pool    uint64 `json:"pool"`
	PaidOut uint64 `json:"paid_out"`
	Closed  bool   `json:"closed,omitempty"`
	PoolEnd uint64 `json:"pool_end,omitempty"`
	Inflow  uint64 `json:"inflow,omitempty"`
}

// Module is the personhood module.
type Module struct {
	bank    Bank
	queries *app.Router

	mu     sync.Mutex // guards the verifier cache (CheckTx and queries may run concurrently)
	vkHex  string
	verify *claim.Verifier
}

var _ app.Module = (*Module)(nil)

// New returns the module.
func New(b Bank) *Module {
	m := &Module{bank: b}
	m.queries = m.routes()
	return m
}

// Name implements app.Module.
func (m *Module) Name() string { return Name }

// State keys.
var (
	keyParams   = []byte(Name + "/params")
	prefixOp    = []byte(Name + "/op/")
	prefixEnrol = []byte(Name + "/enrol/")
	prefixEpoch = []byte(Name + "/epoch/")
	prefixNull  = []byte(Name + "/null/")
	prefixHuman = []byte(Name + "/human/")
	prefixBound = []byte(Name + "/bound/")
	// prefixByOp indexes the not yet revoked enrolments of each operator:
	// by-op/<address>/<index>.
	prefixByOp = []byte(Name + "/by-op/")
	keyRevoked = []byte(Name + "/revoked")
	keyLocked  = []byte(Name + "/locked")
	keyHeight  = []byte(Name + "/height")
)

// Params returns the module parameters.
func (m *Module) Params(r store.Reader) (Params, error) {
	var p Params
	ok, err := store.GetJSON(r, keyParams, &p)
	if err != nil {
		return p, err
	}
	if !ok {
		return p, errors.New("personhood params missing")
	}
	return p, nil
}

func (m *Module) tree(kv store.KV, p Params) (*tree.Tree, error) {
	return tree.New(kvTree{kv}, p.TreeDepth, p.RootExpiryBlocks)
}

func (m *Module) readTree(r store.Reader, p Params) (*tree.Tree, error) {
	return tree.New(readTree{r}, p.TreeDepth, p.RootExpiryBlocks)
}

// verifier returns the decoded verifying key of p, cached.
func (m *Module) verifier(p Params) (*claim.Verifier, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.verify != nil && m.vkHex == p.VerifyingKey {
		return m.verify, nil
	}
	if p.VerifyingKey == "" {
		return nil, CodeClaimsDisabled.Err()
	}
	b, err := hex.DecodeString(p.VerifyingKey)
	if err != nil {
		return nil, CodeClaimsDisabled.Errorf("verifying key is not hex: %v", err)
	}
	v, err := claim.DecodeVerifyingKey(b)
	if err != nil {
		return nil, CodeClaimsDisabled.Errorf("%v", err)
	}
	m.vkHex, m.verify = p.VerifyingKey, v
	return v, nil
}

// InitGenesis implements app.Module.
func (m *Module) InitGenesis(ctx *app.Context, raw json.RawMessage) error {
	g := Genesis{Params: DefaultParams()}
	if len(raw) > 0 && string(raw) != "null" {
		if err := app.DecodeGenesis(raw, &g); err != nil {
			return fmt.Errorf("personhood genesis: %w", err)
		}
		d := DefaultParams()
		p := &g.Params
		if p.MinOperatorStake == 0 {
			p.MinOperatorStake = d.MinOperatorStake
		}
		if p.TreeDepth == 0 {
			p.TreeDepth = d.TreeDepth
		}
		if p.RootExpiryBlocks == 0 {
			p.RootExpiryBlocks = d.RootExpiryBlocks
		}
		if p.EpochBlocks == 0 {
			p.EpochBlocks = d.EpochBlocks
		}
		if p.PoolShareBps == 0 {
			p.PoolShareBps = d.PoolShareBps
		}
		if p.MaxGrant == 0 {
			p.MaxGrant = d.MaxGrant
		}
		if p.VerifyingKey == "" && p.TreeDepth == d.TreeDepth {
			p.VerifyingKey = d.VerifyingKey
		}
	}
	p := g.Params
	if p.TreeDepth < 1 || p.TreeDepth > tree.MaxDepth {
		return fmt.Errorf("personhood genesis: tree depth %d outside 1..%d", p.TreeDepth, tree.MaxDepth)
	}
	if p.PoolShareBps > 10_000 {
		return fmt.Errorf("personhood genesis: pool share %d bps above 10000", p.PoolShareBps)
	}
	if p.VerifyingKey != "" {
		if _, err := m.verifier(p); err != nil {
			return fmt.Errorf("personhood genesis: %w", err)
		}
	}
	store.PutJSON(ctx.KV, keyParams, p)
	if err := m.bank.RegisterAccount(ctx, Escrow); err != nil {
		return err
	}
	for i, o := range g.Operators {
		if err := m.register(ctx, p, o.Address, o.DeviceKey, o.Stake); err != nil {
			return fmt.Errorf("personhood genesis operator %d: %w", i, err)
		}
	}
	return m.openEpoch(ctx.KV, p, 0, ctx.Height)
}

// EpochOf returns the epoch of a block height.
func EpochOf(p Params, height int64) uint64 {
	if height < 0 {
		return 0
	}
	return uint64(height) / p.EpochBlocks
}

func epochKey(e uint64) []byte { return store.Key(prefixEpoch, store.BE64(e)) }

// EpochRecord returns epoch e's record and whether it is open yet.
func (m *Module) EpochRecord(r store.Reader, e uint64) (Epoch, bool, error) {
	var ep Epoch
	ok, err := store.GetJSON(r, epochKey(e), &ep)
	return ep, ok, err
}

func (m *Module) openEpoch(kv store.KV, p Params, e uint64, start int64) error {
	if kv.Get(epochKey(e)) != nil {
		return nil
	}
	t, err := m.tree(kv, p)
	if err != nil {
		return err
	}
	size, err := t.Size()
	if err != nil {
		return err
	}
	members := size - store.GetU64(kv, keyRevoked)
	pool := m.bank.ModuleBalance(kv, bank.PoolUBI)
	budget := mulDiv(pool, p.PoolShareBps, 10_000)
	grant := budget / max(members, 1)
	if grant > p.MaxGrant {
		grant = p.MaxGrant
	}
	if e > 0 {
		if err := closeEpoch(kv, e-1, pool); err != nil {
			return err
		}
	}
	store.PutJSON(kv, epochKey(e), Epoch{Number: e, StartHeight: start, Members: members, Budget: budget, Grant: grant, Pool: pool})
	return nil
}

// closeEpoch records the pool's balance at the end of epoch e, when the
// next one opens, and what flowed in during it. An epoch that never opened
// (a chain started past it) has nothing to close.
func closeEpoch(kv store.KV, e uint64, pool uint64) error {
	var ep Epoch
	ok, err := store.GetJSON(kv, epochKey(e), &ep)
	if err != nil || !ok || ep.Closed {
		return err
	}
	ep.Closed, ep.PoolEnd = true, pool
	// Grants are the pool's only outflow, so the balance plus what it paid
	// out covers where it started; were it short, Invariants says so.
	if in := pool + ep.PaidOut; in > ep.Pool {
		ep.Inflow = in - ep.Pool
	}
	store.PutJSON(kv, epochKey(e), ep)
	return nil
}

// mulDiv returns a*b/c without overflow (c > 0).
func mulDiv(a, b, c uint64) uint64 {
	var x big.Int
	x.Mul(new(big.Int).SetUint64(a), new(big.Int).SetUint64(b))
	x.Quo(&x, new(big.Int).SetUint64(c))
	return x.Uint64()
}

// EndBlock records the height (for queries) and opens the next block's
// epoch when that block starts a new one.
func (m *Module) EndBlock(ctx *app.Context) error {
	p, err := m.Params(ctx.KV)
	if err != nil {
		return err
	}
	store.PutU64(ctx.KV, keyHeight, uint64(ctx.Height))
	next := ctx.Height + 1
	if uint64(next)%p.EpochBlocks != 0 {
		return nil
	}
	return m.openEpoch(ctx.KV, p, EpochOf(p, next), next)
}

// Invariants checks that the stake the module records equals its escrow,
// that every tree leaf is listed as an enrolment, that no epoch paid
// more than its budget or other than claims x grant, and that each closed
// epoch's pool balances (start + inflow = end + paid out, and its end is
// the next epoch's start).
func (m *Module) Invariants(r store.Reader) error {
	var sum uint64
	var bad error
	r.Iterate(prefixOp, store.PrefixEnd(prefixOp), func(k, v []byte) bool {
		var o Operator
		if err := json.Unmarshal(v, &o); err != nil {
			bad = fmt.Errorf("operator record %x: %w", k, err)
			return false
		}
		sum += o.Stake
		return true
	})
	if bad != nil {
		return bad
	}
	if got := store.GetU64(r, keyLocked); got != sum {
		return fmt.Errorf("personhood: locked total %d, operators' stakes sum to %d", got, sum)
	}
	if esc := m.bank.ModuleBalance(r, Escrow); esc != sum {
		return fmt.Errorf("personhood: escrow holds %d, operators' stakes sum to %d", esc, sum)
	}
	p, err := m.Params(r)
	if err != nil {
		return err
	}
	t, err := m.readTree(r, p)
	if err != nil {
		return err
	}
	size, err := t.Size()
	if err != nil {
		return err
	}
	var listed, revoked uint64
	r.Iterate(prefixEnrol, store.PrefixEnd(prefixEnrol), func(k, v []byte) bool {
		listed++
		var e Enrolment
		if err := json.Unmarshal(v, &e); err != nil {
			bad = fmt.Errorf("enrolment record %x: %w", k, err)
			return false
		}
		indexed := r.Get(byOpKey(e.Operator, e.Index)) != nil
		if e.Revoked {
			revoked++
			leaf, err := t.Leaf(e.Index)
			if err != nil || !leaf.IsZero() || indexed {
				bad = fmt.Errorf("personhood: revoked enrolment %d still in the tree or the operator's index", e.Index)
				return false
			}
		} else if !indexed {
			bad = fmt.Errorf("personhood: enrolment %d missing from its operator's index", e.Index)
			return false
		}
		return true
	})
	if bad != nil {
		return bad
	}
	if listed != size {
		return fmt.Errorf("personhood: %d enrolments listed, tree holds %d leaves", listed, size)
	}
	if got := store.GetU64(r, keyRevoked); got != revoked {
		return fmt.Errorf("personhood: revoked total %d, %d enrolments marked revoked", got, revoked)
	}
	var prev *Epoch
	r.Iterate(prefixEpoch, store.PrefixEnd(prefixEpoch), func(k, v []byte) bool {
		var e Epoch
		if err := json.Unmarshal(v, &e); err != nil {
			bad = fmt.Errorf("epoch record %x: %w", k, err)
			return false
		}
		if e.Paid > e.Budget || e.Paid != e.Claims*e.Grant {
			bad = fmt.Errorf("personhood: epoch %d paid %d for %d claims of %d, budget %d", e.Number, e.Paid, e.Claims, e.Grant, e.Budget)
			return false
		}
		if e.Closed && e.Pool+e.Inflow != e.PoolEnd+e.PaidOut {
			bad = fmt.Errorf("personhood: epoch %d pool %d + inflow %d != end %d + paid out %d", e.Number, e.Pool, e.Inflow, e.PoolEnd, e.PaidOut)
			return false
		}
		// An epoch closes as the next opens, reading one balance for both.
		if prev != nil && prev.Number+1 == e.Number && prev.Closed && prev.PoolEnd != e.Pool {
			bad = fmt.Errorf("personhood: epoch %d ended with pool %d, epoch %d opened with %d", prev.Number, prev.PoolEnd, e.Number, e.Pool)
			return false
		}
		prev = &e
		return true
	})
	return bad
}

// ParseField parses a decimal field element (< r).
func ParseField(s string) (fr.Element, error) {
	v, ok := new(big.Int).SetString(s, 10)
	if !ok || len(s) > 80 {
		return fr.Element{}, CodeInvalidField.Errorf("%q is not a decimal number", s)
	}
	if v.Sign() < 0 || v.Cmp(fr.Modulus()) >= 0 {
		return fr.Element{}, CodeInvalidField.Errorf("%q is outside the BN254 scalar field", s)
	}
	var e fr.Element
	e.SetBigInt(v)
	return e, nil
}

// FieldString formats a field element in decimal.
func FieldString(e fr.Element) string { return identity.CommitmentString(e) }

// EnrolSignBytes is what an operator's device key signs to enrol commitment.
func EnrolSignBytes(chainID string, commitment fr.Element) []byte {
	c := commitment.Bytes()
	return store.Key([]byte("emergence/personhood/enrol\x00"), []byte(chainID), []byte{0}, c[:])
}

func parseDeviceKey(s string) (ed25519.PublicKey, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, CodeInvalidDeviceKey.Errorf("device key must be %d bytes of hex", ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(b), nil
}
