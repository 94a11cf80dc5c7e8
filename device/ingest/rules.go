// Package ingest is the ingest worker's core: it checks each device event
// (signature, registration, pairing), drops duplicates and applies the
// validation rules below, keeps every rejected event with its reason, and
// computes the epoch's Merkle root of accepted events and the per-device
// evidence rewards are computed from. Everything is integer math over the
// events themselves and a reference time the caller passes, so two ingest
// nodes fed the same events post the same root, whatever order the events
// arrive in within a batch (Add sorts a batch by subject and time first).
//
// # Validation rules
//
// For events of one device, in time order (vehicle status only for the
// motion rules):
//
//   - future: time more than MaxFutureMillis after the reference time;
//   - duplicate: the same (subject, time, type, source, id) seen before;
//   - replay: an id the device already used, at another time;
//   - time-backwards: not later than the device's last accepted event of the type;
//   - clone: the same type, time and data signed by another device (in one
//     batch every copy is rejected, the original too: no one can tell which
//     it is; across batches the later copies are);
//   - outside-coverage: a position outside the coverage box;
//   - impossible-speed: a reported speed, or the speed implied by the
//     distance from the last position, above MaxSpeedMMS;
//   - impossible-acceleration: a speed change faster than MaxAccelMMS2;
//   - position-jump: more than MaxJumpM metres from the last position
//     within MaxGapMillis;
//   - odometer-stuck: moved more than MinMoveM metres while the odometer
//     stayed the same; odometer-backwards: the odometer decreased;
//   - odometer-behind: the straight-line distance from the last position
//     is longer than the odometer's advance plus OdoSlackM metres and
//     OdoSlackPct percent (a road is never shorter than the straight line,
//     so a position that moved further than the wheels did is spoofed).
//
// Distances use an equirectangular approximation with an integer cosine
// table (per degree of latitude), exact enough at city scale.
package ingest

// Rule parameters.
const (
	MaxFutureMillis = 5 * 60 * 1000
	MaxSpeedMMS     = 70_000 // 252 km/h
	MaxAccelMMS2    = 15_000 // 1.5 g
	MaxJumpM        = 2_000
	MaxGapMillis    = 10 * 60 * 1000
	MinMoveM        = 100
	OdoSlackM       = 100
	OdoSlackPct     = 10
	// CellE7 is the side of a coverage grid cell in degrees × 10^7 (0.01°).
	CellE7 = 100_000
)

// Reasons an event is rejected.
const (
	ReasonMalformed        = "malformed"
	ReasonUnknownDevice    = "unknown-device"
	ReasonUnpaired         = "unpaired"
	ReasonRetired          = "retired"
	ReasonBadSignature     = "bad-signature"
	ReasonFuture           = "future"
	ReasonDuplicate        = "duplicate"
	ReasonReplay           = "replay"
	ReasonTimeBackwards    = "time-backwards"
	ReasonClone            = "clone"
	ReasonOutsideCoverage  = "outside-coverage"
	ReasonImpossibleSpeed  = "impossible-speed"
	ReasonImpossibleAccel  = "impossible-acceleration"
	ReasonPositionJump     = "position-jump"
	ReasonOdometerStuck    = "odometer-stuck"
	ReasonOdometerBackward = "odometer-backwards"
	ReasonOdometerBehind   = "odometer-behind"
)

// Box is the coverage area, in degrees × 10^7, inclusive.
type Box struct {
	MinLatE7, MaxLatE7, MinLonE7, MaxLonE7 int64
}

// Contains reports whether the point is inside the box.
func (b Box) Contains(lat, lon int64) bool {
	return lat >= b.MinLatE7 && lat <= b.MaxLatE7 && lon >= b.MinLonE7 && lon <= b.MaxLonE7
}

// Cell is a coverage grid cell.
type Cell struct{ Lat, Lon int64 }

// CellOf returns the grid cell of a position.
func CellOf(lat, lon int64) Cell { return Cell{floorDiv(lat, CellE7), floorDiv(lon, CellE7)} }

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// cosE6 is cos(d°) × 10^6 for d = 0..90.
var cosE6 = [91]int64{1000000, 999848, 999391, 998630, 997564, 996195, 994522, 992546, 990268, 987688, 984808, 981627, 978148, 974370, 970296, 965926, 961262, 956305, 951057, 945519, 939693, 933580, 927184, 920505, 913545, 906308, 898794, 891007, 882948, 874620, 866025, 857167, 848048, 838671, 829038, 819152, 809017, 798636, 788011, 777146, 766044, 754710, 743145, 731354, 719340, 707107, 694658, 681998, 669131, 656059, 642788, 629320, 615661, 601815, 587785, 573576, 559193, 544639, 529919, 515038, 500000, 484810, 469472, 453990, 438371, 422618, 406737, 390731, 374607, 358368, 342020, 325568, 309017, 292372, 275637, 258819, 241922, 224951, 207912, 190809, 173648, 156434, 139173, 121869, 104528, 87156, 69756, 52336, 34899, 17452, 0}

// DistanceMM returns the approximate distance in millimetres between two
// positions (degrees × 10^7): 1e-7° of latitude is 11.1195 mm.
func DistanceMM(lat1, lon1, lat2, lon2 int64) int64 {
	deg := abs((lat1+lat2)/2) / 10_000_000
	if deg > 90 {
		deg = 90
	}
	dy := abs(lat2-lat1) * 111_195 / 10_000 // mm
	dx := abs(lon2-lon1) * 111_195 / 10_000 * cosE6[deg] / 1_000_000
	if dx > 1<<31 || dy > 1<<31 { // beyond 2,000 km: far past every rule's bound
		return 1 << 32
	}
	return isqrt(dx*dx + dy*dy)
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// isqrt is the integer square root (Newton's method).
func isqrt(n int64) int64 {
	if n <= 0 {
		return 0
	}
	x := n
	y := (x + 1) / 2
	for y < x {
		x = y
		y = (x + n/x) / 2
	}
	return x
}
