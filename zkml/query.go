package zkml

import (
	"encoding/json"
	"net/url"
	"strconv"

	"emergence/app"
	"emergence/store"
	"emergence/zkml/verifier"
)

// ModelRecords is the answer to "model/<commitment>".
type ModelRecords struct {
	Commitment   string        `json:"commitment"`
	Attestations []Attestation `json:"attestations"`
	Inferences   []Inference   `json:"inferences"`
	// Bindings lists the inference keys the model is bound to.
	Bindings []Binding `json:"bindings"`
}

// LeaderboardEntry is one row of "leaderboard/<exam>".
type LeaderboardEntry struct {
	Rank        int    `json:"rank"`
	Commitment  string `json:"commitment"`
	Claim       uint64 `json:"claim"`
	N           uint64 `json:"n"`
	Attestation uint64 `json:"attestation"`
	Attester    string `json:"attester"`
	DatasetRoot string `json:"dataset_root,omitempty"`
	LabelJob    uint64 `json:"label_job,omitempty"`
}

// Query implements app.Module:
//
//	circuits                 registered exams and inference keys, by id (?limit=N, default 100, at most 1000; ?after=ID for the next page)
//	circuit/<id>             one registration, with its verifying key
//	attestation/<id>         one accuracy attestation
//	inference/<id>           one inference claim
//	inferences               inference claims by id (?limit=N, ?after=ID; ?circuit=ID: under one inference key only)
//	model/<commitment>       attestations, inferences and bindings of a model
//	binding/<id>/<commitment> a model's binding to an inference key
//	exam/<id>                attestations on an exam, oldest first (?limit=N, ?after=attestation ID)
//	leaderboard/<id>         best claim per model on an exam, best first (?limit=N)
func (m *Module) Query(r store.Reader, path string, params url.Values) (any, error) {
	// A bad limit or after fails every query, lists or not.
	if _, _, err := page(params); err != nil {
		return nil, err
	}
	return m.queries.Query(r, path, params)
}

// page parses ?limit= and ?after=, the last id of the previous page: the
// list continues above it.
func page(params url.Values) (limit int, after uint64, err error) {
	limit = 100
	if s := params.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			return 0, 0, app.CodeBadQuery.Errorf("limit %q: want 1..1000", s)
		}
		limit = n
	}
	if s := params.Get("after"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil || n == ^uint64(0) {
			return 0, 0, app.CodeBadQuery.Errorf("after %q: want an id", s)
		}
		after = n
	}
	return limit, after, nil
}

func parseID(s string) (uint64, error) {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, app.CodeBadQuery.Errorf("id %q: %v", s, err)
	}
	return v, nil
}

func queryCircuits(r store.Reader, _ []string, params url.Values) (any, error) {
	limit, after, err := page(params)
	if err != nil {
		return nil, err
	}
	var out []Circuit
	p := append(key("circuit"), '/')
	r.Iterate(key("circuit", store.BE64(after+1)), store.PrefixEnd(p), func(_, v []byte) bool {
		var c Circuit
		if err = json.Unmarshal(v, &c); err != nil {
			return false
		}
		c.VK, c.LinkVK, c.BindingVK = nil, nil, nil
		out = append(out, c)
		return len(out) < limit
	})
	return out, err
}

func queryCircuit(r store.Reader, args []string, _ url.Values) (any, error) {
	v, err := parseID(args[0])
	if err != nil {
		return nil, err
	}
	c, err := getCircuit(r, v)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, app.CodeNotFound.Errorf("circuit %d", v)
	}
	return c, nil
}

func queryAttestation(r store.Reader, args []string, _ url.Values) (any, error) {
	v, err := parseID(args[0])
	if err != nil {
		return nil, err
	}
	var a Attestation
	return found(store.GetJSON(r, key("attest", store.BE64(v)), &a))(&a, "attestation", v)
}

func queryInference(r store.Reader, args []string, _ url.Values) (any, error) {
	v, err := parseID(args[0])
	if err != nil {
		return nil, err
	}
	var inf Inference
	return found(store.GetJSON(r, key("infer", store.BE64(v)), &inf))(&inf, "inference", v)
}

