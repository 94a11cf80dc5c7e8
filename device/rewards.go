package device

import (
	"math/bits"
)

// Reward rule parameters: a device's points for an epoch are its accepted
// readings (at most MaxRewardReadings) plus CellPoints for each distinct
// coverage cell (at most MaxRewardCells, and at most one per
// ReadingsPerCell accepted readings, so a few readings cannot farm cells).
// The epoch's budget is split pro
// rata to points, rounding down; the remainder stays in the pool.
const (
	MaxRewardReadings = 1_000
	MaxRewardCells    = 64
	CellPoints        = 10
	ReadingsPerCell   = 5
)

// Streaks: a device that earned in each of the epochs before this one
// (posted in order) gets StreakPct percent more points per epoch of its
// streak beyond the first, up to MaxStreak epochs: at most +50%. A streak
// is read from the device's last earning epoch only; an epoch posted after
// a later one starts no streak and changes none, so a missing epoch posted
// late is paid from its own evidence alone.
const (
	StreakPct = 5
	MaxStreak = 10
)

// StreakPoints returns points with the bonus of a streak of streak
// epochs (1: this epoch alone, no bonus).
func StreakPoints(points, streak uint64) uint64 {
	bonus := min(streak, MaxStreak+1)
	if bonus > 0 {
		bonus--
	}
	return points * (100 + StreakPct*bonus) / 100
}

// Evidence is one device's posted summary for an epoch. CellIDs, when
// given, are the distinct cells it reported from (CellID, increasing, at
// most MaxRewardCells, Cells their count), and its cells earn by freshness
// (see FreshEpochs); without them Cells alone counts, each cell in full.
type Evidence struct {
	Device   string   `json:"device"`
	Readings uint64   `json:"readings"`
	Cells    uint64   `json:"cells"`
	CellIDs  []uint64 `json:"cell_ids,omitempty"`
}

// Points returns a device's points from its evidence.
func Points(e Evidence) uint64 {
	r := min(e.Readings, MaxRewardReadings)
	return r + CellPoints*min(e.Cells, MaxRewardCells, r/ReadingsPerCell)
}

// Rewards splits budget over the evidence pro rata to points: out[i] is
// what evidence[i]'s device earns. Integer math only; the result depends on
// this epoch's evidence alone.
func Rewards(budget uint64, evidence []Evidence) []uint64 {
	points := make([]uint64, len(evidence))
	for i, e := range evidence {
		points[i] = Points(e)
	}
	return Split(budget, points)
}

// Split divides budget pro rata to points, rounding down: what Rewards
// pays, and what `emergence device rewards` recomputes from an epoch
// record's points.
func Split(budget uint64, points []uint64) []uint64 {
	out := make([]uint64, len(points))
	var total uint64
	for _, p := range points {
		total += p // posted points are at most 1,640 per device: no overflow below 10^16 devices
	}
	if total == 0 {
		return out
	}
	for i, p := range points {
		if p > total { // only a sum that overflowed: not reachable from Points
			return make([]uint64, len(points))
		}
		out[i] = Share(budget, p, total)
	}
	return out
}

// Share is one device's part of budget: budget × points / total, rounded
// down (0 when total is 0 or points exceed it). Split is Share for every
// device of an epoch; the chain pays each device its Share.
func Share(budget, points, total uint64) uint64 {
	if total == 0 || points > total {
		return 0
	}
	hi, lo := bits.Mul64(budget, points)
	q, _ := bits.Div64(hi, lo, total) // hi < total since points <= total
	return q
}
