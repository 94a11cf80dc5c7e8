// Package event is the signed reading a device emits: a CloudEvents 1.0
// JSON envelope (specversion, id, source, type, subject, time,
// datacontenttype, data) plus the device's signature, and the two data
// types devices send: vehicle status (position, speed, odometer) and a
// road-imagery summary (tile id, frame count, image hashes).
//
// The signature covers [SigningBytes]: a domain tag followed by the
// envelope's JSON as encoding/json writes it with the signature left out,
// so the ingest worker re-encodes the parsed envelope and needs no
// canonicalization library.
//
// A device that uploads in batches signs once per batch ([SignBatch]): the
// signature then covers a domain tag and the Merkle root over the batch's
// events' signing bytes, and each event carries the signature and its own
// inclusion proof (the sigproof extension attribute), so every event is
// still checked on its own, while a verifier that sees the whole batch
// checks the one signature once. Positions are integers (degrees × 10^7) and
// speeds millimetres per second, so every rule over them is integer math.
package event

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"emergence/device/devkey"
	"emergence/device/merkle"
)

// SpecVersion is the CloudEvents version of every event.
const SpecVersion = "1.0"

// The event types.
const (
	TypeVehicleStatus = "emergence.device.vehicle.status.v1"
	TypeRoadImagery   = "emergence.device.road.imagery.v1"
)

// Limits on one event.
const (
	// MaxBytes is the largest encoded event accepted.
	MaxBytes = 4096
	// MaxIDLen bounds the id field.
	MaxIDLen = 64
	// MaxImageHashes bounds an imagery summary's hash list.
	MaxImageHashes = 32
	// MaxTileLen bounds a tile id.
	MaxTileLen = 32
	// MaxBatchDepth bounds a batch proof: at most 2^16 events a batch.
	MaxBatchDepth = 16
)

// ErrMalformed is wrapped by every error about an envelope's form.
var ErrMalformed = errors.New("malformed event")

