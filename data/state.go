package data

import (
	"crypto/sha256"
	"fmt"

	"emergence/store"
	"emergence/tx"
)

// Page states.
const (
	// StateOpen: assigned, waiting for commits and reveals.
	StateOpen = "open"
	// StateAccepted: k revealed receipts agree on a fetched page's text hash.
	StateAccepted = "accepted"
	// StateSkipped: k receipts agree the page was skipped (robots, content
	// type, size); unpaid.
	StateSkipped = "skipped"
	// StateDisputed: receipts were revealed but k of them do not agree.
	StateDisputed = "disputed"
	// StateMissed: fewer than k receipts were revealed and none disagreed.
	StateMissed = "missed"
)

// Job is a crawl job.
type Job struct {
	ID           uint64     `json:"id"`
	Requester    tx.Address `json:"requester"`
	URLList      string     `json:"url_list,omitempty"`
	Hosts        []string   `json:"hosts"`
	PathPrefixes []string   `json:"path_prefixes"`
	MaxDepth     uint32     `json:"max_depth"`
	MaxPages     uint32     `json:"max_pages"`
	K            uint32     `json:"k"`
	PricePerPage uint64     `json:"price_per_page"`
	Budget       uint64     `json:"budget"`
	// Reserved is the price of every open URL, held until it settles.
	Reserved uint64 `json:"reserved"`
	// Paid went to crawlers; Refunded went back to the requester at close.
	Paid         uint64 `json:"paid"`
	Refunded     uint64 `json:"refunded"`
	Created      int64  `json:"created"`
	Deadline     int64  `json:"deadline"`
	CommitBlocks int64  `json:"commit_blocks"`
	RevealBlocks int64  `json:"reveal_blocks"`
	Licence      string `json:"licence"`
	// URLs counts the job's URLs; Open, Accepted... count them by state.
	URLs     uint64 `json:"urls"`
	Open     uint64 `json:"open"`
	Accepted uint64 `json:"accepted"`
	Skipped  uint64 `json:"skipped"`
	Disputed uint64 `json:"disputed"`
	Missed   uint64 `json:"missed"`
	// Crawlers counts the distinct crawlers assigned any of its URLs.
	Crawlers uint64 `json:"crawlers"`
	Closed   bool   `json:"closed"`
}

// Scope returns the job's scope.
func (j Job) Scope() Scope {
	return Scope{Hosts: j.Hosts, PathPrefixes: j.PathPrefixes, MaxDepth: j.MaxDepth}
}

// Available is the budget not yet paid, reserved or refunded.
func (j Job) Available() uint64 { return j.Budget - j.Paid - j.Reserved - j.Refunded }

// Held is what the escrow holds for the job.
func (j Job) Held() uint64 { return j.Budget - j.Paid - j.Refunded }

// Page is one URL of a job and its outcome.
type Page struct {
	Job      uint64       `json:"job"`
	Index    uint64       `json:"index"`
	URL      string       `json:"url"`
	Depth    uint32       `json:"depth"`
	Added    int64        `json:"added"`
	CommitBy int64        `json:"commit_by"`
	RevealBy int64        `json:"reveal_by"`
	Crawlers []tx.Address `json:"crawlers"`
	Commits  uint32       `json:"commits"`
	Reveals  uint32       `json:"reveals"`
	State    string       `json:"state"`
	Settled  int64        `json:"settled,omitempty"`
	// The agreed receipt (accepted and skipped pages).
	FinalURL    string `json:"final_url,omitempty"`
	Status      uint32 `json:"status,omitempty"`
	ContentType string `json:"content_type,omitempty"`
	TextHash    string `json:"text_hash,omitempty"`
	Skip        string `json:"skip,omitempty"`
	// Agreed are the crawlers whose receipts agreed, with their WARC blob
	// hashes and body hashes in the same order.
	Agreed     []tx.Address `json:"agreed,omitempty"`
	WARCs      []string     `json:"warcs,omitempty"`
	BodyHashes []string     `json:"body_hashes,omitempty"`
	// Links counts the new URLs the agreed receipts added.
	Links uint32 `json:"links,omitempty"`
}

// Crawler is a registered crawler and its reputation counters.
type Crawler struct {
	Address    tx.Address `json:"address"`
	Stake      uint64     `json:"stake"`
	Registered int64      `json:"registered"`
	Active     bool       `json:"active"`
	// Assigned URLs; Committed of them; EarlyCommits in the first half of
	// the commit window; Revealed; Agreed (part of an accepted or skipped
	// agreement); Disagreed (revealed on a disputed URL); Unrevealed
	// (committed, never revealed).
	Assigned     uint64 `json:"assigned"`
	Committed    uint64 `json:"committed"`
	EarlyCommits uint64 `json:"early_commits"`
	Revealed     uint64 `json:"revealed"`
	Agreed       uint64 `json:"agreed"`
	Disagreed    uint64 `json:"disagreed"`
	Unrevealed   uint64 `json:"unrevealed"`
	// Strikes counts disagreements since the last agreement.
	Strikes uint32 `json:"strikes"`
	Slashed uint64 `json:"slashed"`
	Earned  uint64 `json:"earned"`
	// ReleaseAt is the height from which an inactive crawler may withdraw
	// all its stake: every URL assigned to it before it left has settled.
	ReleaseAt int64 `json:"release_at,omitempty"`
}