// queryInferences lists inference claims in id order, all of them or, with
// ?circuit=, those under one inference key (read from the by-circuit index,
// so a page costs its own records whichever key it names).
func queryInferences(r store.Reader, _ []string, params url.Values) (any, error) {
	limit, after, err := page(params)
	if err != nil {
		return nil, err
	}
	out := []Inference{}
	if s := params.Get("circuit"); s != "" {
		c, err := parseID(s)
		if err != nil {
			return nil, err
		}
		p := append(key("by-circuit", store.BE64(c)), '/')
		r.Iterate(key("by-circuit", store.BE64(c), store.BE64(after+1)), store.PrefixEnd(p), func(k, _ []byte) bool {
			var inf Inference
			var ok bool
			if ok, err = store.GetJSON(r, key("infer", k[len(p):]), &inf); err == nil && !ok {
				err = app.CodeInternal.Errorf("index names a missing inference %x", k[len(p):])
			}
			if err != nil {
				return false
			}
			out = append(out, inf)
			return len(out) < limit
		})
		return out, err
	}
	p := append(key("infer"), '/')
	r.Iterate(key("infer", store.BE64(after+1)), store.PrefixEnd(p), func(_, v []byte) bool {
		var inf Inference
		if err = json.Unmarshal(v, &inf); err != nil {
			return false
		}
		out = append(out, inf)
		return len(out) < limit
	})
	return out, err
}

func queryModel(r store.Reader, args []string, params url.Values) (any, error) {
	limit, _, err := page(params)
	if err != nil {
		return nil, err
	}
	c, err := verifier.ParseElement(args[0])
	if err != nil {
		return nil, app.CodeBadQuery.Errorf("commitment: %v", err)
	}
	out := ModelRecords{Commitment: verifier.HexElement(c), Attestations: []Attestation{}, Inferences: []Inference{}, Bindings: []Binding{}}
	p := append(key("by-model", []byte(out.Commitment)), '/')
	r.Iterate(p, store.PrefixEnd(p), func(k, _ []byte) bool {
		rest := k[len(p):]
		if len(rest) != 10 {
			err = app.CodeInternal.Errorf("malformed index key %q", k)
			return false
		}
		n := u64(rest[2:])
		switch rest[0] {
		case 'a':
			var a Attestation
			if _, err = store.GetJSON(r, key("attest", store.BE64(n)), &a); err == nil {
				out.Attestations = append(out.Attestations, a)
			}
		case 'b':
			var b Binding
			if _, err = store.GetJSON(r, key("binding", store.BE64(n), []byte(out.Commitment)), &b); err == nil {
				out.Bindings = append(out.Bindings, b)
			}
		default:
			var inf Inference
			if _, err = store.GetJSON(r, key("infer", store.BE64(n)), &inf); err == nil {
				out.Inferences = append(out.Inferences, inf)
			}
		}
		return err == nil && len(out.Attestations)+len(out.Inferences)+len(out.Bindings) < limit
	})
	return out, err
}

func queryBinding(r store.Reader, args []string, _ url.Values) (any, error) {
	v, err := parseID(args[0])
	if err != nil {
		return nil, err
	}
	c, err := verifier.ParseElement(args[1])
	if err != nil {
		return nil, app.CodeBadQuery.Errorf("commitment: %v", err)
	}
	var b Binding
	ok, err := store.GetJSON(r, key("binding", store.BE64(v), []byte(verifier.HexElement(c))), &b)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, app.CodeNotFound.Errorf("model %s is not bound to inference key %d", verifier.HexElement(c), v)
	}
	return &b, nil
}

func queryExam(r store.Reader, args []string, params url.Values) (any, error) {
	limit, after, err := page(params)
	if err != nil {
		return nil, err
	}
	v, err := parseID(args[0])
	if err != nil {
		return nil, err
	}
	out := []Attestation{}
	p := append(key("by-exam", store.BE64(v)), '/')
	r.Iterate(key("by-exam", store.BE64(v), store.BE64(after+1)), store.PrefixEnd(p), func(k, _ []byte) bool {
		var a Attestation
		if _, err = store.GetJSON(r, key("attest", store.BE64(u64(k[len(p):]))), &a); err != nil {
			return false
		}
		out = append(out, a)
		return len(out) < limit
	})
	return out, err
}

