package device

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"slices"

	"emergence/store"
	"emergence/tx"
)

// An epoch's rewards are stored per posted part, never per device: a post
// writes one part record (every device of the part, sorted by device id,
// in a fixed binary layout) and one owner table per owner bucket (the
// part's owners in that bucket, sorted, with their summed points and
// accepted readings). A post then costs a few writes whatever its number
// of devices, an owner's claim finds its sums by a range scan over its
// bucket's tables (one key per part), and a device's payout is found by
// binary search in the part record that holds it (keyed by the part's last
// device, so the first record at or after the device's key).
const (
	// partEntryLen is one device's entry in a part record: device id (20
	// bytes), owner, points, accepted readings, streak.
	partEntryLen = 20 + tx.AddressLen + 8 + 8 + 4
	// ownerEntryLen is one owner's entry in an owner table: owner, points,
	// accepted readings.
	ownerEntryLen = tx.AddressLen + 8 + 8
	// OwnerBuckets is how many owner tables one part writes at most: an
	// owner's bucket is the top bits of its address's first byte.
	OwnerBuckets = 64
)

var (
	prefixPart   = []byte("device/part/")
	prefixOwners = []byte("device/otab/")
)

func partBase(n uint64) []byte { return store.Key(prefixPart, store.BE64(n)) }
func partKey(n uint64, lastID []byte) []byte {
	return store.Key(partBase(n), lastID)
}
func ownerBucket(a tx.Address) byte { return a[0] >> 2 }
func ownersBase(n uint64, b byte) []byte {
	return store.Key(prefixOwners, store.BE64(n), []byte{b})
}
func ownersKey(n uint64, b byte, part uint64) []byte {
	return store.Key(ownersBase(n, b), store.BE64(part))
}

// rawID is device id's 20 bytes (ids are 40 lowercase hex digits, as
// DeviceID writes them); ok is false for anything else, which names no
// device.
func rawID(id string) ([]byte, bool) {
	b := make([]byte, 20)
	return b, putRawID(b, id)
}

