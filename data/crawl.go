package data

import (
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	"emergence/app"
	"emergence/store"
	"emergence/tx"
)

func checkText(field, s string, max int, empty bool) error {
	if (!empty && s == "") || len(s) > max || !utf8.ValidString(s) {
		return CodeBadJob.Errorf("%s must be 1 to %d bytes of UTF-8", field, max)
	}
	return nil
}

func u64(v uint64) string { return strconv.FormatUint(v, 10) }

func (m *Module) handleCreateCrawl(ctx *app.Context, raw json.RawMessage) error {
	var msg CreateCrawl
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	p, err := m.params(ctx.KV)
	if err != nil {
		return err
	}
	if len(msg.Seeds) == 0 && msg.URLList == "" {
		return CodeBadJob.Errorf("a job needs seeds or a url_list blob")
	}
	if len(msg.Seeds) > MaxSeeds {
		return CodeTooManyItems.Errorf("%d seeds, at most %d per message", len(msg.Seeds), MaxSeeds)
	}
	if msg.URLList != "" {
		if _, err := ParseHash(msg.URLList); err != nil {
			return CodeBadJob.Errorf("url_list: %v", err)
		}
	}
	if len(msg.Hosts) > MaxScopeEntries || len(msg.PathPrefixes) > MaxScopeEntries {
		return CodeBadJob.Errorf("at most %d hosts and %d path prefixes", MaxScopeEntries, MaxScopeEntries)
	}
	hosts := make([]string, 0, len(msg.Hosts))
	for _, h := range msg.Hosts {
		if h == "" || len(h) > 255 || strings.ContainsAny(h, "/ ") {
			return CodeBadJob.Errorf("host %q must be a host name (with port if not default)", h)
		}
		hosts = append(hosts, strings.ToLower(h))
	}
	for _, pre := range msg.PathPrefixes {
		if !strings.HasPrefix(pre, "/") || len(pre) > MaxURLLen {
			return CodeBadJob.Errorf("path prefix %q must start with / and be at most %d bytes", pre, MaxURLLen)
		}
	}
	k := msg.K
	if k == 0 {
		k = DefaultK
	}
	switch {
	case k > p.MaxK:
		return CodeBadJob.Errorf("k %d above %d", k, p.MaxK)
	case msg.MaxDepth > p.MaxDepth:
		return CodeBadJob.Errorf("max_depth %d above %d", msg.MaxDepth, p.MaxDepth)
	case msg.MaxPages == 0 || msg.MaxPages > p.MaxPages:
		return CodeBadJob.Errorf("max_pages must be 1 to %d", p.MaxPages)
	case msg.DeadlineBlocks <= 0 || msg.DeadlineBlocks > p.MaxDeadlineBlocks:
		return CodeBadJob.Errorf("deadline_blocks must be 1 to %d", p.MaxDeadlineBlocks)
	case msg.CommitBlocks < 0 || msg.RevealBlocks < 0 || msg.CommitBlocks > p.MaxWindow || msg.RevealBlocks > p.MaxWindow:
		return CodeBadJob.Errorf("commit_blocks and reveal_blocks must be 0 (default) to %d", p.MaxWindow)
	case msg.PricePerPage == 0:
		return CodeBadJob.Errorf("price_per_page must be positive")
	case msg.Budget < msg.PricePerPage:
		return CodeBudgetTooSmall.Errorf("budget %d below price_per_page %d", msg.Budget, msg.PricePerPage)
	}
	if err := checkText("licence", msg.Licence, MaxLicenceLen, false); err != nil {
		return err
	}
	cb, rb := msg.CommitBlocks, msg.RevealBlocks
	if cb == 0 {
		cb = min(p.CommitBlocks, p.MaxWindow)
	}
	if rb == 0 {
		rb = min(p.RevealBlocks, p.MaxWindow)
	}
	if cb+rb > msg.DeadlineBlocks {
		return CodeBadJob.Errorf("deadline_blocks %d shorter than one url's commit and reveal windows (%d)", msg.DeadlineBlocks, cb+rb)
	}
	active, err := activeSet(ctx.KV)
	if err != nil {
		return err
	}
	if uint32(len(active)) < k {
		return CodeFewCrawlers.Errorf("%d active crawlers, job needs k=%d", len(active), k)
	}
	id := store.GetU64(ctx.KV, keyNextJob) + 1
	store.PutU64(ctx.KV, keyNextJob, id)
	j := Job{
		ID: id, Requester: ctx.Signer, URLList: msg.URLList, Hosts: hosts, PathPrefixes: msg.PathPrefixes,
		MaxDepth: msg.MaxDepth, MaxPages: msg.MaxPages, K: k, PricePerPage: msg.PricePerPage, Budget: msg.Budget,
		Created: ctx.Height, Deadline: ctx.Height + msg.DeadlineBlocks, CommitBlocks: cb, RevealBlocks: rb,
		Licence: msg.Licence,
	}
	if j.Hosts == nil {
		j.Hosts = []string{}
	}
	if j.PathPrefixes == nil {
		j.PathPrefixes = []string{}
	}
	if err := m.bank.Lock(ctx.KV, ctx.Signer, Escrow, msg.Budget); err != nil {
		return err
	}
	for _, s := range msg.Seeds {
		if err := m.addSeed(ctx, &j, active, s); err != nil {
			return err
		}
	}
	ctx.KV.Set(dueKey(j.Deadline, id, closeIndex), []byte{1})
	store.PutJSON(ctx.KV, jobKey(id), j)
	ctx.Emit("data-crawl-created", "job", u64(id), "requester", ctx.Signer.String(), "urls", u64(j.URLs))
	return nil
}

