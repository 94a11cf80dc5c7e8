// Package crawler is the data market's crawler worker (issue 11 item 2): it polls the URLs
// the chain assigned to its key, fetches each with data/crawl's polite fetcher (robots.txt,
// crawl-delay, per-host rate, scope, size caps, timeouts), stores the response as a WARC
// record in the node's blob store, and sends a commitment to each receipt, then the receipt
// itself once the URL's reveal phase opens.
//
// Two goroutines split the work: one polls assignments and fetches, the other sends the
// commit and reveal transactions (one sender, so nonces never race). Salts and receipts
// are written to the worker's directory before their commitment is broadcast, so a crash
// between commit and reveal loses nothing: a restarted worker reveals what it committed.
//
// The worker talks to a node only through package client; it does not link CometBFT or
// Pebble.
package crawler

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"time"

	"emergence/api"
	"emergence/blob"
	"emergence/client"
	"emergence/data"
	"emergence/data/crawl"
	"emergence/tx"
)

// Config is what a worker needs.
type Config struct {
	// Client talks to the node; Key signs the worker's transactions.
	Client *client.Client
	Key    ed25519.PrivateKey
	// Blobs stores the WARC records (the node's blob store, or any other).
	Blobs blob.Store
	// Dir keeps pending reveals across restarts.
	Dir string
	// Fetch sets the fetcher's limits (caps, timeouts, rate); Scope and Store are
	// filled in per job.
	Fetch crawl.Config
	// Batch is the most receipts one commit or reveal carries (default and at most
	// data.MaxBatch).
	Batch int
	// IdleBlocks, when positive, stops Run after that many blocks with no new
	// assignment and nothing left to reveal.
	IdleBlocks int64
	// Log receives one line per sent batch and per problem (nil: discard).
	Log io.Writer
}

// Stats counts what a worker did.
type Stats struct {
	Fetched   int `json:"fetched"`
	Skipped   int `json:"skipped"`
	Committed int `json:"committed"`
	Revealed  int `json:"revealed"`
	Dropped   int `json:"dropped"`
}

// Worker is one crawler. Create it with New and run it with Run.
type Worker struct {
	cfg  Config
	addr tx.Address

	mu       sync.Mutex
	stats    Stats
	jobs     map[uint64]*jobState
	pending  []*pendingItem
	lastWork int64
	// known are the (job, index) pairs a previous run committed, so a restart does not
	// fetch and commit them again.
	known map[[2]uint64]bool
}

type jobState struct {
	job     data.Job
	fetcher *crawl.Fetcher
}

// pendingItem is a committed receipt waiting for its reveal.
type pendingItem struct {
	Job      uint64          `json:"job"`
	Reveal   data.RevealItem `json:"reveal"`
	Commit   data.CommitItem `json:"commit"`
	Height   int64           `json:"height"` // block of the commit; 0 until included
	CommitBy int64           `json:"commit_by"`
	RevealBy int64           `json:"reveal_by"`
	file     string
}

// pendingFile is one commit batch as the worker stores it before broadcasting.
type pendingFile struct {
	Job   uint64         `json:"job"`
	Items []*pendingItem `json:"items"`
}

// New returns a worker for cfg.
func New(cfg Config) (*Worker, error) {
	if cfg.Client == nil || cfg.Key == nil || cfg.Blobs == nil || cfg.Dir == "" {
		return nil, errors.New("crawler: config needs a client, a key, a blob store and a directory")
	}
	if cfg.Batch <= 0 || cfg.Batch > data.MaxBatch {
		cfg.Batch = data.MaxBatch
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("crawler: state dir: %w", err)
	}
	return &Worker{cfg: cfg, addr: tx.AddressFromPubKey(cfg.Key.Public().(ed25519.PublicKey)), jobs: map[uint64]*jobState{}, known: map[[2]uint64]bool{}}, nil
}

// Address is the worker's crawler address.
func (w *Worker) Address() tx.Address { return w.addr }

// Stats returns the counts so far.
func (w *Worker) Stats() Stats {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stats
}

func (w *Worker) logf(format string, args ...any) {
	fmt.Fprintf(w.cfg.Log, "crawler %s: "+format+"\n", append([]any{w.addr.String()[:12]}, args...)...)
}

