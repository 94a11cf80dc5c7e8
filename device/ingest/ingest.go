package ingest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"emergence/device/devkey"
	"emergence/device/event"
	"emergence/device/merkle"
)

// DeviceInfo is what ingest needs of a device's chain record.
type DeviceInfo struct {
	KeyType devkey.Type
	PubKey  []byte
	Owner   string // "" when unpaired
	Retired bool
}

// Registry looks devices up (on chain, through the client; a map in tests).
type Registry interface {
	// Device returns the device's record; ok is false for unknown devices.
	Device(id string) (DeviceInfo, bool, error)
}

// Accepted is an accepted event with its parsed fields.
type Accepted struct {
	Event  event.Event
	Millis int64
	Data   any
	Owner  string
}

// Rejected is a rejected event and why.
type Rejected struct {
	Raw    []byte `json:"raw"`
	Reason string `json:"reason"`
	Detail string `json:"detail,omitempty"`
}

type last struct {
	ms       int64
	lat, lon int64
	speed    int64
	odo      uint64
	has      bool
}

// Node is one ingest node's state for an epoch.
type Node struct {
	reg      Registry
	coverage Box
	accepted []Accepted
	rejected []Rejected
	seen     map[string]bool   // dedup key
	ids      map[string]string // source+id -> time
	payloads map[string]string // clone key -> device
	lastPos  map[string]*last  // device+type -> last accepted
	// batches are the batch signatures already verified (device, message,
	// signature): the other events of a batch cost a proof fold, not a
	// signature check.
	batches map[string]bool
}

// New returns an ingest node checking against reg and the coverage box.
func New(reg Registry, coverage Box) *Node {
	return &Node{reg: reg, coverage: coverage, seen: map[string]bool{}, ids: map[string]string{},
		payloads: map[string]string{}, lastPos: map[string]*last{}, batches: map[string]bool{}}
}

type parsed struct {
	raw  []byte
	ev   event.Event
	ms   int64
	data any
	err  error
	// reason and detail of a failed authentication (registration,
	// pairing, signature); owner of an authenticated one.
	reason, detail, owner string
}

// Add checks a batch of raw events against the reference time nowMs (Unix
// milliseconds). The batch is processed in (subject, time, type, source,
// id) order so that arrival order within it does not matter.
func (n *Node) Add(batch [][]byte, nowMs int64) {
	ps := make([]parsed, len(batch))
	for i, raw := range batch {
		ev, data, err := event.Parse(raw)
		ps[i] = parsed{raw: raw, ev: ev, data: data, err: err}
		if err == nil {
			ps[i].ms, _ = ev.Millis()
		}
	}
	slices.SortStableFunc(ps, func(a, b parsed) int {
		if c := strings.Compare(a.ev.Subject, b.ev.Subject); c != 0 {
			return c
		}
		if a.ms != b.ms {
			if a.ms < b.ms {
				return -1
			}
			return 1
		}
		if c := strings.Compare(a.ev.Type, b.ev.Type); c != 0 {
			return c
		}
		if c := strings.Compare(a.ev.Source, b.ev.Source); c != 0 {
			return c
		}
		if c := strings.Compare(a.ev.ID, b.ev.ID); c != 0 {
			return c
		}
		return bytes.Compare(a.raw, b.raw)
	})
	for i := range ps {
		ps[i].reason, ps[i].detail, ps[i].owner = n.authenticate(ps[i])
	}
	// A payload signed by two devices in one batch is a clone on both: the
	// chain cannot tell the original, and neither may earn from it.
	multi := map[string]bool{}
	first := map[string]string{}
	for _, p := range ps {
		if p.reason != "" {
			continue
		}
		ck := cloneKey(p.ev)
		if src, ok := first[ck]; ok && src != p.ev.Source {
			multi[ck] = true
		} else if !ok {
			first[ck] = p.ev.Source
		}
	}
	for _, p := range ps {
		if p.reason == "" && multi[cloneKey(p.ev)] {
			n.rejected = append(n.rejected, Rejected{Raw: p.raw, Reason: ReasonClone, Detail: "payload signed by more than one device"})
			continue
		}
		if reason, detail := n.check(p, nowMs); reason != "" {
			n.rejected = append(n.rejected, Rejected{Raw: p.raw, Reason: reason, Detail: detail})
		}
	}
}

