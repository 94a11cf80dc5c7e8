package tx

// This file reads a body that is already in canonical form without the
// round trip through encoding/json. parseCanonical accepts only a subset of
// the canonical encodings, each of which it can tell is canonical as it reads
// it: the fields in order, no whitespace, strings of printable ASCII without
// escapes or the characters encoding/json escapes, numbers without leading
// zeros, message values that are compact JSON of printable ASCII. Anything
// else, canonical or not, goes to decodeBody, which decodes with
// encoding/json and compares the re-encoding, so Decode accepts exactly the
// bodies it accepted before (FuzzDecode checks both paths agree).

import "encoding/json"

// maxFastDepth bounds the nesting of message values on the fast path; deeper
// values take the encoding/json path.
const maxFastDepth = 64

// canonReader walks a body; every method reports false at the first byte it
// cannot vouch for.
type canonReader struct {
	b []byte
	i int
}

// lit consumes s exactly.
func (r *canonReader) lit(s string) bool {
	if len(r.b)-r.i < len(s) || string(r.b[r.i:r.i+len(s)]) != s {
		return false
	}
	r.i += len(s)
	return true
}

// plainString consumes a JSON string whose bytes encoding/json writes back
// unchanged: printable ASCII other than '"', '\\', '<', '>' and '&'. It
// returns the text between the quotes.
func (r *canonReader) plainString() ([]byte, bool) {
	if r.i >= len(r.b) || r.b[r.i] != '"' {
		return nil, false
	}
	start := r.i + 1
	for j := start; j < len(r.b); j++ {
		c := r.b[j]
		switch {
		case c == '"':
			r.i = j + 1
			return r.b[start:j], true
		case c < 0x20 || c > 0x7e || c == '\\' || c == '<' || c == '>' || c == '&':
			return nil, false
		}
	}
	return nil, false
}

// uint consumes a decimal uint64 as encoding/json writes it: "0", or digits
// without a leading zero, within 64 bits.
func (r *canonReader) uint() (uint64, bool) {
	j := r.i
	if j >= len(r.b) || r.b[j] < '0' || r.b[j] > '9' {
		return 0, false
	}
	if r.b[j] == '0' {
		r.i = j + 1
		return 0, r.i >= len(r.b) || r.b[r.i] < '0' || r.b[r.i] > '9'
	}
	var v uint64
	for ; j < len(r.b) && r.b[j] >= '0' && r.b[j] <= '9'; j++ {
		d := uint64(r.b[j] - '0')
		if v > (^uint64(0)-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	r.i = j
	return v, true
}

// value consumes one compact JSON value of printable ASCII without '<', '>'
// or '&' (which encoding/json's compaction would escape). String escapes
// are allowed: compaction copies them as they are.
func (r *canonReader) value(depth int) bool {
	if r.i >= len(r.b) || depth > maxFastDepth {
		return false
	}
	switch c := r.b[r.i]; {
	case c == '{':
		r.i++
		if r.lit("}") {
			return true
		}
		for {
			if !r.str() || !r.lit(":") || !r.value(depth+1) {
				return false
			}
			if r.lit("}") {
				return true
			}
			if !r.lit(",") {
				return false
			}
		}
	case c == '[':
		r.i++
		if r.lit("]") {
			return true
		}
		for {
			if !r.value(depth + 1) {
				return false
			}
			if r.lit("]") {
				return true
			}
			if !r.lit(",") {
				return false
			}
		}
	case c == '"':
		return r.str()
	case c == '-' || (c >= '0' && c <= '9'):
		return r.number()
	default:
		return r.lit("true") || r.lit("false") || r.lit("null")
	}
}

// str consumes a JSON string of printable ASCII (without '<', '>', '&'),
// with valid escapes.
func (r *canonReader) str() bool {
	if r.i >= len(r.b) || r.b[r.i] != '"' {
		return false
	}
	for j := r.i + 1; j < len(r.b); j++ {
		c := r.b[j]
		switch {
		case c == '"':
			r.i = j + 1
			return true
		case c < 0x20 || c > 0x7e || c == '<' || c == '>' || c == '&':
			return false
		case c == '\\':
			j++
			if j >= len(r.b) {
				return false
			}
			switch r.b[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(r.b) {
					return false
				}
				for _, h := range r.b[j+1 : j+5] {
					if !isHex(h) {
						return false
					}
				}
				j += 4
			default:
				return false
			}
		}
	}
	return false
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// number consumes a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (r *canonReader) number() bool {
	b, j := r.b, r.i
	digits := func() bool {
		k := j
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		return j > k
	}
	if j < len(b) && b[j] == '-' {
		j++
	}
	switch {
	case j < len(b) && b[j] == '0':
		j++
	case !digits():
		return false
	}
	if j < len(b) && b[j] == '.' {
		j++
		if !digits() {
			return false
		}
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		j++
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		if !digits() {
			return false
		}
	}
	r.i = j
	return true
}

// parseCanonical fills body from b if b is, as far as this reader can tell,
// exactly json.Marshal of a Body with at least one message; false says only
// that the fast path does not vouch for b.
func parseCanonical(b []byte, body *Body) bool {
	r := canonReader{b: b}
	if !r.lit(`{"chain_id":`) {
		return false
	}
	chain, ok := r.plainString()
	if !ok || !r.lit(`,"signer":`) {
		return false
	}
	signer, ok := r.plainString()
	if !ok {
		return false
	}
	addr, err := ParseAddress(string(signer))
	if err != nil {
		return false
	}
	var nonce, fee, gas uint64
	if !r.lit(`,"nonce":`) {
		return false
	}
	if nonce, ok = r.uint(); !ok || !r.lit(`,"fee":`) {
		return false
	}
	if fee, ok = r.uint(); !ok || !r.lit(`,"gas_limit":`) {
		return false
	}
	if gas, ok = r.uint(); !ok || !r.lit(`,"msgs":[`) {
		return false
	}
	var msgs []Msg
	for {
		if len(msgs) == MaxMsgs || !r.lit(`{"type":`) {
			return false
		}
		kind, ok := r.plainString()
		if !ok || !r.lit(`,"value":`) {
			return false
		}
		start := r.i
		if !r.value(0) {
			return false
		}
		msgs = append(msgs, Msg{Type: string(kind), Value: json.RawMessage(b[start:r.i:r.i])})
		if !r.lit("}") {
			return false
		}
		if r.lit("]") {
			break
		}
		if !r.lit(",") {
			return false
		}
	}
	if !r.lit("}") || r.i != len(b) {
		return false
	}
	*body = Body{ChainID: string(chain), Signer: addr, Nonce: nonce, Fee: fee, GasLimit: gas, Msgs: msgs}
	return true
}
