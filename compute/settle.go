package compute

import (
	"encoding/json"
	"fmt"
	"math/bits"
	"slices"

	"emergence/app"
	"emergence/store"
	"emergence/tx"
)

// release frees the provider core an assignment (or referee duty) held.
func release(kv store.KV, p *Provider) {
	if p.Active > 0 {
		p.Active--
	}
}

// pay moves amt of j's escrow to provider p.
func (m *Module) pay(ctx *app.Context, j *Job, p *Provider, amt uint64) error {
	if amt > j.Escrow {
		amt = j.Escrow
	}
	if amt == 0 {
		return nil
	}
	if err := m.bank.Release(ctx.KV, Escrow, p.Address, amt); err != nil {
		return fmt.Errorf("compute: pay %s for job %d: %w", p.Address, j.ID, err)
	}
	j.Escrow -= amt
	j.Paid += amt
	p.Earned += amt
	return nil
}

// slash moves permille of p's stake from escrow to the pool.
func (m *Module) slash(ctx *app.Context, p *Provider, permille uint32, why string) (uint64, error) {
	hi, lo := bits.Mul64(p.Stake, uint64(min(permille, 1000)))
	amt, _ := bits.Div64(hi, lo, 1000) // hi < 1000: no overflow
	if amt == 0 {
		return 0, nil
	}
	if err := m.bank.MoveModule(ctx.KV, Escrow, Pool, amt); err != nil {
		return 0, fmt.Errorf("compute: slash %s: %w", p.Address, err)
	}
	p.Stake -= amt
	p.Slashed += amt
	ctx.Emit("compute-slash", "provider", p.Address.String(), "amount", u64(amt), "reason", why)
	return amt, nil
}

// miss handles an assignment whose provider missed its deadline: part of
// its stake is slashed, its reputation halved and its core freed.
func (m *Module) miss(ctx *app.Context, par Params, as *Assignment, why string) error {
	p, err := loadProvider(ctx.KV, as.Provider)
	if err != nil {
		return err
	}
	amt, err := m.slash(ctx, p, par.MissPermille, why)
	if err != nil {
		return err
	}
	p.Reputation /= 2
	release(ctx.KV, p)
	saveProvider(ctx.KV, p)
	as.State = AsgMissed
	as.Slashed = amt
	saveAsg(ctx.KV, as)
	ctx.KV.Delete(byProvKey(as.Provider, as.Job))
	return nil
}

// decide runs when a job's reveals are all in (or its reveal window has
// closed): agreeing replicas (at least two, or the job's only one when
// r = 1) are paid unless the job is drawn for a re-check; anything else
// goes to a referee.
func (m *Module) decide(ctx *app.Context, j *Job, asgs []*Assignment) error {
	par, err := m.params(ctx.KV)
	if err != nil {
		return err
	}
	var revealed []*Assignment
	for _, a := range asgs {
		if a.State == AsgRevealed {
			revealed = append(revealed, a)
		}
	}
	if len(revealed) == 0 {
		return m.expire(ctx, j, "no replica revealed")
	}
	agree := len(revealed) >= 2 || j.R == 1
	for _, a := range revealed[1:] {
		if a.Output != revealed[0].Output {
			agree = false
		}
	}
	if agree {
		if Draw(ctx.Entropy, "recheck", store.BE64(j.ID))%1000 < uint64(par.RecheckPermille) {
			j.Recheck = true
			ctx.Emit("compute-recheck", "job", u64(j.ID))
			return m.startReferee(ctx, par, j, asgs)
		}
		a := revealed[0]
		return m.settle(ctx, j, asgs, Result{Output: a.Output, Exit: a.Exit, Files: a.Files, By: "agreement", Height: ctx.Height})
	}
	return m.startReferee(ctx, par, j, asgs)
}

// startReferee draws the job's referee from the registry: starting at a
// position drawn from block data it probes at most RefereeProbes entries
// and takes, among those free, with the job's memory and an asking price
// within its cap, not the requester,
// without an assignment on the job and not drawn for it before, the one
// with the highest reputation (the first probed on a tie), since slashes
// zero a cheater's reputation; when every such provider is busy, the best
// of those holding fewer than twice their cores in duties. When none is
// found, or MaxReferees were drawn, the requester referees.
func (m *Module) startReferee(ctx *app.Context, par Params, j *Job, asgs []*Assignment) error {
	best, err := drawReferee(ctx, par, j)
	if err != nil {
		return err
	}
	return assignReferee(ctx, par, j, best)
}