// putRawID decodes device id into dst (20 bytes) without allocating; it
// reports whether id is 40 lowercase hex digits.
func putRawID(dst []byte, id string) bool {
	if len(id) != 40 {
		return false
	}
	for i := 0; i < 20; i++ {
		hi, ok1 := lowerHex(id[2*i])
		lo, ok2 := lowerHex(id[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

func lowerHex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// partEntry is one device's line of a part record.
type partEntry struct {
	id       []byte // 20 bytes
	owner    tx.Address
	points   uint64
	readings uint64
	streak   uint32
}

func appendPartEntry(b []byte, e partEntry) []byte {
	b = append(b, e.id...)
	b = append(b, e.owner[:]...)
	b = binary.BigEndian.AppendUint64(b, e.points)
	b = binary.BigEndian.AppendUint64(b, e.readings)
	return binary.BigEndian.AppendUint32(b, e.streak)
}

// partEntryAt decodes entry i of part record v (which must hold it).
func partEntryAt(v []byte, i int) partEntry {
	o := i * partEntryLen
	e := partEntry{id: v[o : o+20]}
	copy(e.owner[:], v[o+20:])
	o += 20 + tx.AddressLen
	e.points = binary.BigEndian.Uint64(v[o:])
	e.readings = binary.BigEndian.Uint64(v[o+8:])
	e.streak = binary.BigEndian.Uint32(v[o+16:])
	return e
}

func (e partEntry) payout() Payout {
	return Payout{Device: hex.EncodeToString(e.id), Owner: e.owner, Points: e.points, Streak: uint64(e.streak)}
}

// prevStreaks returns, for each id of a part of epoch n (sorted), its
// streak in epoch n-1: 0 unless it earned there. It reads epoch n-1's
// part records that overlap the ids, in one range scan.
func prevStreaks(r store.Reader, n uint64, ids [][]byte) []uint32 {
	out := make([]uint32, len(ids))
	if len(ids) == 0 || n == 0 {
		return out
	}
	i := 0
	base := partBase(n - 1)
	r.Iterate(partKey(n-1, ids[0]), store.PrefixEnd(base), func(_, v []byte) bool {
		cnt := len(v) / partEntryLen
		j := 0
		for i < len(ids) && j < cnt {
			e := partEntryAt(v, j)
			switch c := bytes.Compare(ids[i], e.id); {
			case c < 0:
				i++
			case c > 0:
				j++
			default:
				if e.points > 0 {
					out[i] = e.streak
				}
				i++
				j++
			}
		}
		return i < len(ids)
	})
	return out
}

// ownerSum is one owner's points and readings in a part.
type ownerSum struct {
	owner    tx.Address
	points   uint64
	readings uint64
}

// putOwnerTables writes the part's owner tables: the earning entries
// summed per owner, one table per bucket that has an owner. The entries
// are grouped by bucket first (a counting pass), so each sort is of one
// bucket's few owners.
func putOwnerTables(kv store.KV, n, part uint64, es []partEntry) {
	var counts [OwnerBuckets + 1]int
	for _, e := range es {
		if e.points > 0 {
			counts[ownerBucket(e.owner)+1]++
		}
	}
	for b := 1; b <= OwnerBuckets; b++ {
		counts[b] += counts[b-1]
	}
	sums := make([]ownerSum, counts[OwnerBuckets])
	next := counts
	for _, e := range es {
		if e.points > 0 {
			b := ownerBucket(e.owner)
			sums[next[b]] = ownerSum{owner: e.owner, points: e.points, readings: e.readings}
			next[b]++
		}
	}
	var buf []byte
	for b := 0; b < OwnerBuckets; b++ {
		bs := sums[counts[b]:counts[b+1]]
		if len(bs) == 0 {
			continue
		}
		slices.SortFunc(bs, func(x, y ownerSum) int { return bytes.Compare(x.owner[:], y.owner[:]) })
		buf = buf[:0]
		for i := 0; i < len(bs); {
			s := bs[i]
			for i++; i < len(bs) && bs[i].owner == s.owner; i++ {
				s.points += bs[i].points
				s.readings += bs[i].readings
			}
			buf = append(buf, s.owner[:]...)
			buf = binary.BigEndian.AppendUint64(buf, s.points)
			buf = binary.BigEndian.AppendUint64(buf, s.readings)
		}
		kv.Set(ownersKey(n, byte(b), part), buf)
	}
}

// ownerTotals sums owner's points and readings in epoch n over its
// bucket's tables, each found by binary search. charge, when not nil, is
// called before each table is searched with its entries, and stops the
// scan with its error.
func ownerTotals(r store.Reader, n uint64, owner tx.Address, charge func(entries int) error) (points, readings uint64, err error) {
	base := ownersBase(n, ownerBucket(owner))
	r.Iterate(base, store.PrefixEnd(base), func(_, v []byte) bool {
		cnt := len(v) / ownerEntryLen
		if charge != nil {
			if err = charge(cnt); err != nil {
				return false
			}
		}
		lo, hi := 0, cnt
		for lo < hi {
			mid := (lo + hi) / 2
			if bytes.Compare(v[mid*ownerEntryLen:mid*ownerEntryLen+tx.AddressLen], owner[:]) < 0 {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		if lo < cnt && bytes.Equal(v[lo*ownerEntryLen:lo*ownerEntryLen+tx.AddressLen], owner[:]) {
			o := lo*ownerEntryLen + tx.AddressLen
			points += binary.BigEndian.Uint64(v[o:])
			readings += binary.BigEndian.Uint64(v[o+8:])
		}
		return true
	})
	return points, readings, err
}

// chargeTables returns ownerTotals' charge for ctx: GasPerClaimPart a
// table and GasPerOwnerEntry each of its entries.
func chargeTables(consume func(uint64, string) error) func(int) error {
	return func(entries int) error {
		return consume(GasPerClaimPart+GasPerOwnerEntry*uint64(entries), "device owner table")
	}
}

// listPayouts returns up to limit payouts of epoch n after device id after
// ("" from the first), in device order, Amount not filled; more is true
// when another payout follows them.
func listPayouts(r store.Reader, n uint64, after string, limit int) (ps []Payout, more bool) {
	base := partBase(n)
	start := base
	var afterRaw []byte
	if after != "" {
		afterRaw, _ = hex.DecodeString(after)
		start = partKey(n, afterRaw)
	}
	r.Iterate(start, store.PrefixEnd(base), func(_, v []byte) bool {
		for j := 0; j < len(v)/partEntryLen; j++ {
			e := partEntryAt(v, j)
			if afterRaw != nil && bytes.Compare(e.id, afterRaw) <= 0 {
				continue
			}
			if len(ps) == limit {
				more = true
				return false
			}
			ps = append(ps, e.payout())
		}
		return true
	})
	return ps, more
}

// partTotals sums the points and readings of epoch n's part records and
// of its owner tables, for the invariants.
func partTotals(r store.Reader, n uint64) (devPoints, devReads, ownPoints, ownReads, devices uint64) {
	base := partBase(n)
	r.Iterate(base, store.PrefixEnd(base), func(_, v []byte) bool {
		for j := 0; j < len(v)/partEntryLen; j++ {
			e := partEntryAt(v, j)
			devices++
			devPoints += e.points
			if e.points > 0 {
				devReads += e.readings
			}
		}
		return true
	})
	ob := store.Key(prefixOwners, store.BE64(n))
	r.Iterate(ob, store.PrefixEnd(ob), func(_, v []byte) bool {
		for j := 0; j < len(v)/ownerEntryLen; j++ {
			o := j*ownerEntryLen + tx.AddressLen
			ownPoints += binary.BigEndian.Uint64(v[o:])
			ownReads += binary.BigEndian.Uint64(v[o+8:])
		}
		return true
	})
	return
}
