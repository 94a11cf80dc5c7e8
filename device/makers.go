package device

import (
	"net/url"
	"strconv"

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
	limit := MaxPage
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxPage {
			return nil, app.CodeBadQuery.Errorf("limit must be 1 to %d", MaxPage)
		}
		limit = n
	}
	start := prefixMaker
	if after := q.Get("after"); after != "" {
		a, err := tx.ParseAddress(after)
		if err != nil {
			return nil, app.CodeBadQuery.Errorf("after: %v", err)
		}
		start = append(makerKey(a), 0)
	}
	list, err := store.ListJSON[Maker](r, start, store.PrefixEnd(prefixMaker), limit+1)
	if err != nil {
		return nil, err
	}
	p := MakerPage{Makers: list}
	if p.Makers == nil {
		p.Makers = []Maker{}
	}
	if len(p.Makers) > limit {
		p.Makers = p.Makers[:limit]
		p.Next = p.Makers[limit-1].Address.String()
	}
	return p, nil
}