// Run works until ctx ends (returning nil) or, with IdleBlocks, until the worker has
// been idle that long. Errors from the node are retried on the next block; a failing blob
// store or state directory stops Run.
func (w *Worker) Run(ctx context.Context) error {
	if err := w.loadPending(); err != nil {
		return err
	}
	st, err := w.cfg.Client.Status(ctx)
	if err != nil {
		return fmt.Errorf("crawler: node: %w", err)
	}
	w.lastWork = st.Height
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan []*pendingItem, 64)
	errc := make(chan error, 2)
	go func() { errc <- w.fetchLoop(ctx, batches) }()
	go func() { errc <- w.sendLoop(ctx, batches) }()
	err = <-errc
	cancel()
	if err2 := <-errc; err == nil {
		err = err2
	}
	if errors.Is(err, errIdle) || errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

var errIdle = errors.New("idle")

// fetchLoop polls the worker's assignments and fetches each new one, handing sealed
// receipts to the sender in batches.
func (w *Worker) fetchLoop(ctx context.Context, out chan<- []*pendingItem) error {
	cursor := ""
	for {
		st, err := w.cfg.Client.Status(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			w.logf("status: %v", err)
			time.Sleep(200 * time.Millisecond)
			continue
		}
		for {
			q := url.Values{"limit": {strconv.Itoa(data.MaxPage)}}
			if cursor != "" {
				q.Set("after", cursor)
			}
			var as data.Assignments
			if err := w.cfg.Client.Query(ctx, data.Name, "assignments/"+w.addr.String(), q, &as); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				w.logf("assignments: %v", err)
				break
			}
			if len(as.Assignments) == 0 {
				break
			}
			if err := w.fetchAll(ctx, as.Assignments, st.Height, out); err != nil {
				return err
			}
			cursor = data.AssignmentCursor(as.Assignments[len(as.Assignments)-1])
			w.mu.Lock()
			w.lastWork = st.Height
			w.mu.Unlock()
			if as.Next == "" {
				break
			}
		}
		if err := w.cfg.Client.WaitHeight(ctx, st.Height+1); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			w.logf("wait: %v", err)
		}
	}
}

// urgentBlocks is how close to its commit deadline a sealed receipt may come before the
// worker commits its batch at once instead of filling it further.
const urgentBlocks = 20

// fetchAhead is how many assignments a worker fetches at once.
const fetchAhead = 4

// fetched is one prefetched assignment.
type fetched struct {
	it  *pendingItem
	err error
}

// statusEvery is how often fetchAll re-reads the chain's height while it fetches.
const statusEvery = 100 * time.Millisecond

// fetchTries is how often the worker tries one assignment whose fetch or WARC upload
// fails before it stops.
const fetchTries = 5