// Reputation is a crawler's score in permille, after Grass's published
// four components, all integers.
type Reputation struct {
	// Completeness: committed receipts that were revealed.
	Completeness uint64 `json:"completeness"`
	// Consistency: revealed receipts that agreed.
	Consistency uint64 `json:"consistency"`
	// Timeliness: commits in the first half of their window.
	Timeliness uint64 `json:"timeliness"`
	// Availability: assigned URLs the crawler committed to.
	Availability uint64 `json:"availability"`
	// Score is the mean of the four.
	Score uint64 `json:"score"`
}

func permille(num, den uint64) uint64 {
	if den == 0 {
		return 1000
	}
	if num >= den {
		return 1000
	}
	return num * 1000 / den
}

// Reputation computes c's score. Settled work only: open URLs count in
// Assigned and Committed once they settle.
func (c Crawler) Reputation() Reputation {
	r := Reputation{
		Completeness: permille(c.Revealed, c.Revealed+c.Unrevealed),
		Consistency:  permille(c.Agreed, c.Agreed+c.Disagreed),
		Timeliness:   permille(c.EarlyCommits, c.Committed),
		Availability: permille(c.Committed, c.Assigned),
	}
	r.Score = (r.Completeness + r.Consistency + r.Timeliness + r.Availability) / 4
	return r
}

// JobCrawler is one crawler's results in one job.
type JobCrawler struct {
	Job        uint64     `json:"job"`
	Crawler    tx.Address `json:"crawler"`
	Assigned   uint64     `json:"assigned"`
	Agreed     uint64     `json:"agreed"`
	Accepted   uint64     `json:"accepted"`
	Disagreed  uint64     `json:"disagreed"`
	Unrevealed uint64     `json:"unrevealed"`
	Earned     uint64     `json:"earned"`
}

// Dataset is a published dataset.
type Dataset struct {
	ID        uint64     `json:"id"`
	Publisher tx.Address `json:"publisher"`
	Job       uint64     `json:"job"`
	Name      string     `json:"name"`
	Root      string     `json:"root"`
	Manifest  string     `json:"manifest"`
	Shards    []string   `json:"shards"`
	Records   uint64     `json:"records"`
	Price     uint64     `json:"price"`
	Licence   string     `json:"licence"`
	Height    int64      `json:"height"`
	Buyers    uint64     `json:"buyers"`
	Revenue   uint64     `json:"revenue"`
}

// commitRec is a stored commitment.
type commitRec struct {
	Commitment string `json:"commitment"`
	Height     int64  `json:"height"`
}

var (
	keyParams     = []byte("data/params")
	keyNextJob    = []byte("data/next-job")
	keyNextDS     = []byte("data/next-dataset")
	keyActive     = []byte("data/active")
	prefixJob     = []byte("data/job/")
	prefixPage    = []byte("data/page/")
	prefixSeen    = []byte("data/seen/")
	prefixCommit  = []byte("data/commit/")
	prefixReceipt = []byte("data/rcpt/")
	prefixCrawler = []byte("data/crawler/")
	prefixAssign  = []byte("data/asg/")
	prefixJC      = []byte("data/jc/")
	prefixDue     = []byte("data/due/")
	prefixDataset = []byte("data/dataset/")
	prefixBought  = []byte("data/bought/")
	prefixByJob   = []byte("data/dsjob/")
	prefixRoot    = []byte("data/root/")
	// prefixUse indexes what was built on a dataset: dataset ‖ kind ‖ id
	// (useLabelJob, useAttestation), written by the label and zkml modules
	// through NoteLabelJob and NoteAttestation, so provenance lists them.
	prefixUse = []byte("data/use/")
)

// closeIndex is the due-queue index of a job's close entry: it sorts after
// every URL of the job due at the same height.
const closeIndex = ^uint64(0)