// addSeed adds one depth-0 URL given by the requester; bad or out-of-scope
// seeds fail the message.
func (m *Module) addSeed(ctx *app.Context, j *Job, active []tx.Address, raw string) error {
	if err := ctx.ConsumeGas(GasPerURL+GasPerAssignHash*uint64(len(active)), "seed url"); err != nil {
		return err
	}
	u, err := NormalizeURL(raw)
	if err != nil {
		return CodeBadURL.Errorf("seed %q: %v", raw, err)
	}
	if !j.Scope().InScope(u, 0) {
		return CodeBadURL.Errorf("seed %q is outside the job's scope", u)
	}
	if ctx.KV.Get(seenKey(j.ID, u)) != nil {
		return CodeBadURL.Errorf("seed %q listed twice", u)
	}
	if ok, why := m.canAdd(ctx, j); !ok {
		return CodeBadJob.Errorf("seed %q: %s", u, why)
	}
	return m.addURL(ctx, j, active, u, 0)
}

// canAdd reports whether j may take one more URL now.
func (m *Module) canAdd(ctx *app.Context, j *Job) (bool, string) {
	switch {
	case j.Closed || ctx.Height+j.CommitBlocks+j.RevealBlocks > j.Deadline:
		return false, "job is too close to its deadline for a new url"
	case j.URLs >= uint64(j.MaxPages):
		return false, "job has max_pages urls"
	case j.Available() < j.PricePerPage:
		return false, "budget left does not cover another page"
	}
	return true, ""
}

// addURL enters the normalised, in-scope, unseen URL u into j: it reserves
// the page price, assigns it to k active crawlers from the block hash and
// queues its settlement at the end of its reveal window.
func (m *Module) addURL(ctx *app.Context, j *Job, active []tx.Address, u string, depth uint32) error {
	idx := j.URLs
	j.URLs++
	j.Open++
	j.Reserved += j.PricePerPage
	cs := make([][]byte, len(active))
	for i := range active {
		cs[i] = active[i][:]
	}
	picked := Assign(ctx.Entropy[:], j.ID, u, cs, int(j.K))
	p := Page{Job: j.ID, Index: idx, URL: u, Depth: depth, Added: ctx.Height,
		CommitBy: ctx.Height + j.CommitBlocks, RevealBy: ctx.Height + j.CommitBlocks + j.RevealBlocks, State: StateOpen}
	for _, i := range picked {
		a := active[i]
		p.Crawlers = append(p.Crawlers, a)
		ctx.KV.Set(assignKey(a, ctx.Height, j.ID, idx), []byte{1})
		jc, err := loadJC(ctx.KV, j.ID, a)
		if err != nil {
			return err
		}
		if jc.Assigned == 0 {
			j.Crawlers++
		}
		jc.Assigned++
		store.PutJSON(ctx.KV, jcKey(j.ID, a), jc)
	}
	store.PutJSON(ctx.KV, pageKey(j.ID, idx), p)
	store.PutU64(ctx.KV, seenKey(j.ID, u), idx+1)
	ctx.KV.Set(dueKey(p.RevealBy, j.ID, idx), []byte{1})
	return nil
}