// Event is one signed CloudEvent. Source and Subject are both the device id
// (the source is the device that produced it, the subject what it is
// about); Time is RFC 3339 in UTC with millisecond precision at most.
type Event struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`
	Source          string          `json:"source"`
	Type            string          `json:"type"`
	Subject         string          `json:"subject"`
	Time            string          `json:"time"`
	DataContentType string          `json:"datacontenttype"`
	Data            json.RawMessage `json:"data"`
	Signature       string          `json:"signature,omitempty"`
	// SigProof is set on an event signed in a batch: its inclusion proof
	// under the batch root the signature covers (see [EncodeProof]).
	SigProof string `json:"sigproof,omitempty"`
}

// VehicleStatus is the data of a TypeVehicleStatus event.
type VehicleStatus struct {
	LatE7     int64  `json:"lat_e7"`
	LonE7     int64  `json:"lon_e7"`
	SpeedMMS  int64  `json:"speed_mm_s"`
	OdometerM uint64 `json:"odometer_m"`
}

// RoadImagery is the data of a TypeRoadImagery event.
type RoadImagery struct {
	Tile        string   `json:"tile"`
	Frames      uint32   `json:"frames"`
	ImageHashes []string `json:"image_hashes"`
}

var (
	signTag  = []byte("emergence/device/event/v1\x00")
	batchTag = []byte("emergence/device/batch/v1\x00")
)

// SigningBytes returns what the device signs for a single event, and what
// a batch's Merkle tree hashes as the event's leaf: the tag and the
// envelope without its signature and proof.
func (e Event) SigningBytes() []byte {
	e.Signature, e.SigProof = "", ""
	b, err := json.Marshal(e)
	if err != nil { // only an invalid RawMessage, which Parse refuses
		return nil
	}
	return append(append([]byte(nil), signTag...), b...)
}

// Encode returns the event's JSON.
func (e Event) Encode() []byte {
	b, _ := json.Marshal(e)
	return b
}

// Millis returns the event time in Unix milliseconds.
func (e Event) Millis() (int64, error) {
	t, err := time.Parse(time.RFC3339Nano, e.Time)
	if err != nil {
		return 0, fmt.Errorf("time %q: %w", e.Time, ErrMalformed)
	}
	return t.UnixMilli(), nil
}

// FormatTime formats Unix milliseconds as an event time.
func FormatTime(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z")
}

// New builds and signs an event of device id with data v.
func New(s *devkey.Signer, id, deviceID, typ string, ms int64, v any) (Event, error) {
	e, err := Build(id, deviceID, typ, ms, v)
	if err != nil {
		return e, err
	}
	e.Signature = hex.EncodeToString(s.Sign(e.SigningBytes()))
	return e, nil
}

// Build returns an unsigned event of device id with data v, for SignBatch.
func Build(id, deviceID, typ string, ms int64, v any) (Event, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return Event{}, fmt.Errorf("encode event data: %w", err)
	}
	return Event{SpecVersion: SpecVersion, ID: id, Source: deviceID, Type: typ, Subject: deviceID,
		Time: FormatTime(ms), DataContentType: "application/json", Data: data}, nil
}

// BatchMessage is what a device signs for a batch whose events' leaves
// have Merkle root root.
func BatchMessage(root [32]byte) []byte {
	return append(append([]byte(nil), batchTag...), root[:]...)
}

// batchLeaf is an event's leaf in its batch tree.
func (e Event) batchLeaf() [32]byte { return merkle.Leaf(e.SigningBytes()) }

// SignBatch signs evs (1 to 2^MaxBatchDepth events) with one signature:
// each gets the signature over BatchMessage of the batch root and its own
// proof.
func SignBatch(s *devkey.Signer, evs []Event) error {
	if len(evs) == 0 || len(evs) > 1<<MaxBatchDepth {
		return fmt.Errorf("a batch has 1 to %d events, got %d", 1<<MaxBatchDepth, len(evs))
	}
	leaves := make([][32]byte, len(evs))
	for i := range evs {
		leaves[i] = evs[i].batchLeaf()
	}
	sig := hex.EncodeToString(s.Sign(BatchMessage(merkle.Root(leaves))))
	for i := range evs {
		evs[i].Signature, evs[i].SigProof = sig, EncodeProof(merkle.Prove(leaves, i))
	}
	return nil
}

// EncodeProof writes a batch proof as the sigproof attribute: "v1", then
// per level 'l' or 'r' (the sibling's side) and the sibling's 64 hex digits.
func EncodeProof(p merkle.Proof) string {
	var b strings.Builder
	b.WriteString("v1")
	for i, s := range p.Siblings {
		if p.Left[i] {
			b.WriteByte('l')
		} else {
			b.WriteByte('r')
		}
		b.WriteString(s)
	}
	return b.String()
}

// DecodeProof parses a sigproof attribute.
func DecodeProof(s string) (merkle.Proof, error) {
	p := merkle.Proof{Siblings: []string{}, Left: []bool{}}
	if !strings.HasPrefix(s, "v1") || (len(s)-2)%65 != 0 || (len(s)-2)/65 > MaxBatchDepth {
		return p, fmt.Errorf("sigproof must be v1 and at most %d levels of l|r and 64 hex digits: %w", MaxBatchDepth, ErrMalformed)
	}
	for i := 2; i < len(s); i += 65 {
		side, sib := s[i], s[i+1:i+65]
		if (side != 'l' && side != 'r') || !isHex(sib) {
			return p, fmt.Errorf("sigproof level %d: %w", (i-2)/65, ErrMalformed)
		}
		p.Siblings, p.Left = append(p.Siblings, sib), append(p.Left, side == 'l')
	}
	return p, nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// SignedMessage returns the message the event's signature covers: its
// SigningBytes, or for a batch event the BatchMessage of the root its
// proof leads to.
func (e Event) SignedMessage() ([]byte, error) {
	if e.SigProof == "" {
		return e.SigningBytes(), nil
	}
	p, err := DecodeProof(e.SigProof)
	if err != nil {
		return nil, err
	}
	root, err := merkle.Fold(e.batchLeaf(), p)
	if err != nil {
		return nil, fmt.Errorf("sigproof: %v: %w", err, ErrMalformed)
	}
	return BatchMessage(root), nil
}

// Parse decodes and checks one event's form (not its signature): size,
// strict JSON, the CloudEvents required attributes, a known type whose data
// decodes strictly. It returns the event and its data (*VehicleStatus or
// *RoadImagery).
func Parse(raw []byte) (Event, any, error) {
	var e Event
	if len(raw) > MaxBytes {
		return e, nil, fmt.Errorf("event of %d bytes exceeds %d: %w", len(raw), MaxBytes, ErrMalformed)
	}
	if err := strict(raw, &e); err != nil {
		return e, nil, fmt.Errorf("envelope: %v: %w", err, ErrMalformed)
	}
	switch {
	case e.SpecVersion != SpecVersion:
		return e, nil, fmt.Errorf("specversion %q, want %q: %w", e.SpecVersion, SpecVersion, ErrMalformed)
	case e.ID == "" || len(e.ID) > MaxIDLen:
		return e, nil, fmt.Errorf("id must have 1 to %d bytes: %w", MaxIDLen, ErrMalformed)
	case e.Source == "" || e.Subject != e.Source:
		return e, nil, fmt.Errorf("source must be the device id and subject the same: %w", ErrMalformed)
	case e.DataContentType != "application/json":
		return e, nil, fmt.Errorf("datacontenttype %q, want application/json: %w", e.DataContentType, ErrMalformed)
	case e.Signature == "":
		return e, nil, fmt.Errorf("unsigned: %w", ErrMalformed)
	}
	if e.SigProof != "" {
		if _, err := DecodeProof(e.SigProof); err != nil {
			return e, nil, err
		}
	}
	if _, err := e.Millis(); err != nil {
		return e, nil, err
	}
	var data any
	switch e.Type {
	case TypeVehicleStatus:
		var v VehicleStatus
		if err := strict(e.Data, &v); err != nil {
			return e, nil, fmt.Errorf("vehicle status data: %v: %w", err, ErrMalformed)
		}
		data = &v
	case TypeRoadImagery:
		var v RoadImagery
		if err := strict(e.Data, &v); err != nil {
			return e, nil, fmt.Errorf("road imagery data: %v: %w", err, ErrMalformed)
		}
		if v.Tile == "" || len(v.Tile) > MaxTileLen || len(v.ImageHashes) > MaxImageHashes {
			return e, nil, fmt.Errorf("road imagery: tile 1 to %d bytes, at most %d hashes: %w", MaxTileLen, MaxImageHashes, ErrMalformed)
		}
		for _, h := range v.ImageHashes {
			if b, err := hex.DecodeString(h); err != nil || len(b) != 32 {
				return e, nil, fmt.Errorf("image hash %q is not 32 hex bytes: %w", h, ErrMalformed)
			}
		}
		data = &v
	default:
		return e, nil, fmt.Errorf("unknown type %q: %w", e.Type, ErrMalformed)
	}
	return e, data, nil
}

// Verify checks the event's signature by the device key pub of type t
// (over the batch root its proof leads to, for a batch event).
func (e Event) Verify(t devkey.Type, pub []byte) error {
	sig, err := hex.DecodeString(e.Signature)
	if err != nil {
		return fmt.Errorf("signature is not hex: %w", devkey.ErrBadSignature)
	}
	msg, err := e.SignedMessage()
	if err != nil {
		return fmt.Errorf("%v: %w", err, devkey.ErrBadSignature)
	}
	return devkey.Verify(t, pub, msg, sig)
}

func strict(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data")
	}
	return nil
}
