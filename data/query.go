package data

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"

	"emergence/app"
	"emergence/store"
	"emergence/tx"
)

func (m *Module) routes() []app.Route {
	return []app.Route{
		{Pattern: "params", Handle: m.qParams},
		{Pattern: "job/{id}", Handle: m.qJob},
		{Pattern: "job/{id}/urls", Handle: m.qURLs},
		{Pattern: "job/{id}/url/{index}", Handle: m.qURL},
		{Pattern: "job/{id}/crawlers", Handle: m.qJobCrawlers},
		{Pattern: "job/{id}/datasets", Handle: m.qJobDatasets},
		{Pattern: "crawlers", Handle: m.qActive},
		{Pattern: "crawler/{addr}", Handle: m.qCrawler},
		{Pattern: "assignments/{addr}", Handle: m.qAssignments},
		{Pattern: "jobs", Handle: m.qJobs},
		{Pattern: "root/{hash}", Handle: m.qRoot},
		{Pattern: "dataset/{id}", Handle: m.qDataset},
		{Pattern: "datasets", Handle: m.qDatasets},
		{Pattern: "dataset/{id}/buyer/{addr}", Handle: m.qBought},
		{Pattern: "provenance/{id}", Handle: m.qProvenance},
	}
}

func parseID(s, what string) (uint64, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, app.CodeBadQuery.Errorf("%s %q is not a number", what, s)
	}
	return n, nil
}

func parseAddr(s string) (tx.Address, error) {
	a, err := tx.ParseAddress(s)
	if err != nil {
		return a, app.CodeBadQuery.Errorf("address: %v", err)
	}
	return a, nil
}

func uintParam(q url.Values, name string) (uint64, bool, error) {
	s := q.Get(name)
	if s == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, false, app.CodeBadQuery.Errorf("%s must be a number", name)
	}
	return n, true, nil
}

func (m *Module) qParams(r store.Reader, _ []string, _ url.Values) (any, error) { return m.params(r) }

func (m *Module) qJob(r store.Reader, args []string, _ url.Values) (any, error) {
	id, err := parseID(args[0], "job")
	if err != nil {
		return nil, err
	}
	return loadJob(r, id)
}

// Pages is one page of a job's URLs. Next is the index to pass as after=
// for the following page; it is set whenever the scan stopped early, even
// if a state filter left Pages short.
type Pages struct {
	Pages []Page  `json:"pages"`
	Next  *uint64 `json:"next,omitempty"`
}

// maxScan bounds the records one filtered list query reads.
const maxScan = 1000

func (m *Module) qURLs(r store.Reader, args []string, q url.Values) (any, error) {
	id, err := parseID(args[0], "job")
	if err != nil {
		return nil, err
	}
	if _, err := loadJob(r, id); err != nil {
		return nil, err
	}
	limit, err := app.PageLimit(q, MaxPage, MaxPage)
	if err != nil {
		return nil, err
	}
	state := q.Get("state")
	switch state {
	case "", StateOpen, StateAccepted, StateSkipped, StateDisputed, StateMissed:
	default:
		return nil, app.CodeBadQuery.Errorf("state %q: want open, accepted, skipped, disputed or missed", state)
	}
	start := pagePrefix(id)
	if after, ok, err := uintParam(q, "after"); err != nil {
		return nil, err
	} else if ok {
		start = pageKey(id, after+1)
		if after == ^uint64(0) {
			start = store.PrefixEnd(pagePrefix(id))
		}
	}
	out := Pages{Pages: []Page{}}
	scanned := 0
	var last uint64
	var derr error
	more := false
	r.Iterate(start, store.PrefixEnd(pagePrefix(id)), func(_, v []byte) bool {
		if len(out.Pages) == limit || scanned == maxScan {
			more = true
			return false
		}
		scanned++
		var p Page
		if err := json.Unmarshal(v, &p); err != nil {
			derr = err
			return false
		}
		last = p.Index
		if state == "" || p.State == state {
			out.Pages = append(out.Pages, p)
		}
		return true
	})
	if derr != nil {
		return nil, derr
	}
	if more {
		out.Next = &last
	}
	return out, nil
}