func (m *Module) handleAddURLs(ctx *app.Context, raw json.RawMessage) error {
	var msg AddURLs
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	if len(msg.URLs) == 0 || len(msg.URLs) > MaxSeeds {
		return CodeTooManyItems.Errorf("%d urls, want 1 to %d", len(msg.URLs), MaxSeeds)
	}
	j, err := loadJob(ctx.KV, msg.Job)
	if err != nil {
		return err
	}
	if j.Requester != ctx.Signer {
		return CodeNotRequester.Errorf("job %d belongs to %s", j.ID, j.Requester)
	}
	if j.Closed {
		return CodeJobClosed.Errorf("job %d", j.ID)
	}
	active, err := activeSet(ctx.KV)
	if err != nil {
		return err
	}
	if uint32(len(active)) < j.K {
		return CodeFewCrawlers.Errorf("%d active crawlers, job needs k=%d", len(active), j.K)
	}
	for _, s := range msg.URLs {
		if err := m.addSeed(ctx, &j, active, s); err != nil {
			return err
		}
	}
	store.PutJSON(ctx.KV, jobKey(j.ID), j)
	ctx.Emit("data-urls-added", "job", u64(j.ID), "urls", u64(j.URLs))
	return nil
}

func (m *Module) handleRegisterCrawler(ctx *app.Context, raw json.RawMessage) error {
	var msg RegisterCrawler
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	p, err := m.params(ctx.KV)
	if err != nil {
		return err
	}
	c, ok, err := loadCrawler(ctx.KV, ctx.Signer)
	if err != nil {
		return err
	}
	if !ok {
		c = Crawler{Address: ctx.Signer, Registered: ctx.Height}
	}
	if msg.Stake == 0 || c.Stake+msg.Stake < c.Stake {
		return CodeLowStake.Errorf("stake must be positive")
	}
	if c.Stake+msg.Stake < p.CrawlerStake {
		return CodeLowStake.Errorf("stake %d below %d", c.Stake+msg.Stake, p.CrawlerStake)
	}
	if !c.Active {
		active, err := activeSet(ctx.KV)
		if err != nil {
			return err
		}
		if uint32(len(active)) >= p.MaxCrawlers {
			// A full set takes a newcomer that stakes more than its
			// least-staked member, which leaves it as if it had
			// unregistered: otherwise MaxCrawlers sybils at the minimum
			// stake would lock honest crawlers out for good and meet on
			// every URL of every job.
			if active, err = m.displace(ctx, p, active, c.Stake+msg.Stake); err != nil {
				return err
			}
		}
		putActive(ctx.KV, insertAddr(active, ctx.Signer))
		c.Active = true
	}
	if err := m.bank.Lock(ctx.KV, ctx.Signer, Escrow, msg.Stake); err != nil {
		return err
	}
	c.Stake += msg.Stake
	store.PutJSON(ctx.KV, crawlerKey(ctx.Signer), c)
	ctx.Emit("data-crawler", "crawler", ctx.Signer.String(), "stake", u64(c.Stake))
	return nil
}

func (m *Module) handleCommit(ctx *app.Context, raw json.RawMessage) error {
	var msg CommitReceipts
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	if _, err := batchStart(ctx, len(msg.Items), GasPerCommit, "commitments", msg.Job); err != nil {
		return err
	}
	for _, it := range msg.Items {
		if _, err := ParseHash(it.Commitment); err != nil {
			return CodeBadReceipt.Errorf("url %d commitment: %v", it.Index, err)
		}
		p, err := loadPage(ctx.KV, msg.Job, it.Index)
		if err != nil {
			return err
		}
		if !p.assigned(ctx.Signer) {
			return CodeNotAssigned.Errorf("job %d url %d is not assigned to %s", msg.Job, it.Index, ctx.Signer)
		}
		if p.State != StateOpen || ctx.Height > p.CommitBy {
			return CodeWindowClosed.Errorf("job %d url %d took commits until height %d", msg.Job, it.Index, p.CommitBy)
		}
		ck := commitKey(msg.Job, it.Index, ctx.Signer)
		if ctx.KV.Get(ck) != nil {
			return CodeDuplicate.Errorf("job %d url %d already committed by %s", msg.Job, it.Index, ctx.Signer)
		}
		store.PutJSON(ctx.KV, ck, commitRec{Commitment: strings.ToLower(it.Commitment), Height: ctx.Height})
		p.Commits++
		store.PutJSON(ctx.KV, pageKey(msg.Job, it.Index), p)
	}
	ctx.Emit("data-committed", "job", u64(msg.Job), "crawler", ctx.Signer.String(), "items", strconv.Itoa(len(msg.Items)))
	return nil
}

