package device

import (
	"net/url"
	"strconv"

	"emergence/app"
	"emergence/store"
)

// EpochPage is the answer to "epochs": posted epochs in epoch order, at
// most MaxPage, each without its payouts (device/epoch/N pages those), and
// Next (the last epoch listed) when more follow.
type EpochPage struct {
	Epochs []EpochRecord `json:"epochs"`
	Next   string        `json:"next,omitempty"`
}

// qEpochs lists posted epochs: ?after=EPOCH (exclusive) and ?limit=N
// (default and at most MaxPage). Epochs are numbered by block time (unix
// ms / EpochMillis), so a reader cannot find them by counting from 0.
func (m *Module) qEpochs(r store.Reader, _ []string, q url.Values) (any, error) {
	limit, err := app.PageLimit(q, MaxPage, MaxPage)
	if err != nil {
		return nil, err
	}
	start := prefixEpoch
	if after := q.Get("after"); after != "" {
		n, err := strconv.ParseUint(after, 10, 64)
		if err != nil {
			return nil, app.CodeBadQuery.Errorf("after %q is not an epoch number", after)
		}
		start = append(epochKey(n), 0)
	}
	list, more, err := store.ListPage[EpochRecord](r, start, store.PrefixEnd(prefixEpoch), limit)
	if err != nil {
		return nil, err
	}
	p := EpochPage{Epochs: list}
	if more {
		p.Next = strconv.FormatUint(list[limit-1].Epoch, 10)
	}
	for i := range p.Epochs {
		p.Epochs[i].Payouts = nil
	}
	return p, nil
}
