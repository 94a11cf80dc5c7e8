package subnet

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"

	"emergence/store"
	"emergence/subnet/yuma"
	"emergence/tx"
)

// Escrow is the module account holding locked creation costs, stakes and
// pending emission.
const Escrow = "escrow/subnet"

// Limits of the module.
const (
	// MaxUIDsLimit caps Hyperparams.MaxUIDs (uids are u16; epochs stay
	// within the benchmarked size).
	MaxUIDsLimit = 4096
	// MaxTempo caps Hyperparams.Tempo (subtensor's MAX_TEMPO).
	MaxTempo = 50_400
	// EpochHistory is the number of epoch records kept per subnet.
	EpochHistory = 64
	// MaxAxonLen bounds the published axon address.
	MaxAxonLen = 128
	// MaxNameLen bounds subnet names.
	MaxNameLen = 64
	// MaxPendingCommits bounds a neuron's unexpired weight commits.
	MaxPendingCommits = 10
)

// Hyperparams are a subnet's parameters, fixed at creation.
type Hyperparams struct {
	// Tempo is the epoch length in blocks.
	Tempo uint64 `json:"tempo"`
	// Kappa is the consensus majority (u16 proportion, 32767 ≈ 0.5).
	Kappa uint16 `json:"kappa"`
	// MaxUIDs is the number of uid slots.
	MaxUIDs uint16 `json:"max_uids"`
	// MaxValidators is the number of validator permits.
	MaxValidators uint16 `json:"max_validators"`
	// ImmunityPeriod is the number of blocks a new uid cannot be pruned.
	ImmunityPeriod uint64 `json:"immunity_period"`
	// ActivityCutoffMilli is the activity cutoff in thousandths of a tempo.
	ActivityCutoffMilli uint64 `json:"activity_cutoff_milli"`
	// BondsMovingAverage in millionths (new-observation weight 1 − v/1e6).
	BondsMovingAverage uint64 `json:"bonds_moving_average"`
	// BondsPenalty β (u16 proportion).
	BondsPenalty uint16 `json:"bonds_penalty"`
	// Yuma3 selects Yuma 3 bonds; LiquidAlpha the per-bond α.
	Yuma3       bool `json:"yuma3"`
	LiquidAlpha bool `json:"liquid_alpha"`
	// AlphaLow, AlphaHigh, AlphaSigmoidSteepness parametrise liquid alpha.
	AlphaLow              uint16 `json:"alpha_low"`
	AlphaHigh             uint16 `json:"alpha_high"`
	AlphaSigmoidSteepness int16  `json:"alpha_sigmoid_steepness"`
	// CommitReveal requires weights through commit–reveal.
	CommitReveal bool `json:"commit_reveal"`
	// RevealPeriodEpochs is how many epochs after its commit a reveal is due.
	RevealPeriodEpochs uint64 `json:"reveal_period_epochs"`
	// MinBurn, MaxBurn bound the registration price (uemg).
	MinBurn uint64 `json:"min_burn"`
	MaxBurn uint64 `json:"max_burn"`
	// BurnHalfLife is the price's half-life in blocks.
	BurnHalfLife uint64 `json:"burn_half_life"`
	// BurnIncreasePct multiplies the price after each registration (126 = ×1.26).
	BurnIncreasePct uint64 `json:"burn_increase_pct"`
	// OwnerCut is the owner's share of emission (u16 proportion, 11796 ≈ 18%).
	OwnerCut uint16 `json:"owner_cut"`
	// StakeThreshold is the minimum stake counted by the epoch.
	StakeThreshold uint64 `json:"stake_threshold"`
}