// batchStart is what a commit or reveal batch checks first: 1 to MaxBatch
// items, their per-item gas paid before any read, a registered sender and
// an existing job, which it returns.
func batchStart(ctx *app.Context, n int, gasPer uint64, what string, job uint64) (Job, error) {
	if n == 0 || n > MaxBatch {
		return Job{}, CodeTooManyItems.Errorf("%d %s, want 1 to %d", n, what, MaxBatch)
	}
	if err := ctx.ConsumeGas(gasPer*uint64(n), what); err != nil {
		return Job{}, err
	}
	if _, err := mustCrawler(ctx.KV, ctx.Signer); err != nil {
		return Job{}, err
	}
	return loadJob(ctx.KV, job)
}

func (p Page) assigned(a tx.Address) bool {
	for _, c := range p.Crawlers {
		if c == a {
			return true
		}
	}
	return false
}

func (m *Module) handleReveal(ctx *app.Context, raw json.RawMessage) error {
	var msg RevealReceipts
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	j, err := batchStart(ctx, len(msg.Items), GasPerReveal, "reveals", msg.Job)
	if err != nil {
		return err
	}
	for _, it := range msg.Items {
		if err := ctx.ConsumeGas(uint64(len(it.Receipt.Links))*GasPerLink, "receipt links"); err != nil {
			return err
		}
		p, err := loadPage(ctx.KV, msg.Job, it.Index)
		if err != nil {
			return err
		}
		if !p.assigned(ctx.Signer) {
			return CodeNotAssigned.Errorf("job %d url %d is not assigned to %s", msg.Job, it.Index, ctx.Signer)
		}
		if p.State != StateOpen || ctx.Height > p.RevealBy {
			return CodeWindowClosed.Errorf("job %d url %d took reveals until height %d", msg.Job, it.Index, p.RevealBy)
		}
		var cr commitRec
		ok, err := store.GetJSON(ctx.KV, commitKey(msg.Job, it.Index, ctx.Signer), &cr)
		if err != nil {
			return err
		}
		if !ok {
			return CodeNoCommit.Errorf("job %d url %d: %s committed nothing", msg.Job, it.Index, ctx.Signer)
		}
		rk := receiptKey(msg.Job, it.Index, ctx.Signer)
		if ctx.KV.Get(rk) != nil {
			return CodeDuplicate.Errorf("job %d url %d already revealed by %s", msg.Job, it.Index, ctx.Signer)
		}
		if cr.Height >= ctx.Height {
			return CodeRevealEarly.Errorf("job %d url %d: reveal in a later block than its commit", msg.Job, it.Index)
		}
		if p.Commits < uint32(len(p.Crawlers)) && ctx.Height <= p.CommitBy {
			return CodeRevealEarly.Errorf("job %d url %d: %d of %d commits in, reveals open at height %d", msg.Job, it.Index, p.Commits, len(p.Crawlers), p.CommitBy+1)
		}
		r, err := it.Receipt.Receipt(msg.Job)
		if err != nil {
			return CodeBadReceipt.Errorf("job %d url %d: %v", msg.Job, it.Index, err)
		}
		if r.URL != p.URL {
			return CodeBadReceipt.Errorf("job %d url %d is %q, receipt names %q", msg.Job, it.Index, p.URL, r.URL)
		}
		salt, err := ParseHash(it.Salt)
		if err != nil {
			return CodeBadReceipt.Errorf("salt: %v", err)
		}
		h := Commitment(r, salt, ctx.Signer[:])
		if hex.EncodeToString(h[:]) != cr.Commitment {
			return CodeRevealMismatch.Errorf("job %d url %d", msg.Job, it.Index)
		}
		store.PutJSON(ctx.KV, rk, Wire(r))
		p.Reveals++
		// Settle as soon as every committed receipt is open and no more
		// commits can come.
		if p.Reveals == p.Commits && (p.Commits == uint32(len(p.Crawlers)) || ctx.Height > p.CommitBy) {
			if _, err := m.settle(ctx, &j, &p); err != nil {
				return err
			}
			ctx.KV.Delete(dueKey(p.RevealBy, p.Job, p.Index))
		}
		store.PutJSON(ctx.KV, pageKey(msg.Job, it.Index), p)
	}
	store.PutJSON(ctx.KV, jobKey(j.ID), j)
	ctx.Emit("data-revealed", "job", u64(msg.Job), "crawler", ctx.Signer.String(), "items", strconv.Itoa(len(msg.Items)))
	return nil
}

