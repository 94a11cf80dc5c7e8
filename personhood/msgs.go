package personhood

import (
	"crypto/ed25519"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"emergence/app"
	"emergence/bank"
	"emergence/personhood/claim"
	"emergence/personhood/identity"
	"emergence/personhood/tree"
	"emergence/store"
	"emergence/tx"
)

// RegisterMsg registers the signer as an enrolment operator.
type RegisterMsg struct {
	DeviceKey string `json:"device_key"` // hex ed25519 public key
	Stake     uint64 `json:"stake"`      // uemg bonded from the signer
}

// EnrolMsg enrols an identity commitment. Anyone may submit it; the device
// key of Operator must have signed EnrolSignBytes(chain id, commitment).
type EnrolMsg struct {
	Operator   tx.Address `json:"operator"`
	Commitment string     `json:"commitment"` // decimal field element
	Signature  string     `json:"signature"`  // hex ed25519
}

// EnrolBatchMsg enrols several commitments from one operator in one tree
// update (World ID's sequencer batches the same way). Signatures[i] is the
// device key's signature of Commitments[i]; the batch is all or nothing.
type EnrolBatchMsg struct {
	Operator    tx.Address `json:"operator"`
	Commitments []string   `json:"commitments"`
	Signatures  []string   `json:"signatures"`
}

// MaxEnrolBatch is the largest EnrolBatchMsg.
const MaxEnrolBatch = 500

// SuspendMsg suspends an operator and slashes Slash uemg of its stake to
// the treasury. Only the governance key may send it.
type SuspendMsg struct {
	Operator tx.Address `json:"operator"`
	Slash    uint64     `json:"slash"`
	Reason   string     `json:"reason"`
}

// RevokeMsg continues revoking a suspended operator's enrolments when its
// suspension had more than MaxRevoke. Only the governance key may send it.
type RevokeMsg struct {
	Operator tx.Address `json:"operator"`
}

// MaxRevoke is the most enrolments one suspend-operator or revoke message
// revokes.
const MaxRevoke = 250

// ClaimMsg claims epoch Epoch's UBI grant for Recipient.
type ClaimMsg struct {
	Epoch         uint64     `json:"epoch"`
	Root          string     `json:"root"`
	NullifierHash string     `json:"nullifier_hash"`
	Recipient     tx.Address `json:"recipient"`
	Proof         string     `json:"proof"` // hex, claim.ProofSize bytes
}

// ProveHumanMsg binds the signer's account to one human for App.
type ProveHumanMsg struct {
	App           string `json:"app"`
	Root          string `json:"root"`
	NullifierHash string `json:"nullifier_hash"`
	Proof         string `json:"proof"`
}

// Msgs implements app.Module.
func (m *Module) Msgs() []app.MsgHandler {
	return []app.MsgHandler{
		{Type: Name + "/register-operator", Gas: GasRegister, Handle: m.handleRegister},
		{Type: Name + "/enrol", Gas: GasEnrol, Handle: m.handleEnrol},
		{Type: Name + "/enrol-batch", Gas: GasEnrol, Handle: m.handleEnrolBatch},
		{Type: Name + "/suspend-operator", Gas: GasSuspend, Handle: m.handleSuspend},
		{Type: Name + "/revoke", Gas: GasSuspend, Handle: m.handleRevoke},
		{Type: Name + "/claim", Gas: GasClaim, Handle: m.handleClaim, Check: m.handleClaim, SelfFunded: true},
		{Type: Name + "/prove-human", Gas: GasProve, Handle: m.handleProveHuman, Check: m.handleProveHuman},
	}
}

func opKey(a tx.Address) []byte { return store.Key(prefixOp, a[:]) }

func byOpKey(a tx.Address, index uint64) []byte {
	return store.Key(prefixByOp, a[:], []byte{'/'}, store.BE64(index))
}

// Operator returns the operator at address a.
func (m *Module) Operator(r store.Reader, a tx.Address) (Operator, bool, error) {
	var o Operator
	ok, err := store.GetJSON(r, opKey(a), &o)
	return o, ok, err
}

