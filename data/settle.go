package data

import (
	"fmt"

	"emergence/app"
	"emergence/store"
	"emergence/tx"
)

// revealed is one assigned crawler's part in a URL at settlement.
type revealed struct {
	addr      tx.Address
	committed bool
	commitH   int64
	receipt   *WireReceipt
}

// settle decides URL p of job j from its revealed receipts: accepted (or
// skipped) when k of them agree on the text hash and skip reason, disputed
// when revealed receipts disagree, missed otherwise. On a disputed URL the
// crawlers outside a strict majority of the revealed receipts (all of them
// when there is none) get a disagreement, and a strike if their consistency
// is then under 50 % with at least StrikesBeforeSlash disagreements; from
// StrikesBeforeSlash strikes in a row on, each strike costs DisagreeSlash. It pays, updates
// reputations, slashes, adds the agreed links as new URLs and deletes the
// URL's commits and receipts. It returns the work done in settlement units
// (one per URL plus one per assignment hash of the URLs it added).
func (m *Module) settle(ctx *app.Context, j *Job, p *Page) (uint64, error) {
	prm, err := m.params(ctx.KV)
	if err != nil {
		return 0, err
	}
	parts := make([]revealed, len(p.Crawlers))
	for i, a := range p.Crawlers {
		parts[i].addr = a
		var cr commitRec
		ok, err := store.GetJSON(ctx.KV, commitKey(p.Job, p.Index, a), &cr)
		if err != nil {
			return 0, err
		}
		parts[i].committed, parts[i].commitH = ok, cr.Height
		var w WireReceipt
		ok, err = store.GetJSON(ctx.KV, receiptKey(p.Job, p.Index, a), &w)
		if err != nil {
			return 0, err
		}
		if ok {
			parts[i].receipt = &w
		}
	}
	// The largest group of agreeing receipts (first in address order on a
	// tie) and whether any two revealed receipts differ.
	best, bestN, reveals, differ := -1, 0, 0, false
	for i := range parts {
		if parts[i].receipt == nil {
			continue
		}
		reveals++
		n := 0
		for k := range parts {
			if parts[k].receipt != nil && agree(parts[i].receipt, parts[k].receipt) {
				n++
			}
		}
		if n < reveals {
			differ = true
		}
		if n > bestN {
			best, bestN = i, n
		}
	}
	for i := range parts {
		if parts[i].receipt != nil && best >= 0 && !agree(parts[i].receipt, parts[best].receipt) {
			differ = true
		}
	}
	switch {
	case bestN >= int(j.K) && parts[best].receipt.Skip == "":
		p.State = StateAccepted
		j.Accepted++
	case bestN >= int(j.K):
		p.State = StateSkipped
		j.Skipped++
	case differ:
		p.State = StateDisputed
		j.Disputed++
	default:
		p.State = StateMissed
		j.Missed++
	}
	j.Open--
	j.Reserved -= j.PricePerPage
	p.Settled = ctx.Height
	agreed := p.State == StateAccepted || p.State == StateSkipped
	// A disputed URL's strict majority of revealed receipts is not
	// penalised; everyone else who revealed is.
	majority := best >= 0 && 2*bestN > reveals
	var share uint64
	if p.State == StateAccepted {
		share = j.PricePerPage / uint64(bestN)
	}
	if agreed {
		r := parts[best].receipt
		p.FinalURL, p.Status, p.ContentType, p.TextHash, p.Skip = r.FinalURL, r.Status, r.ContentType, r.TextHash, r.Skip
	}
	active, err := activeSet(ctx.KV)
	if err != nil {
		return 0, err
	}
	activeChanged := false
	for i := range parts {
		pt := &parts[i]
		c, err := mustCrawler(ctx.KV, pt.addr)
		if err != nil {
			return 0, err
		}
		jc, err := loadJC(ctx.KV, p.Job, pt.addr)
		if err != nil {
			return 0, err
		}
		c.Assigned++
		var slash uint64
		if pt.committed {
			c.Committed++
			if 2*(pt.commitH-p.Added) <= p.CommitBy-p.Added {
				c.EarlyCommits++
			}
		}
		switch {
		case pt.receipt == nil && pt.committed:
			c.Unrevealed++
			jc.Unrevealed++
			slash += prm.UnrevealedSlash
		case pt.receipt == nil:
		case agreed && agree(pt.receipt, parts[best].receipt):
			c.Revealed++
			c.Agreed++
			c.Strikes = 0
			jc.Agreed++
			p.Agreed = append(p.Agreed, pt.addr)
			p.WARCs = append(p.WARCs, pt.receipt.WARC)
			p.BodyHashes = append(p.BodyHashes, pt.receipt.BodyHash)
			if p.State == StateAccepted {
				jc.Accepted++
				if share > 0 {
					if err := m.bank.Release(ctx.KV, Escrow, pt.addr, share); err != nil {
						return 0, fmt.Errorf("pay crawler %s: %w", pt.addr, err)
					}
					c.Earned += share
					jc.Earned += share
					j.Paid += share
				}
			}
		case differ && (!majority || !agree(pt.receipt, parts[best].receipt)):
			// In the minority of a disputed URL, or in a dispute with
			// no strict majority.
			c.Revealed++
			c.Disagreed++
			jc.Disagreed++
			// A strike only for a crawler that disagrees more than it
			// agrees: an honest crawler paired with liars keeps its stake
			// however the disputes are ordered.
			if c.Disagreed >= uint64(prm.StrikesBeforeSlash) && c.Reputation().Consistency < 500 {
				c.Strikes++
				if c.Strikes >= prm.StrikesBeforeSlash {
					slash += prm.DisagreeSlash
				}
			}
		default:
			c.Revealed++
		}
		if slash > c.Stake {
			slash = c.Stake
		}
		if slash > 0 {
			if err := m.bank.MoveModule(ctx.KV, Escrow, Treasury, slash); err != nil {
				return 0, fmt.Errorf("slash crawler %s: %w", pt.addr, err)
			}
			c.Stake -= slash
			c.Slashed += slash
			ctx.Emit("data-slashed", "crawler", pt.addr.String(), "amount", u64(slash), "job", u64(p.Job), "index", u64(p.Index))
		}
		if c.Active && c.Stake < prm.CrawlerStake {
			c.Active = false
			c.ReleaseAt = ctx.Height + 2*prm.MaxWindow
			active = removeAddr(active, pt.addr)
			activeChanged = true
		}
		store.PutJSON(ctx.KV, crawlerKey(pt.addr), c)
		store.PutJSON(ctx.KV, jcKey(p.Job, pt.addr), jc)
		ctx.KV.Delete(commitKey(p.Job, p.Index, pt.addr))
		ctx.KV.Delete(receiptKey(p.Job, p.Index, pt.addr))
	}
	if activeChanged {
		putActive(ctx.KV, active)
	}
	work := uint64(1 + len(parts))
	if p.State == StateAccepted && p.Depth < j.MaxDepth && uint32(len(active)) >= j.K {
		links := parts[best].receipt.Links
		for i := range parts {
			if i != best && parts[i].receipt != nil && agree(parts[i].receipt, parts[best].receipt) {
				links = intersect(links, parts[i].receipt.Links)
			}
		}
		scope := j.Scope()
		for _, l := range links {
			if ok, _ := m.canAdd(ctx, j); !ok {
				break
			}
			if !scope.InScope(l, p.Depth+1) || ctx.KV.Get(seenKey(j.ID, l)) != nil {
				continue
			}
			// The reveal that settles the page pays for the URLs it adds
			// (settlement in EndBlock never accepts a page: acceptance
			// needs every assigned receipt, and the last reveal settles).
			if err := ctx.ConsumeGas(GasPerURL+GasPerAssignHash*uint64(len(active)), "new url from a link"); err != nil {
				return 0, err
			}
			if err := m.addURL(ctx, j, active, l, p.Depth+1); err != nil {
				return 0, err
			}
			p.Links++
			work += uint64(len(active))
		}
	}
	ctx.Emit("data-settled", "job", u64(p.Job), "index", u64(p.Index), "state", p.State, "links", u64(uint64(p.Links)))
	if j.Closed {
		// A URL settling after its job closed returns its price at once.
		if err := m.refund(ctx, j); err != nil {
			return 0, err
		}
	}
	return work, nil
}