// displace removes from the full active set the crawler with the least
// stake (the first in address order on a tie) when stake is more than
// its, and returns the set without it; the crawler leaves as
// data/unregister-crawler leaves. It reads every active crawler's record,
// paid by GasPerDisplaceScan each.
func (m *Module) displace(ctx *app.Context, p Params, active []tx.Address, stake uint64) ([]tx.Address, error) {
	if err := ctx.ConsumeGas(GasPerDisplaceScan*uint64(len(active)), "active crawlers scanned"); err != nil {
		return nil, err
	}
	var least Crawler
	for i, a := range active {
		c, err := mustCrawler(ctx.KV, a)
		if err != nil {
			return nil, err
		}
		if i == 0 || c.Stake < least.Stake {
			least = c
		}
	}
	if len(active) == 0 || stake <= least.Stake {
		return nil, CodeTooManyCrawlers.Errorf("%d active crawlers, the most the chain assigns; stake more than the least of them (%d) to take its place", len(active), least.Stake)
	}
	least.Active = false
	least.ReleaseAt = ctx.Height + 2*p.MaxWindow
	store.PutJSON(ctx.KV, crawlerKey(least.Address), least)
	ctx.Emit("data-crawler-displaced", "crawler", least.Address.String(), "by", ctx.Signer.String(),
		"release_at", strconv.FormatInt(least.ReleaseAt, 10))
	return removeAddr(active, least.Address), nil
}

func (m *Module) handleUnregister(ctx *app.Context, raw json.RawMessage) error {
	var msg Unregister
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	p, err := m.params(ctx.KV)
	if err != nil {
		return err
	}
	c, err := mustCrawler(ctx.KV, ctx.Signer)
	if err != nil {
		return err
	}
	if !c.Active {
		return CodeCrawlerNotActive.Errorf("%s", ctx.Signer)
	}
	active, err := activeSet(ctx.KV)
	if err != nil {
		return err
	}
	putActive(ctx.KV, removeAddr(active, ctx.Signer))
	c.Active = false
	c.ReleaseAt = ctx.Height + 2*p.MaxWindow
	store.PutJSON(ctx.KV, crawlerKey(ctx.Signer), c)
	ctx.Emit("data-crawler-left", "crawler", ctx.Signer.String(), "release_at", strconv.FormatInt(c.ReleaseAt, 10))
	return nil
}

func (m *Module) handleWithdraw(ctx *app.Context, raw json.RawMessage) error {
	var msg Withdraw
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	p, err := m.params(ctx.KV)
	if err != nil {
		return err
	}
	c, err := mustCrawler(ctx.KV, ctx.Signer)
	if err != nil {
		return err
	}
	if msg.Amount == 0 || msg.Amount > c.Stake {
		return CodeLowStake.Errorf("withdraw 1 to %d", c.Stake)
	}
	switch {
	case c.Active && c.Stake-msg.Amount < p.CrawlerStake:
		return CodeStakeLocked.Errorf("an active crawler keeps %d; unregister first to withdraw everything", p.CrawlerStake)
	case !c.Active && ctx.Height < c.ReleaseAt:
		return CodeStakeLocked.Errorf("urls assigned before leaving settle by height %d", c.ReleaseAt)
	}
	if err := m.bank.Release(ctx.KV, Escrow, ctx.Signer, msg.Amount); err != nil {
		return err
	}
	c.Stake -= msg.Amount
	store.PutJSON(ctx.KV, crawlerKey(ctx.Signer), c)
	ctx.Emit("data-stake-withdrawn", "crawler", ctx.Signer.String(), "amount", u64(msg.Amount))
	return nil
}