func (m *Module) register(ctx *app.Context, p Params, who tx.Address, deviceKey string, stake uint64) error {
	if _, err := parseDeviceKey(deviceKey); err != nil {
		return err
	}
	if ctx.KV.Get(opKey(who)) != nil {
		return CodeOperatorExists.Errorf("%s", who)
	}
	if stake < p.MinOperatorStake {
		return CodeStakeTooLow.Errorf("stake %d uemg, minimum %d", stake, p.MinOperatorStake)
	}
	if err := m.bank.Lock(ctx.KV, who, Escrow, stake); err != nil {
		return err
	}
	store.PutJSON(ctx.KV, opKey(who), Operator{Address: who, DeviceKey: deviceKey, Stake: stake, Since: ctx.Height})
	store.PutU64(ctx.KV, keyLocked, store.GetU64(ctx.KV, keyLocked)+stake)
	ctx.Emit(Name+"/register-operator", "operator", who.String(), "stake", strconv.FormatUint(stake, 10))
	return nil
}

func (m *Module) handleRegister(ctx *app.Context, raw json.RawMessage) error {
	var msg RegisterMsg
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	p, err := m.Params(ctx.KV)
	if err != nil {
		return err
	}
	return m.register(ctx, p, ctx.Signer, msg.DeviceKey, msg.Stake)
}

// activeOperator returns the operator and its device key, or a coded error.
func (m *Module) activeOperator(r store.Reader, a tx.Address) (Operator, ed25519.PublicKey, error) {
	op, ok, err := m.Operator(r, a)
	if err != nil {
		return op, nil, err
	}
	if !ok {
		return op, nil, CodeUnknownOperator.Errorf("%s", a)
	}
	if op.Suspended {
		return op, nil, CodeOperatorSuspended.Errorf("%s", a)
	}
	pub, err := parseDeviceKey(op.DeviceKey)
	return op, pub, err
}

// signedCommitment parses a commitment and checks the device key signed it.
func signedCommitment(chainID string, pub ed25519.PublicKey, commitment, signature string) (fr.Element, error) {
	c, err := ParseField(commitment)
	if err != nil {
		return c, err
	}
	if c.IsZero() {
		return c, CodeInvalidField.Errorf("commitment 0 is reserved for empty leaves")
	}
	sig, err := hex.DecodeString(signature)
	if err != nil || len(sig) != ed25519.SignatureSize || !ed25519.Verify(pub, EnrolSignBytes(chainID, c), sig) {
		return c, CodeBadEnrolSignature.Errorf("commitment %s", commitment)
	}
	return c, nil
}

func treeError(err error, what string) error {
	switch {
	case errors.Is(err, tree.ErrDuplicateLeaf):
		return CodeDuplicateIdentity.Errorf("%s", what)
	case errors.Is(err, tree.ErrTreeFull):
		return CodeTreeFull.Err()
	}
	return err
}

func (m *Module) handleEnrol(ctx *app.Context, raw json.RawMessage) error {
	var msg EnrolMsg
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	p, err := m.Params(ctx.KV)
	if err != nil {
		return err
	}
	op, pub, err := m.activeOperator(ctx.KV, msg.Operator)
	if err != nil {
		return err
	}
	c, err := signedCommitment(ctx.ChainID, pub, msg.Commitment, msg.Signature)
	if err != nil {
		return err
	}
	t, err := m.tree(ctx.KV, p)
	if err != nil {
		return err
	}
	idx, root, err := t.Insert(c, uint64(ctx.Height))
	if err != nil {
		return treeError(err, "commitment "+msg.Commitment)
	}
	m.recordEnrolments(ctx, op, idx, []fr.Element{c}, root)
	return nil
}

func (m *Module) handleEnrolBatch(ctx *app.Context, raw json.RawMessage) error {
	var msg EnrolBatchMsg
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	if len(msg.Commitments) == 0 || len(msg.Commitments) > MaxEnrolBatch || len(msg.Signatures) != len(msg.Commitments) {
		return app.CodeInvalidMsg.Errorf("a batch has 1..%d commitments and one signature each (got %d and %d)", MaxEnrolBatch, len(msg.Commitments), len(msg.Signatures))
	}
	if err := ctx.ConsumeGas(GasEnrolEach*uint64(len(msg.Commitments)), "enrolments"); err != nil {
		return err
	}
	p, err := m.Params(ctx.KV)
	if err != nil {
		return err
	}
	op, pub, err := m.activeOperator(ctx.KV, msg.Operator)
	if err != nil {
		return err
	}
	cs := make([]fr.Element, len(msg.Commitments))
	for i := range msg.Commitments {
		if cs[i], err = signedCommitment(ctx.ChainID, pub, msg.Commitments[i], msg.Signatures[i]); err != nil {
			return err
		}
	}
	t, err := m.tree(ctx.KV, p)
	if err != nil {
		return err
	}
	first, root, err := t.InsertBatch(cs, uint64(ctx.Height))
	if err != nil {
		return treeError(err, "a commitment of the batch is already enrolled or repeated")
	}
	m.recordEnrolments(ctx, op, first, cs, root)
	return nil
}