func queryLeaderboard(r store.Reader, args []string, params url.Values) (any, error) {
	limit, _, err := page(params)
	if err != nil {
		return nil, err
	}
	v, err := parseID(args[0])
	if err != nil {
		return nil, err
	}
	c, err := getCircuit(r, v)
	if err != nil {
		return nil, err
	}
	if c == nil || c.Kind != KindExam {
		return nil, app.CodeNotFound.Errorf("exam %d", v)
	}
	out := []LeaderboardEntry{}
	p := append(key("board", store.BE64(v)), '/')
	r.Iterate(p, store.PrefixEnd(p), func(_, val []byte) bool {
		var a Attestation
		if _, err = store.GetJSON(r, key("attest", store.BE64(u64(val))), &a); err != nil {
			return false
		}
		out = append(out, LeaderboardEntry{Rank: len(out) + 1, Commitment: a.Commitment, Claim: a.Claim, N: a.N,
			Attestation: a.ID, Attester: a.Attester.String(), DatasetRoot: a.DatasetRoot, LabelJob: a.LabelJob})
		return len(out) < limit
	})
	return out, err
}

// found turns a getJSON result into a query answer.
func found(ok bool, err error) func(v any, what string, id uint64) (any, error) {
	return func(v any, what string, id uint64) (any, error) {
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, app.CodeNotFound.Errorf("%s %d", what, id)
		}
		return v, nil
	}
}

// maxProvenance bounds the attestations one provenance answer shows (each
// with up to three linked records of bounded size).
const maxProvenance = 20

// Provenance is the answer to "provenance/<commitment>": a model's chain
// of evidence, one entry per attestation, oldest first.
type Provenance struct {
	Commitment   string                `json:"commitment"`
	Attestations []AttestationEvidence `json:"attestations"`
	More         bool                  `json:"more,omitempty"`
	// Serving lists the subnet uids whose miners declared they serve the
	// model (subnet/serve-model) and what each earned since, as the subnet
	// module shows them.
	Serving any `json:"serving,omitempty"`
}

// AttestationEvidence is one attestation with the records it links: the
// dataset (its crawl job and crawlers), the labeling job (its labelers and
// their accuracy) and the training job (its verified result and
// providers), each as its module shows it.
type AttestationEvidence struct {
	Attestation Attestation `json:"attestation"`
	Exam        string      `json:"exam"`
	Dataset     any         `json:"dataset,omitempty"`
	LabelJob    any         `json:"label_job,omitempty"`
	TrainJob    any         `json:"train_job,omitempty"`
}

func (m *Module) queryProvenance(r store.Reader, args []string, _ url.Values) (any, error) {
	c, err := verifier.ParseElement(args[0])
	if err != nil {
		return nil, app.CodeBadQuery.Errorf("commitment: %v", err)
	}
	out := Provenance{Commitment: verifier.HexElement(c), Attestations: []AttestationEvidence{}}
	p := append(key("by-model", []byte(out.Commitment), []byte("a")), '/')
	r.Iterate(p, store.PrefixEnd(p), func(k, _ []byte) bool {
		if len(out.Attestations) == maxProvenance {
			out.More = true
			return false
		}
		var a Attestation
		var ok bool
		if ok, err = store.GetJSON(r, key("attest", k[len(p):]), &a); err != nil || !ok {
			if err == nil {
				err = app.CodeInternal.Errorf("index names a missing attestation %x", k[len(p):])
			}
			return false
		}
		e := AttestationEvidence{Attestation: a}
		if ex, _ := getCircuit(r, a.Exam); ex != nil {
			e.Exam = ex.Name
		}
		l := m.links
		if a.Dataset != 0 && l.Datasets != nil {
			e.Dataset, _ = l.Datasets.Evidence(r, a.Dataset)
		}
		if a.LabelJob != 0 && l.LabelJobs != nil {
			e.LabelJob, _ = l.LabelJobs.Evidence(r, a.LabelJob)
		}
		if a.TrainJob != 0 && l.TrainJobs != nil {
			e.TrainJob, _ = l.TrainJobs.Evidence(r, a.TrainJob)
		}
		out.Attestations = append(out.Attestations, e)
		return true
	})
	if err != nil {
		return nil, err
	}
	if len(out.Attestations) == 0 {
		return nil, CodeModelNotFound.Errorf("model %s has no attestations", out.Commitment)
	}
	if m.links.Subnets != nil {
		out.Serving, _ = m.links.Subnets.Serving(r, out.Commitment)
	}
	return out, nil
}
