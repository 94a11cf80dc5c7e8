package label

import (
	"encoding/hex"
	"encoding/json"
	"fmt"

	"emergence/app"
	"emergence/bank"
	"emergence/label/aggregate/fixedds"
	"emergence/store"
)

// openAssignments returns a job's assignments in key order (labeler
// address), the same on every node.
func openAssignments(r store.Reader, job uint64) ([]*Assignment, error) {
	var asgs []*Assignment
	var err error
	start := store.Key(prefixAssign, store.BE64(job))
	r.Iterate(start, store.Key(prefixAssign, store.BE64(job+1)), func(_, v []byte) bool {
		var as Assignment
		if e := json.Unmarshal(v, &as); e != nil {
			err = fmt.Errorf("label: corrupt assignment in job %d: %w", job, e)
			return false
		}
		asgs = append(asgs, &as)
		return true
	})
	return asgs, err
}

// runDS runs integer Dawid–Skene within the job's iteration bound, charging
// one iteration's work for set-up and then each iteration before it runs.
func runDS(ctx *app.Context, in fixedds.Input, p Params, iters uint32) (*fixedds.Result, error) {
	perIter := fixedds.IterationWork(uint64(len(in.Labels)), uint64(in.Workers), uint64(in.Items), uint64(in.Classes)) * GasPerWork
	if err := ctx.ConsumeGas(perIter, "dawid-skene set-up"); err != nil {
		return nil, err
	}
	return fixedds.DawidSkene(in, fixedds.Params{
		MaxIter:   int(iters),
		Smoothing: int64(p.SmoothingMilli) * fixedds.One / 1000,
		BeforeIteration: func(int) error {
			return ctx.ConsumeGas(perIter, "dawid-skene iteration")
		},
	})
}

// checkGold compares the requester's gold with a gold-free Dawid–Skene run:
// a gold answer is overturned when the labelers' consensus puts at least
// GoldOverturnPermille of an item's posterior on another class and the
// item has at least GoldCheckMinLabels labels. It returns the per-item gold
// that survives (fixedds.NoGold elsewhere) and the overturned items.
func checkGold(free *fixedds.Result, gold []GoldItem, perItem []uint32, p Params, items int) ([]int32, []uint32) {
	isGold := make([]int32, items)
	for i := range isGold {
		isGold[i] = fixedds.NoGold
	}
	var overturned []uint32
	for _, g := range gold {
		best := free.Labels[g.Item]
		post := free.Best[g.Item]
		if perItem[g.Item] >= p.GoldCheckMinLabels && uint32(best) != g.Class &&
			post >= fixedds.MulDiv(int64(p.GoldOverturnPermille), fixedds.One, 1000) {
			overturned = append(overturned, g.Item)
			continue
		}
		isGold[g.Item] = int32(g.Class)
	}
	return isGold, overturned
}

// openJob decodes a JobMsg and returns its job, which must still be open
// (settle and expire act only on open jobs).
func openJob(ctx *app.Context, raw json.RawMessage) (*Job, error) {
	var msg JobMsg
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return nil, err
	}
	j, err := getJob(ctx.KV, msg.Job)
	if err != nil {
		return nil, err
	}
	if j.Status != StatusOpen {
		return nil, CodeAlreadySettled.Errorf("job %d is %s", j.ID, j.Status)
	}
	return j, nil
}