// recordEnrolments lists enrolments from index first and credits the operator.
func (m *Module) recordEnrolments(ctx *app.Context, op Operator, first uint64, cs []fr.Element, root fr.Element) {
	for i, c := range cs {
		idx := first + uint64(i)
		store.PutJSON(ctx.KV, store.Key(prefixEnrol, store.BE64(idx)), Enrolment{Index: idx, Commitment: FieldString(c), Operator: op.Address, Height: ctx.Height})
		ctx.KV.Set(byOpKey(op.Address, idx), []byte{1})
	}
	op.Enrolled += uint64(len(cs))
	store.PutJSON(ctx.KV, opKey(op.Address), op)
	ctx.Emit(Name+"/enrol", "operator", op.Address.String(), "first_index", strconv.FormatUint(first, 10),
		"count", strconv.Itoa(len(cs)), "root", FieldString(root))
}

// governedOperator checks that the signer is the governance key and returns
// the params and the operator that governance acts on.
func (m *Module) governedOperator(ctx *app.Context, addr tx.Address) (Params, Operator, error) {
	p, err := m.Params(ctx.KV)
	if err != nil {
		return p, Operator{}, err
	}
	if p.Governance.IsZero() || ctx.Signer != p.Governance {
		return p, Operator{}, CodeNotGovernance.Errorf("signer %s", ctx.Signer)
	}
	op, ok, err := m.Operator(ctx.KV, addr)
	if err != nil {
		return p, Operator{}, err
	}
	if !ok {
		return p, Operator{}, CodeUnknownOperator.Errorf("%s", addr)
	}
	return p, op, nil
}

func (m *Module) handleSuspend(ctx *app.Context, raw json.RawMessage) error {
	var msg SuspendMsg
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	p, op, err := m.governedOperator(ctx, msg.Operator)
	if err != nil {
		return err
	}
	if op.Suspended {
		return CodeAlreadySuspended.Errorf("%s", msg.Operator)
	}
	if msg.Slash > op.Stake {
		return CodeInvalidSlash.Errorf("slash %d above stake %d", msg.Slash, op.Stake)
	}
	if msg.Slash > 0 {
		if err := m.bank.MoveModule(ctx.KV, Escrow, bank.PoolTreasury, msg.Slash); err != nil {
			return err
		}
	}
	op.Stake -= msg.Slash
	op.Slashed += msg.Slash
	op.Suspended = true
	store.PutU64(ctx.KV, keyLocked, store.GetU64(ctx.KV, keyLocked)-msg.Slash)
	ctx.Emit(Name+"/suspend-operator", "operator", msg.Operator.String(), "slash", strconv.FormatUint(msg.Slash, 10), "reason", msg.Reason)
	return m.revoke(ctx, p, op)
}

// revoke empties up to MaxRevoke of a suspended operator's remaining
// enrolments from the tree, marks them revoked and saves the operator.
// Gas is GasRevokeEach per enrolment, charged before the work.
func (m *Module) revoke(ctx *app.Context, p Params, op Operator) error {
	n := min(op.Enrolled-op.Revoked, MaxRevoke)
	if err := ctx.ConsumeGas(GasRevokeEach*n, "revocations"); err != nil {
		return err
	}
	pre := store.Key(prefixByOp, op.Address[:], []byte{'/'})
	var idx []uint64
	ctx.KV.Iterate(pre, store.PrefixEnd(pre), func(k, _ []byte) bool {
		idx = append(idx, binary.BigEndian.Uint64(k[len(pre):]))
		return uint64(len(idx)) < n
	})
	if uint64(len(idx)) != n {
		return fmt.Errorf("personhood: operator %s has %d enrolments left to revoke, %d indexed", op.Address, n, len(idx))
	}
	t, err := m.tree(ctx.KV, p)
	if err != nil {
		return err
	}
	root, err := t.Revoke(idx, uint64(ctx.Height))
	if err != nil {
		return err
	}
	for _, i := range idx {
		var e Enrolment
		if _, err := store.GetJSON(ctx.KV, store.Key(prefixEnrol, store.BE64(i)), &e); err != nil {
			return err
		}
		e.Revoked = true
		store.PutJSON(ctx.KV, store.Key(prefixEnrol, store.BE64(i)), e)
		ctx.KV.Delete(byOpKey(op.Address, i))
	}
	op.Revoked += n
	store.PutU64(ctx.KV, keyRevoked, store.GetU64(ctx.KV, keyRevoked)+n)
	store.PutJSON(ctx.KV, opKey(op.Address), op)
	ctx.Emit(Name+"/revoke", "operator", op.Address.String(), "count", strconv.FormatUint(n, 10),
		"left", strconv.FormatUint(op.Enrolled-op.Revoked, 10), "root", FieldString(root))
	return nil
}

