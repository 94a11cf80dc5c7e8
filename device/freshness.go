package device

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"slices"

	"emergence/app"
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
//
// Cells are kept by page: a page is a tile of 2^CellPageBits ×
// 2^CellPageBits neighbouring cells (by latitude and longitude index, the
// halves of a cell id), one record holding its covered cells sorted by
// their offset in the tile, each with its last two covering epochs. A post
// reads and writes each page its cell ids fall in once, however many of
// its devices cover cells of it.
const (
	// FreshEpochs is how many epochs a cell takes to earn in full again.
	FreshEpochs = 24
	// MaxPartCells bounds the cell ids of one post: a part's size is set by
	// its devices (MaxEvidence) and by their cells.
	MaxPartCells = 16_000
	// GasPerCell covers a cell id's share of a post's freshness: its
	// sort, its search among the post's distinct cells and its age.
	GasPerCell = 150
	// GasPerCellPage covers reading, merging and writing one page of
	// cells, a full one (CellsPerPage cells) at worst; a post pays it for
	// every distinct page its cell ids fall in.
	GasPerCellPage = 2_000
	// CellPageBits is the side of a page of cells in bits of the latitude
	// and longitude indexes: 16 × 16 cells of 0.01°, 0.16° a side (about
	// 18 km by 11 km at 52° N).
	CellPageBits = 4
	// CellsPerPage is the most cells a page holds.
	CellsPerPage = 1 << (2 * CellPageBits)
	// cellEntryLen is a page entry's length: offset, last and before
	// (epochs as 4 bytes: an epoch is posted only after it ended, and
	// hour 2^32 is some 490,000 years away).
	cellEntryLen = 9
)

var prefixCellPage = []byte("device/cellpage/")

func cellPageKey(page uint64) []byte { return store.Key(prefixCellPage, store.BE64(page)) }

// CellID packs a coverage cell (as device/ingest numbers cells: latitude
// and longitude indexes) into an evidence cell id.
func CellID(lat, lon int64) uint64 {
	return uint64(uint32(int32(lat)))<<32 | uint64(uint32(int32(lon)))
}

const cellPageMask = 1<<CellPageBits - 1

// cellSortKey orders cell ids page by page: the page (latitude and
// longitude indexes without their low CellPageBits bits) above the
// offset in the page in the low 8 bits. It is one to one, so distinct
// cell ids have distinct keys.
func cellSortKey(id uint64) uint64 {
	lat, lon := id>>32, id&math.MaxUint32
	return (lat>>CellPageBits)<<(64-32+CellPageBits) | (lon>>CellPageBits)<<(2*CellPageBits) |
		(lat&cellPageMask)<<CellPageBits | lon&cellPageMask
}

// CellPages is how many distinct pages of cells the cell ids of ev fall
// in: a post of ev pays GasPerCellPage for each.
func CellPages(ev []Evidence) uint64 {
	var pages []uint64
	for _, e := range ev {
		for _, id := range e.CellIDs {
			pages = append(pages, cellSortKey(id)>>8)
		}
	}
	slices.Sort(pages)
	return uint64(len(slices.Compact(pages)))
}

// distinctCells returns the distinct cellSortKeys of evidence's total
// cell ids, sorted, and for each cell id in evidence order the index of
// its key. Ids are deduplicated with an open-addressing table (probed by
// key, never iterated, so its order cannot matter) and only the distinct
// keys are sorted: a city's post names a few hundred cells thousands of
// times.
func distinctCells(evidence []Evidence, total int) ([]uint64, []int32) {
	size := 1
	for size < 2*total {
		size <<= 1
	}
	shift := 64 - bits.TrailingZeros(uint(size))
	seen := make([]int32, size)     // 1 + the key's index in keys; 0 is empty
	index := make([]int32, size)    // the key's place in the sorted keys
	slot := make([]int32, 0, total) // each cell id's table slot
	var keys []uint64               // first seen first
	var slots []int32               // keys[i]'s table slot
	for _, e := range evidence {
		for _, id := range e.CellIDs {
			k := cellSortKey(id)
			h := int((k * 0x9e3779b97f4a7c15) >> shift)
			for seen[h] != 0 && keys[seen[h]-1] != k {
				h = (h + 1) & (size - 1)
			}
			if seen[h] == 0 {
				keys, slots = append(keys, k), append(slots, int32(h))
				seen[h] = int32(len(keys))
			}
			slot = append(slot, int32(h))
		}
	}
	// Sort the distinct keys, carrying each one's table slot along.
	order := make([]int32, len(keys))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return cmp.Compare(keys[a], keys[b]) })
	sorted := make([]uint64, len(keys))
	for j, i := range order {
		sorted[j] = keys[i]
	}
	for j, i := range order {
		index[slots[i]] = int32(j)
	}
	occ := slot // reused: slot o becomes its key's sorted index
	for o, h := range slot {
		occ[o] = index[h]
	}
	return sorted, occ
}

// cellState is one cell's last two covering epochs (before 0: none).
type cellState struct {
	last, before uint32
	known        bool
}

// age is how fresh the cell is for epoch n, from 1 to FreshEpochs, and
// records epoch n's coverage when n is the cell's newest epoch; it
// reports whether the state changed.
func (s *cellState) age(n uint32) (uint64, bool) {
	prev, ok := uint32(0), false
	switch {
	case s.known && s.last < n:
		prev, ok = s.last, true
	case s.known && s.before < n && s.before != 0:
		prev, ok = s.before, true
	}
	changed := false
	if !s.known || n > s.last {
		if s.known {
			s.before = s.last
		} else {
			s.before = 0
		}
		s.last, s.known, changed = n, true, true
	}
	if !ok {
		return FreshEpochs, changed
	}
	return uint64(min(n-prev, FreshEpochs)), changed
}