// DefaultHyperparams returns yuma.md §3.1's values for a new subnet, with
// registration prices in uemg (min 1 EMG, max 100 EMG), except the reveal
// delay: 2 epochs, not subtensor's 1, the least at which a weight copier
// earns under half of an honest validator in the subnet simulation
// (docs/subnet.md has the table).
func DefaultHyperparams() Hyperparams {
	d := yuma.DefaultParams()
	return Hyperparams{
		Tempo: 360, Kappa: d.Kappa, MaxUIDs: 256, MaxValidators: 64, ImmunityPeriod: 5000,
		ActivityCutoffMilli: 13_889, BondsMovingAverage: d.BondsMovingAverage, BondsPenalty: d.BondsPenalty,
		Yuma3: true, LiquidAlpha: false, AlphaLow: d.AlphaLow, AlphaHigh: d.AlphaHigh,
		AlphaSigmoidSteepness: d.AlphaSigmoidSteepness, CommitReveal: true, RevealPeriodEpochs: 2,
		MinBurn: 1_000_000, MaxBurn: 100_000_000, BurnHalfLife: 360, BurnIncreasePct: 126,
		OwnerCut: 11_796, StakeThreshold: 0,
	}
}

// Validate reports the first out-of-range hyperparameter.
func (h *Hyperparams) Validate() error {
	switch {
	case h.Tempo == 0 || h.Tempo > MaxTempo:
		return CodeInvalidParams.Errorf("tempo %d: want 1 to %d blocks", h.Tempo, MaxTempo)
	case h.MaxUIDs == 0 || h.MaxUIDs > MaxUIDsLimit:
		return CodeInvalidParams.Errorf("max_uids %d: want 1 to %d", h.MaxUIDs, MaxUIDsLimit)
	case h.MaxValidators == 0 || h.MaxValidators > h.MaxUIDs:
		return CodeInvalidParams.Errorf("max_validators %d: want 1 to max_uids (%d)", h.MaxValidators, h.MaxUIDs)
	case h.ActivityCutoffMilli < 1000 || h.ActivityCutoffMilli > 50_000:
		return CodeInvalidParams.Errorf("activity_cutoff_milli %d: want 1000 to 50000", h.ActivityCutoffMilli)
	case h.BondsMovingAverage > 975_000:
		return CodeInvalidParams.Errorf("bonds_moving_average %d: at most 975000", h.BondsMovingAverage)
	case h.AlphaLow < 1638 || h.AlphaHigh < 1638 || h.AlphaLow > h.AlphaHigh:
		return CodeInvalidParams.Errorf("alpha_low %d / alpha_high %d: want 1638 ≤ low ≤ high", h.AlphaLow, h.AlphaHigh)
	case h.AlphaSigmoidSteepness < 0:
		return CodeInvalidParams.Errorf("alpha_sigmoid_steepness %d: must not be negative", h.AlphaSigmoidSteepness)
	case h.CommitReveal && (h.RevealPeriodEpochs == 0 || h.RevealPeriodEpochs > 100):
		return CodeInvalidParams.Errorf("reveal_period_epochs %d: want 1 to 100", h.RevealPeriodEpochs)
	case h.MinBurn > h.MaxBurn:
		return CodeInvalidParams.Errorf("min_burn %d above max_burn %d", h.MinBurn, h.MaxBurn)
	case h.BurnHalfLife == 0:
		return CodeInvalidParams.Errorf("burn_half_life must be positive")
	case h.BurnIncreasePct < 100 || h.BurnIncreasePct > 1000:
		return CodeInvalidParams.Errorf("burn_increase_pct %d: want 100 to 1000", h.BurnIncreasePct)
	case h.OwnerCut > 32767:
		return CodeInvalidParams.Errorf("owner_cut %d: at most 32767 (50%%)", h.OwnerCut)
	}
	return nil
}

// ActivityCutoff returns the activity cutoff in blocks:
// max(1, ActivityCutoffMilli · Tempo / 1000).
func (h *Hyperparams) ActivityCutoff() uint64 {
	return max(1, h.ActivityCutoffMilli*h.Tempo/1000)
}

