package device

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

// Packed is a post's evidence in a compact binary form, carried in the
// message as one base64 string: decoding a JSON array of 1,000 evidence
// objects cost a post more than all of its state work. PackEvidence and
// UnpackEvidence convert; the layout, per item, is
//
//	uvarint(id length) ‖ id ‖ uvarint(readings) ‖ uvarint(cells) ‖ uvarint(cell ids) ‖ cell ids
//
// where an id of 40 lowercase hex digits (every device id) is written as
// length 0 and its 20 bytes, and the cell ids (increasing) as the first
// one's 8 big-endian bytes and then each one's uvarint difference from the
// one before (a device's cells are neighbours: a step in longitude is one
// byte, in latitude five). Every uvarint is minimal and every difference
// positive, so one evidence list has one packing (UnpackEvidence refuses
// any other, and cell ids that do not increase).
//
// A JSON array of evidence objects is also read into a Packed (an epoch
// post file written by hand or by an older ingest node); it is always
// written as base64, the only form the chain takes.
type Packed []byte

// UnmarshalJSON implements json.Unmarshaler: a base64 string, or an array
// of Evidence objects, which it packs.
func (p *Packed) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '[' {
		var ev []Evidence
		if err := json.Unmarshal(b, &ev); err != nil {
			return err
		}
		*p = PackEvidence(ev)
		return nil
	}
	if string(b) == "null" {
		*p = nil
		return nil
	}
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' || bytes.IndexByte(b, '\\') >= 0 {
		return errors.New("evidence: want a base64 string or an array of evidence objects")
	}
	out := make([]byte, base64.StdEncoding.DecodedLen(len(b)-2))
	n, err := base64.StdEncoding.Decode(out, b[1:len(b)-1])
	if err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	*p = out[:n]
	return nil
}

// PackEvidence packs ev.
func PackEvidence(ev []Evidence) Packed {
	b := make([]byte, 0, len(ev)*26)
	for _, e := range ev {
		if raw, ok := rawID(e.Device); ok {
			b = append(b, 0)
			b = append(b, raw...)
		} else {
			b = binary.AppendUvarint(b, uint64(len(e.Device)))
			b = append(b, e.Device...)
		}
		b = binary.AppendUvarint(b, e.Readings)
		b = binary.AppendUvarint(b, e.Cells)
		b = binary.AppendUvarint(b, uint64(len(e.CellIDs)))
		for k, c := range e.CellIDs {
			if k == 0 {
				b = binary.BigEndian.AppendUint64(b, c)
			} else {
				// Ids that do not increase wrap to a difference UnpackEvidence refuses.
				b = binary.AppendUvarint(b, c-e.CellIDs[k-1])
			}
		}
	}
	return b
}

// UnpackEvidence unpacks p, at most max items (and so at most max×…
// work: it stops at the first item past max).
func UnpackEvidence(packed Packed, max int) ([]Evidence, error) {
	p := []byte(packed)
	ev := make([]Evidence, 0, min(max, len(p)/24))
	var cells []uint64 // every item's cell ids, in one allocation
	for len(p) > 0 {
		if len(ev) == max {
			return nil, fmt.Errorf("more than %d evidence items", max)
		}
		var e Evidence
		l, err := uvarint(&p)
		if err != nil {
			return nil, fmt.Errorf("item %d: id length: %w", len(ev), err)
		}
		switch {
		case l == 0 && len(p) >= 20:
			e.Device = hex.EncodeToString(p[:20])
			p = p[20:]
		case l == 0 || l > uint64(len(p)):
			return nil, fmt.Errorf("item %d: id runs past the end", len(ev))
		default:
			e.Device = string(p[:l])
			p = p[l:]
			if _, ok := rawID(e.Device); ok {
				return nil, fmt.Errorf("item %d: device id %s not packed as 20 bytes", len(ev), e.Device)
			}
		}
		if e.Readings, err = uvarint(&p); err != nil {
			return nil, fmt.Errorf("item %d: readings: %w", len(ev), err)
		}
		if e.Cells, err = uvarint(&p); err != nil {
			return nil, fmt.Errorf("item %d: cells: %w", len(ev), err)
		}
		n, err := uvarint(&p)
		if err != nil {
			return nil, fmt.Errorf("item %d: cell ids: %w", len(ev), err)
		}
		if n > 0 && (len(p) < 8 || n-1 > uint64(len(p)-8)) { // 8 bytes, then at least one a difference
			return nil, fmt.Errorf("item %d: %d cell ids run past the end", len(ev), n)
		}
		if n > 0 {
			if cells == nil {
				cells = make([]uint64, 0, len(p)/8) // grows if the differences are short
			}
			at := len(cells)
			c := binary.BigEndian.Uint64(p)
			p = p[8:]
			cells = append(cells, c)
			for k := uint64(1); k < n; k++ {
				d, err := uvarint(&p)
				if err != nil {
					return nil, fmt.Errorf("item %d: cell id %d: %w", len(ev), k, err)
				}
				if d == 0 || d > math.MaxUint64-c {
					return nil, fmt.Errorf("item %d: cell ids must be increasing", len(ev))
				}
				c += d
				cells = append(cells, c)
			}
			e.CellIDs = cells[at:len(cells):len(cells)]
		}
		ev = append(ev, e)
	}
	return ev, nil
}

// uvarint reads one minimal uvarint off the front of *p.
func uvarint(p *[]byte) (uint64, error) {
	v, n := binary.Uvarint(*p)
	if n <= 0 {
		return 0, errors.New("truncated or overflowing varint")
	}
	if n > 1 && (*p)[n-1] == 0 { // a longer form ends in a zero byte
		return 0, errors.New("varint not minimal")
	}
	*p = (*p)[n:]
	return v, nil
}
