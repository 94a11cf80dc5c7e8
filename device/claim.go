package device

import (
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
// epoch's part is posted, its earning devices' points are summed per owner
// into the part's owner tables; once the epoch is complete, the owner
// claims, and one transfer pays the Share of the owner's points in every
// claimed epoch. An owner's claim cursor walks the epochs in the order
// they were posted (EpochRecord.Seq), so each epoch is claimed once by
// each owner, a late epoch included. An epoch's consensus work is then
// the posts (paid per evidence item) and the claims (paid by the
// claimers), never end-of-block work per device.
const (
	// MsgClaim is the claim message kind (appended).
	MsgClaim = "device/claim"
	// MaxClaimEpochs is the most epochs one claim looks at; an owner
	// with more claims again.
	MaxClaimEpochs = 64
	// GasClaim is a claim's base gas (one transfer); GasPerClaimEpoch is
	// charged for each epoch looked at (the epoch record read and written
	// back), GasPerClaimPart for each owner table of it read and searched
	// and GasPerOwnerEntry for each entry of the table (its bytes).
	GasClaim         = 20_000
	GasPerClaimEpoch = 8_000
	GasPerClaimPart  = 1_000
	GasPerOwnerEntry = 5
)

// Claim pays the signer what its devices earned in complete epochs, in
// the order the epochs were posted, from the first it has not looked at,
// at most MaxClaimEpochs epochs (Epochs, when not 0, lowers that bound).
// It stops at an epoch still taking parts. A claim that looks at epochs
// in which the signer earned nothing pays nothing and moves on.
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

// OwedPage is one page of an owner's unclaimed epochs; Total is what the
// listed complete entries pay, Next the after= of the next page (a
// posting sequence number).
type OwedPage struct {
	Owed  []Owed `json:"owed"`
	Total uint64 `json:"total"`
	Next  string `json:"next,omitempty"`
}

var prefixCursor = []byte("device/cursor/")

func cursorKey(a tx.Address) []byte { return store.Key(prefixCursor, a[:]) }

// startCursor starts owner's claim cursor at the next epoch posted, unless
// it has one: an owner never walks the epochs before its first device.
func startCursor(kv store.KV, owner tx.Address) {
	k := cursorKey(owner)
	if kv.Get(k) == nil {
		store.PutU64(kv, k, store.GetU64(kv, keySeqNext))
	}
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
	ck := cursorKey(ctx.Signer)
	cv := ctx.KV.Get(ck)
	if cv == nil {
		return CodeNothingToClaim.Errorf("%s has never owned a device", ctx.Signer)
	}
	cur := store.U64(cv)
	var total, epochs, paid uint64
	for epochs < limit {
		v := ctx.KV.Get(seqKey(cur))
		if v == nil {
			break
		}
		n := store.U64(v)
		var rec EpochRecord
		if ok, err := store.GetJSON(ctx.KV, epochKey(n), &rec); err != nil || !ok {
			return fmt.Errorf("device: posted epoch %d has no record: %v", n, err)
		}
		if !rec.Complete {
			break
		}
		if err := ctx.ConsumeGas(GasPerClaimEpoch, "device claim epoch"); err != nil {
			return err
		}
		pts, _, err := ownerTotals(ctx.KV, n, ctx.Signer, chargeTables(ctx.ConsumeGas))
		if err != nil {
			return err
		}
		epochs++
		cur++
		if pts == 0 {
			continue
		}
		amt := Share(rec.Budget, pts, rec.TotalPoints)
		rec.ClaimedPoints += pts
		rec.Paid += amt
		total += amt
		paid++
		if rec.ClaimedPoints == rec.TotalPoints {
			settle(ctx.KV, &rec)
		}
		store.PutJSON(ctx.KV, keyReserved, reserved(ctx.KV)-amt)
		store.PutJSON(ctx.KV, epochKey(n), rec)
	}
	if epochs == 0 {
		return CodeNothingToClaim.Errorf("%s: no complete epoch posted since its last claim", ctx.Signer)
	}
	store.PutU64(ctx.KV, ck, cur)
	if total > 0 {
		if err := m.bank.Release(ctx.KV, Pool, ctx.Signer, total); err != nil {
			return err
		}
	}
	ctx.Emit("device-claim", "owner", ctx.Signer.String(), "epochs", u64(epochs), "paid_epochs", u64(paid), "amount", u64(total))
	return nil
}

func (m *Module) qOwed(r store.Reader, args []string, q url.Values) (any, error) {
	a, err := tx.ParseAddress(args[0])
	if err != nil {
		return nil, app.CodeBadQuery.Errorf("owner address: %v", err)
	}
	limit, err := app.PageLimit(q, MaxPage, MaxPage)
	if err != nil {
		return nil, err
	}
	start := uint64(0)
	if cv := r.Get(cursorKey(a)); cv != nil {
		start = store.U64(cv)
	} else {
		return OwedPage{Owed: []Owed{}}, nil
	}
	if after := q.Get("after"); after != "" {
		seq, err := strconv.ParseUint(after, 10, 64)
		if err != nil {
			return nil, app.CodeBadQuery.Errorf("after must be the next of a previous page")
		}
		start = max(start, seq)
	}
	p := OwedPage{Owed: []Owed{}}
	// A page looks at up to owedScan epochs, listing those the owner
	// earned in.
	const owedScan = 4 * MaxClaimEpochs
	for seq := start; seq < start+owedScan; seq++ {
		v := r.Get(seqKey(seq))
		if v == nil {
			return p, nil
		}
		if len(p.Owed) == limit {
			p.Next = strconv.FormatUint(seq, 10)
			return p, nil
		}
		var rec EpochRecord
		if ok, err := store.GetJSON(r, epochKey(store.U64(v)), &rec); err != nil || !ok {
			return nil, fmt.Errorf("device: posted epoch %d has no record: %v", store.U64(v), err)
		}
		pts, _, _ := ownerTotals(r, rec.Epoch, a, nil)
		if pts == 0 {
			continue
		}
		o := Owed{Epoch: rec.Epoch, Points: pts}
		if rec.Complete {
			o.Complete, o.Amount = true, Share(rec.Budget, pts, rec.TotalPoints)
			p.Total += o.Amount
		}
		p.Owed = append(p.Owed, o)
	}
	if r.Get(seqKey(start+owedScan)) != nil {
		p.Next = strconv.FormatUint(start+owedScan, 10)
	}
	return p, nil
}

// owedInvariants: every epoch's part records and owner tables hold its
// devices, points and readings, its claimed points are at most its
// points, and the posting sequence lists every epoch once.
func owedInvariants(r store.Reader, recs []EpochRecord) error {
	seqs := make([]uint64, 0, len(recs))
	for _, rec := range recs { // in epoch order, as their keys
		dp, dr, op, or, devs := partTotals(r, rec.Epoch)
		if dp != rec.TotalPoints || op != rec.TotalPoints || dr != rec.Readings || or != rec.Readings || devs != rec.Devices {
			return fmt.Errorf("device: epoch %d has %d points, %d readings and %d devices; its parts hold %d points, %d readings and %d devices, its owner tables %d points and %d readings",
				rec.Epoch, rec.TotalPoints, rec.Readings, rec.Devices, dp, dr, devs, op, or)
		}
		if v := r.Get(seqKey(rec.Seq)); store.U64(v) != rec.Epoch || v == nil {
			return fmt.Errorf("device: epoch %d is posted as number %d, which names %d", rec.Epoch, rec.Seq, store.U64(v))
		}
		seqs = append(seqs, rec.Seq)
	}
	slices.Sort(seqs)
	for i, s := range seqs {
		if s != uint64(i) {
			return fmt.Errorf("device: epochs are posted as numbers %v, not 0 to %d", seqs, len(seqs)-1)
		}
	}
	if next := store.GetU64(r, keySeqNext); next != uint64(len(seqs)) {
		return fmt.Errorf("device: %d epochs posted, next number %d", len(seqs), next)
	}
	return nil
}