// Subnet is the stored record of one subnet.
type Subnet struct {
	NetUID    uint16      `json:"netuid"`
	Name      string      `json:"name"`
	Task      string      `json:"task"`
	Owner     tx.Address  `json:"owner"`
	Locked    uint64      `json:"locked"`
	CreatedAt int64       `json:"created_at"`
	Hyper     Hyperparams `json:"hyperparams"`
	// N is the number of uids in use.
	N uint16 `json:"n"`
	// LastEpoch is the height of the last epoch (creation height before).
	LastEpoch int64 `json:"last_epoch"`
	// Epochs counts the epochs run.
	Epochs uint64 `json:"epochs"`
	// Pending is the emission accrued since the last epoch (uemg).
	Pending uint64 `json:"pending"`
	// Burn is the registration price at BurnBlock.
	Burn      uint64 `json:"burn"`
	BurnBlock int64  `json:"burn_block"`
	// TotalStake is the sum of stakes on the subnet's hotkeys.
	TotalStake uint64 `json:"total_stake"`
}

// Price returns the registration price at height h: Burn halved every
// BurnHalfLife blocks since BurnBlock (linear between halvings), at least
// MinBurn.
func (s *Subnet) Price(h int64) uint64 {
	p := s.Burn
	if h > s.BurnBlock {
		e := uint64(h - s.BurnBlock)
		hl := s.Hyper.BurnHalfLife
		if e/hl >= 64 {
			p = 0
		} else {
			p >>= e / hl
			p -= p / 2 * (e % hl) / hl
		}
	}
	return max(p, s.Hyper.MinBurn)
}

// Commit is a weight commit. A neuron holds at most one commit per epoch
// and up to MaxPendingCommits unexpired ones, so a validator can commit
// every epoch while earlier commits wait RevealPeriodEpochs for their
// reveal. The newest expired commit (its reveal window passed) is kept so
// that a late reveal is told so.
type Commit struct {
	Hash    string `json:"hash"`
	Height  int64  `json:"height"`
	Epoch   uint64 `json:"epoch"`
	Expired bool   `json:"expired,omitempty"`
}

// Neuron is the stored record of one uid.
type Neuron struct {
	UID             uint16     `json:"uid"`
	Hotkey          tx.Address `json:"hotkey"`
	RegisteredAt    int64      `json:"registered_at"`
	LastUpdate      int64      `json:"last_update"`
	Axon            string     `json:"axon"`
	Stake           uint64     `json:"stake"`
	ValidatorPermit bool       `json:"validator_permit"`
	Active          bool       `json:"active"`
	Consensus       uint16     `json:"consensus"`
	Incentive       uint16     `json:"incentive"`
	Dividends       uint16     `json:"dividends"`
	Trust           uint16     `json:"trust"`
	ValidatorTrust  uint16     `json:"validator_trust"`
	// Emission is the total paid to the uid by the last epoch (the pruning score).
	Emission uint64 `json:"emission"`
	// Model is the zkml model commitment the miner declared it serves
	// (subnet/serve-model), ModelSince the height it declared it and
	// ModelEarned the miner emission paid to the hotkey by the epochs
	// since. All three are empty for a miner that declared none.
	Model       string `json:"model,omitempty"`
	ModelSince  int64  `json:"model_since,omitempty"`
	ModelEarned uint64 `json:"model_earned,omitempty"`
	// Commits are the pending weight commits, oldest first.
	Commits []Commit `json:"commits,omitempty"`
}

// pendingCommit returns the index of the unexpired commit made in epoch e,
// or -1.
func (n *Neuron) pendingCommit(e uint64) int {
	for i := range n.Commits {
		if c := &n.Commits[i]; !c.Expired && c.Epoch == e {
			return i
		}
	}
	return -1
}

// unexpiredCommits counts the commits still waiting for their reveal.
func (n *Neuron) unexpiredCommits() int {
	k := 0
	for _, c := range n.Commits {
		if !c.Expired {
			k++
		}
	}
	return k
}