func jobKey(id uint64) []byte               { return store.Key(prefixJob, store.BE64(id)) }
func pageKey(job, idx uint64) []byte        { return store.Key(prefixPage, store.BE64(job), store.BE64(idx)) }
func pagePrefix(job uint64) []byte          { return store.Key(prefixPage, store.BE64(job)) }
func crawlerKey(a tx.Address) []byte        { return store.Key(prefixCrawler, a[:]) }
func jcKey(job uint64, a tx.Address) []byte { return store.Key(prefixJC, store.BE64(job), a[:]) }
func jcPrefix(job uint64) []byte            { return store.Key(prefixJC, store.BE64(job)) }
func datasetKey(id uint64) []byte           { return store.Key(prefixDataset, store.BE64(id)) }
func boughtKey(id uint64, a tx.Address) []byte {
	return store.Key(prefixBought, store.BE64(id), a[:])
}
func rootKey(root [32]byte, ds uint64) []byte { return store.Key(prefixRoot, root[:], store.BE64(ds)) }
func byJobKey(job, ds uint64) []byte          { return store.Key(prefixByJob, store.BE64(job), store.BE64(ds)) }
func seenKey(job uint64, u string) []byte {
	h := sha256.Sum256([]byte(u))
	return store.Key(prefixSeen, store.BE64(job), h[:])
}
func commitKey(job, idx uint64, a tx.Address) []byte {
	return store.Key(prefixCommit, store.BE64(job), store.BE64(idx), a[:])
}
func receiptKey(job, idx uint64, a tx.Address) []byte {
	return store.Key(prefixReceipt, store.BE64(job), store.BE64(idx), a[:])
}
func assignKey(a tx.Address, height int64, job, idx uint64) []byte {
	return store.Key(prefixAssign, a[:], store.BE64(uint64(height)), store.BE64(job), store.BE64(idx))
}
func dueKey(height int64, job, idx uint64) []byte {
	return store.Key(prefixDue, store.BE64(uint64(height)), store.BE64(job), store.BE64(idx))
}

func loadJob(r store.Reader, id uint64) (Job, error) {
	var j Job
	ok, err := store.GetJSON(r, jobKey(id), &j)
	if err != nil {
		return j, fmt.Errorf("job %d: %w", id, err)
	}
	if !ok {
		return j, CodeJobNotFound.Errorf("job %d", id)
	}
	return j, nil
}

func loadPage(r store.Reader, job, idx uint64) (Page, error) {
	var p Page
	ok, err := store.GetJSON(r, pageKey(job, idx), &p)
	if err != nil {
		return p, fmt.Errorf("job %d url %d: %w", job, idx, err)
	}
	if !ok {
		return p, CodePageNotFound.Errorf("job %d has no url %d", job, idx)
	}
	return p, nil
}

func loadCrawler(r store.Reader, a tx.Address) (Crawler, bool, error) {
	var c Crawler
	ok, err := store.GetJSON(r, crawlerKey(a), &c)
	if err != nil {
		return c, false, fmt.Errorf("crawler %s: %w", a, err)
	}
	return c, ok, nil
}

func mustCrawler(r store.Reader, a tx.Address) (Crawler, error) {
	c, ok, err := loadCrawler(r, a)
	if err != nil {
		return c, err
	}
	if !ok {
		return c, CodeCrawlerNotFound.Errorf("%s", a)
	}
	return c, nil
}

func loadJC(r store.Reader, job uint64, a tx.Address) (JobCrawler, error) {
	jc := JobCrawler{Job: job, Crawler: a}
	if _, err := store.GetJSON(r, jcKey(job, a), &jc); err != nil {
		return jc, fmt.Errorf("job %d crawler %s: %w", job, a, err)
	}
	return jc, nil
}

func loadDataset(r store.Reader, id uint64) (Dataset, error) {
	var d Dataset
	ok, err := store.GetJSON(r, datasetKey(id), &d)
	if err != nil {
		return d, fmt.Errorf("dataset %d: %w", id, err)
	}
	if !ok {
		return d, CodeDatasetNotFound.Errorf("dataset %d", id)
	}
	return d, nil
}

// activeSet returns the active crawlers' addresses, sorted. They are
// stored as concatenated 20-byte addresses, since every URL that enters a
// job reads them.
func activeSet(r store.Reader) ([]tx.Address, error) {
	b := r.Get(keyActive)
	if len(b)%tx.AddressLen != 0 {
		return nil, fmt.Errorf("active crawlers: %d bytes is not a list of addresses", len(b))
	}
	as := make([]tx.Address, len(b)/tx.AddressLen)
	for i := range as {
		copy(as[i][:], b[i*tx.AddressLen:])
	}
	return as, nil
}

func putActive(kv store.KV, as []tx.Address) {
	b := make([]byte, 0, len(as)*tx.AddressLen+1)
	for _, a := range as {
		b = append(b, a[:]...)
	}
	if len(b) == 0 {
		kv.Delete(keyActive)
		return
	}
	kv.Set(keyActive, b)
}

func compareAddr(a, b tx.Address) int {
	for i := range a {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// insertAddr adds a to the sorted set as (no-op when present).
func insertAddr(as []tx.Address, a tx.Address) []tx.Address {
	i := 0
	for i < len(as) && compareAddr(as[i], a) < 0 {
		i++
	}
	if i < len(as) && as[i] == a {
		return as
	}
	as = append(as, tx.Address{})
	copy(as[i+1:], as[i:])
	as[i] = a
	return as
}

// removeAddr drops a from the sorted set as.
func removeAddr(as []tx.Address, a tx.Address) []tx.Address {
	for i := range as {
		if as[i] == a {
			return append(as[:i], as[i+1:]...)
		}
	}
	return as
}