// fetchAll fetches the open assignments of as and sends their sealed receipts, one
// batch per job and at most Batch receipts each. height is the chain's height when as
// was read. An assignment whose commit window closes before a commit sent now could land
// is dropped unfetched, and a batch is sent early when its earliest commit deadline is
// near, so a worker that falls behind a job's windows loses only the URLs it cannot make
// in time, not the whole batch it was filling, and spends no fetches on lost URLs.
func (w *Worker) fetchAll(ctx context.Context, as []data.Assignment, height int64, out chan<- []*pendingItem) error {
	var batch []*pendingItem
	commitBy := int64(0) // the earliest commit deadline in batch
	polled := time.Now() // height was read just before
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := w.savePending(batch); err != nil {
			return err
		}
		select {
		case out <- batch:
		case <-ctx.Done():
			return ctx.Err()
		}
		batch = nil
		return nil
	}
	// Fetch up to fetchAhead of the open assignments at once, ahead of the loop below,
	// which still seals and batches them in order: one page's fetch, WARC upload and
	// extraction no longer wait for the previous page's.
	results := make([]chan fetched, len(as))
	for i, a := range as {
		if a.State == data.StateOpen && !w.known[[2]uint64{a.Job, a.Index}] && height < a.CommitBy {
			results[i] = make(chan fetched, 1)
		}
	}
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		sem := make(chan struct{}, fetchAhead)
		for i, a := range as {
			if results[i] == nil {
				continue
			}
			select {
			case sem <- struct{}{}:
			case <-pctx.Done():
				return
			}
			go func(i int, a data.Assignment) {
				it, err := w.fetchOne(pctx, a)
				results[i] <- fetched{it, err}
				<-sem
			}(i, a)
		}
	}()
	for i, a := range as {
		if a.State != data.StateOpen || w.known[[2]uint64{a.Job, a.Index}] {
			continue
		}
		if len(batch) > 0 && (batch[0].Job != a.Job || len(batch) == w.cfg.Batch) {
			if err := flush(); err != nil {
				return err
			}
		}
		// The height, read at most every statusEvery rather than once per URL, which
		// cost the node a request per page.
		if time.Since(polled) >= statusEvery {
			if st, err := w.cfg.Client.Status(ctx); err == nil {
				height = st.Height
			}
			polled = time.Now()
		}
		if len(batch) > 0 && height+urgentBlocks >= commitBy {
			if err := flush(); err != nil {
				return err
			}
		}
		// A commit sent now lands at height+1 at the earliest.
		if height >= a.CommitBy {
			w.logf("job %d url %d dropped unfetched: its commit window closed at height %d, the chain is at %d", a.Job, a.Index, a.CommitBy, height)
			w.mu.Lock()
			w.stats.Dropped++
			w.mu.Unlock()
			continue
		}
		var it *pendingItem
		var err error
		if results[i] != nil {
			select {
			case r := <-results[i]:
				it, err = r.it, r.err
			case <-ctx.Done():
				return ctx.Err()
			}
		} else {
			it, err = w.fetchOne(ctx, a)
		}
		for try := 1; err != nil && ctx.Err() == nil && try < fetchTries; try++ {
			// A blob store or fetch failure under load is often passing: commit what is
			// sealed, wait a block and try again, rather than stop with the batch and
			// every pending reveal unsent.
			w.logf("job %d url %d: %v (try %d of %d)", a.Job, a.Index, err, try, fetchTries)
			if ferr := flush(); ferr != nil {
				return ferr
			}
			if st, serr := w.cfg.Client.Status(ctx); serr == nil {
				w.cfg.Client.WaitHeight(ctx, st.Height+1)
			}
			it, err = w.fetchOne(ctx, a)
		}
		if err != nil {
			return err
		}
		if it != nil {
			if len(batch) == 0 || it.CommitBy < commitBy {
				commitBy = it.CommitBy
			}
			batch = append(batch, it)
		}
	}
	return flush()
}

func (w *Worker) job(ctx context.Context, id uint64) (*jobState, error) {
	w.mu.Lock()
	js := w.jobs[id]
	w.mu.Unlock()
	if js != nil {
		return js, nil
	}
	var j data.Job
	if err := w.cfg.Client.Query(ctx, data.Name, "job/"+strconv.FormatUint(id, 10), nil, &j); err != nil {
		return nil, fmt.Errorf("job %d: %w", id, err)
	}
	fc := w.cfg.Fetch
	fc.Scope = crawl.Scope{Hosts: j.Hosts, PathPrefixes: j.PathPrefixes, MaxDepth: int(j.MaxDepth)}
	fc.Store = w.cfg.Blobs
	js = &jobState{job: j, fetcher: crawl.New(fc)}
	w.mu.Lock()
	w.jobs[id] = js
	w.mu.Unlock()
	return js, nil
}

// fetchOne fetches one assignment and seals its receipt; nil means it was dropped (its
// job could not be read).
func (w *Worker) fetchOne(ctx context.Context, a data.Assignment) (*pendingItem, error) {
	js, err := w.job(ctx, a.Job)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		w.logf("%v", err)
		return nil, nil
	}
	res, err := js.fetcher.Fetch(ctx, a.URL)
	if err != nil {
		return nil, fmt.Errorf("crawler: fetch %s: %w", a.URL, err)
	}
	r := Receipt(js.job, a, res)
	var salt [32]byte
	if _, err := rand.Read(salt[:]); err != nil {
		return nil, fmt.Errorf("crawler: salt: %w", err)
	}
	c, rv, err := data.Seal(r, a.Index, salt, w.addr)
	if err != nil {
		// A receipt the chain would refuse (e.g. an over-long URL): report it skipped.
		r = data.Receipt{Job: a.Job, URL: a.URL, Skip: string(crawl.ReasonBadURL)}
		if c, rv, err = data.Seal(r, a.Index, salt, w.addr); err != nil {
			w.logf("job %d url %d: %v", a.Job, a.Index, err)
			return nil, nil
		}
	}
	w.mu.Lock()
	if res.Reason == crawl.ReasonOK {
		w.stats.Fetched++
	} else {
		w.stats.Skipped++
	}
	w.mu.Unlock()
	return &pendingItem{Job: a.Job, Commit: c, Reveal: rv, CommitBy: a.CommitBy, RevealBy: a.RevealBy}, nil
}

