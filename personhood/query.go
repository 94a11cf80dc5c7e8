package personhood

import (
	"encoding/json"
	"net/url"
	"strconv"

	"emergence/app"
	"emergence/bank"
	"emergence/store"
	"emergence/tx"
)

// TreeInfo answers the "tree" query.
type TreeInfo struct {
	Depth            int    `json:"depth"`
	Size             uint64 `json:"size"`
	Root             string `json:"root"`
	RootExpiryBlocks uint64 `json:"root_expiry_blocks"`
}

// PathInfo answers the "path" query: what a claimant needs to prove.
type PathInfo struct {
	Index    uint64   `json:"index"`
	Root     string   `json:"root"`
	Siblings []string `json:"siblings"`
}

// PoolInfo answers the "pool" query.
type PoolInfo struct {
	Pool         uint64 `json:"pool"`
	Height       int64  `json:"height"`
	CurrentEpoch uint64 `json:"current_epoch"`
	Epoch        *Epoch `json:"epoch,omitempty"`
	EpochBlocks  uint64 `json:"epoch_blocks"`
	Enrolled     uint64 `json:"enrolled"`
}

// ClaimInfo answers the "claim" query.
type ClaimInfo struct {
	Epoch         uint64      `json:"epoch"`
	NullifierHash string      `json:"nullifier_hash"`
	Claimed       bool        `json:"claimed"`
	Recipient     *tx.Address `json:"recipient,omitempty"`
}

// HumanInfo answers the "human" query.
type HumanInfo struct {
	App     string     `json:"app"`
	Account tx.Address `json:"account"`
	Human   bool       `json:"human"`
}

// Query implements app.Module. Paths: params, tree, pool, operators,
// operator/ADDR, enrolments?from=N, epoch/N, epochs, path?commitment=C,
// claim/EPOCH/NULLIFIER_HASH, human/APP/ADDR.
//
// Lists are paginated: ?limit=N (default 100, at most 1000) and the next
// page starts after the previous page's last item: operators?after=ADDR,
// epochs?after=N, enrolments?from=INDEX.
//
// Every query fails without the module's params or with a bad limit.
func (m *Module) Query(r store.Reader, path string, params url.Values) (any, error) {
	if _, err := m.Params(r); err != nil {
		return nil, err
	}
	if _, err := pageLimit(params, 100); err != nil {
		return nil, err
	}
	return m.queries.Query(r, path, params)
}

func (m *Module) routes() *app.Router {
	return app.NewRouter(Name,
		app.Route{Pattern: "params", Handle: func(r store.Reader, _ []string, _ url.Values) (any, error) { return m.Params(r) }},
		app.Route{Pattern: "tree", Handle: m.queryTree},
		app.Route{Pattern: "pool", Handle: m.queryPool},
		app.Route{Pattern: "operators", Handle: queryOperators},
		app.Route{Pattern: "operator/{address}", Handle: m.queryOperator},
		app.Route{Pattern: "enrolments", Handle: queryEnrolments},
		app.Route{Pattern: "epochs", Handle: queryEpochs},
		app.Route{Pattern: "epoch/{n}", Handle: m.queryEpoch},
		app.Route{Pattern: "path", Handle: m.queryPath},
		app.Route{Pattern: "claim/{epoch}/{nullifier_hash}", Handle: queryClaim},
		app.Route{Pattern: "human/{app...}/{address}", Handle: m.queryHuman},
	)
}

// pageLimit parses ?limit= (1 to 1000), def when absent.
func pageLimit(params url.Values, def int) (int, error) {
	s := params.Get("limit")
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 1000 {
		return 0, app.CodeBadQuery.Errorf("limit %q: want 1..1000", s)
	}
	return n, nil
}

func (m *Module) queryTree(r store.Reader, _ []string, _ url.Values) (any, error) {
	p, err := m.Params(r)
	if err != nil {
		return nil, err
	}
	t, err := m.readTree(r, p)
	if err != nil {
		return nil, err
	}
	size, err := t.Size()
	if err != nil {
		return nil, err
	}
	root, err := t.Root()
	if err != nil {
		return nil, err
	}
	return TreeInfo{Depth: p.TreeDepth, Size: size, Root: FieldString(root), RootExpiryBlocks: p.RootExpiryBlocks}, nil
}

func (m *Module) queryPool(r store.Reader, _ []string, _ url.Values) (any, error) {
	p, err := m.Params(r)
	if err != nil {
		return nil, err
	}
	h := int64(store.GetU64(r, keyHeight))
	cur := EpochOf(p, h)
	t, err := m.readTree(r, p)
	if err != nil {
		return nil, err
	}
	size, err := t.Size()
	if err != nil {
		return nil, err
	}
	info := PoolInfo{Pool: m.bank.ModuleBalance(r, bank.PoolUBI), Height: h, CurrentEpoch: cur, EpochBlocks: p.EpochBlocks, Enrolled: size}
	if ep, ok, err := m.EpochRecord(r, cur); err != nil {
		return nil, err
	} else if ok {
		info.Epoch = &ep
	}
	return info, nil
}