// authenticate checks form, registration, pairing and signature.
func (n *Node) authenticate(p parsed) (reason, detail, owner string) {
	if p.err != nil {
		return ReasonMalformed, p.err.Error(), ""
	}
	e := p.ev
	info, ok, err := n.reg.Device(e.Source)
	switch {
	case err != nil:
		return ReasonUnknownDevice, err.Error(), ""
	case !ok:
		return ReasonUnknownDevice, e.Source, ""
	case info.Retired:
		return ReasonRetired, e.Source, ""
	case info.Owner == "":
		return ReasonUnpaired, e.Source, ""
	}
	if err := n.verify(e, info); err != nil {
		return ReasonBadSignature, err.Error(), ""
	}
	return "", "", info.Owner
}

// verify checks e's signature, once per batch for batch-signed events.
func (n *Node) verify(e event.Event, info DeviceInfo) error {
	if e.SigProof == "" {
		return e.Verify(info.KeyType, info.PubKey)
	}
	msg, err := e.SignedMessage()
	if err != nil {
		return err
	}
	key := e.Source + "\x00" + e.Signature + "\x00" + string(msg)
	if n.batches[key] {
		return nil
	}
	sig, err := hex.DecodeString(e.Signature)
	if err != nil {
		return fmt.Errorf("signature is not hex: %w", devkey.ErrBadSignature)
	}
	if err := devkey.Verify(info.KeyType, info.PubKey, msg, sig); err != nil {
		return err
	}
	n.batches[key] = true
	return nil
}

func (n *Node) check(p parsed, nowMs int64) (string, string) {
	if p.reason != "" {
		return p.reason, p.detail
	}
	e := p.ev
	if p.ms > nowMs+MaxFutureMillis {
		return ReasonFuture, fmt.Sprintf("%d ms ahead", p.ms-nowMs)
	}
	dk := e.Subject + "\x00" + e.Time + "\x00" + e.Type + "\x00" + e.Source + "\x00" + e.ID
	if n.seen[dk] {
		return ReasonDuplicate, ""
	}
	n.seen[dk] = true
	idk := e.Source + "\x00" + e.ID
	if t, ok := n.ids[idk]; ok && t != e.Time {
		return ReasonReplay, "id first used at " + t
	}
	ck := cloneKey(e)
	if dev, ok := n.payloads[ck]; ok && dev != e.Source {
		return ReasonClone, "same payload as " + dev
	}
	lk := e.Source + "\x00" + e.Type
	l := n.lastPos[lk]
	if l != nil && l.has && p.ms <= l.ms {
		return ReasonTimeBackwards, ""
	}
	next := &last{ms: p.ms, has: true}
	if v, ok := p.data.(*event.VehicleStatus); ok {
		if !n.coverage.Contains(v.LatE7, v.LonE7) {
			return ReasonOutsideCoverage, ""
		}
		if v.SpeedMMS < 0 || v.SpeedMMS > MaxSpeedMMS {
			return ReasonImpossibleSpeed, fmt.Sprintf("reported %d mm/s", v.SpeedMMS)
		}
		if l != nil {
			dt := p.ms - l.ms
			d := DistanceMM(l.lat, l.lon, v.LatE7, v.LonE7)
			if dt <= MaxGapMillis && d > MaxJumpM*1000 {
				return ReasonPositionJump, fmt.Sprintf("%d m in %d ms", d/1000, dt)
			}
			if d*1000/dt > MaxSpeedMMS {
				return ReasonImpossibleSpeed, fmt.Sprintf("implied %d mm/s", d*1000/dt)
			}
			if abs(v.SpeedMMS-l.speed)*1000/dt > MaxAccelMMS2 {
				return ReasonImpossibleAccel, ""
			}
			if v.OdometerM < l.odo {
				return ReasonOdometerBackward, ""
			}
			if v.OdometerM == l.odo && d > MinMoveM*1000 {
				return ReasonOdometerStuck, fmt.Sprintf("moved %d m", d/1000)
			}
			if adv := v.OdometerM - l.odo; adv < 1<<40 && d > int64(adv+OdoSlackM+adv*OdoSlackPct/100)*1000 {
				return ReasonOdometerBehind, fmt.Sprintf("moved %d m, odometer %d m", d/1000, adv)
			}
		}
		next.lat, next.lon, next.speed, next.odo = v.LatE7, v.LonE7, v.SpeedMMS, v.OdometerM
	}
	n.ids[idk] = e.Time
	n.payloads[ck] = e.Source
	n.lastPos[lk] = next
	n.accepted = append(n.accepted, Accepted{Event: e, Millis: p.ms, Data: p.data, Owner: p.owner})
	return "", ""
}