// expireCommits marks the commits whose reveal epoch (commit epoch +
// period) is before epoch, keeps only the newest expired one and reports
// how many expired now.
func (n *Neuron) expireCommits(period, epoch uint64) int {
	expired, keep := 0, -1
	for i := range n.Commits {
		c := &n.Commits[i]
		if !c.Expired && c.Epoch+period < epoch {
			c.Expired = true
			expired++
		}
		if c.Expired {
			keep = i // commits are oldest first: the last expired is the newest
		}
	}
	out := n.Commits[:0]
	for i, c := range n.Commits {
		if !c.Expired || i == keep {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		out = nil
	}
	n.Commits = out
	return expired
}

// EpochRecord is the stored summary of one epoch.
type EpochRecord struct {
	NetUID         uint16 `json:"netuid"`
	Epoch          uint64 `json:"epoch"`
	Height         int64  `json:"height"`
	Emission       uint64 `json:"emission"`
	OwnerCut       uint64 `json:"owner_cut"`
	PaidMiners     uint64 `json:"paid_miners"`
	PaidValidators uint64 `json:"paid_validators"`
	Carried        uint64 `json:"carried"`
	Fallback       bool   `json:"fallback"`
	// Work is the epoch's work bound (EpochWork); Fee what it paid to the
	// fee pool, FeeFromLock the part taken from the owner's lock (the rest
	// came out of Emission).
	Work        uint64     `json:"work"`
	Fee         uint64     `json:"fee"`
	FeeFromLock uint64     `json:"fee_from_lock"`
	UIDs        []EpochUID `json:"uids"`
}

// EpochUID is one uid's line in an EpochRecord.
type EpochUID struct {
	UID               uint16     `json:"uid"`
	Hotkey            tx.Address `json:"hotkey"`
	Incentive         uint16     `json:"incentive"`
	Dividends         uint16     `json:"dividends"`
	MinerEmission     uint64     `json:"miner_emission"`
	ValidatorEmission uint64     `json:"validator_emission"`
	// Copied: the copy check found this validator's weights following the
	// consensus of their commit epoch, and its dividends were withheld.
	Copied bool `json:"copied,omitempty"`
}

// Keys. All start with "subnet/"; integers are big-endian so keys sort
// numerically.
var (
	keyParams    = []byte("subnet/params")
	keyNext      = []byte("subnet/next")
	keyHeight    = []byte("subnet/height") // last height EndBlock saw, for price queries
	prefixNet    = []byte("subnet/net/")
	prefixNeuron = []byte("subnet/nrn/")
	prefixHotkey = []byte("subnet/hk/")
	prefixStake  = []byte("subnet/st/")
	prefixWeight = []byte("subnet/w/")
	prefixBond   = []byte("subnet/b/")
	prefixEpoch  = []byte("subnet/ep/")
	// prefixPrune indexes uids in pruning order: net ‖ emission ‖
	// registered_at ‖ uid, so registration into a full subnet reads the
	// lowest entries instead of every neuron.
	prefixPrune = []byte("subnet/pr/")
	// prefixModel indexes the uids serving a model: commitment (66 bytes,
	// fixed width) ‖ net ‖ uid.
	prefixModel = []byte("subnet/md/")
)

func modelKey(commitment string, net, uid uint16) []byte {
	return store.Key(prefixModel, []byte(commitment), store.BE16(net), store.BE16(uid))
}

func netKey(net uint16) []byte { return store.Key(prefixNet, store.BE16(net)) }
func neuronKey(net, uid uint16) []byte {
	return store.Key(prefixNeuron, store.BE16(net), store.BE16(uid))
}
func hotkeyKey(net uint16, hk tx.Address) []byte {
	return store.Key(prefixHotkey, store.BE16(net), hk[:])
}
func stakeKey(net uint16, hk, staker tx.Address) []byte {
	return store.Key(prefixStake, store.BE16(net), hk[:], staker[:])
}
func stakePrefix(net uint16, hk tx.Address) []byte {
	return store.Key(prefixStake, store.BE16(net), hk[:])
}
func weightKey(net, uid uint16) []byte {
	return store.Key(prefixWeight, store.BE16(net), store.BE16(uid))
}
func bondKey(net, uid uint16) []byte { return store.Key(prefixBond, store.BE16(net), store.BE16(uid)) }
func epochKey(net uint16, e uint64) []byte {
	return store.Key(prefixEpoch, store.BE16(net), store.BE64(e))
}

// pruneMark is the value of every pruning index entry.
var pruneMark = []byte{1}

func pruneKey(net uint16, n *Neuron) []byte {
	return store.Key(prefixPrune, store.BE16(net), store.BE64(n.Emission), store.BE64(uint64(n.RegisteredAt)), store.BE16(n.UID))
}

// encodeRow stores a sparse u16 row as (uid, value) big-endian pairs.
func encodeRow(row []yuma.Entry) []byte {
	b := make([]byte, 0, 4*len(row))
	for _, e := range row {
		b = binary.BigEndian.AppendUint16(b, e.UID)
		b = binary.BigEndian.AppendUint16(b, e.Value)
	}
	return b
}

func decodeRow(b []byte) []yuma.Entry {
	row := make([]yuma.Entry, len(b)/4)
	for i := range row {
		row[i] = yuma.Entry{UID: binary.BigEndian.Uint16(b[4*i:]), Value: binary.BigEndian.Uint16(b[4*i+2:])}
	}
	return row
}

func setRow(kv store.KV, k []byte, row []yuma.Entry) {
	if len(row) == 0 {
		kv.Delete(k)
		return
	}
	kv.Set(k, encodeRow(row))
}

// Record accessors used by handlers, EndBlock and queries.

func loadSubnet(r store.Reader, net uint16) (*Subnet, error) {
	var s Subnet
	ok, err := store.GetJSON(r, netKey(net), &s)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, CodeSubnetNotFound.Errorf("no subnet %d", net)
	}
	return &s, nil
}