// freshAges returns, for each evidence item, the summed ages of its
// counted cells (those Points counts; every cell it names is recorded),
// reading and writing each page of the post's cells once. It charges
// GasPerCellPage for each distinct page before reading any; the caller
// charged GasPerCell for each cell id.
func freshAges(ctx *app.Context, evidence []Evidence, epoch uint64) ([]uint64, error) {
	total := 0
	for _, e := range evidence {
		total += len(e.CellIDs)
	}
	ages := make([]uint64, len(evidence))
	if total == 0 {
		return ages, nil
	}
	if epoch > math.MaxUint32 {
		return nil, CodeBadEpoch.Errorf("epoch %d with cell ids: at most %d", epoch, uint64(math.MaxUint32))
	}
	n := uint32(epoch)
	// The post's distinct cells, sorted page by page; occ[o] is the
	// index in keys of the post's o-th cell id (in evidence order).
	keys, occ := distinctCells(evidence, total)
	pages := 0
	for i, k := range keys {
		if i == 0 || k>>8 != keys[i-1]>>8 {
			pages++
		}
	}
	if err := ctx.ConsumeGas(GasPerCellPage*uint64(pages), "device cell pages"); err != nil {
		return nil, err
	}
	// Load each page's entries into the states of the post's cells.
	states := make([]cellState, len(keys))
	vals := make([][]byte, 0, pages)
	for i := 0; i < len(keys); {
		j := i + 1
		for j < len(keys) && keys[j]>>8 == keys[i]>>8 {
			j++
		}
		v := ctx.KV.Get(cellPageKey(keys[i] >> 8))
		vals = append(vals, v)
		for k, p := i, 0; k < j && p+cellEntryLen <= len(v); {
			switch off := uint64(v[p]); {
			case off < keys[k]&0xff:
				p += cellEntryLen
			case off > keys[k]&0xff:
				k++
			default:
				states[k] = cellState{last: binary.BigEndian.Uint32(v[p+1:]), before: binary.BigEndian.Uint32(v[p+5:]), known: true}
				k++
				p += cellEntryLen
			}
		}
		i = j
	}
	// Ages in evidence order, as if each cell were its own record.
	changed := make([]bool, len(keys))
	o := 0
	for i, e := range evidence {
		r := min(e.Readings, MaxRewardReadings)
		counted := min(uint64(len(e.CellIDs)), MaxRewardCells, r/ReadingsPerCell)
		for c := range e.CellIDs {
			k := occ[o]
			o++
			a, ch := states[k].age(n)
			changed[k] = changed[k] || ch
			if uint64(c) < counted {
				ages[i] += a
			}
		}
	}
	// Write each page that changed once: its old entries merged with the
	// post's cells, sorted by offset.
	for i, pg := 0, 0; i < len(keys); pg++ {
		j, dirty := i, false
		for ; j < len(keys) && keys[j]>>8 == keys[i]>>8; j++ {
			dirty = dirty || changed[j]
		}
		if dirty {
			v := vals[pg]
			out := make([]byte, 0, len(v)+(j-i)*cellEntryLen)
			p, k := 0, i
			for p+cellEntryLen <= len(v) || k < j {
				if k == j || (p+cellEntryLen <= len(v) && uint64(v[p]) < keys[k]&0xff) {
					out = append(out, v[p:p+cellEntryLen]...)
					p += cellEntryLen
					continue
				}
				if p+cellEntryLen <= len(v) && uint64(v[p]) == keys[k]&0xff {
					p += cellEntryLen
				}
				s := states[k]
				out = append(out, byte(keys[k]))
				out = binary.BigEndian.AppendUint32(out, s.last)
				out = binary.BigEndian.AppendUint32(out, s.before)
				k++
			}
			ctx.KV.Set(cellPageKey(keys[i]>>8), out)
		}
		i = j
	}
	return ages, nil
}

// freshPoints is Points with each counted cell weighted by its age, given
// the counted cells' summed ages.
func freshPoints(e Evidence, ages uint64) uint64 {
	return min(e.Readings, MaxRewardReadings) + CellPoints*ages/FreshEpochs
}

// cellPageInvariants: every page of cells holds 1 to CellsPerPage
// entries of cellEntryLen bytes, sorted by offset with no repeats, each
// with its last covering epoch below latest (the newest posted epoch + 1)
// and its epoch before it earlier or none.
func cellPageInvariants(r store.Reader) error {
	latest := store.GetU64(r, keyLatest)
	var err error
	r.Iterate(prefixCellPage, store.PrefixEnd(prefixCellPage), func(k, v []byte) bool {
		page := k[len(prefixCellPage):]
		if len(page) != 8 || len(v) == 0 || len(v)%cellEntryLen != 0 || len(v)/cellEntryLen > CellsPerPage {
			err = fmt.Errorf("device: cell page %x holds %d bytes, want 1 to %d entries of %d", page, len(v), CellsPerPage, cellEntryLen)
			return false
		}
		for p := 0; p < len(v); p += cellEntryLen {
			last, before := binary.BigEndian.Uint32(v[p+1:]), binary.BigEndian.Uint32(v[p+5:])
			if p > 0 && v[p] <= v[p-cellEntryLen] {
				err = fmt.Errorf("device: cell page %x: offset %d after %d, want increasing", page, v[p], v[p-cellEntryLen])
				return false
			}
			if uint64(last) >= latest || (before != 0 && before >= last) {
				err = fmt.Errorf("device: cell page %x offset %d: last epoch %d, before %d, newest posted %d", page, v[p], last, before, int64(latest)-1)
				return false
			}
		}
		return true
	})
	return err
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
