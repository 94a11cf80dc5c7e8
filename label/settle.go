package label

import (
	"encoding/hex"
	"encoding/json"
	"fmt"

	"emergence/app"
	"emergence/label/aggregate/fixedds"
)

func (m *Module) handleSettle(ctx *app.Context, raw json.RawMessage) error {
	var msg JobMsg
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	j, err := getJob(ctx.KV, msg.Job)
	if err != nil {
		return err
	}
	if j.Status != StatusOpen {
		return CodeAlreadySettled.Errorf("job %d", j.ID)
	}
	if ctx.Height <= j.RevealDeadline {
		return CodeTooEarly.Errorf("job %d settles after height %d (now %d)", j.ID, j.RevealDeadline, ctx.Height)
	}
	if !j.GoldRevealed && ctx.Height <= j.GoldDeadline {
		return CodeTooEarly.Errorf("job %d waits for its gold until height %d (now %d)", j.ID, j.GoldDeadline, ctx.Height)
	}
	p := m.params(ctx.KV)

	// Assignments in key order (labeler address), the same on every node.
	var asgs []*Assignment
	var nLabels uint64
	start := u64key(prefixAssign, j.ID)
	var decodeErr error
	ctx.KV.Iterate(start, u64key(prefixAssign, j.ID+1), func(_, v []byte) bool {
		var as Assignment
		if err := json.Unmarshal(v, &as); err != nil {
			decodeErr = fmt.Errorf("corrupt assignment: %w", err)
			return false
		}
		asgs = append(asgs, &as)
		if as.Revealed {
			nLabels += uint64(len(as.Answers))
		}
		return true
	})
	if decodeErr != nil {
		return decodeErr
	}
	if err := ctx.ConsumeGas(nLabels*GasPerLabel, "settlement"); err != nil {
		return err
	}

	res := &Results{Job: j.ID, GoldUsed: j.GoldRevealed, Height: ctx.Height}
	res.Labels = make([]int32, j.Items)
	for i := range res.Labels {
		res.Labels[i] = -1
	}
	isGold := make([]int32, j.Items)
	for i := range isGold {
		isGold[i] = fixedds.NoGold
	}
	if j.GoldRevealed {
		for _, g := range j.Gold {
			isGold[g.Item] = int32(g.Class)
		}
	}

	// Integer Dawid–Skene over the revealed answers, gold pinned.
	in := fixedds.Input{Items: int(j.Items), Classes: len(j.Classes)}
	worker := make([]int, len(asgs))
	for n, as := range asgs {
		worker[n] = -1
		if !as.Revealed {
			continue
		}
		worker[n] = in.Workers
		for k, it := range as.Items {
			in.Labels = append(in.Labels, fixedds.Label{Worker: int32(in.Workers), Item: int32(it), Class: int32(as.Answers[k])})
		}
		in.Workers++
	}
	var skills []int64
	if in.Workers > 0 {
		if j.GoldRevealed {
			in.Gold = isGold
		}
		dr, err := fixedds.DawidSkene(in, fixedds.Params{Smoothing: int64(p.SmoothingMilli) * fixedds.One / 1000})
		if err != nil {
			return fmt.Errorf("settle job %d: %w", j.ID, err)
		}
		res.Iterations = dr.Iterations
		skills = dr.WorkerSkill
		labeled := make([]bool, j.Items)
		for _, l := range in.Labels {
			labeled[l.Item] = true
		}
		for i := range res.Labels {
			if labeled[i] || isGold[i] != fixedds.NoGold {
				res.Labels[i] = dr.Labels[i]
			}
		}
	}
	root := ResultsRoot(j.ID, res.Labels)
	res.Root = hex.EncodeToString(root[:])

	// Pay, slash and update reputations.
	for n, as := range asgs {
		l, _ := getLabeler(ctx.KV, as.Labeler)
		if l.Open > 0 {
			l.Open--
		}
		l.Jobs++
		o := Outcome{Labeler: as.Labeler, Labels: uint32(len(as.Items)), Revealed: as.Revealed}
		var repSkill uint64
		if as.Revealed {
			skill := skills[worker[n]]
			if skill > fixedds.One {
				skill = fixedds.One
			}
			o.SkillPermille = int32(skill * 1000 / fixedds.One)
			for k, it := range as.Items {
				if g := isGold[it]; g != fixedds.NoGold {
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
				o.Slashed = l.Stake * uint64(p.SlashPermille) / 1000
				if o.Slashed > 0 {
					if err := m.bank.MoveModule(ctx.KV, Escrow, Treasury, o.Slashed); err != nil {
						return fmt.Errorf("slash %s: %w", as.Labeler, err)
					}
					l.Stake -= o.Slashed
					l.Slashed += o.Slashed
					res.Slashed += o.Slashed
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
		} else {
			o.Slashed = l.Stake * uint64(p.NoRevealSlashPermille) / 1000
			if o.Slashed > 0 {
				if err := m.bank.MoveModule(ctx.KV, Escrow, Treasury, o.Slashed); err != nil {
					return fmt.Errorf("slash %s: %w", as.Labeler, err)
				}
				l.Stake -= o.Slashed
				l.Slashed += o.Slashed
				res.Slashed += o.Slashed
			}
		}
		l.SkillSum += repSkill
		l.Reputation = uint32(l.SkillSum / l.Jobs)
		putLabeler(ctx.KV, l)
		res.Outcomes = append(res.Outcomes, o)
	}
	if res.Paid > j.Budget {
		return fmt.Errorf("settle job %d: paid %d above budget %d", j.ID, res.Paid, j.Budget)
	}
	res.Refunded = j.Budget - res.Paid
	refund := res.Refunded
	if j.GoldRevealed {
		refund += j.Bond
	} else if j.Bond > 0 {
		res.BondForfeited = j.Bond
		if err := m.bank.MoveModule(ctx.KV, Escrow, Treasury, j.Bond); err != nil {
			return fmt.Errorf("forfeit bond: %w", err)
		}
	}
	if refund > 0 {
		if err := m.bank.Release(ctx.KV, Escrow, j.Requester, refund); err != nil {
			return fmt.Errorf("refund: %w", err)
		}
	}
	j.Status = StatusSettled
	putJob(ctx.KV, j)
	ctx.KV.Set(u64key(prefixResult, j.ID), app.MustJSON(res))
	ctx.Emit("label_settle", "job", fmt.Sprint(j.ID), "root", res.Root, "paid", fmt.Sprint(res.Paid),
		"refunded", fmt.Sprint(res.Refunded), "slashed", fmt.Sprint(res.Slashed), "gold_used", fmt.Sprint(res.GoldUsed))
	return nil
}