func (m *Module) handleSettle(ctx *app.Context, raw json.RawMessage) error {
	j, err := openJob(ctx, raw)
	if err != nil {
		return err
	}
	if ctx.Height <= j.RevealDeadline {
		return CodeTooEarly.Errorf("job %d settles after height %d (now %d)", j.ID, j.RevealDeadline, ctx.Height)
	}
	if !j.GoldRevealed && ctx.Height <= j.GoldDeadline {
		return CodeTooEarly.Errorf("job %d waits for its gold until height %d (now %d)", j.ID, j.GoldDeadline, ctx.Height)
	}
	if ctx.Height > j.ExpiryHeight {
		return CodeWindowClosed.Errorf("job %d expired at height %d (now %d): send label/expire", j.ID, j.ExpiryHeight, ctx.Height)
	}
	p, err := m.params(ctx.KV)
	if err != nil {
		return err
	}
	if j.Sweep {
		return m.settleSweep(ctx, j, p)
	}
	if j.Parts {
		return m.settlePart(ctx, j, p)
	}
	// Bookkeeping is charged from the job's own counts before any of it
	// runs; Dawid–Skene is charged per iteration, storage per byte.
	fixed, _ := settleCost(uint64(j.Items), j.AssignedLabels, uint64(j.Assignments), uint64(len(j.Classes)))
	if err := ctx.ConsumeGas(fixed-GasSettle, "settlement"); err != nil {
		return err
	}
	si, err := m.settleInput(ctx, j)
	if err != nil {
		return err
	}
	var dr *fixedds.Result
	isGold := si.goldOnly(int(j.Items))
	var overturned []uint32
	var goldWrong bool
	if si.in.Workers > 0 {
		// Gold is a claim by an interested party: check it against the
		// labelers' gold-free consensus first, then pin what survives.
		if len(si.gold) > 0 {
			free, err := runDS(ctx, si.in, p, j.Iterations)
			if err != nil {
				return fmt.Errorf("settle job %d: %w", j.ID, err)
			}
			isGold, overturned, goldWrong = si.checkGold(free, p, int(j.Items))
			si.in.Gold = isGold
		}
		if dr, err = runDS(ctx, si.in, p, j.Iterations); err != nil {
			return fmt.Errorf("settle job %d: %w", j.ID, err)
		}
	}
	return m.finishSettle(ctx, j, p, si, dr, isGold, overturned, goldWrong)
}

// settleInput is what settlement reads from a job's state: the
// assignments, the revealed gold and the Dawid–Skene input built from the
// revealed answers.
type settleInput struct {
	asgs []*Assignment
	gold []GoldItem
	in   fixedds.Input
	// worker maps an assignment to its Dawid–Skene worker (-1: not
	// revealed); perItem counts each item's labels.
	worker  []int
	perItem []uint32
}

func (m *Module) settleInput(ctx *app.Context, j *Job) (*settleInput, error) {
	asgs, err := openAssignments(ctx.KV, j.ID)
	if err != nil {
		return nil, err
	}
	si := &settleInput{asgs: asgs, in: fixedds.Input{Items: int(j.Items), Classes: len(j.Classes)},
		worker: make([]int, len(asgs)), perItem: make([]uint32, j.Items)}
	if j.GoldRevealed {
		if si.gold, err = getGold(ctx.KV, j.ID); err != nil {
			return nil, err
		}
	}
	for n, as := range asgs {
		si.worker[n] = -1
		if !as.Revealed {
			continue
		}
		si.worker[n] = si.in.Workers
		for k, it := range as.Items {
			si.in.Labels = append(si.in.Labels, fixedds.Label{Worker: int32(si.in.Workers), Item: int32(it), Class: int32(as.Answers[k])})
			si.perItem[it]++
		}
		si.in.Workers++
	}
	return si, nil
}

// goldOnly is the per-item gold when no labeler revealed: every gold answer
// stands unchecked (it slashes nobody, since nobody labeled).
func (si *settleInput) goldOnly(items int) []int32 {
	isGold := make([]int32, items)
	for i := range isGold {
		isGold[i] = fixedds.NoGold
	}
	for _, g := range si.gold {
		isGold[g.Item] = int32(g.Class)
	}
	return isGold
}

// checkGold runs checkGold on the gold-free result and says whether the
// requester's gold is shown wrong.
func (si *settleInput) checkGold(free *fixedds.Result, p Params, items int) ([]int32, []uint32, bool) {
	isGold, overturned := checkGold(free, si.gold, si.perItem, p, items)
	return isGold, overturned, uint64(len(overturned))*1000 > uint64(p.BadGoldPermille)*uint64(len(si.gold))
}

// survivingGold is the per-item gold once the overturned items are known.
func (si *settleInput) survivingGold(items int, overturned []uint32) []int32 {
	isGold := si.goldOnly(items)
	for _, it := range overturned {
		isGold[it] = fixedds.NoGold
	}
	return isGold
}

