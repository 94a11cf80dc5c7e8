package compute

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"

	"emergence/app"
	"emergence/store"
	"emergence/tx"
)

// Query paths (GET /v1/query/compute/...). Lists take limit= (1 to
// MaxPage) and after= (the Next of the previous page).
//
//	params
//	providers                       all providers, by registration order
//	provider/{addr}                 one provider (capacity, speed, price, reputation, stake, pending benchmark)
//	provider/{addr}/assignments     the provider's open assignments and referee duties (job ids)
//	jobs                            all jobs, by id
//	open-jobs                       jobs in a bid window, by id
//	job/{id}                        one job (state, deadline, result)
//	job/{id}/bids                   its bids, by provider address
//	job/{id}/assignments            its replicas, by provider address
//	job/{id}/result                 its verified result (CodeJobNotFound until there is one)
func (m *Module) routes() *app.Router {
	return app.NewRouter(Name,
		app.Route{Pattern: "params", Handle: func(r store.Reader, _ []string, _ url.Values) (any, error) { return m.params(r) }},
		app.Route{Pattern: "providers", Handle: qProviders},
		app.Route{Pattern: "provider/{addr}", Handle: qProvider},
		app.Route{Pattern: "provider/{addr}/assignments", Handle: qProviderJobs},
		app.Route{Pattern: "jobs", Handle: qJobs},
		app.Route{Pattern: "open-jobs", Handle: qOpenJobs},
		app.Route{Pattern: "job/{id}", Handle: qJob},
		app.Route{Pattern: "job/{id}/bids", Handle: qBids},
		app.Route{Pattern: "job/{id}/assignments", Handle: qAssignments},
		app.Route{Pattern: "job/{id}/result", Handle: qResult},
	)
}

// ProviderPage is one page of providers.
type ProviderPage struct {
	Providers []Provider `json:"providers"`
	Next      string     `json:"next,omitempty"`
}

// JobPage is one page of jobs; Next is a job id.
type JobPage struct {
	Jobs []Job  `json:"jobs"`
	Next string `json:"next,omitempty"`
}

// IDPage is one page of job ids.
type IDPage struct {
	Jobs []uint64 `json:"jobs"`
	Next string   `json:"next,omitempty"`
}

// BidPage is one page of a job's bids; Next is a provider address.
type BidPage struct {
	Bids []BidRecord `json:"bids"`
	Next string      `json:"next,omitempty"`
}

// AssignmentPage is one page of a job's assignments.
type AssignmentPage struct {
	Assignments []Assignment `json:"assignments"`
	Next        string       `json:"next,omitempty"`
}

func parseAddr(s string) (tx.Address, error) {
	a, err := tx.ParseAddress(s)
	if err != nil {
		return a, app.CodeBadQuery.Errorf("address: %v", err)
	}
	return a, nil
}

func parseID(s string) (uint64, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, app.CodeBadQuery.Errorf("job id %q is not a number", s)
	}
	return n, nil
}

// page lists up to limit entries under base after the key suffix after,
// calling fn with each suffix and value; it returns the last suffix when
// more entries follow.
func page(r store.Reader, base, after []byte, limit int, fn func(suffix, v []byte) error) (last []byte, more bool, err error) {
	start, end := base, store.PrefixEnd(base)
	if after != nil {
		start = append(store.Key(base, after), 0)
	}
	n := 0
	r.Iterate(start, end, func(k, v []byte) bool {
		if n == limit {
			more = true
			return false
		}
		suffix := append([]byte(nil), k[len(base):]...)
		if err = fn(suffix, v); err != nil {
			return false
		}
		last = suffix
		n++
		return true
	})
	return last, more, err
}

// idPage pages the records under base, keyed by big-endian ids, from the
// query's after= and limit=, passing each to fn; next is the last id when
// more follow.
func idPage(r store.Reader, q url.Values, base []byte, fn func(k, v []byte) error) (next string, err error) {
	limit, err := app.PageLimit(q, MaxPage, MaxPage)
	if err != nil {
		return "", err
	}
	after, err := afterID(q)
	if err != nil {
		return "", err
	}
	last, more, err := page(r, base, after, limit, fn)
	if err != nil || !more {
		return "", err
	}
	return u64(store.U64(last)), nil
}

func afterID(q url.Values) ([]byte, error) {
	s := q.Get("after")
	if s == "" {
		return nil, nil
	}
	n, err := parseID(s)
	if err != nil {
		return nil, err
	}
	return store.BE64(n), nil
}

func afterAddr(q url.Values) ([]byte, error) {
	s := q.Get("after")
	if s == "" {
		return nil, nil
	}
	a, err := parseAddr(s)
	if err != nil {
		return nil, err
	}
	return a[:], nil
}

func qProvider(r store.Reader, args []string, _ url.Values) (any, error) {
	a, err := parseAddr(args[0])
	if err != nil {
		return nil, err
	}
	return loadProvider(r, a)
}

