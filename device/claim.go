package device

import (
	"cmp"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"

	"emergence/app"
	"emergence/store"
	"emergence/tx"
)

// Claims: an epoch's rewards are not transferred device by device. When an
// epoch is posted, each earning device's points are added to its owner's
// entry for the epoch; once the epoch is complete, the owner claims, and
// one transfer pays the Share of the owner's points in every claimed epoch.
// An epoch's consensus work is then the posts (paid per evidence item) and
// the claims (paid by the claimers), never end-of-block work per device.
const (
	// MsgClaim is the claim message kind (appended).
	MsgClaim = "device/claim"
	// MaxClaimEpochs is the most owner entries one claim looks at; an owner
	// with more claims again.
	MaxClaimEpochs = 64
	// GasClaim is a claim's base gas (one transfer); GasPerClaimEpoch is
	// charged for each entry looked at (the entry, the epoch record read
	// and written back).
	GasClaim         = 20_000
	GasPerClaimEpoch = 8_000
)

// Claim pays the signer what its devices earned in complete epochs, oldest
// first, at most MaxClaimEpochs entries (Epochs, when not 0, lowers that
// bound). Entries of epochs still taking parts are left for later.
type Claim struct {
	Epochs uint64 `json:"epochs,omitempty"`
}

// Owed is one owner's unclaimed points in one epoch, and (when the epoch
// is complete) what claiming them pays.
type Owed struct {
	Epoch    uint64 `json:"epoch"`
	Points   uint64 `json:"points"`
	Amount   uint64 `json:"amount"`
	Complete bool   `json:"complete"`
}

// OwedPage is one page of an owner's unclaimed entries; Total is what the
// listed complete entries pay, Next the after= of the next page.
type OwedPage struct {
	Owed  []Owed `json:"owed"`
	Total uint64 `json:"total"`
	Next  string `json:"next,omitempty"`
}

var prefixOwed = []byte("device/owed/")

func owedBase(a tx.Address) []byte          { return store.Key(prefixOwed, a[:]) }
func owedKey(a tx.Address, n uint64) []byte { return store.Key(owedBase(a), store.BE64(n)) }

// addOwed adds pts to owner's entry for epoch n.
func addOwed(kv store.KV, owner tx.Address, n, pts uint64) {
	k := owedKey(owner, n)
	store.PutU64(kv, k, store.GetU64(kv, k)+pts)
}

func (m *Module) handleClaim(ctx *app.Context, raw json.RawMessage) error {
	var msg Claim
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	limit := uint64(MaxClaimEpochs)
	if msg.Epochs != 0 {
		limit = min(limit, msg.Epochs)
	}
	base := owedBase(ctx.Signer)
	type entry struct {
		key []byte
		n   uint64
		pts uint64
	}
	var es []entry
	ctx.KV.Iterate(base, store.PrefixEnd(base), func(k, v []byte) bool {
		es = append(es, entry{key: append([]byte(nil), k...), n: binary.BigEndian.Uint64(k[len(k)-8:]), pts: store.U64(v)})
		return uint64(len(es)) < limit
	})
	if err := ctx.ConsumeGas(GasPerClaimEpoch*uint64(len(es)), "device claim entries"); err != nil {
		return err
	}
	var total, epochs uint64
	for _, e := range es {
		var rec EpochRecord
		if ok, err := store.GetJSON(ctx.KV, epochKey(e.n), &rec); err != nil || !ok {
			return fmt.Errorf("device: owed entry of epoch %d has no record: %v", e.n, err)
		}
		if !rec.Complete {
			continue
		}
		amt := Share(rec.Budget, e.pts, rec.TotalPoints)
		ctx.KV.Delete(e.key)
		rec.ClaimedPoints += e.pts
		rec.Paid += amt
		total += amt
		epochs++
		if rec.ClaimedPoints == rec.TotalPoints {
			settle(ctx.KV, &rec)
		}
		store.PutJSON(ctx.KV, keyReserved, reserved(ctx.KV)-amt)
		store.PutJSON(ctx.KV, epochKey(e.n), rec)
	}
	if epochs == 0 {
		return CodeNothingToClaim.Errorf("%s has no earnings in a complete epoch", ctx.Signer)
	}
	if total > 0 {
		if err := m.bank.Release(ctx.KV, Pool, ctx.Signer, total); err != nil {
			return err
		}
	}
	ctx.Emit("device-claim", "owner", ctx.Signer.String(), "epochs", u64(epochs), "amount", u64(total))
	return nil
}

func (m *Module) qOwed(r store.Reader, args []string, q url.Values) (any, error) {
	a, err := tx.ParseAddress(args[0])
	if err != nil {
		return nil, app.CodeBadQuery.Errorf("owner address: %v", err)
	}
	limit := MaxPage
	if s := q.Get("limit"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 || v > MaxPage {
			return nil, app.CodeBadQuery.Errorf("limit must be 1 to %d", MaxPage)
		}
		limit = v
	}
	base := owedBase(a)
	start := base
	if after := q.Get("after"); after != "" {
		n, err := strconv.ParseUint(after, 10, 64)
		if err != nil {
			return nil, app.CodeBadQuery.Errorf("after must be an epoch number")
		}
		start = append(owedKey(a, n), 0)
	}
	p := OwedPage{Owed: []Owed{}}
	var bad error
	r.Iterate(start, store.PrefixEnd(base), func(k, v []byte) bool {
		if len(p.Owed) == limit {
			p.Next = strconv.FormatUint(p.Owed[limit-1].Epoch, 10)
			return false
		}
		o := Owed{Epoch: binary.BigEndian.Uint64(k[len(k)-8:]), Points: store.U64(v)}
		var rec EpochRecord
		if ok, err := store.GetJSON(r, epochKey(o.Epoch), &rec); err != nil || !ok {
			bad = fmt.Errorf("device: owed entry of epoch %d has no record: %v", o.Epoch, err)
			return false
		}
		if rec.Complete {
			o.Complete, o.Amount = true, Share(rec.Budget, o.Points, rec.TotalPoints)
			p.Total += o.Amount
		}
		p.Owed = append(p.Owed, o)
		return true
	})
	if bad != nil {
		return nil, bad
	}
	return p, nil
}

// owedInvariants: for every epoch, the owners' unclaimed points plus the
// claimed points are its total points.
func owedInvariants(r store.Reader, recs []EpochRecord) error {
	type entry struct{ epoch, pts uint64 }
	var es []entry
	r.Iterate(prefixOwed, store.PrefixEnd(prefixOwed), func(k, v []byte) bool {
		es = append(es, entry{binary.BigEndian.Uint64(k[len(k)-8:]), store.U64(v)})
		return true
	})
	slices.SortFunc(es, func(a, b entry) int { return cmp.Compare(a.epoch, b.epoch) })
	i := 0
	for _, rec := range recs { // in epoch order, as their keys
		var owed uint64
		for ; i < len(es) && es[i].epoch == rec.Epoch; i++ {
			owed += es[i].pts
		}
		if i < len(es) && es[i].epoch < rec.Epoch {
			return fmt.Errorf("device: an owed entry names epoch %d, which has no record", es[i].epoch)
		}
		if owed+rec.ClaimedPoints != rec.TotalPoints {
			return fmt.Errorf("device: epoch %d has %d points, owners are owed %d and claimed %d", rec.Epoch, rec.TotalPoints, owed, rec.ClaimedPoints)
		}
	}
	if i != len(es) {
		return fmt.Errorf("device: an owed entry names epoch %d, which has no record", es[i].epoch)
	}
	return nil
}