func (m *Module) qURL(r store.Reader, args []string, _ url.Values) (any, error) {
	id, err := parseID(args[0], "job")
	if err != nil {
		return nil, err
	}
	idx, err := parseID(args[1], "index")
	if err != nil {
		return nil, err
	}
	return loadPage(r, id, idx)
}

// JobCrawlers is one page of a job's per-crawler results.
type JobCrawlers struct {
	Crawlers []JobCrawler `json:"crawlers"`
	Next     string       `json:"next,omitempty"`
}

func (m *Module) qJobCrawlers(r store.Reader, args []string, q url.Values) (any, error) {
	id, err := parseID(args[0], "job")
	if err != nil {
		return nil, err
	}
	if _, err := loadJob(r, id); err != nil {
		return nil, err
	}
	limit, err := app.PageLimit(q, MaxPage, MaxPage)
	if err != nil {
		return nil, err
	}
	start := jcPrefix(id)
	if s := q.Get("after"); s != "" {
		a, err := parseAddr(s)
		if err != nil {
			return nil, err
		}
		start = append(jcKey(id, a), 0)
	}
	list, more, err := store.ListPage[JobCrawler](r, start, store.PrefixEnd(jcPrefix(id)), limit)
	if err != nil {
		return nil, err
	}
	out := JobCrawlers{Crawlers: list}
	if more {
		out.Next = list[limit-1].Crawler.String()
	}
	return out, nil
}

func (m *Module) qJobDatasets(r store.Reader, args []string, q url.Values) (any, error) {
	id, err := parseID(args[0], "job")
	if err != nil {
		return nil, err
	}
	if _, err := loadJob(r, id); err != nil {
		return nil, err
	}
	ids := []uint64{}
	base := store.Key(prefixByJob, store.BE64(id))
	r.Iterate(base, store.PrefixEnd(base), func(k, _ []byte) bool {
		ids = append(ids, store.U64(k[len(base):]))
		return len(ids) < MaxPage
	})
	return ids, nil
}

// Active lists the active crawler set, the one URLs are assigned from.
type Active struct {
	Crawlers []tx.Address `json:"crawlers"`
}

func (m *Module) qActive(r store.Reader, _ []string, _ url.Values) (any, error) {
	as, err := activeSet(r)
	if err != nil {
		return nil, err
	}
	return Active{Crawlers: as}, nil
}

// CrawlerInfo is a crawler with its reputation.
type CrawlerInfo struct {
	Crawler
	Reputation Reputation `json:"reputation"`
}

func (m *Module) qCrawler(r store.Reader, args []string, _ url.Values) (any, error) {
	a, err := parseAddr(args[0])
	if err != nil {
		return nil, err
	}
	c, err := mustCrawler(r, a)
	if err != nil {
		return nil, err
	}
	return CrawlerInfo{Crawler: c, Reputation: c.Reputation()}, nil
}

// Assignment is one URL assigned to a crawler.
type Assignment struct {
	Job      uint64 `json:"job"`
	Index    uint64 `json:"index"`
	URL      string `json:"url"`
	Depth    uint32 `json:"depth"`
	Height   int64  `json:"height"`
	CommitBy int64  `json:"commit_by"`
	RevealBy int64  `json:"reveal_by"`
	State    string `json:"state"`
	// Commits of the URL's Crawlers assignees so far: reveals open when
	// they are equal or past CommitBy.
	Commits  uint32 `json:"commits"`
	Crawlers uint32 `json:"crawlers"`
}

// Assignments is one page of a crawler's assignments in the order the
// chain made them. Next is the cursor to pass as after= for the following
// page ("" at the end).
type Assignments struct {
	Assignments []Assignment `json:"assignments"`
	Next        string       `json:"next,omitempty"`
}

