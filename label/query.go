package label

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"

	"emergence/app"
	"emergence/store"
	"emergence/tx"
)

// JobList is the answer to the "jobs" query: a page of jobs by id, and
// Next, the after= value of the next page (0 on the last page).
type JobList struct {
	Jobs []Job  `json:"jobs"`
	Next uint64 `json:"next,omitempty"`
}

// Page sizes of the "jobs" query.
const (
	DefaultPage = 100
	MaxPage     = 1000
)

// Query implements app.Module:
//
//	job/<id>                 the job, with its gold once revealed
//	jobs                     jobs by id, ?after=ID (exclusive) and ?limit=N (default 100, at most 1000)
//	results/<id>             aggregated labels, root and payments of a settled job
//	labeler/<address>        stake, stake at risk, open assignments and reputation
//	assignment/<id>/<address> a labeler's items (and answers once revealed)
//	progress/<id>             assigned, committed and revealed assignments and labels of a job
//	params                   module parameters
//
// Absent jobs, results, labelers and assignments are app.CodeNotFound
// errors (HTTP 404).
func (m *Module) Query(r store.Reader, path string, q url.Values) (any, error) {
	return m.queries.Query(r, path, q)
}

func (m *Module) routes() *app.Router {
	return app.NewRouter(Name,
		app.Route{Pattern: "job/{id}", Handle: queryJob},
		app.Route{Pattern: "jobs", Handle: func(r store.Reader, _ []string, q url.Values) (any, error) { return listJobs(r, q) }},
		app.Route{Pattern: "results/{id}", Handle: queryResults},
		app.Route{Pattern: "labeler/{address}", Handle: queryLabeler},
		app.Route{Pattern: "assignment/{id}/{address}", Handle: queryAssignment},
		app.Route{Pattern: "progress/{id}", Handle: queryProgress},
		app.Route{Pattern: "params", Handle: func(r store.Reader, _ []string, _ url.Values) (any, error) { return m.params(r) }},
	)
}

func queryJob(r store.Reader, args []string, _ url.Values) (any, error) {
	id, err := parseID(args[0])
	if err != nil {
		return nil, err
	}
	j, err := getJob(r, id)
	if err != nil {
		return nil, notFound(err)
	}
	if j.Gold, err = getGold(r, id); err != nil {
		return nil, err
	}
	return j, nil
}

func queryResults(r store.Reader, args []string, _ url.Values) (any, error) {
	id, err := parseID(args[0])
	if err != nil {
		return nil, err
	}
	var res Results
	ok, err := store.GetJSON(r, store.Key(prefixResult, store.BE64(id)), &res)
	if err != nil {
		return nil, err
	}
	if !ok {
		j, err := getJob(r, id)
		if err != nil {
			return nil, notFound(err)
		}
		return nil, app.CodeNotFound.Errorf("job %d is %s, not settled", id, j.Status)
	}
	return res, nil
}

func queryLabeler(r store.Reader, args []string, _ url.Values) (any, error) {
	a, err := tx.ParseAddress(args[0])
	if err != nil {
		return nil, app.CodeBadQuery.Errorf("%v", err)
	}
	l, ok, err := getLabeler(r, a)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, app.CodeNotFound.Errorf("labeler %s has no stake or history", a)
	}
	return l.Labeler, nil
}

func queryAssignment(r store.Reader, args []string, _ url.Values) (any, error) {
	id, err := parseID(args[0])
	if err != nil {
		return nil, err
	}
	a, err := tx.ParseAddress(args[1])
	if err != nil {
		return nil, app.CodeBadQuery.Errorf("%v", err)
	}
	as, ok, err := getAssignment(r, id, a)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, app.CodeNotFound.Errorf("%s has no assignment in job %d", a, id)
	}
	return as, nil
}

// notFound turns the module's "job not found" into the app's not-found
// code, which the API answers with 404.
func notFound(err error) error {
	if app.CodeOf(err) == CodeJobNotFound {
		return app.CodeNotFound.Errorf("%v", err)
	}
	return err
}

// listJobs answers "jobs": at most limit jobs with ids above after.
func listJobs(r store.Reader, q url.Values) (JobList, error) {
	out := JobList{Jobs: []Job{}}
	limit := DefaultPage
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxPage {
			return out, app.CodeBadQuery.Errorf("limit %q: want 1 to %d", s, MaxPage)
		}
		limit = n
	}
	var after uint64
	if s := q.Get("after"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return out, app.CodeBadQuery.Errorf("after %q: want a job id", s)
		}
		after = n
	}
	var bad error
	start := store.Key(prefixJob, store.BE64(after+1))
	if after == ^uint64(0) {
		return out, nil
	}
	r.Iterate(start, store.PrefixEnd(prefixJob), func(_, v []byte) bool {
		if len(out.Jobs) == limit {
			out.Next = out.Jobs[len(out.Jobs)-1].ID
			return false
		}
		var j Job
		if err := json.Unmarshal(v, &j); err != nil {
			bad = fmt.Errorf("label: corrupt job record: %w", err)
			return false
		}
		out.Jobs = append(out.Jobs, j)
		return true
	})
	return out, bad
}

func parseID(s string) (uint64, error) {
	id, err := strconv.ParseUint(s, 10, 64)
	if err != nil || id == 0 {
		return 0, app.CodeBadQuery.Errorf("job id %q: want a positive integer", s)
	}
	return id, nil
}

// SettledResults returns a settled job's results (labels, root, payments)
// for other modules, e.g. an attestation that names the labeling job its
// dataset came from; ok is false while the job is open or unknown.
func (m *Module) SettledResults(r store.Reader, job uint64) (res Results, ok bool, err error) {
	ok, err = store.GetJSON(r, store.Key(prefixResult, store.BE64(job)), &res)
	return res, ok, err
}

// Evidence is a labeling job's part of a model's provenance: the dataset
// it labeled, its settled results' root and its labelers with their
// accuracy (skill and gold answers), at most maxEvidence of them.
type Evidence struct {
	Job          uint64    `json:"job"`
	Requester    string    `json:"requester"`
	Dataset      uint64    `json:"dataset,omitempty"`
	DatasetRoot  string    `json:"dataset_root,omitempty"`
	Items        uint32    `json:"items"`
	Status       string    `json:"status"`
	ResultsRoot  string    `json:"results_root,omitempty"`
	Labelers     []Outcome `json:"labelers"`
	MoreLabelers bool      `json:"more_labelers,omitempty"`
}

const maxEvidence = 100

// Evidence returns job id's evidence, ok false when there is no such job.
func (m *Module) Evidence(r store.Reader, id uint64) (any, bool) {
	j, err := getJob(r, id)
	if err != nil {
		return nil, false
	}
	e := Evidence{Job: j.ID, Requester: j.Requester.String(), Dataset: j.Dataset, DatasetRoot: j.DatasetRoot,
		Items: j.Items, Status: j.Status, Labelers: []Outcome{}}
	var res Results
	if ok, err := store.GetJSON(r, store.Key(prefixResult, store.BE64(id)), &res); err == nil && ok {
		e.ResultsRoot, e.Labelers = res.Root, res.Outcomes
		if len(e.Labelers) > maxEvidence {
			e.Labelers, e.MoreLabelers = e.Labelers[:maxEvidence], true
		}
	}
	return e, true
}
