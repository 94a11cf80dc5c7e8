package subnet

import (
	"encoding/binary"
	"fmt"
	"sort"

	"emergence/app"
	"emergence/bank"
	"emergence/fixed"
	"emergence/store"
	"emergence/subnet/yuma"
	"emergence/tx"
)

// EndBlock implements app.Module: it accrues the block's subnet emission
// and runs the epochs that are due, oldest due height first (ties: lowest
// netuid), while the block's epoch work budget lasts. A subnet that waits
// keeps its due height while the ones that ran move theirs a tempo ahead,
// so every due subnet runs before any other subnet runs twice: no subnet
// can starve another.
func (m *Module) EndBlock(ctx *app.Context) error {
	subnets, err := m.allSubnets(ctx.KV)
	if err != nil {
		return err
	}
	if len(subnets) == 0 {
		return nil
	}
	if ctx.Height > 0 {
		store.PutNonZeroU64(ctx.KV, keyHeight, uint64(ctx.Height))
	}
	if err := m.accrue(ctx, subnets); err != nil {
		return err
	}
	var due []*Subnet
	for _, s := range subnets {
		if ctx.Height-s.LastEpoch >= int64(s.Hyper.Tempo) {
			due = append(due, s)
		}
	}
	if len(due) == 0 {
		return nil
	}
	sort.Slice(due, func(i, j int) bool {
		di, dj := due[i].LastEpoch+int64(due[i].Hyper.Tempo), due[j].LastEpoch+int64(due[j].Hyper.Tempo)
		if di != dj {
			return di < dj
		}
		return due[i].NetUID < due[j].NetUID
	})
	p, err := m.params(ctx.KV)
	if err != nil {
		return err
	}
	budget := p.EpochWorkPerBlock
	for _, s := range due {
		w := EpochWork(&s.Hyper, s.N)
		// Strict order: a subnet that does not fit waits for the next
		// block and nobody overtakes it. (Creation keeps every epoch
		// within one block's budget; one that is not runs alone.)
		if w > budget && budget < p.EpochWorkPerBlock {
			break
		}
		budget -= min(w, budget)
		if err := m.runEpoch(ctx, s, p, w); err != nil {
			return fmt.Errorf("subnet %d epoch: %w", s.NetUID, err)
		}
	}
	return nil
}

