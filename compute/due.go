package compute

import (
	"fmt"

	"emergence/app"
	"emergence/store"
	"emergence/tx"
)

// EndBlock implements app.Module: it processes due deadlines in height
// order, at most MaxDuePerBlock a block (the rest wait for the next
// block, in the same order). An entry whose object has moved on (a job
// whose deadline changed, a provider that answered) is dropped.
func (m *Module) EndBlock(ctx *app.Context) error {
	par, err := m.params(ctx.KV)
	if err != nil {
		return err
	}
	type due struct {
		key    []byte
		height int64
		kind   byte
		id     []byte
	}
	var list []due
	end := store.Key(prefixDue, store.BE64(uint64(ctx.Height+1)))
	ctx.KV.Iterate(prefixDue, end, func(k, _ []byte) bool {
		rest := k[len(prefixDue):]
		if len(rest) < 9 {
			return true
		}
		list = append(list, due{key: append([]byte(nil), k...), height: int64(store.U64(rest[:8])), kind: rest[8],
			id: append([]byte(nil), rest[9:]...)})
		return len(list) < MaxDuePerBlock
	})
	for _, d := range list {
		ctx.KV.Delete(d.key)
		switch d.kind {
		case dueBenchmark:
			var a tx.Address
			copy(a[:], d.id)
			err = m.benchmarkDue(ctx, par, a, d.height)
		case dueJob:
			err = m.jobDue(ctx, par, store.U64(d.id), d.height)
		}
		if err != nil {
			return fmt.Errorf("compute: deadline at %d: %w", d.height, err)
		}
	}
	return nil
}

// benchmarkDue fails a provider that did not answer its benchmark in time:
// part of its stake is slashed and it cannot bid until it passes a new one.
func (m *Module) benchmarkDue(ctx *app.Context, par Params, a tx.Address, h int64) error {
	p, err := loadProvider(ctx.KV, a)
	if err != nil {
		return err
	}
	if p.Status != ProviderBenchmarking || p.Bench == nil || p.Bench.Deadline != h {
		return nil
	}
	if _, err := m.slash(ctx, p, par.MissPermille, "benchmark not answered in time"); err != nil {
		return err
	}
	p.Status = ProviderFailed
	p.Bench = nil
	saveProvider(ctx.KV, p)
	ctx.Emit("compute-benchmark-failed", "provider", a.String())
	return nil
}

// jobDue ends a job's current phase at its deadline.
func (m *Module) jobDue(ctx *app.Context, par Params, id uint64, h int64) error {
	j, err := loadJob(ctx.KV, id)
	if err != nil {
		return err
	}
	if j.Deadline != h {
		return nil
	}
	switch j.Status {
	case JobBidding:
		err = m.bidsClosed(ctx, par, j)
	case JobRunning:
		err = m.commitsDue(ctx, par, j)
	case JobRevealing:
		err = m.revealsDue(ctx, par, j)
	case JobRefereeing:
		err = m.refereeDue(ctx, par, j)
	default:
		return nil
	}
	if err != nil {
		return fmt.Errorf("job %d: %w", id, err)
	}
	saveJob(ctx.KV, j)
	return nil
}

// bidsClosed assigns the job at the end of a bid window, or opens another
// window (up to MaxRounds), or expires it.
func (m *Module) bidsClosed(ctx *app.Context, par Params, j *Job) error {
	full, err := m.fill(ctx, par, j)
	if err != nil {
		return err
	}
	if full {
		ctx.KV.Delete(openKey(j.ID))
		j.Status = JobRunning
		setDeadline(ctx, j, ctx.Height+par.ExecBlocks+int64(j.Seconds()))
		return nil
	}
	if j.Rounds >= par.MaxRounds {
		return m.expire(ctx, j, fmt.Sprintf("too few eligible bids after %d rounds", j.Rounds))
	}
	j.Rounds++
	ctx.KV.Set(openKey(j.ID), []byte{1})
	j.Status = JobBidding
	setDeadline(ctx, j, ctx.Height+par.BidBlocks)
	ctx.Emit("compute-rebid", "job", u64(j.ID), "round", u64(uint64(j.Rounds)))
	return nil
}

// commitsDue slashes assigned providers that did not commit and
// reassigns their replicas from the remaining bids, or re-auctions them.
func (m *Module) commitsDue(ctx *app.Context, par Params, j *Job) error {
	asgs, err := openAssignments(ctx.KV, j.ID)
	if err != nil {
		return err
	}
	for _, a := range asgs {
		if a.State == AsgAssigned {
			if err := m.miss(ctx, par, a, fmt.Sprintf("job %d: no commitment by height %d", j.ID, j.Deadline)); err != nil {
				return err
			}
		}
	}
	return m.bidsClosed(ctx, par, j)
}

// revealsDue slashes committed providers that did not reveal and decides
// the job on the reveals it has.
func (m *Module) revealsDue(ctx *app.Context, par Params, j *Job) error {
	asgs, err := openAssignments(ctx.KV, j.ID)
	if err != nil {
		return err
	}
	for _, a := range asgs {
		if a.State == AsgCommitted {
			if err := m.miss(ctx, par, a, fmt.Sprintf("job %d: no reveal by height %d", j.ID, j.Deadline)); err != nil {
				return err
			}
		}
	}
	return m.decide(ctx, j, asgs)
}

// refereeDue replaces a provider referee that did not answer (slashing it)
// by another, or by the requester after MaxReferees; a requester that does
// not referee leaves the job unresolved, and every revealed replica is
// paid.
func (m *Module) refereeDue(ctx *app.Context, par Params, j *Job) error {
	asgs, err := openAssignments(ctx.KV, j.ID)
	if err != nil {
		return err
	}
	if !j.RefereeRequester {
		p, err := loadProvider(ctx.KV, j.Referee)
		if err != nil {
			return err
		}
		if _, err := m.slash(ctx, p, par.MissPermille, fmt.Sprintf("job %d: referee missed height %d", j.ID, j.Deadline)); err != nil {
			return err
		}
		p.Reputation /= 2
		release(ctx.KV, p)
		saveProvider(ctx.KV, p)
		ctx.KV.Delete(byProvKey(p.Address, j.ID))
		j.Opinions = append(j.Opinions, "")
		return m.startReferee(ctx, par, j, asgs)
	}
	// Provider referees that answered held their duty until now.
	for i, a := range j.Referees {
		if i >= len(j.Opinions) || j.Opinions[i] == "" {
			continue // missed its deadline: already released
		}
		p, err := loadProvider(ctx.KV, a)
		if err != nil {
			return err
		}
		release(ctx.KV, p)
		saveProvider(ctx.KV, p)
		ctx.KV.Delete(byProvKey(a, j.ID))
	}
	for _, a := range asgs {
		if a.State != AsgRevealed {
			continue
		}
		p, err := loadProvider(ctx.KV, a.Provider)
		if err != nil {
			return err
		}
		amt, _ := mulCheck(a.Price, j.Seconds())
		before := p.Earned
		if err := m.pay(ctx, j, p, amt); err != nil {
			return err
		}
		a.Paid = p.Earned - before
		a.State = AsgPaid
		p.Jobs++
		release(ctx.KV, p)
		saveProvider(ctx.KV, p)
		saveAsg(ctx.KV, a)
		ctx.KV.Delete(byProvKey(a.Provider, j.ID))
	}
	j.Status = JobUnresolved
	ctx.Emit("compute-unresolved", "job", u64(j.ID))
	return m.refund(ctx, j)
}
