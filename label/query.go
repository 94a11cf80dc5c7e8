package label

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	"emergence/app"
	"emergence/store"
	"emergence/tx"
)

// JobList is the answer to the "jobs" query.
type JobList struct {
	Jobs []Job `json:"jobs"`
}

// Query implements app.Module:
//
//	job/<id>                 the job
//	jobs                     all jobs (open and settled), by id
//	results/<id>             aggregated labels, root and payments of a settled job
//	labeler/<address>        stake, open assignments and reputation
//	assignment/<id>/<address> a labeler's items (and answers once revealed)
//	params                   module parameters
func (m *Module) Query(r store.Reader, path string, _ url.Values) (any, error) {
	parts := strings.Split(path, "/")
	switch {
	case len(parts) == 2 && parts[0] == "job":
		id, err := parseID(parts[1])
		if err != nil {
			return nil, err
		}
		return getJob(r, id)
	case len(parts) == 1 && parts[0] == "jobs":
		var out JobList
		var bad error
		r.Iterate(prefixJob, store.PrefixEnd(prefixJob), func(_, v []byte) bool {
			var j Job
			if err := json.Unmarshal(v, &j); err != nil {
				bad = err
				return false
			}
			j.Gold = nil
			out.Jobs = append(out.Jobs, j)
			return true
		})
		return out, bad
	case len(parts) == 2 && parts[0] == "results":
		id, err := parseID(parts[1])
		if err != nil {
			return nil, err
		}
		var res Results
		if !getJSON(r, u64key(prefixResult, id), &res) {
			if _, err := getJob(r, id); err != nil {
				return nil, app.CodeNotFound.Errorf("job %d not found", id)
			}
			return nil, app.CodeNotFound.Errorf("job %d is not settled yet", id)
		}
		return res, nil
	case len(parts) == 2 && parts[0] == "labeler":
		a, err := tx.ParseAddress(parts[1])
		if err != nil {
			return nil, app.CodeBadQuery.Errorf("%v", err)
		}
		l, ok := getLabeler(r, a)
		if !ok {
			return nil, app.CodeNotFound.Errorf("labeler %s has no stake or history", a)
		}
		return l.Labeler, nil
	case len(parts) == 3 && parts[0] == "assignment":
		id, err := parseID(parts[1])
		if err != nil {
			return nil, err
		}
		a, err := tx.ParseAddress(parts[2])
		if err != nil {
			return nil, app.CodeBadQuery.Errorf("%v", err)
		}
		as, ok := getAssignment(r, id, a)
		if !ok {
			return nil, app.CodeNotFound.Errorf("%s has no assignment in job %d", a, id)
		}
		return as, nil
	case len(parts) == 1 && parts[0] == "params":
		return m.params(r), nil
	}
	return nil, app.CodeBadQuery.Errorf("unknown label query %q (want job/ID, jobs, results/ID, labeler/ADDR, assignment/ID/ADDR or params)", path)
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
func (m *Module) SettledResults(r store.Reader, job uint64) (res Results, ok bool) {
	ok = getJSON(r, u64key(prefixResult, job), &res)
	return res, ok
}