func (m *Module) allSubnets(r store.Reader) ([]*Subnet, error) {
	next := uint16(store.GetU64(r, keyNext))
	out := make([]*Subnet, 0, next)
	for net := uint16(0); net < next; net++ {
		s, err := loadSubnet(r, net)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// accrue moves the subnet pool into the subnets in proportion to their
// total stake. Dust and everything accrued while no subnet has stake stays
// in the pool.
func (m *Module) accrue(ctx *app.Context, subnets []*Subnet) error {
	pool := m.bank.ModuleBalance(ctx.KV, bank.PoolSubnets)
	if pool == 0 {
		return nil
	}
	var total fixed.U128
	for _, s := range subnets {
		total = total.Add64(s.TotalStake)
	}
	if total.IsZero() {
		return nil
	}
	var moved uint64
	for _, s := range subnets {
		if s.TotalStake == 0 {
			continue
		}
		share := shareOf(pool, s.TotalStake, total)
		if share == 0 {
			continue
		}
		s.Pending += share
		moved += share
		saveSubnet(ctx.KV, s)
	}
	if moved == 0 {
		return nil
	}
	return m.bank.MoveModule(ctx.KV, bank.PoolSubnets, Escrow, moved)
}

// shareOf returns floor(amount · part / total) for a 128-bit total ≥ part.
func shareOf(amount, part uint64, total fixed.U128) uint64 {
	if t, ok := total.Uint64(); ok {
		q, _ := fixed.MulDiv(amount, part, t)
		return q
	}
	// total ≥ 2^64: the exact ratio in I32F32 is precise enough (error
	// below 2^-32 of the amount, rounded down).
	return fixed.Ratio128(fixed.U128From64(part), total).MulU64(amount)
}

// runEpoch runs Yuma Consensus on one subnet and pays its pending emission.
// The epoch first pays its fee, p.EpochFee(work), to the fee pool: from the
// pending emission, the rest from the owner's lock. A subnet that can pay
// neither skips the epoch (its schedule moves on, its emission keeps
// accruing until it covers the fee).
func (m *Module) runEpoch(ctx *app.Context, s *Subnet, p Params, work uint64) error {
	fee := p.EpochFee(work)
	fromPending := min(fee, s.Pending)
	fromLock := fee - fromPending
	if fromLock > s.Locked {
		s.LastEpoch = ctx.Height
		saveSubnet(ctx.KV, s)
		ctx.Emit("subnet-epoch-unpaid", "netuid", fmt.Sprint(s.NetUID), "fee", fmt.Sprint(fee),
			"pending", fmt.Sprint(s.Pending), "locked", fmt.Sprint(s.Locked))
		return nil
	}
	if fee > 0 {
		if err := m.bank.MoveModule(ctx.KV, Escrow, bank.PoolFees, fee); err != nil {
			return err
		}
	}
	emission := s.Pending
	s.Pending -= fromPending
	s.Locked -= fromLock
	n := int(s.N)
	h := &s.Hyper
	neurons := make([]*Neuron, n)
	in := &yuma.Input{
		Block: uint64(ctx.Height), LastEpochBlock: uint64(s.LastEpoch),
		Params: yuma.Params{
			Kappa: h.Kappa, BondsPenalty: h.BondsPenalty, BondsMovingAverage: h.BondsMovingAverage,
			Yuma3: h.Yuma3, LiquidAlpha: h.LiquidAlpha, AlphaLow: h.AlphaLow, AlphaHigh: h.AlphaHigh,
			AlphaSigmoidSteepness: h.AlphaSigmoidSteepness, MaxValidators: h.MaxValidators,
			StakeThreshold: h.StakeThreshold, ActivityCutoff: h.ActivityCutoff(), Tempo: h.Tempo,
		},
		Stake: make([]uint64, n), LastUpdate: make([]uint64, n), RegisteredAt: make([]uint64, n),
		ValidatorPermit: make([]bool, n), Weights: make([][]yuma.Entry, n), Bonds: make([][]yuma.Entry, n),
	}
	if h.CommitReveal {
		in.CommitBlock = make([]uint64, n)
	}
	if uid, ok := uidOf(ctx.KV, s.NetUID, s.Owner); ok {
		in.HasOwner, in.Owner = true, uid
	}
	// One range scan per record kind instead of 3n point reads (a point
	// read costs a seek; scans are what keep a large epoch within its fee).
	err := scanUIDs(ctx.KV, prefixNeuron, s.NetUID, n, func(uid uint16, v []byte) error {
		nr, err := decodeNeuron(v)
		if err != nil {
			return fmt.Errorf("subnet %d neuron %d: %w", s.NetUID, uid, err)
		}
		neurons[uid] = nr
		return nil
	})
	if err != nil {
		return err
	}
	for uid, nr := range neurons {
		if nr == nil {
			return fmt.Errorf("subnet %d: missing neuron %d", s.NetUID, uid)
		}
		in.Stake[uid] = nr.Stake
		in.LastUpdate[uid] = uint64(nr.LastUpdate)
		in.RegisteredAt[uid] = uint64(nr.RegisteredAt)
		in.ValidatorPermit[uid] = nr.ValidatorPermit
		if in.CommitBlock != nil {
			for _, c := range nr.Commits { // oldest first
				if !c.Expired {
					in.CommitBlock[uid] = uint64(c.Height)
					break
				}
			}
		}
	}
	for _, rows := range []struct {
		prefix []byte
		into   [][]yuma.Entry
	}{{prefixWeight, in.Weights}, {prefixBond, in.Bonds}} {
		if err := scanUIDs(ctx.KV, rows.prefix, s.NetUID, n, func(uid uint16, v []byte) error {
			rows.into[uid] = decodeRow(v)
			return nil
		}); err != nil {
			return err
		}
		for uid := range rows.into {
			if rows.into[uid] == nil {
				rows.into[uid] = []yuma.Entry{}
			}
		}
	}
	// Owner cut, then consensus on the rest.
	ownerCut := fixed.FromU16Proportion(h.OwnerCut).MulU64(s.Pending)
	in.Emission = s.Pending - ownerCut
	var res yuma.Result
	if err := m.epoch.Run(in, &res); err != nil {
		return err
	}
	copied, err := checkCopies(ctx, s, in, &res)
	if err != nil {
		return err
	}
	if ownerCut > 0 {
		if err := m.bank.Release(ctx.KV, Escrow, s.Owner, ownerCut); err != nil {
			return err
		}
	}
	rec := EpochRecord{
		NetUID: s.NetUID, Epoch: s.Epochs, Height: ctx.Height, Emission: emission, OwnerCut: ownerCut, Fallback: res.Fallback,
		Work: work, Fee: fee, FeeFromLock: fromLock,
	}
	var paid uint64
	for uid, nr := range neurons {
		if e := res.ServerEmission[uid]; e > 0 {
			if err := m.bank.Release(ctx.KV, Escrow, nr.Hotkey, e); err != nil {
				return err
			}
			rec.PaidMiners += e
			paid += e
		}
		if e := res.ValidatorEmission[uid]; e > 0 {
			if err := m.payStakers(ctx, s.NetUID, nr, e); err != nil {
				return err
			}
			rec.PaidValidators += e
			paid += e
		}
		nr.ValidatorPermit = res.ValidatorPermit[uid]
		nr.Active = res.Active[uid]
		nr.Consensus = res.Consensus[uid].ToU16Proportion()
		nr.Incentive = res.Incentive[uid].ToU16Proportion()
		nr.Dividends = res.Dividends[uid].ToU16Proportion()
		nr.Trust = res.Trust[uid].ToU16Proportion()
		nr.ValidatorTrust = res.ValidatorTrust[uid].ToU16Proportion()
		if nr.Model != "" {
			nr.ModelEarned = satAdd(nr.ModelEarned, res.ServerEmission[uid])
		}
		if e := res.ServerEmission[uid] + res.ValidatorEmission[uid]; e != nr.Emission {
			ctx.KV.Delete(pruneKey(s.NetUID, nr))
			nr.Emission = e
			ctx.KV.Set(pruneKey(s.NetUID, nr), pruneMark)
		}
		setRow(ctx.KV, bondKey(s.NetUID, uint16(uid)), res.Bonds[uid])
		rec.UIDs = append(rec.UIDs, EpochUID{
			UID: uint16(uid), Hotkey: nr.Hotkey, Incentive: nr.Incentive, Dividends: nr.Dividends,
			MinerEmission: res.ServerEmission[uid], ValidatorEmission: res.ValidatorEmission[uid],
			Copied: copied != nil && copied[uid],
		})
	}
	s.Epochs++
	// Commits whose reveal window has passed expire.
	for _, nr := range neurons {
		if nr.expireCommits(h.RevealPeriodEpochs, s.Epochs) > 0 {
			ctx.Emit("subnet-commit-expired", "netuid", fmt.Sprint(s.NetUID), "uid", fmt.Sprint(nr.UID))
		}
		saveNeuron(ctx.KV, s.NetUID, nr)
	}
	rec.Carried = in.Emission - paid
	s.Pending = rec.Carried
	s.LastEpoch = ctx.Height
	saveSubnet(ctx.KV, s)
	store.PutJSON(ctx.KV, epochKey(s.NetUID, rec.Epoch), rec)
	if rec.Epoch >= EpochHistory {
		ctx.KV.Delete(epochKey(s.NetUID, rec.Epoch-EpochHistory))
	}
	ctx.Emit("subnet-epoch", "netuid", fmt.Sprint(s.NetUID), "epoch", fmt.Sprint(rec.Epoch),
		"emission", fmt.Sprint(rec.Emission), "miners", fmt.Sprint(rec.PaidMiners), "validators", fmt.Sprint(rec.PaidValidators))
	return nil
}

// scanUIDs calls fn for each record under prefix ‖ net ‖ uid (uid < n) in
// uid order.
func scanUIDs(r store.Reader, prefix []byte, net uint16, n int, fn func(uid uint16, v []byte) error) error {
	pre := store.Key(prefix, store.BE16(net))
	var err error
	r.Iterate(pre, store.PrefixEnd(pre), func(k, v []byte) bool {
		if len(k) != len(pre)+2 {
			err = fmt.Errorf("subnet %d: malformed key %q", net, k)
			return false
		}
		uid := binary.BigEndian.Uint16(k[len(pre):])
		if int(uid) >= n {
			err = fmt.Errorf("subnet %d: record %q for uid %d beyond its %d uids", net, prefix, uid, n)
			return false
		}
		err = fn(uid, v)
		return err == nil
	})
	return err
}

// payStakers splits a validator's emission among the accounts staked on
// its hotkey in proportion to their stake (ascending staker address); the
// rounding dust goes to the hotkey.
func (m *Module) payStakers(ctx *app.Context, net uint16, nr *Neuron, amt uint64) error {
	pre := stakePrefix(net, nr.Hotkey)
	type st struct {
		who tx.Address
		amt uint64
	}
	var stakers []st
	var bad error
	ctx.KV.Iterate(pre, store.PrefixEnd(pre), func(k, v []byte) bool {
		amt, err := stakeAmount(k, v)
		if err != nil {
			bad = err
			return false
		}
		var a tx.Address
		copy(a[:], k[len(pre):])
		stakers = append(stakers, st{a, amt})
		return true
	})
	if bad != nil {
		return bad
	}
	var paid uint64
	if nr.Stake > 0 {
		for _, x := range stakers {
			q, _ := fixed.MulDiv(amt, x.amt, nr.Stake)
			if q == 0 {
				continue
			}
			if err := m.bank.Release(ctx.KV, Escrow, x.who, q); err != nil {
				return err
			}
			paid += q
		}
	}
	if amt > paid {
		return m.bank.Release(ctx.KV, Escrow, nr.Hotkey, amt-paid)
	}
	return nil
}

// Invariants implements app.Module: the escrow holds exactly the locked
// creation costs, pending emissions and stakes; each neuron's stake equals
// its stake records; each subnet's total stake equals its neurons'; the
// hotkey index matches the neurons.
func (m *Module) Invariants(r store.Reader) error {
	subnets, err := m.allSubnets(r)
	if err != nil {
		return err
	}
	var want fixed.U128
	for _, s := range subnets {
		want = want.Add64(s.Locked).Add64(s.Pending)
		var total uint64
		for uid := uint16(0); uid < s.N; uid++ {
			n, err := loadNeuron(r, s.NetUID, uid)
			if err != nil {
				return err
			}
			if got, ok := uidOf(r, s.NetUID, n.Hotkey); !ok || got != uid {
				return fmt.Errorf("subnet %d: hotkey index of uid %d is wrong", s.NetUID, uid)
			}
			if r.Get(pruneKey(s.NetUID, n)) == nil {
				return fmt.Errorf("subnet %d: uid %d missing from the pruning index", s.NetUID, uid)
			}
			var sum uint64
			var bad error
			pre := stakePrefix(s.NetUID, n.Hotkey)
			r.Iterate(pre, store.PrefixEnd(pre), func(k, v []byte) bool {
				amt, err := stakeAmount(k, v)
				sum, bad = sum+amt, err
				return err == nil
			})
			if bad != nil {
				return bad
			}
			if sum != n.Stake {
				return fmt.Errorf("subnet %d uid %d: stake %d but stake records sum to %d", s.NetUID, uid, n.Stake, sum)
			}
			total += n.Stake
		}
		if total != s.TotalStake {
			return fmt.Errorf("subnet %d: total stake %d but neurons hold %d", s.NetUID, s.TotalStake, total)
		}
		want = want.Add64(total)
		var indexed int
		pp := store.Key(prefixPrune, store.BE16(s.NetUID))
		r.Iterate(pp, store.PrefixEnd(pp), func(_, _ []byte) bool { indexed++; return true })
		if indexed != int(s.N) {
			return fmt.Errorf("subnet %d: pruning index holds %d entries for %d uids", s.NetUID, indexed, s.N)
		}
		// No stake records for hotkeys that are not registered.
		pre := store.Key(prefixStake, store.BE16(s.NetUID))
		var orphan error
		r.Iterate(pre, store.PrefixEnd(pre), func(k, _ []byte) bool {
			var hk tx.Address
			copy(hk[:], k[len(pre):])
			if _, ok := uidOf(r, s.NetUID, hk); !ok {
				orphan = fmt.Errorf("subnet %d: stake record for unregistered hotkey %s", s.NetUID, hk)
				return false
			}
			return true
		})
		if orphan != nil {
			return orphan
		}
	}
	if err := modelInvariants(r, subnets); err != nil {
		return err
	}
	if got := fixed.U128From64(m.bank.ModuleBalance(r, Escrow)); got.Cmp(want) != 0 {
		return fmt.Errorf("%s holds %s, state accounts for %s", Escrow, got, want)
	}
	return nil
}

// stakeAmount decodes a stake record's value: 8 big-endian bytes, or an
// error for corrupt state (never a panic).
func stakeAmount(k, v []byte) (uint64, error) {
	if len(v) != 8 {
		return 0, fmt.Errorf("corrupt state at %q: a stake record of %d bytes, want 8", k, len(v))
	}
	return binary.BigEndian.Uint64(v), nil
}

// stakersOf lists the stake records of a hotkey (for queries).
func stakersOf(r store.Reader, net uint16, hk tx.Address) ([]StakeInfo, error) {
	pre := stakePrefix(net, hk)
	var out []StakeInfo
	var bad error
	r.Iterate(pre, store.PrefixEnd(pre), func(k, v []byte) bool {
		amt, err := stakeAmount(k, v)
		if err != nil {
			bad = err
			return false
		}
		var a tx.Address
		copy(a[:], k[len(pre):])
		out = append(out, StakeInfo{Staker: a, Amount: amt})
		return true
	})
	return out, bad
}

// checkCopies applies the copy check (copy.go) of a commit–reveal subnet's
// epoch: each permitted validator whose weights follow the consensus of
// their commit epoch rather than this epoch's forfeits its validator
// emission. It then stores this epoch's consensus and drops what no
// validator's weights can refer to any more. It returns which uids were
// penalized (nil without commit–reveal).
func checkCopies(ctx *app.Context, s *Subnet, in *yuma.Input, res *yuma.Result) ([]bool, error) {
	h := &s.Hyper
	if !h.CommitReveal {
		return nil, nil
	}
	n := int(s.N)
	now := make([]uint16, n)
	for uid := range now {
		now[uid] = res.Consensus[uid].ToU16Proportion()
	}
	copied := make([]bool, n)
	nowP := newConsensusProportions(now)
	// Validators' weights mostly share a few commit epochs: decode each
	// epoch's consensus once.
	var prevEpoch uint64
	var prevP *consensusProportions
	havePrev := false
	err := scanUIDs(ctx.KV, prefixWeightEpoch, s.NetUID, n, func(uid uint16, v []byte) error {
		if len(v) != 8 {
			return fmt.Errorf("subnet %d: corrupt weight epoch of uid %d", s.NetUID, uid)
		}
		if !in.ValidatorPermit[uid] || len(in.Weights[uid]) == 0 || res.ValidatorEmission[uid] == 0 {
			return nil
		}
		e := store.U64(v)
		if !havePrev || e != prevEpoch {
			prevEpoch, prevP, havePrev = e, nil, true
			if pv := ctx.KV.Get(consensusKey(s.NetUID, e)); pv != nil && len(pv) <= 2*n {
				prev := append(decodeU16s(pv), make([]uint16, n-len(pv)/2)...) // uids registered since
				prevP = newConsensusProportions(prev)
			}
		}
		// No consensus kept for that epoch: nothing to compare.
		ok, dNow, dPrev := copiedWeights(in.Weights[uid], nowP, prevP)
		if !ok {
			return nil
		}
		copied[uid] = true
		ctx.Emit("subnet-copy-penalty", "netuid", fmt.Sprint(s.NetUID), "uid", fmt.Sprint(uid), "commit_epoch", fmt.Sprint(e),
			"forfeited", fmt.Sprint(res.ValidatorEmission[uid]), "distance_now", fmt.Sprint(dNow), "distance_commit", fmt.Sprint(dPrev))
		res.ValidatorEmission[uid] = 0
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Weights revealed in a later epoch were committed in this one or
	// later: keep the last reveal_period_epochs consensus vectors.
	ctx.KV.Set(consensusKey(s.NetUID, s.Epochs), encodeU16s(now))
	if next := s.Epochs + 1; next > h.RevealPeriodEpochs {
		trimConsensus(ctx.KV, s.NetUID, next-h.RevealPeriodEpochs)
	}
	return copied, nil
}

// satAdd is a + b, saturating at the largest uint64.
func satAdd(a, b uint64) uint64 {
	if a+b < a {
		return ^uint64(0)
	}
	return a + b
}