func (m *Module) handleRevoke(ctx *app.Context, raw json.RawMessage) error {
	var msg RevokeMsg
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	p, op, err := m.governedOperator(ctx, msg.Operator)
	if err != nil {
		return err
	}
	if !op.Suspended || op.Revoked == op.Enrolled {
		return CodeNothingToRevoke.Errorf("operator %s: suspended %v, %d of %d enrolments revoked", msg.Operator, op.Suspended, op.Revoked, op.Enrolled)
	}
	return m.revoke(ctx, p, op)
}

// checkProof checks the root and the proof of a membership statement.
func (m *Module) checkProof(ctx *app.Context, p Params, rootS, nhS, proofHex string, signal, ext fr.Element) (fr.Element, error) {
	root, err := ParseField(rootS)
	if err != nil {
		return fr.Element{}, err
	}
	nh, err := ParseField(nhS)
	if err != nil {
		return fr.Element{}, err
	}
	t, err := m.tree(ctx.KV, p)
	if err != nil {
		return fr.Element{}, err
	}
	switch err := t.CheckRoot(root, uint64(ctx.Height)); {
	case errors.Is(err, tree.ErrUnknownRoot):
		return fr.Element{}, CodeUnknownRoot.Errorf("%s", rootS)
	case errors.Is(err, tree.ErrExpiredRoot):
		return fr.Element{}, CodeExpiredRoot.Errorf("%s superseded more than %d blocks ago", rootS, p.RootExpiryBlocks)
	case errors.Is(err, tree.ErrRevokedRoot):
		return fr.Element{}, CodeExpiredRoot.Errorf("%s predates the revocation of a suspended operator's enrolments: prove against the current root", rootS)
	case err != nil:
		return fr.Element{}, err
	}
	v, err := m.verifier(p)
	if err != nil {
		return fr.Element{}, err
	}
	proof, err := hex.DecodeString(proofHex)
	if err != nil || len(proof) != claim.ProofSize {
		return fr.Element{}, CodeMalformedProof.Errorf("proof must be %d bytes of hex", claim.ProofSize)
	}
	err = v.Verify(proof, claim.PublicInputs{Root: root, NullifierHash: nh, Signal: signal, ExternalNullifier: ext})
	switch {
	case errors.Is(err, claim.ErrMalformedProof):
		return fr.Element{}, CodeMalformedProof.Errorf("%v", err)
	case err != nil:
		return fr.Element{}, CodeInvalidProof.Errorf("%v", err)
	}
	return nh, nil
}

func nullKey(epoch uint64, nh fr.Element) []byte {
	b := nh.Bytes()
	return store.Key(prefixNull, store.BE64(epoch), b[:])
}