// Receipt turns a fetch result into the receipt of assignment a: normalised URLs, the
// media type, the three hashes, the skip reason and, below the job's depth, the in-scope
// links (sorted, deduplicated, the first data.MaxLinksPerReceipt), so two honest crawlers
// of a static page send the same receipt but for the WARC and body hashes.
func Receipt(j data.Job, a data.Assignment, res crawl.Result) data.Receipt {
	r := data.Receipt{Job: a.Job, URL: a.URL, Status: uint32(res.Status), BodyHash: res.BodyHash, TextHash: res.TextHash, WARC: res.WARC, Skip: string(res.Reason)}
	if res.FinalURL != "" {
		if n, err := data.NormalizeURL(res.FinalURL); err == nil {
			r.FinalURL = n
		}
	}
	r.ContentType = res.ContentType
	if len(r.ContentType) > data.MaxContentTypeLen {
		mt, _, _ := mime.ParseMediaType(r.ContentType)
		r.ContentType = mt
		if len(mt) > data.MaxContentTypeLen {
			r.ContentType = ""
		}
	}
	if res.Reason != crawl.ReasonOK {
		r.TextHash = [32]byte{}
	}
	if res.Reason == crawl.ReasonOK && a.Depth < j.MaxDepth {
		scope := j.Scope()
		var links []string
		seen := map[string]bool{}
		for _, l := range res.Links {
			n, err := data.NormalizeURL(l)
			if err != nil || seen[n] || !scope.InScope(n, a.Depth+1) {
				continue
			}
			seen[n] = true
			links = append(links, n)
		}
		sort.Strings(links)
		if len(links) > data.MaxLinksPerReceipt {
			links = links[:data.MaxLinksPerReceipt]
		}
		r.Links = links
	}
	return r
}

