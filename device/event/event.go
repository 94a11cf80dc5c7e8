// Package event is the signed reading a device emits: a CloudEvents 1.0
// JSON envelope (specversion, id, source, type, subject, time,
// datacontenttype, data) plus the device's signature, and the two data
// types devices send: vehicle status (position, speed, odometer) and a
// road-imagery summary (tile id, frame count, image hashes).
//
// The signature covers [SigningBytes]: a domain tag followed by the
// envelope's JSON as encoding/json writes it with the signature left out,
// so the ingest worker re-encodes the parsed envelope and needs no
// canonicalization library. Positions are integers (degrees × 10^7) and
// speeds millimetres per second, so every rule over them is integer math.
package event

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"emergence/device/devkey"
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

var signTag = []byte("emergence/device/event/v1\x00")

// SigningBytes returns what the device signs: the tag and the envelope
// without its signature.
func (e Event) SigningBytes() []byte {
	e.Signature = ""
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
	data, err := json.Marshal(v)
	if err != nil {
		return Event{}, fmt.Errorf("encode event data: %w", err)
	}
	e := Event{SpecVersion: SpecVersion, ID: id, Source: deviceID, Type: typ, Subject: deviceID,
		Time: FormatTime(ms), DataContentType: "application/json", Data: data}
	e.Signature = hex.EncodeToString(s.Sign(e.SigningBytes()))
	return e, nil
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

// Verify checks the event's signature by the device key pub of type t.
func (e Event) Verify(t devkey.Type, pub []byte) error {
	sig, err := hex.DecodeString(e.Signature)
	if err != nil {
		return fmt.Errorf("signature is not hex: %w", devkey.ErrBadSignature)
	}
	return devkey.Verify(t, pub, e.SigningBytes(), sig)
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