func (m *Module) handleClaim(ctx *app.Context, raw json.RawMessage) error {
	var msg ClaimMsg
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	p, err := m.Params(ctx.KV)
	if err != nil {
		return err
	}
	if msg.Recipient.IsZero() {
		return CodeInvalidRecipient.Errorf("zero address")
	}
	cur := EpochOf(p, ctx.Height)
	if msg.Epoch > cur || msg.Epoch+1 < cur {
		return CodeEpochClosed.Errorf("epoch %d; claims are open for epochs %d and %d", msg.Epoch, cur-min(cur, 1), cur)
	}
	ep, ok, err := m.EpochRecord(ctx.KV, msg.Epoch)
	if err != nil {
		return err
	}
	if !ok {
		return CodeEpochClosed.Errorf("epoch %d has not opened", msg.Epoch)
	}
	nhEarly, err := ParseField(msg.NullifierHash)
	if err != nil {
		return err
	}
	if ctx.KV.Get(nullKey(msg.Epoch, nhEarly)) != nil {
		return CodeAlreadyClaimed.Errorf("nullifier hash %s in epoch %d", msg.NullifierHash, msg.Epoch)
	}
	signal, err := identity.Signal(msg.Recipient[:])
	if err != nil {
		return CodeInvalidRecipient.Errorf("%v", err)
	}
	nh, err := m.checkProof(ctx, p, msg.Root, msg.NullifierHash, msg.Proof, signal, identity.EpochExternalNullifier(msg.Epoch))
	if err != nil {
		return err
	}
	if ep.Grant == 0 || ep.Paid+ep.Grant > ep.Budget || m.bank.ModuleBalance(ctx.KV, bank.PoolUBI) < ep.Grant {
		return CodeGrantExhausted.Errorf("epoch %d: grant %d, paid %d of budget %d, pool %d", msg.Epoch, ep.Grant, ep.Paid, ep.Budget, m.bank.ModuleBalance(ctx.KV, bank.PoolUBI))
	}
	if err := m.bank.Release(ctx.KV, bank.PoolUBI, msg.Recipient, ep.Grant); err != nil {
		return err
	}
	ep.Claims++
	ep.Paid += ep.Grant
	// The pool's outflow is counted in the epoch it happens in, which for a
	// late claim is the one after the claim's own.
	if msg.Epoch == cur {
		ep.PaidOut += ep.Grant
	} else if now, ok, err := m.EpochRecord(ctx.KV, cur); err != nil {
		return err
	} else if ok {
		now.PaidOut += ep.Grant
		store.PutJSON(ctx.KV, epochKey(cur), now)
	}
	store.PutJSON(ctx.KV, epochKey(msg.Epoch), ep)
	ctx.KV.Set(nullKey(msg.Epoch, nh), msg.Recipient[:])
	ctx.Emit(Name+"/claim", "epoch", strconv.FormatUint(msg.Epoch, 10), "nullifier_hash", msg.NullifierHash,
		"recipient", msg.Recipient.String(), "amount", strconv.FormatUint(ep.Grant, 10))
	return nil
}

func validApp(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '/') {
			return false
		}
	}
	return true
}

func humanKey(appName string, nh fr.Element) []byte {
	b := nh.Bytes()
	return store.Key(prefixHuman, []byte(appName), []byte{0}, b[:])
}

func boundKey(appName string, a tx.Address) []byte {
	return store.Key(prefixBound, []byte(appName), []byte{0}, a[:])
}

func (m *Module) handleProveHuman(ctx *app.Context, raw json.RawMessage) error {
	var msg ProveHumanMsg
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	if !validApp(msg.App) {
		return CodeInvalidApp.Errorf("%q: 1-64 of a-z 0-9 - _ . /", msg.App)
	}
	p, err := m.Params(ctx.KV)
	if err != nil {
		return err
	}
	nhEarly, err := ParseField(msg.NullifierHash)
	if err != nil {
		return err
	}
	if prev := ctx.KV.Get(humanKey(msg.App, nhEarly)); prev != nil && string(prev) != string(ctx.Signer[:]) {
		return CodeHumanAlreadyBound.Errorf("app %q", msg.App)
	}
	signal, _ := identity.Signal(ctx.Signer[:])
	nh, err := m.checkProof(ctx, p, msg.Root, msg.NullifierHash, msg.Proof, signal, identity.AppExternalNullifier(msg.App))
	if err != nil {
		return err
	}
	ctx.KV.Set(humanKey(msg.App, nh), ctx.Signer[:])
	ctx.KV.Set(boundKey(msg.App, ctx.Signer), []byte{1})
	ctx.Emit(Name+"/prove-human", "app", msg.App, "account", ctx.Signer.String())
	return nil
}

// IsHuman reports whether account proved personhood for appName. Modules
// call it to require "one human per account".
func (m *Module) IsHuman(r store.Reader, appName string, account tx.Address) bool {
	return r.Get(boundKey(appName, account)) != nil
}
