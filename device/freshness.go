package device

import (
	"encoding/binary"

	"emergence/store"
)

// Freshness of coverage cells. Evidence may name the cells a device
// reported from (CellIDs); the chain keeps, per cell, the last two epochs
// that covered it. A cell earns CellPoints × age / FreshEpochs, where age
// is the epochs since an earlier epoch last covered it, at most
// FreshEpochs (a cell nobody covered before earns the full CellPoints), so
// a cell covered again soon earns less. Devices covering one cell in the
// same epoch are judged against the same earlier epoch, whatever their
// order or part. An epoch posted after a later one is judged against the
// latest known covering epoch before it and changes no cell's history (as
// with streaks).
const (
	// FreshEpochs is how many epochs a cell takes to earn in full again.
	FreshEpochs = 24
	// MaxPartCells bounds the cell ids of one post: a part's size is set by
	// its devices (MaxEvidence) and by their cells.
	MaxPartCells = 16_000
	// GasPerCell covers a cell record's read and write.
	GasPerCell = 1_500
)

var prefixCell = []byte("device/cell/")

func cellKey(id uint64) []byte { return store.Key(prefixCell, store.BE64(id)) }

// CellID packs a coverage cell (as device/ingest numbers cells: latitude
// and longitude indexes) into an evidence cell id.
func CellID(lat, lon int64) uint64 {
	return uint64(uint32(int32(lat)))<<32 | uint64(uint32(int32(lon)))
}

// cellAge is how fresh cell id is for epoch n, from 1 to FreshEpochs, and
// records epoch n's coverage when n is the cell's newest epoch.
func cellAge(kv store.KV, id, n uint64) uint64 {
	k := cellKey(id)
	v := kv.Get(k)
	var last, before uint64
	known := len(v) == 16
	if known {
		last, before = binary.BigEndian.Uint64(v), binary.BigEndian.Uint64(v[8:])
	}
	prev, ok := uint64(0), false
	switch {
	case known && last < n:
		prev, ok = last, true
	case known && before < n && before != 0:
		prev, ok = before, true
	}
	if !known || n > last {
		if known {
			before = last
		}
		kv.Set(k, binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, n), before))
	}
	if !ok {
		return FreshEpochs
	}
	return min(n-prev, FreshEpochs)
}

// freshPoints is Points with each counted cell weighted by its age.
func freshPoints(kv store.KV, e Evidence, n uint64) uint64 {
	r := min(e.Readings, MaxRewardReadings)
	counted := min(uint64(len(e.CellIDs)), MaxRewardCells, r/ReadingsPerCell)
	var ages uint64
	for i, id := range e.CellIDs {
		a := cellAge(kv, id, n)
		if uint64(i) < counted {
			ages += a
		}
	}
	return r + CellPoints*ages/FreshEpochs
}

// SplitEvidence cuts an epoch's sorted evidence into the parts an ingest
// node posts: at most MaxEvidence devices and MaxPartCells cell ids a part.
func SplitEvidence(ev []Evidence) [][]Evidence {
	var parts [][]Evidence
	start, cells := 0, 0
	for i, e := range ev {
		if i > start && (i-start == MaxEvidence || cells+len(e.CellIDs) > MaxPartCells) {
			parts = append(parts, ev[start:i])
			start, cells = i, 0
		}
		cells += len(e.CellIDs)
	}
	if start < len(ev) || len(parts) == 0 {
		parts = append(parts, ev[start:])
	}
	return parts
}