// sendLoop commits the batches it is handed and reveals each committed receipt once its
// URL's reveal phase opens.
func (w *Worker) sendLoop(ctx context.Context, in <-chan []*pendingItem) error {
	var toCommit [][]*pendingItem
	for {
	drain:
		for {
			select {
			case b := <-in:
				toCommit = append(toCommit, b)
			case <-ctx.Done():
				return ctx.Err()
			default:
				break drain
			}
		}
		st, err := w.cfg.Client.Status(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			w.logf("status: %v", err)
			time.Sleep(200 * time.Millisecond)
			continue
		}
		worked := false
		for _, b := range w.merge(toCommit) {
			w.commit(ctx, b, st.Height)
			worked = true
		}
		toCommit = nil
		if n := w.revealDue(ctx, st.Height); n > 0 {
			worked = true
		}
		w.mu.Lock()
		idle := len(w.pending) == 0 && w.cfg.IdleBlocks > 0 && st.Height-w.lastWork >= w.cfg.IdleBlocks
		w.mu.Unlock()
		if idle && len(in) == 0 {
			return errIdle
		}
		if worked {
			continue
		}
		// Nothing to send: wait for a new batch or the next block.
		if b := waitBatch(ctx, in, func(wctx context.Context) { w.cfg.Client.WaitHeight(wctx, st.Height+1) }); b != nil {
			toCommit = append(toCommit, b)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// waitBatch runs wait (until the next block) and returns the batch that arrives on in
// meanwhile, cutting the wait short, or nil. A batch taken from in is always returned:
// it waits for its receiver to finish, because a batch received just as the block came
// and looked for before it was handed over would be lost with its commitments unsent
// (TestCrawlEndToEnd's 100 missed pages: one crawler's whole batch, never committed,
// nothing logged).
func waitBatch(ctx context.Context, in <-chan []*pendingItem, wait func(context.Context)) []*pendingItem {
	wctx, wcancel := context.WithCancel(ctx)
	defer wcancel()
	got := make(chan []*pendingItem, 1)
	go func() {
		defer close(got)
		select {
		case b := <-in:
			got <- b
			wcancel()
		case <-wctx.Done():
		}
	}()
	wait(wctx)
	wcancel()
	return <-got
}

// merge joins consecutive batches of one job up to Batch receipts, so the small batches
// that fetchAll sends near a commit deadline go out in few transactions.
func (w *Worker) merge(bs [][]*pendingItem) [][]*pendingItem {
	var out [][]*pendingItem
	for _, b := range bs {
		if n := len(out); n > 0 && out[n-1][0].Job == b[0].Job && len(out[n-1])+len(b) <= w.cfg.Batch {
			out[n-1] = append(out[n-1], b...)
			continue
		}
		out = append(out, append([]*pendingItem(nil), b...))
	}
	return out
}

// commit sends one batch's commitments; included items wait for their reveal.
func (w *Worker) commit(ctx context.Context, b []*pendingItem, height int64) {
	var live []*pendingItem
	for _, p := range b {
		// height is the last block; the commit lands in a later one.
		if height >= p.CommitBy {
			w.drop(p, "commit window closed before the commit was sent")
			continue
		}
		live = append(live, p)
	}
	if len(live) == 0 {
		return
	}
	msg := data.CommitReceipts{Job: live[0].Job}
	for _, p := range live {
		msg.Items = append(msg.Items, p.Commit)
	}
	res, err := w.send(ctx, data.MsgCommitReceipts, msg)
	if err != nil {
		w.logf("commit %d receipts of job %d: %v", len(live), msg.Job, err)
		// Retry each on its own next time, so one bad item does not sink the rest.
		if len(live) > 1 {
			for _, p := range live {
				w.commit(ctx, []*pendingItem{p}, height)
			}
			return
		}
		w.drop(live[0], err.Error())
		return
	}
	w.mu.Lock()
	for _, p := range live {
		p.Height = res.Height
		w.pending = append(w.pending, p)
	}
	w.stats.Committed += len(live)
	w.mu.Unlock()
	w.logf("committed %d receipts of job %d at height %d", len(live), msg.Job, res.Height)
}

// revealDue reveals every pending receipt whose URL accepts reveals now, one tx per job
// and Batch, and returns how many it revealed.
func (w *Worker) revealDue(ctx context.Context, height int64) int {
	w.mu.Lock()
	pend := append([]*pendingItem(nil), w.pending...)
	w.mu.Unlock()
	// Pending items by job, then the pages they name, read a list page at a time.
	waiting := map[uint64][]*pendingItem{}
	for _, p := range pend {
		if p.Height == 0 || p.Height >= height {
			continue // a reveal must come in a later block than its commit
		}
		if height > p.RevealBy {
			w.drop(p, "reveal window closed")
			continue
		}
		waiting[p.Job] = append(waiting[p.Job], p)
	}
	byJob := map[uint64][]*pendingItem{}
	var jobs []uint64
	for j, items := range waiting {
		// The oldest first, and only two list pages of them per block: the other crawlers
		// of a URL work through their assignments in the same order, so the oldest are the
		// ones ready, and the node is not asked about every pending URL every block.
		sort.Slice(items, func(a, b int) bool { return items[a].Reveal.Index < items[b].Reveal.Index })
		if len(items) > 2*data.MaxPage {
			items = items[:2*data.MaxPage]
		}
		pages, err := w.pages(ctx, j, items)
		if err != nil {
			w.logf("job %d pages: %v", j, err)
			continue
		}
		for _, p := range items {
			pg, ok := pages[p.Reveal.Index]
			if !ok {
				continue
			}
			if pg.State != data.StateOpen {
				w.drop(p, "settled without this reveal")
				continue
			}
			if pg.Commits < uint32(len(pg.Crawlers)) && height <= pg.CommitBy {
				continue // the other crawlers have not all committed yet
			}
			if len(byJob[j]) == 0 {
				jobs = append(jobs, j)
			}
			byJob[j] = append(byJob[j], p)
		}
	}
	sort.Slice(jobs, func(a, b int) bool { return jobs[a] < jobs[b] })
	n := 0
	for _, j := range jobs {
		items := byJob[j]
		for len(items) > 0 {
			k := min(len(items), w.cfg.Batch)
			n += w.reveal(ctx, items[:k])
			items = items[k:]
		}
	}
	return n
}

// pages reads the pages of job j that items name, with list queries from the lowest
// index to the highest.
func (w *Worker) pages(ctx context.Context, j uint64, items []*pendingItem) (map[uint64]data.Page, error) {
	lo, hi := items[0].Reveal.Index, items[0].Reveal.Index
	for _, p := range items {
		lo, hi = min(lo, p.Reveal.Index), max(hi, p.Reveal.Index)
	}
	out := map[uint64]data.Page{}
	q := url.Values{"limit": {strconv.Itoa(data.MaxPage)}}
	if lo > 0 {
		q.Set("after", strconv.FormatUint(lo-1, 10))
	}
	for {
		var ps data.Pages
		if err := w.cfg.Client.Query(ctx, data.Name, fmt.Sprintf("job/%d/urls", j), q, &ps); err != nil {
			return nil, err
		}
		last := uint64(0)
		for _, pg := range ps.Pages {
			out[pg.Index] = pg
			last = pg.Index
		}
		if ps.Next == nil || last >= hi || len(ps.Pages) == 0 {
			return out, nil
		}
		q.Set("after", strconv.FormatUint(*ps.Next, 10))
	}
}

func (w *Worker) reveal(ctx context.Context, items []*pendingItem) int {
	msg := data.RevealReceipts{Job: items[0].Job}
	for _, p := range items {
		msg.Items = append(msg.Items, p.Reveal)
	}
	res, err := w.send(ctx, data.MsgRevealReceipts, msg)
	if err != nil {
		w.logf("reveal %d receipts of job %d: %v", len(items), msg.Job, err)
		if len(items) > 1 {
			n := 0
			for _, p := range items {
				n += w.reveal(ctx, []*pendingItem{p})
			}
			return n
		}
		var fe *client.WouldFailError
		if errors.As(err, &fe) && fe.Result.Codespace == data.Name && fe.Result.Code == data.CodeRevealEarly.Num {
			return 0 // try again next block
		}
		w.drop(items[0], err.Error())
		return 0
	}
	for _, p := range items {
		w.done(p)
	}
	w.mu.Lock()
	w.stats.Revealed += len(items)
	w.mu.Unlock()
	w.logf("revealed %d receipts of job %d at height %d", len(items), msg.Job, res.Height)
	return len(items)
}

// send signs and broadcasts one message, simulating it first for its gas; a tx that
// would fail or did fail is an error.
func (w *Worker) send(ctx context.Context, kind string, v any) (*api.TxResult, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	res, err := w.cfg.Client.SignAndBroadcast(ctx, w.cfg.Key, client.TxOptions{GasAuto: true}, tx.Msg{Type: kind, Value: raw})
	if err != nil {
		return nil, err
	}
	if res.Code != 0 {
		return nil, &client.WouldFailError{Result: res}
	}
	return res, nil
}

func (w *Worker) drop(p *pendingItem, why string) {
	w.logf("job %d url %d dropped: %s", p.Job, p.Reveal.Index, why)
	w.mu.Lock()
	w.stats.Dropped++
	w.mu.Unlock()
	w.done(p)
}

// done forgets p, and its batch file once every item of it is done.
func (w *Worker) done(p *pendingItem) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, q := range w.pending {
		if q == p {
			w.pending = append(w.pending[:i], w.pending[i+1:]...)
			break
		}
	}
	for _, q := range w.pending {
		if q.file == p.file {
			return
		}
	}
	os.Remove(p.file)
}

// savePending writes a batch to the state directory before it is committed.
func (w *Worker) savePending(b []*pendingItem) error {
	var name [8]byte
	rand.Read(name[:])
	path := filepath.Join(w.cfg.Dir, fmt.Sprintf("pending-%d-%x.json", b[0].Job, name))
	for _, p := range b {
		p.file = path
	}
	raw, err := json.Marshal(pendingFile{Job: b[0].Job, Items: b})
	if err != nil {
		return fmt.Errorf("crawler: encode pending: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, raw, 0o600); err != nil {
		return fmt.Errorf("crawler: save pending: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("crawler: save pending: %w", err)
	}
	return nil
}

// loadPending reads the batches a previous run left: their items are committed (again, if
// the commit never made it) and revealed.
func (w *Worker) loadPending() error {
	files, err := filepath.Glob(filepath.Join(w.cfg.Dir, "pending-*.json"))
	if err != nil {
		return fmt.Errorf("crawler: list pending: %w", err)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("crawler: read pending: %w", err)
		}
		var pf pendingFile
		if err := json.Unmarshal(raw, &pf); err != nil {
			return fmt.Errorf("crawler: %s: %w", f, err)
		}
		for _, p := range pf.Items {
			p.file = f
			// Whether the commit made it is unknown: ask the chain at reveal time. A
			// commit that did not make it fails the reveal with no-commit and is dropped.
			p.Height = 1
			w.pending = append(w.pending, p)
			w.known[[2]uint64{p.Job, p.Reveal.Index}] = true
		}
	}
	return nil
}