// drawReferee finds the provider startReferee would draw (nil: none).
func drawReferee(ctx *app.Context, par Params, j *Job) (*Provider, error) {
	n := store.GetU64(ctx.KV, keyProviders)
	if n == 0 || len(j.Referees) >= MaxReferees {
		return nil, nil
	}
	start := Draw(ctx.Entropy, "referee", store.BE64(j.ID), store.BE64(uint64(len(j.Referees)))) % n
	var best, busy *Provider
	for i := uint64(0); i < RefereeProbes && i < n; i++ {
		var a tx.Address
		copy(a[:], ctx.KV.Get(seqKey((start+i)%n)))
		if sameAddr(a, j.Requester) || slices.Contains(j.Referees, a) || ctx.KV.Get(asgKey(j.ID, a)) != nil {
			continue
		}
		p, err := loadProvider(ctx.KV, a)
		if err != nil {
			return nil, err
		}
		if p.Price > j.PriceCap {
			// It never offered to run at this job's price: drawing it
			// would make it re-run the job below its price or miss.
			continue
		}
		switch {
		case p.Eligible(par, j.MemMiB):
			if best == nil || p.Reputation > best.Reputation {
				best = p
			}
		case p.Status == ProviderReady && p.Stake >= par.MinStake && p.MemMiB >= j.MemMiB && p.Active < 2*p.Cores:
			if busy == nil || p.Reputation > busy.Reputation {
				busy = p
			}
		}
	}
	if best == nil {
		// Every probed provider is busy: the best of them referees once
		// a core frees (its duties may reach twice its cores), rather
		// than leaving a re-check to a requester who may run nothing.
		best = busy
	}
	return best, nil
}

// assignReferee makes best (or, when nil, the requester) the job's referee.
func assignReferee(ctx *app.Context, par Params, j *Job, best *Provider) error {
	j.Status = JobRefereeing
	j.Referee = tx.Address{}
	j.RefereeRequester = false
	if best != nil {
		best.Active++
		saveProvider(ctx.KV, best)
		j.Referee = best.Address
		j.Referees = append(j.Referees, best.Address)
		ctx.KV.Set(byProvKey(best.Address, j.ID), []byte{1})
	} else {
		j.Referee = j.Requester
		j.RefereeRequester = true
	}
	setDeadline(ctx, j, ctx.Height+par.ExecBlocks+int64(j.Seconds()))
	ctx.Emit("compute-referee", "job", u64(j.ID), "referee", j.Referee.String(), "deadline", i64(j.Deadline))
	return nil
}

// refereeAnswered handles the referee's result. A provider referee whose
// output matches no revealed output and no earlier referee's does not
// decide alone: the next referee is drawn (a lazy referee cannot slash
// honest replicas with garbage). One that matches a reveal decides unless
// drawn for a re-check (probability RecheckPermille), when the next
// referee is drawn too. A result an earlier referee gave, or the
// requester's, settles the job: revealed replicas with another output
// are slashed, referees that answered another output are slashed, and
// the others are paid.
func (m *Module) refereeAnswered(ctx *app.Context, j *Job, res Result) error {
	par, err := m.params(ctx.KV)
	if err != nil {
		return err
	}
	asgs, err := openAssignments(ctx.KV, j.ID)
	if err != nil {
		return err
	}
	if !j.RefereeRequester {
		confirmed := slices.Contains(j.Opinions, res.Output)
		revealed, slashes := false, false
		for _, a := range asgs {
			if a.State == AsgRevealed {
				revealed = revealed || a.Output == res.Output
				slashes = slashes || a.Output != res.Output
			}
		}
		// A referee that sides with a reveal decides, unless its decision
		// slashes a replica and is drawn for a re-check with the same
		// probability p as an agreeing job (a colluder drawn as referee
		// for its partner). Confirming replicas that all agree slashes
		// nobody and is not re-checked.
		drawn := slashes && Draw(ctx.Entropy, "referee-recheck", store.BE64(j.ID), store.BE64(uint64(len(j.Opinions))))%1000 < uint64(par.RecheckPermille)
		// The referee's duty (its core, and so its stake) is held until
		// the job settles: one whose answer is not believed yet could
		// otherwise unregister before its answer is judged and leave the
		// slash for a wrong one nothing to take.
		j.Opinions = append(j.Opinions, res.Output)
		referee := j.Referee
		if !confirmed && (!revealed || drawn) {
			next, err := drawReferee(ctx, par, j)
			if err != nil {
				return err
			}
			// A decision that sides with a reveal stands when no other
			// provider is free to re-check it; an unconfirmed answer
			// goes on to the requester.
			if next != nil || !revealed {
				ctx.Emit("compute-referee-unconfirmed", "job", u64(j.ID), "referee", referee.String(), "output", res.Output)
				return assignReferee(ctx, par, j, next)
			}
		}
	}
	return m.settleReferee(ctx, par, j, asgs, res)
}