// agree reports whether two receipts agree: same normalised-text hash and
// skip reason (raw bodies may differ on dynamic pages).
func agree(a, b *WireReceipt) bool { return a.TextHash == b.TextHash && a.Skip == b.Skip }

// intersect returns the strings in both sorted lists a and b.
func intersect(a, b []string) []string {
	var out []string
	for i, k := 0, 0; i < len(a) && k < len(b); {
		switch {
		case a[i] == b[k]:
			out = append(out, a[i])
			i++
			k++
		case a[i] < b[k]:
			i++
		default:
			k++
		}
	}
	return out
}

// refund returns j's unreserved, unpaid budget to its requester.
func (m *Module) refund(ctx *app.Context, j *Job) error {
	amt := j.Available()
	if amt == 0 {
		return nil
	}
	if err := m.bank.Release(ctx.KV, Escrow, j.Requester, amt); err != nil {
		return fmt.Errorf("refund job %d: %w", j.ID, err)
	}
	j.Refunded += amt
	ctx.Emit("data-refund", "job", u64(j.ID), "amount", u64(amt))
	return nil
}

// EndBlock implements app.Module: it settles URLs whose reveal window
// ended and closes jobs at their deadline, in queue order (height, job,
// index), within SettleWorkPerBlock; what does not fit waits for the next
// block, and nothing overtakes it.
func (m *Module) EndBlock(ctx *app.Context) error {
	prm, err := m.params(ctx.KV)
	if err != nil {
		return err
	}
	end := dueKey(ctx.Height+1, 0, 0)
	var used uint64
	for {
		var keys [][]byte
		ctx.KV.Iterate(prefixDue, end, func(k, _ []byte) bool {
			keys = append(keys, append([]byte(nil), k...))
			return len(keys) < 64
		})
		if len(keys) == 0 {
			return nil
		}
		active, err := activeSet(ctx.KV)
		if err != nil {
			return err
		}
		for _, k := range keys {
			rest := k[len(prefixDue)+8:]
			job, idx := store.U64(rest[:8]), store.U64(rest[8:16])
			// The worst case of one settlement: every link of a receipt
			// added and hashed against every active crawler.
			est := uint64(1 + MaxLinksPerReceipt*len(active))
			if idx == closeIndex {
				est = 1
			}
			if used > 0 && used+est > prm.SettleWorkPerBlock {
				return nil
			}
			j, err := loadJob(ctx.KV, job)
			if err != nil {
				return err
			}
			ctx.KV.Delete(k)
			if idx == closeIndex {
				j.Closed = true
				if err := m.refund(ctx, &j); err != nil {
					return err
				}
				store.PutJSON(ctx.KV, jobKey(job), j)
				ctx.Emit("data-crawl-closed", "job", u64(job), "accepted", u64(j.Accepted), "refunded", u64(j.Refunded))
				used++
				continue
			}
			p, err := loadPage(ctx.KV, job, idx)
			if err != nil {
				return err
			}
			if p.State != StateOpen {
				return fmt.Errorf("data: due queue names settled url %d of job %d", idx, job)
			}
			w, err := m.settle(ctx, &j, &p)
			if err != nil {
				return err
			}
			store.PutJSON(ctx.KV, pageKey(job, idx), p)
			store.PutJSON(ctx.KV, jobKey(job), j)
			used += w
			if used >= prm.SettleWorkPerBlock {
				return nil
			}
		}
	}
}