// finishSettle pays, slashes and refunds from the final Dawid–Skene result
// dr (nil when nobody revealed) and stores the job's results.
func (m *Module) finishSettle(ctx *app.Context, j *Job, p Params, si *settleInput, dr *fixedds.Result, isGold []int32, overturned []uint32, goldWrong bool) error {
	asgs, worker, perItem := si.asgs, si.worker, si.perItem
	res := &Results{Job: j.ID, Height: ctx.Height, GoldOverturned: overturned, GoldWrong: goldWrong}
	res.Labels = make([]int32, j.Items)
	for i := range res.Labels {
		res.Labels[i] = -1
	}
	var skills []int64
	if dr != nil {
		res.Iterations = dr.Iterations
		skills = dr.WorkerSkill
		for i := range res.Labels {
			if perItem[i] > 0 || isGold[i] != fixedds.NoGold {
				res.Labels[i] = dr.Labels[i]
			}
		}
	}
	for _, g := range isGold {
		if g != fixedds.NoGold {
			res.GoldUsed = true
			break
		}
	}
	root := ResultsRoot(j.ID, res.Labels)
	res.Root = hex.EncodeToString(root[:])

	// Pay, slash (a share of the stake each assignment put at risk), release
	// the locks and update reputations.
	slash := func(l *labelerRecord, o *Outcome, amount uint64) error {
		o.Slashed = amount
		if amount == 0 {
			return nil
		}
		if err := m.bank.MoveModule(ctx.KV, Escrow, bank.PoolTreasury, amount); err != nil {
			return fmt.Errorf("slash %s: %w", o.Labeler, err)
		}
		l.Stake -= amount
		l.Slashed += amount
		res.Slashed += amount
		return nil
	}
	for n, as := range asgs {
		l, _, err := getLabeler(ctx.KV, as.Labeler)
		if err != nil {
			return err
		}
		if l.Open == 0 || l.Locked < as.Risk {
			return fmt.Errorf("label: corrupt state: labeler %s holds %d open assignments and %d uemg locked, job %d assignment risks %d", as.Labeler, l.Open, l.Locked, j.ID, as.Risk)
		}
		l.Open--
		l.Jobs++
		o := Outcome{Labeler: as.Labeler, Labels: uint32(len(as.Items)), Revealed: as.Revealed}
		var repSkill uint64
		if as.Revealed {
			skill := skills[worker[n]]
			if skill > fixedds.One {
				skill = fixedds.One
			}
			o.SkillPermille = int32(skill * 1000 / fixedds.One)
			// Only gold the consensus could check (an item with at least
			// GoldCheckMinLabels labels) and did not overturn can slash.
			for k, it := range as.Items {
				if g := isGold[it]; g != fixedds.NoGold && perItem[it] >= p.GoldCheckMinLabels {
					o.GoldTotal++
					if uint32(g) == as.Answers[k] {
						o.GoldCorrect++
					}
				}
			}
			// Gold kappa (acc − 1/K)/(1 − 1/K) below the threshold, in
			// integers: (correct·K − total)·1000 < threshold·total·(K−1).
			K := int64(len(j.Classes))
			failed := o.GoldTotal >= p.MinGoldAnswers && o.GoldTotal > 0 &&
				(int64(o.GoldCorrect)*K-int64(o.GoldTotal))*1000 < int64(p.GoldKappaPermille)*int64(o.GoldTotal)*(K-1)
			switch {
			case failed:
				if err := slash(l, &o, as.Risk*uint64(p.SlashPermille)/1000); err != nil {
					return err
				}
			case o.SkillPermille >= int32(p.MinSkillPermille):
				o.Paid = uint64(fixedds.MulDiv(int64(j.RewardPerLabel*uint64(len(as.Items))), skill, fixedds.One))
				repSkill = uint64(o.SkillPermille)
			default:
				if o.SkillPermille > 0 {
					repSkill = uint64(o.SkillPermille)
				}
			}
			if o.Paid > 0 {
				if err := m.bank.Release(ctx.KV, Escrow, as.Labeler, o.Paid); err != nil {
					return fmt.Errorf("pay %s: %w", as.Labeler, err)
				}
				res.Paid += o.Paid
				l.Earned += o.Paid
			}
			l.Labels += uint64(len(as.Answers))
		} else if err := slash(l, &o, as.Risk*uint64(p.NoRevealSlashPermille)/1000); err != nil {
			return err
		}
		l.Locked -= as.Risk
		l.SkillSum += repSkill
		l.Reputation = uint32(l.SkillSum / l.Jobs)
		if err := putLabeler(ctx, l); err != nil {
			return err
		}
		res.Outcomes = append(res.Outcomes, o)
	}
	if res.Paid > j.Budget {
		return fmt.Errorf("settle job %d: paid %d above budget %d", j.ID, res.Paid, j.Budget)
	}
	res.Refunded = j.Budget - res.Paid
	refund := res.Refunded
	// The bond is lost when the gold was never revealed or was shown wrong.
	if j.GoldRevealed && !res.GoldWrong {
		refund += j.Bond
	} else if j.Bond > 0 {
		res.BondForfeited = j.Bond
		if err := m.bank.MoveModule(ctx.KV, Escrow, bank.PoolTreasury, j.Bond); err != nil {
			return fmt.Errorf("forfeit bond: %w", err)
		}
	}
	if refund > 0 {
		if err := m.bank.Release(ctx.KV, Escrow, j.Requester, refund); err != nil {
			return fmt.Errorf("refund: %w", err)
		}
	}
	j.Status = StatusSettled
	if err := putJob(ctx, j); err != nil {
		return err
	}
	if err := setCharged(ctx, store.Key(prefixResult, store.BE64(j.ID)), app.MustJSON(res), "results"); err != nil {
		return err
	}
	ctx.Emit("label_settle", "job", fmt.Sprint(j.ID), "root", res.Root, "paid", fmt.Sprint(res.Paid),
		"refunded", fmt.Sprint(res.Refunded), "slashed", fmt.Sprint(res.Slashed), "gold_used", fmt.Sprint(res.GoldUsed),
		"gold_overturned", fmt.Sprint(len(res.GoldOverturned)), "gold_wrong", fmt.Sprint(res.GoldWrong))
	return nil
}