func queryOperators(r store.Reader, _ []string, params url.Values) (any, error) {
	limit, err := pageLimit(params, 100)
	if err != nil {
		return nil, err
	}
	start := prefixOp
	if s := params.Get("after"); s != "" {
		a, err := tx.ParseAddress(s)
		if err != nil {
			return nil, app.CodeBadQuery.Errorf("after: %v", err)
		}
		start = append(opKey(a), 0)
	}
	return store.ListJSON[Operator](r, start, store.PrefixEnd(prefixOp), limit)
}

func (m *Module) queryOperator(r store.Reader, args []string, _ url.Values) (any, error) {
	a, err := tx.ParseAddress(args[0])
	if err != nil {
		return nil, app.CodeBadQuery.Errorf("%v", err)
	}
	o, ok, err := m.Operator(r, a)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, app.CodeNotFound.Errorf("operator %s", a)
	}
	return o, nil
}

func queryEnrolments(r store.Reader, _ []string, params url.Values) (any, error) {
	limit, err := pageLimit(params, 1000)
	if err != nil {
		return nil, err
	}
	from := uint64(0)
	if s := params.Get("from"); s != "" {
		if from, err = strconv.ParseUint(s, 10, 64); err != nil {
			return nil, app.CodeBadQuery.Errorf("from: %v", err)
		}
	}
	var out []Enrolment
	var bad error
	n := 0
	r.Iterate(store.Key(prefixEnrol, store.BE64(from)), store.PrefixEnd(prefixEnrol), func(_, v []byte) bool {
		var e Enrolment
		if bad = json.Unmarshal(v, &e); bad != nil {
			return false
		}
		out = append(out, e)
		n++
		return n < limit
	})
	return out, bad
}

func queryEpochs(r store.Reader, _ []string, params url.Values) (any, error) {
	limit, err := pageLimit(params, 100)
	if err != nil {
		return nil, err
	}
	start := prefixEpoch
	if s := params.Get("after"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil || n == ^uint64(0) {
			return nil, app.CodeBadQuery.Errorf("after %q: want an epoch number", s)
		}
		start = epochKey(n + 1)
	}
	return store.ListJSON[Epoch](r, start, store.PrefixEnd(prefixEpoch), limit)
}

func (m *Module) queryEpoch(r store.Reader, args []string, _ url.Values) (any, error) {
	n, err := strconv.ParseUint(args[0], 10, 64)
	if err != nil {
		return nil, app.CodeBadQuery.Errorf("epoch: %v", err)
	}
	ep, ok, err := m.EpochRecord(r, n)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, app.CodeNotFound.Errorf("epoch %d has not opened", n)
	}
	return ep, nil
}

func (m *Module) queryPath(r store.Reader, _ []string, params url.Values) (any, error) {
	c, err := ParseField(params.Get("commitment"))
	if err != nil {
		return nil, app.CodeBadQuery.Errorf("commitment: %v", err)
	}
	p, err := m.Params(r)
	if err != nil {
		return nil, err
	}
	t, err := m.readTree(r, p)
	if err != nil {
		return nil, err
	}
	idx, ok, err := t.IndexOf(c)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, app.CodeNotFound.Errorf("commitment not enrolled")
	}
	if leaf, err := t.Leaf(idx); err != nil {
		return nil, err
	} else if leaf.IsZero() {
		return nil, app.CodeNotFound.Errorf("commitment %d was revoked with its operator's suspension: enrol a new identity with another operator", idx)
	}
	pr, err := t.Proof(idx)
	if err != nil {
		return nil, err
	}
	root, err := t.Root()
	if err != nil {
		return nil, err
	}
	info := PathInfo{Index: idx, Root: FieldString(root)}
	for _, s := range pr.Siblings {
		info.Siblings = append(info.Siblings, FieldString(s))
	}
	return info, nil
}

func queryClaim(r store.Reader, args []string, _ url.Values) (any, error) {
	e, err := strconv.ParseUint(args[0], 10, 64)
	if err != nil {
		return nil, app.CodeBadQuery.Errorf("epoch: %v", err)
	}
	nh, err := ParseField(args[1])
	if err != nil {
		return nil, app.CodeBadQuery.Errorf("nullifier hash: %v", err)
	}
	info := ClaimInfo{Epoch: e, NullifierHash: args[1]}
	if v := r.Get(nullKey(e, nh)); len(v) == tx.AddressLen {
		var a tx.Address
		copy(a[:], v)
		info.Claimed, info.Recipient = true, &a
	}
	return info, nil
}

func (m *Module) queryHuman(r store.Reader, args []string, _ url.Values) (any, error) {
	appName := args[0]
	a, err := tx.ParseAddress(args[1])
	if err != nil {
		return nil, app.CodeBadQuery.Errorf("%v", err)
	}
	return HumanInfo{App: appName, Account: a, Human: m.IsHuman(r, appName, a)}, nil
}