func saveSubnet(kv store.KV, s *Subnet) { store.PutJSON(kv, netKey(s.NetUID), s) }

func loadNeuron(r store.Reader, net, uid uint16) (*Neuron, error) {
	raw := r.Get(neuronKey(net, uid))
	if raw == nil {
		return nil, fmt.Errorf("subnet %d: missing neuron %d", net, uid)
	}
	n, err := decodeNeuron(raw)
	if err != nil {
		return nil, fmt.Errorf("subnet %d neuron %d: %w", net, uid, err)
	}
	return n, nil
}

func saveNeuron(kv store.KV, net uint16, n *Neuron) { kv.Set(neuronKey(net, n.UID), encodeNeuron(n)) }

// neuronVersion tags the binary neuron encoding.
const neuronVersion = 2

// encodeNeuron is the compact binary form of a neuron record (it is read
// and written for every uid at every epoch): version, uid, hotkey,
// registered_at, last_update, stake, emission, flags (permit, active),
// consensus, incentive, dividends, trust, validator trust, the number of
// commits (u8) and each commit (hash, height, epoch, expired byte), then
// the axon (length-prefixed), then, only for a miner that declared a
// model, the model commitment (32 bytes), model_since and model_earned.
// Integers are big-endian.
func encodeNeuron(n *Neuron) []byte {
	b := make([]byte, 0, 96+49*len(n.Commits)+len(n.Axon)+modelTailLen)
	b = append(b, neuronVersion)
	b = binary.BigEndian.AppendUint16(b, n.UID)
	b = append(b, n.Hotkey[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(n.RegisteredAt))
	b = binary.BigEndian.AppendUint64(b, uint64(n.LastUpdate))
	b = binary.BigEndian.AppendUint64(b, n.Stake)
	b = binary.BigEndian.AppendUint64(b, n.Emission)
	var flags byte
	if n.ValidatorPermit {
		flags |= 1
	}
	if n.Active {
		flags |= 2
	}
	b = append(b, flags)
	for _, v := range []uint16{n.Consensus, n.Incentive, n.Dividends, n.Trust, n.ValidatorTrust} {
		b = binary.BigEndian.AppendUint16(b, v)
	}
	b = append(b, byte(len(n.Commits))) // at most MaxPendingCommits + 1
	for _, c := range n.Commits {
		h, _ := hex.DecodeString(c.Hash) // validated as 32 bytes by the handler
		var h32 [32]byte
		copy(h32[:], h)
		b = append(b, h32[:]...)
		b = binary.BigEndian.AppendUint64(b, uint64(c.Height))
		b = binary.BigEndian.AppendUint64(b, c.Epoch)
		var e byte
		if c.Expired {
			e = 1
		}
		b = append(b, e)
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(n.Axon)))
	b = append(b, n.Axon...)
	if n.Model != "" {
		m, _ := hex.DecodeString(strings.TrimPrefix(n.Model, "0x")) // canonical: 0x and 64 hex digits
		var m32 [32]byte
		copy(m32[32-min(len(m), 32):], m)
		b = append(b, m32[:]...)
		b = binary.BigEndian.AppendUint64(b, uint64(n.ModelSince))
		b = binary.BigEndian.AppendUint64(b, n.ModelEarned)
	}
	return b
}