// handleExpire closes a job nobody settled before its expiry height: the
// requester gets budget and bond back and every labeler's stake at risk in
// it is released, with no payments, slashes or reputation changes.
func (m *Module) handleExpire(ctx *app.Context, raw json.RawMessage) error {
	j, err := openJob(ctx, raw)
	if err != nil {
		return err
	}
	if ctx.Height <= j.ExpiryHeight {
		return CodeTooEarly.Errorf("job %d expires after height %d (now %d)", j.ID, j.ExpiryHeight, ctx.Height)
	}
	if err := ctx.ConsumeGas(uint64(j.Assignments)*GasPerAssignment+j.AssignedLabels*GasPerLabel, "expiry"); err != nil {
		return err
	}
	asgs, err := openAssignments(ctx.KV, j.ID)
	if err != nil {
		return err
	}
	for _, as := range asgs {
		l, _, err := getLabeler(ctx.KV, as.Labeler)
		if err != nil {
			return err
		}
		if l.Open == 0 || l.Locked < as.Risk {
			return fmt.Errorf("label: corrupt state: labeler %s holds %d open assignments and %d uemg locked, job %d assignment risks %d", as.Labeler, l.Open, l.Locked, j.ID, as.Risk)
		}
		l.Open--
		l.Locked -= as.Risk
		if err := putLabeler(ctx, l); err != nil {
			return err
		}
	}
	if err := m.bank.Release(ctx.KV, Escrow, j.Requester, j.Budget+j.Bond); err != nil {
		return fmt.Errorf("refund: %w", err)
	}
	// A job that expired while settling in parts drops its settlement state.
	ctx.KV.Delete(settleKey(j.ID))
	ctx.KV.Delete(sweepModelKey(j.ID))
	ctx.KV.Delete(sweepSumsKey(j.ID))
	j.Status = StatusExpired
	if err := putJob(ctx, j); err != nil {
		return err
	}
	ctx.Emit("label_expire", "job", fmt.Sprint(j.ID), "refunded", fmt.Sprint(j.Budget+j.Bond), "assignments", fmt.Sprint(len(asgs)))
	return nil
}