// settleReferee settles a refereed job by res (see refereeAnswered).
// Each referee that answered res is paid the job's highest replica price
// (or its own, when higher and within the cap) for its run, first from
// what the budget holds beyond the replicas' pay, then from the pool, up
// to what this settlement's slashes put into it; every referee that
// answered is released.
//
// The requester's answer is a claim by an interested party: it slashes
// nobody unless a replica revealed it and a provider referee answered it
// too. Otherwise it only decides who is paid: replicas (and referees)
// with another output go unpaid, and their pay goes to the pool, not
// back to the requester, so a lie saves it nothing and cannot cost an
// honest replica its stake, even seconded by one referee of its own.
func (m *Module) settleReferee(ctx *app.Context, par Params, j *Job, asgs []*Assignment, res Result) error {
	judged := !j.RefereeRequester
	if j.RefereeRequester && slices.Contains(j.Opinions, res.Output) {
		for _, a := range asgs {
			judged = judged || (a.State == AsgRevealed && a.Output == res.Output)
		}
	}
	// raised is what this settlement's slashes put into the pool: the
	// most the pool pays the job's referees, so a dispute staged by a
	// coalition of replicas and referees cannot draw on other providers'
	// slashes.
	var fee, reserve, raised uint64
	for _, a := range asgs {
		if a.State != AsgRevealed {
			continue
		}
		fee = max(fee, a.Price)
		if a.Output == res.Output {
			share, _ := mulCheck(a.Price, j.Seconds())
			reserve += share
			continue
		}
		p, err := loadProvider(ctx.KV, a.Provider)
		if err != nil {
			return err
		}
		if judged {
			if a.Slashed, err = m.slash(ctx, p, par.SlashPermille, fmt.Sprintf("job %d: output differs from the referee's", j.ID)); err != nil {
				return err
			}
			raised += a.Slashed
			p.Reputation = 0
		}
		release(ctx.KV, p)
		saveProvider(ctx.KV, p)
		a.State = AsgReleased
		if judged {
			a.State = AsgSlashed
		}
		saveAsg(ctx.KV, a)
		ctx.KV.Delete(byProvKey(a.Provider, j.ID))
		if j.RefereeRequester {
			// The requester referees its own job: the share of a replica
			// it did not side with is not refunded to it, so lying saves
			// it nothing.
			share, _ := mulCheck(a.Price, j.Seconds())
			share = min(share, j.Escrow)
			if err := m.bank.MoveModule(ctx.KV, Escrow, Pool, share); err != nil {
				return err
			}
			j.Escrow -= share
		}
	}
	// Referees that answered another output first (their slashes fund
	// the pool's part), then those that answered res.
	for pass := 0; pass < 2; pass++ {
		for i, a := range j.Referees {
			if i >= len(j.Opinions) || j.Opinions[i] == "" || (j.Opinions[i] == res.Output) != (pass == 1) {
				continue // a missed one was slashed at its deadline
			}
			if err := m.settleRefereeOpinion(ctx, par, j, a, j.Opinions[i] == res.Output, judged, fee, reserve, &raised); err != nil {
				return err
			}
		}
	}
	return m.settle(ctx, j, asgs, res)
}