// AssignmentCursor is the after= cursor that continues a list just past
// assignment a.
func AssignmentCursor(a Assignment) string {
	return fmt.Sprintf("%d.%d.%d", a.Height, a.Job, a.Index)
}

// qAssignments lists a crawler's assignments from height= (default 0) or
// after= a cursor, at most limit= of them.
func (m *Module) qAssignments(r store.Reader, args []string, q url.Values) (any, error) {
	a, err := parseAddr(args[0])
	if err != nil {
		return nil, err
	}
	limit, err := app.PageLimit(q, MaxPage, MaxPage)
	if err != nil {
		return nil, err
	}
	base := store.Key(prefixAssign, a[:])
	start := base
	if h, ok, err := uintParam(q, "height"); err != nil {
		return nil, err
	} else if ok {
		start = store.Key(base, store.BE64(h))
	}
	if s := q.Get("after"); s != "" {
		var h, job, idx uint64
		if _, err := fmt.Sscanf(s, "%d.%d.%d", &h, &job, &idx); err != nil {
			return nil, app.CodeBadQuery.Errorf("after %q: want HEIGHT.JOB.INDEX", s)
		}
		start = append(assignKey(a, int64(h), job, idx), 0)
	}
	var keys [][]byte
	r.Iterate(start, store.PrefixEnd(base), func(k, _ []byte) bool {
		keys = append(keys, append([]byte(nil), k...))
		return len(keys) <= limit
	})
	out := Assignments{Assignments: []Assignment{}}
	for i, k := range keys {
		if i == limit {
			out.Next = AssignmentCursor(out.Assignments[limit-1])
			break
		}
		rest := k[len(base):]
		h, job, idx := store.U64(rest[:8]), store.U64(rest[8:16]), store.U64(rest[16:24])
		p, err := loadPage(r, job, idx)
		if err != nil {
			return nil, fmt.Errorf("assignment index names %d/%d: %w", job, idx, err)
		}
		out.Assignments = append(out.Assignments, Assignment{Job: job, Index: idx, URL: p.URL, Depth: p.Depth,
			Height: int64(h), CommitBy: p.CommitBy, RevealBy: p.RevealBy, State: p.State,
			Commits: p.Commits, Crawlers: uint32(len(p.Crawlers))})
	}
	return out, nil
}

func (m *Module) qDataset(r store.Reader, args []string, _ url.Values) (any, error) {
	id, err := parseID(args[0], "dataset")
	if err != nil {
		return nil, err
	}
	return loadDataset(r, id)
}

// Purchase answers "has this address bought the dataset".
type Purchase struct {
	Dataset uint64     `json:"dataset"`
	Buyer   tx.Address `json:"buyer"`
	Bought  bool       `json:"bought"`
	Height  int64      `json:"height,omitempty"`
	// Free is true for a dataset of price 0, which everyone may read.
	Free bool `json:"free"`
}

func (m *Module) qBought(r store.Reader, args []string, _ url.Values) (any, error) {
	id, err := parseID(args[0], "dataset")
	if err != nil {
		return nil, err
	}
	a, err := parseAddr(args[1])
	if err != nil {
		return nil, err
	}
	d, err := loadDataset(r, id)
	if err != nil {
		return nil, err
	}
	p := Purchase{Dataset: id, Buyer: a, Free: d.Price == 0}
	if v := r.Get(boughtKey(id, a)); v != nil {
		p.Bought, p.Height = true, int64(store.U64(v))
	}
	return p, nil
}

// Provenance is where a dataset came from: its crawl job, the crawlers of
// its pages and what was built on it: the labeling jobs over it and the
// zkml attestations that name it (at most MaxPage of each, in id order),
// as the label and zkml modules note them.
type Provenance struct {
	Dataset          Dataset      `json:"dataset"`
	Job              Job          `json:"job"`
	Crawlers         []JobCrawler `json:"crawlers"`
	MoreCrawlers     bool         `json:"more_crawlers,omitempty"`
	LabelJobs        []uint64     `json:"label_jobs"`
	MoreLabelJobs    bool         `json:"more_label_jobs,omitempty"`
	Attestations     []uint64     `json:"attestations"`
	MoreAttestations bool         `json:"more_attestations,omitempty"`
}