func qProviders(r store.Reader, _ []string, q url.Values) (any, error) {
	out := ProviderPage{Providers: []Provider{}}
	next, err := idPage(r, q, prefixSeq, func(_, v []byte) error {
		var a tx.Address
		copy(a[:], v)
		p, err := loadProvider(r, a)
		if err != nil {
			return err
		}
		out.Providers = append(out.Providers, *p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.Next = next
	return out, nil
}

func qProviderJobs(r store.Reader, args []string, q url.Values) (any, error) {
	a, err := parseAddr(args[0])
	if err != nil {
		return nil, err
	}
	out := IDPage{Jobs: []uint64{}}
	next, err := idPage(r, q, store.Key(prefixByProv, a[:]), func(k, _ []byte) error {
		out.Jobs = append(out.Jobs, store.U64(k))
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.Next = next
	return out, nil
}

func qJobs(r store.Reader, _ []string, q url.Values) (any, error) {
	out := JobPage{Jobs: []Job{}}
	next, err := idPage(r, q, prefixJob, func(_, v []byte) error {
		var j Job
		if err := json.Unmarshal(v, &j); err != nil {
			return fmt.Errorf("compute: corrupt job: %w", err)
		}
		out.Jobs = append(out.Jobs, j)
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.Next = next
	return out, nil
}

func qOpenJobs(r store.Reader, _ []string, q url.Values) (any, error) {
	out := JobPage{Jobs: []Job{}}
	next, err := idPage(r, q, prefixOpen, func(k, _ []byte) error {
		j, err := loadJob(r, store.U64(k))
		if err != nil {
			return err
		}
		out.Jobs = append(out.Jobs, *j)
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.Next = next
	return out, nil
}

func qJob(r store.Reader, args []string, _ url.Values) (any, error) {
	id, err := parseID(args[0])
	if err != nil {
		return nil, err
	}
	return loadJob(r, id)
}

func qResult(r store.Reader, args []string, _ url.Values) (any, error) {
	id, err := parseID(args[0])
	if err != nil {
		return nil, err
	}
	j, err := loadJob(r, id)
	if err != nil {
		return nil, err
	}
	if j.Result == nil {
		return nil, CodeJobNotFound.Errorf("job %d has no verified result (it is %s)", id, j.Status)
	}
	return j.Result, nil
}

func qBids(r store.Reader, args []string, q url.Values) (any, error) {
	bids, next, err := jobPage[BidRecord](r, args, q, prefixBid, "bid")
	if err != nil {
		return nil, err
	}
	return BidPage{Bids: bids, Next: next}, nil
}

func qAssignments(r store.Reader, args []string, q url.Values) (any, error) {
	asgs, next, err := jobPage[Assignment](r, args, q, prefixAsg, "assignment")
	if err != nil {
		return nil, err
	}
	return AssignmentPage{Assignments: asgs, Next: next}, nil
}

// jobPage pages one job's provider-keyed records under prefix (its bids or
// its assignments), decoding each as a T; next is the last provider's
// address when more follow.
func jobPage[T any](r store.Reader, args []string, q url.Values, prefix []byte, what string) (items []T, next string, err error) {
	id, err := parseID(args[0])
	if err != nil {
		return nil, "", err
	}
	if _, err := loadJob(r, id); err != nil {
		return nil, "", err
	}
	limit, err := app.PageLimit(q, MaxPage, MaxPage)
	if err != nil {
		return nil, "", err
	}
	after, err := afterAddr(q)
	if err != nil {
		return nil, "", err
	}
	items = []T{}
	last, more, err := page(r, store.Key(prefix, store.BE64(id)), after, limit, func(_, v []byte) error {
		var x T
		if err := json.Unmarshal(v, &x); err != nil {
			return fmt.Errorf("compute: corrupt %s: %w", what, err)
		}
		items = append(items, x)
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	if more {
		var a tx.Address
		copy(a[:], last)
		next = a.String()
	}
	return items, next, nil
}

// Invariants implements app.Module: the escrow holds exactly the
// providers' stakes and the jobs' unspent budgets, settled jobs hold
// nothing, each provider's Active counts its open assignments and referee
// duties, and a job's budget is what it paid, refunded, holds or lost to
// the pool for slashed shares when its requester refereed.
func (m *Module) Invariants(r store.Reader) error {
	provs, err := store.ListJSON[Provider](r, prefixProv, store.PrefixEnd(prefixProv), 0)
	if err != nil {
		return err
	}
	if n := store.GetU64(r, keyProviders); n != uint64(len(provs)) {
		return fmt.Errorf("compute: %d providers stored, count says %d", len(provs), n)
	}
	var held uint64
	active := make([]uint32, len(provs))
	for _, p := range provs {
		held += p.Stake
		if p.Seq >= uint64(len(provs)) {
			return fmt.Errorf("compute: provider %s has seq %d of %d", p.Address, p.Seq, len(provs))
		}
		if got := r.Get(seqKey(p.Seq)); string(got) != string(p.Address[:]) {
			return fmt.Errorf("compute: seq %d does not name provider %s", p.Seq, p.Address)
		}
	}
	jobs, err := store.ListJSON[Job](r, prefixJob, store.PrefixEnd(prefixJob), 0)
	if err != nil {
		return err
	}
	for _, j := range jobs {
		held += j.Escrow
		final := j.Status == JobDone || j.Status == JobExpired || j.Status == JobUnresolved
		if final && j.Escrow != 0 {
			return fmt.Errorf("compute: job %d is %s and still holds %d", j.ID, j.Status, j.Escrow)
		}
		if j.Paid+j.Refund+j.Escrow > j.Budget {
			return fmt.Errorf("compute: job %d paid %d, refunded %d and holds %d of a %d budget", j.ID, j.Paid, j.Refund, j.Escrow, j.Budget)
		}
		if (r.Get(openKey(j.ID)) != nil) != (j.Status == JobBidding) {
			return fmt.Errorf("compute: job %d is %s but its open-index entry says otherwise", j.ID, j.Status)
		}
		asgs, err := openAssignments(r, j.ID)
		if err != nil {
			return err
		}
		for _, a := range asgs {
			if !a.open() {
				continue
			}
			if final {
				return fmt.Errorf("compute: job %d is %s with an open assignment of %s", j.ID, j.Status, a.Provider)
			}
			if err := countActive(r, active, a.Provider); err != nil {
				return err
			}
		}
		if j.Status == JobRefereeing && !j.RefereeRequester {
			if err := countActive(r, active, j.Referee); err != nil {
				return err
			}
		}
		if j.Status == JobRefereeing {
			// Referees that answered hold their duty until the job
			// settles (those that missed were released).
			for i, o := range j.Opinions {
				if o == "" || i >= len(j.Referees) {
					continue
				}
				if err := countActive(r, active, j.Referees[i]); err != nil {
					return err
				}
			}
		}
	}
	for _, p := range provs {
		if p.Active != active[p.Seq] {
			return fmt.Errorf("compute: provider %s counts %d active, holds %d", p.Address, p.Active, active[p.Seq])
		}
	}
	if got := m.bank.ModuleBalance(r, Escrow); got != held {
		return fmt.Errorf("compute: escrow holds %d, stakes and budgets are %d", got, held)
	}
	return nil
}

func countActive(r store.Reader, active []uint32, a tx.Address) error {
	p, err := loadProvider(r, a)
	if err != nil {
		return err
	}
	if p.Seq >= uint64(len(active)) {
		return fmt.Errorf("compute: provider %s seq out of range", a)
	}
	active[p.Seq]++
	return nil
}

// ModelFile is the output file a training job's model is read from (the
// trainer writes it under this name).
const ModelFile = "model.json"

// VerifiedModel returns the blob hash of job id's verified output file
// named ModelFile and the size in bytes of the job record read (callers
// charge gas for it); ok false when the job does not exist or has no
// verified result, and blob "" when its result has no such file. The
// zkml module reads it to check that an attested model is a training
// job's model, not merely one of the files the job wrote.
func (m *Module) VerifiedModel(r store.Reader, id uint64) (blob string, size int, ok bool) {
	raw := r.Get(jobKey(id))
	var j Job
	if raw == nil || json.Unmarshal(raw, &j) != nil || j.Status != JobDone || j.Result == nil {
		return "", len(raw), false
	}
	for _, f := range j.Result.Files {
		if f.Name == ModelFile {
			return f.Blob, len(raw), true
		}
	}
	return "", len(raw), true
}

// Evidence is a training job's part of a model's provenance: its verified
// result and the providers that ran it.
type Evidence struct {
	Job       uint64       `json:"job"`
	Requester tx.Address   `json:"requester"`
	Wasm      string       `json:"wasm"`
	Status    string       `json:"status"`
	Result    *Result      `json:"result,omitempty"`
	Providers []Assignment `json:"providers"`
}

// Evidence returns job id's evidence, ok false when there is no such job.
// A job has at most R replicas of at most MaxReplicas and referees that
// are not listed, so the read is bounded.
func (m *Module) Evidence(r store.Reader, id uint64) (any, bool) {
	j, err := loadJob(r, id)
	if err != nil {
		return nil, false
	}
	p := store.Key(prefixAsg, store.BE64(id))
	list, err := store.ListJSON[Assignment](r, p, store.PrefixEnd(p), MaxPage)
	if err != nil {
		return nil, false
	}
	if list == nil {
		list = []Assignment{}
	}
	return Evidence{Job: j.ID, Requester: j.Requester, Wasm: j.Wasm, Status: j.Status, Result: j.Result, Providers: list}, true
}