// settleRefereeOpinion releases referee a of j and slashes it (right
// false, when judged) or pays it for its run: at the highest replica
// price, or its own asking price when the replicas bid less (it was
// drawn only with a price within the cap), from what the budget holds
// beyond reserve, then from the pool up to *raised.
func (m *Module) settleRefereeOpinion(ctx *app.Context, par Params, j *Job, a tx.Address, right, judged bool, fee, reserve uint64, raised *uint64) error {
	p, err := loadProvider(ctx.KV, a)
	if err != nil {
		return err
	}
	release(ctx.KV, p)
	ctx.KV.Delete(byProvKey(a, j.ID))
	if !right {
		if judged {
			amt, err := m.slash(ctx, p, par.SlashPermille, fmt.Sprintf("job %d: referee answered another output", j.ID))
			if err != nil {
				return err
			}
			*raised += amt
			p.Reputation = 0
		}
		saveProvider(ctx.KV, p)
		return nil
	}
	perRun, _ := mulCheck(min(max(fee, p.Price, 1), max(j.PriceCap, 1)), j.Seconds())
	fromEscrow := min(perRun, j.Escrow-min(reserve, j.Escrow))
	if fromEscrow > 0 {
		if err := m.bank.Release(ctx.KV, Escrow, a, fromEscrow); err != nil {
			return err
		}
		j.Escrow -= fromEscrow
		j.Paid += fromEscrow
	}
	fromPool := min(perRun-fromEscrow, *raised, m.bank.ModuleBalance(ctx.KV, Pool))
	if fromPool > 0 {
		if err := m.bank.Release(ctx.KV, Pool, a, fromPool); err != nil {
			return err
		}
		*raised -= fromPool
	}
	p.Earned += fromEscrow + fromPool
	p.Reputation++
	saveProvider(ctx.KV, p)
	ctx.Emit("compute-referee-paid", "job", u64(j.ID), "referee", a.String(), "amount", u64(fromEscrow+fromPool))
	return nil
}

// settle pays every revealed replica whose output is the result's, frees
// the remaining cores, refunds what is left of the budget and records the
// result.
func (m *Module) settle(ctx *app.Context, j *Job, asgs []*Assignment, res Result) error {
	for _, a := range asgs {
		if !a.open() {
			continue
		}
		p, err := loadProvider(ctx.KV, a.Provider)
		if err != nil {
			return err
		}
		if a.State == AsgRevealed && a.Output == res.Output {
			amt, _ := mulCheck(a.Price, j.Seconds())
			before := p.Earned
			if err := m.pay(ctx, j, p, amt); err != nil {
				return err
			}
			a.Paid = p.Earned - before
			a.State = AsgPaid
			p.Reputation++
			p.Jobs++
		} else {
			a.State = AsgReleased
		}
		release(ctx.KV, p)
		saveProvider(ctx.KV, p)
		saveAsg(ctx.KV, a)
		ctx.KV.Delete(byProvKey(a.Provider, j.ID))
	}
	if res.Files == nil {
		res.Files = []File{}
	}
	j.Result = &res
	j.Status = JobDone
	ctx.Emit("compute-done", "job", u64(j.ID), "output", res.Output, "by", res.By)
	return m.refund(ctx, j)
}

// refund returns what is left of j's escrow to its requester.
func (m *Module) refund(ctx *app.Context, j *Job) error {
	if j.Escrow == 0 {
		return nil
	}
	if err := m.bank.Release(ctx.KV, Escrow, j.Requester, j.Escrow); err != nil {
		return fmt.Errorf("compute: refund job %d: %w", j.ID, err)
	}
	j.Refund += j.Escrow
	j.Escrow = 0
	return nil
}

// expire ends a job without a result: open assignments are released
// unpaid and the budget is refunded.
func (m *Module) expire(ctx *app.Context, j *Job, why string) error {
	asgs, err := openAssignments(ctx.KV, j.ID)
	if err != nil {
		return err
	}
	for _, a := range asgs {
		if !a.open() {
			continue
		}
		p, err := loadProvider(ctx.KV, a.Provider)
		if err != nil {
			return err
		}
		release(ctx.KV, p)
		saveProvider(ctx.KV, p)
		a.State = AsgReleased
		saveAsg(ctx.KV, a)
		ctx.KV.Delete(byProvKey(a.Provider, j.ID))
	}
	ctx.KV.Delete(openKey(j.ID))
	j.Status = JobExpired
	ctx.Emit("compute-expired", "job", u64(j.ID), "reason", why)
	return m.refund(ctx, j)
}

