package zkml

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

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
//	model/<commitment>       attestations, inferences and bindings of a model
//	binding/<id>/<commitment> a model's binding to an inference key
//	exam/<id>                attestations on an exam, oldest first (?limit=N, ?after=attestation ID)
//	leaderboard/<id>         best claim per model on an exam, best first (?limit=N)
func (m *Module) Query(r store.Reader, path string, params url.Values) (any, error) {
	parts := strings.Split(path, "/")
	limit := 100
	if s := params.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			return nil, app.CodeBadQuery.Errorf("limit %q: want 1..1000", s)
		}
		limit = n
	}
	// after is the last id of the previous page: the list continues above it.
	var after uint64
	if s := params.Get("after"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil || n == ^uint64(0) {
			return nil, app.CodeBadQuery.Errorf("after %q: want an id", s)
		}
		after = n
	}
	id := func() (uint64, error) {
		if len(parts) != 2 {
			return 0, app.CodeBadQuery.Errorf("want %s/<id>", parts[0])
		}
		v, err := strconv.ParseUint(parts[1], 10, 64)
		if err != nil {
			return 0, app.CodeBadQuery.Errorf("id %q: %v", parts[1], err)
		}
		return v, nil
	}
	switch parts[0] {
	case "circuits":
		var out []Circuit
		var err error
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
	case "circuit":
		v, err := id()
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
	case "attestation", "inference":
		v, err := id()
		if err != nil {
			return nil, err
		}
		if parts[0] == "attestation" {
			var a Attestation
			return found(store.GetJSON(r, key("attest", store.BE64(v)), &a))(&a, "attestation", v)
		}
		var inf Inference
		return found(store.GetJSON(r, key("infer", store.BE64(v)), &inf))(&inf, "inference", v)
	case "model":
		if len(parts) != 2 {
			return nil, app.CodeBadQuery.Errorf("want model/<commitment>")
		}
		c, err := verifier.ParseElement(parts[1])
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
	case "binding":
		if len(parts) != 3 {
			return nil, app.CodeBadQuery.Errorf("want binding/<inference key id>/<commitment>")
		}
		v, err := strconv.ParseUint(parts[1], 10, 64)
		if err != nil {
			return nil, app.CodeBadQuery.Errorf("id %q: %v", parts[1], err)
		}
		c, err := verifier.ParseElement(parts[2])
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
	case "exam":
		v, err := id()
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
	case "leaderboard":
		v, err := id()
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
	return nil, app.CodeBadQuery.Errorf("unknown zkml query %q", path)
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