// modelTailLen is the size of a neuron record's model part.
const modelTailLen = 32 + 8 + 8

func decodeNeuron(b []byte) (*Neuron, error) {
	const fixedLen = 1 + 2 + tx.AddressLen + 4*8 + 1 + 5*2 + 1
	const commitLen = 32 + 8 + 8 + 1
	if len(b) < fixedLen+2 || b[0] != neuronVersion {
		return nil, fmt.Errorf("corrupt neuron record (%d bytes)", len(b))
	}
	n := &Neuron{}
	p := 1
	u16 := func() uint16 { v := binary.BigEndian.Uint16(b[p:]); p += 2; return v }
	u64 := func() uint64 { v := binary.BigEndian.Uint64(b[p:]); p += 8; return v }
	n.UID = u16()
	copy(n.Hotkey[:], b[p:])
	p += tx.AddressLen
	n.RegisteredAt = int64(u64())
	n.LastUpdate = int64(u64())
	n.Stake = u64()
	n.Emission = u64()
	flags := b[p]
	p++
	if flags&^3 != 0 {
		return nil, fmt.Errorf("corrupt neuron record: flags %#x", flags)
	}
	n.ValidatorPermit, n.Active = flags&1 != 0, flags&2 != 0
	n.Consensus, n.Incentive, n.Dividends, n.Trust, n.ValidatorTrust = u16(), u16(), u16(), u16(), u16()
	k := int(b[p])
	p++
	if len(b) < p+k*commitLen+2 {
		return nil, fmt.Errorf("corrupt neuron record: %d commits in %d bytes", k, len(b)-p)
	}
	for range k {
		c := Commit{Hash: hex.EncodeToString(b[p : p+32])}
		p += 32
		c.Height = int64(u64())
		c.Epoch = u64()
		if b[p] > 1 {
			return nil, fmt.Errorf("corrupt neuron record: commit expired byte %d", b[p])
		}
		c.Expired = b[p] == 1
		p++
		n.Commits = append(n.Commits, c)
	}
	l := int(u16())
	if len(b) != p+l && len(b) != p+l+modelTailLen {
		return nil, fmt.Errorf("corrupt neuron record: axon of %d bytes in %d", l, len(b)-p)
	}
	n.Axon = string(b[p : p+l])
	p += l
	if len(b) > p {
		n.Model = "0x" + hex.EncodeToString(b[p:p+32])
		p += 32
		n.ModelSince = int64(u64())
		n.ModelEarned = u64()
	}
	return n, nil
}

// uidOf returns the uid of a hotkey on a subnet.
func uidOf(r store.Reader, net uint16, hk tx.Address) (uint16, bool) {
	v := r.Get(hotkeyKey(net, hk))
	if len(v) != 2 {
		return 0, false
	}
	return binary.BigEndian.Uint16(v), true
}