func (m *Module) qProvenance(r store.Reader, args []string, _ url.Values) (any, error) {
	id, err := parseID(args[0], "dataset")
	if err != nil {
		return nil, err
	}
	d, err := loadDataset(r, id)
	if err != nil {
		return nil, err
	}
	j, err := loadJob(r, d.Job)
	if err != nil {
		return nil, err
	}
	list, err := store.ListJSON[JobCrawler](r, jcPrefix(j.ID), store.PrefixEnd(jcPrefix(j.ID)), MaxPage+1)
	if err != nil {
		return nil, err
	}
	if list == nil {
		list = []JobCrawler{}
	}
	p := Provenance{Dataset: d, Job: j, Crawlers: list}
	p.LabelJobs, p.MoreLabelJobs = uses(r, id, useLabelJob, MaxPage)
	p.Attestations, p.MoreAttestations = uses(r, id, useAttestation, MaxPage)
	if len(list) > MaxPage {
		p.Crawlers, p.MoreCrawlers = list[:MaxPage], true
	}
	return p, nil
}

// Jobs is one page of crawl jobs by id; Next is the id to pass as after=.
type Jobs struct {
	Jobs []Job  `json:"jobs"`
	Next uint64 `json:"next,omitempty"`
}

func (m *Module) qJobs(r store.Reader, _ []string, q url.Values) (any, error) {
	limit, err := app.PageLimit(q, MaxPage, MaxPage)
	if err != nil {
		return nil, err
	}
	start := prefixJob
	if after, ok, err := uintParam(q, "after"); err != nil {
		return nil, err
	} else if ok {
		start = append(jobKey(after), 0)
	}
	list, more, err := store.ListPage[Job](r, start, store.PrefixEnd(prefixJob), limit)
	if err != nil {
		return nil, err
	}
	out := Jobs{Jobs: list}
	if more {
		out.Next = list[limit-1].ID
	}
	return out, nil
}

// Datasets is one page of published datasets by id, each without its
// shard list (dataset/ID has it). Next is the after= of the following page.
type Datasets struct {
	Datasets []Dataset `json:"datasets"`
	Next     uint64    `json:"next,omitempty"`
}

func (m *Module) qDatasets(r store.Reader, _ []string, q url.Values) (any, error) {
	limit, err := app.PageLimit(q, MaxPage, MaxPage)
	if err != nil {
		return nil, err
	}
	start := prefixDataset
	if after, ok, err := uintParam(q, "after"); err != nil {
		return nil, err
	} else if ok {
		start = append(datasetKey(after), 0)
	}
	list, more, err := store.ListPage[Dataset](r, start, store.PrefixEnd(prefixDataset), limit)
	if err != nil {
		return nil, err
	}
	out := Datasets{Datasets: list}
	if more {
		out.Next = list[limit-1].ID
	}
	for i := range out.Datasets {
		out.Datasets[i].Shards = nil
	}
	return out, nil
}

// RootDatasets lists the datasets registered with one Merkle root.
type RootDatasets struct {
	Root     string   `json:"root"`
	Datasets []uint64 `json:"datasets"`
}

func (m *Module) qRoot(r store.Reader, args []string, _ url.Values) (any, error) {
	root, err := ParseHash(args[0])
	if err != nil {
		return nil, app.CodeBadQuery.Errorf("root: %v", err)
	}
	ids := DatasetsWithRoot(r, root)
	if len(ids) == 0 {
		return nil, CodeDatasetNotFound.Errorf("no dataset has root %s", args[0])
	}
	return RootDatasets{Root: args[0], Datasets: ids}, nil
}