// cloneKey identifies a payload independent of which device signed it.
func cloneKey(e event.Event) string {
	h := sha256.Sum256([]byte(e.Type + "\x00" + e.Time + "\x00" + string(e.Data)))
	return string(h[:])
}

// Accepted returns the accepted events in (subject, time, type, source, id) order.
func (n *Node) Accepted() []Accepted {
	out := slices.Clone(n.accepted)
	slices.SortFunc(out, func(a, b Accepted) int { return compareAccepted(a, b) })
	return out
}

func compareAccepted(a, b Accepted) int {
	if c := strings.Compare(a.Event.Subject, b.Event.Subject); c != 0 {
		return c
	}
	if a.Millis != b.Millis {
		if a.Millis < b.Millis {
			return -1
		}
		return 1
	}
	for _, c := range []int{strings.Compare(a.Event.Type, b.Event.Type), strings.Compare(a.Event.Source, b.Event.Source), strings.Compare(a.Event.ID, b.Event.ID)} {
		if c != 0 {
			return c
		}
	}
	return 0
}

// Rejected returns the rejected events with their reasons.
func (n *Node) Rejected() []Rejected { return slices.Clone(n.rejected) }

// Leaves returns the leaves of the accepted events, in Accepted order.
func (n *Node) Leaves() [][32]byte {
	acc := n.Accepted()
	out := make([][32]byte, len(acc))
	for i, a := range acc {
		out[i] = merkle.Leaf(a.Event.Encode())
	}
	return out
}

// Root returns the Merkle root of the node's accepted events.
func (n *Node) Root() [32]byte { return merkle.Root(n.Leaves()) }

// Evidence is one device's summary for an epoch: what rewards are computed from.
type Evidence struct {
	Device   string `json:"device"`
	Owner    string `json:"owner"`
	Readings uint64 `json:"readings"`
	// Cells are the distinct coverage cells the device reported from, sorted.
	Cells []Cell `json:"cells"`
}

// Evidence returns per-device evidence sorted by device id; each device's
// cell list is capped at maxCells (the chain bounds evidence size).
func (n *Node) Evidence(maxCells int) []Evidence {
	var out []Evidence
	for _, a := range n.Accepted() {
		if len(out) == 0 || out[len(out)-1].Device != a.Event.Source {
			out = append(out, Evidence{Device: a.Event.Source, Owner: a.Owner})
		}
		ev := &out[len(out)-1]
		ev.Readings++
		if v, ok := a.Data.(*event.VehicleStatus); ok {
			c := CellOf(v.LatE7, v.LonE7)
			i, found := slices.BinarySearchFunc(ev.Cells, c, cmpCell)
			if !found && len(ev.Cells) < maxCells {
				ev.Cells = slices.Insert(ev.Cells, i, c)
			}
		}
	}
	return out
}

func cmpCell(a, b Cell) int {
	switch {
	case a.Lat != b.Lat:
		if a.Lat < b.Lat {
			return -1
		}
		return 1
	case a.Lon != b.Lon:
		if a.Lon < b.Lon {
			return -1
		}
		return 1
	}
	return 0
}