// candidate is a bid in the selection order.
type candidate struct {
	bid   BidRecord
	prov  *Provider
	score uint64
	tie   uint64
}

// Score is a bid's selection score: its price discounted by RepStep
// thousandths per point of reputation up to RepCap (lower is better).
func Score(price, reputation uint64) uint64 {
	rep := min(reputation, RepCap)
	hi, lo := bits.Mul64(price, 1000)
	q, _ := bits.Div64(hi, lo, 1000+rep*RepStep) // hi < 1000 < divisor
	return q
}

// fill assigns the job's missing replicas from its bids: bids of providers
// with no assignment on the job yet that are still eligible, best score
// first (ties broken by free cores, most first, then a draw from block
// data, then address), at most one
// per provider because bids are keyed by provider. It reports whether the
// job now has r open replicas.
func (m *Module) fill(ctx *app.Context, par Params, j *Job) (bool, error) {
	asgs, err := openAssignments(ctx.KV, j.ID)
	if err != nil {
		return false, err
	}
	var have uint32
	for _, a := range asgs {
		if a.open() {
			have++
		}
	}
	need := j.R - min(have, j.R)
	if need == 0 {
		return true, nil
	}
	var cands []candidate
	base := store.Key(prefixBid, store.BE64(j.ID))
	var derr error
	ctx.KV.Iterate(base, store.PrefixEnd(base), func(_, v []byte) bool {
		var b BidRecord
		if e := json.Unmarshal(v, &b); e != nil {
			derr = fmt.Errorf("compute: corrupt bid on job %d: %w", j.ID, e)
			return false
		}
		cands = append(cands, candidate{bid: b})
		return true
	})
	if derr != nil {
		return false, derr
	}
	var ok []candidate
	for _, c := range cands {
		if ctx.KV.Get(asgKey(j.ID, c.bid.Provider)) != nil {
			continue
		}
		p, err := loadProvider(ctx.KV, c.bid.Provider)
		if err != nil {
			return false, err
		}
		if !p.Eligible(par, j.MemMiB) {
			continue
		}
		c.prov = p
		c.score = Score(c.bid.Price, p.Reputation)
		c.tie = Draw(ctx.Entropy, "tie", store.BE64(j.ID), p.Address[:])
		ok = append(ok, c)
	}
	if uint32(len(ok)) < need {
		return false, nil
	}
	slices.SortFunc(ok, func(a, b candidate) int {
		switch {
		case a.score != b.score:
			return cmpU(a.score, b.score)
		case a.prov.Cores-a.prov.Active != b.prov.Cores-b.prov.Active:
			// More free cores first: jobs closing in one block spread
			// over the providers instead of filling one and stranding
			// another's cores (a job needs r distinct providers).
			return cmpU(uint64(b.prov.Cores-b.prov.Active), uint64(a.prov.Cores-a.prov.Active))
		case a.tie != b.tie:
			return cmpU(a.tie, b.tie)
		default:
			return slices.Compare(a.bid.Provider[:], b.bid.Provider[:])
		}
	})
	for _, c := range ok[:need] {
		as := &Assignment{Job: j.ID, Provider: c.prov.Address, Price: c.bid.Price, State: AsgAssigned, Assigned: ctx.Height}
		saveAsg(ctx.KV, as)
		c.prov.Active++
		saveProvider(ctx.KV, c.prov)
		ctx.KV.Set(byProvKey(c.prov.Address, j.ID), []byte{1})
		ctx.Emit("compute-assigned", "job", u64(j.ID), "provider", c.prov.Address.String(), "price", u64(c.bid.Price))
	}
	return true, nil
}

func cmpU(a, b uint64) int {
	if a < b {
		return -1
	}
	if a > b {
		return 1
	}
	return 0
}
