package device

import (
	"net/url"

	"emergence/app"
	"emergence/store"
	"emergence/tx"
)

// MakerPage is the answer to "makers": makers in address order, at most
// MaxPage, and Next (the last address listed) when more follow.
type MakerPage struct {
	Makers []Maker `json:"makers"`
	Next   string  `json:"next,omitempty"`
}

// qMakers lists registered makers: ?after=ADDRESS (exclusive) and
// ?limit=N (default and at most MaxPage).
func (m *Module) qMakers(r store.Reader, _ []string, q url.Values) (any, error) {
	limit, err := app.PageLimit(q, MaxPage, MaxPage)
	if err != nil {
		return nil, err
	}
	start := prefixMaker
	if after := q.Get("after"); after != "" {
		a, err := tx.ParseAddress(after)
		if err != nil {
			return nil, app.CodeBadQuery.Errorf("after: %v", err)
		}
		start = append(makerKey(a), 0)
	}
	list, more, err := store.ListPage[Maker](r, start, store.PrefixEnd(prefixMaker), limit)
	if err != nil {
		return nil, err
	}
	p := MakerPage{Makers: list}
	if more {
		p.Next = list[limit-1].Address.String()
	}
	return p, nil
}
