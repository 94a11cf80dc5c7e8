package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
)

// GetJSON decodes the JSON record at key into v; ok is false (and v
// untouched) when there is none. A record that does not decode is corrupt
// state: an error naming the key, never a panic.
func GetJSON(r Reader, key []byte, v any) (ok bool, err error) {
	raw := r.Get(key)
	if raw == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("corrupt state at %q: %w", key, err)
	}
	return true, nil
}

// ListJSON decodes the JSON records with keys in [start, end), in key
// order, up to limit of them (0: no limit). A record that does not decode
// is corrupt state, returned as an error.
func ListJSON[T any](r Reader, start, end []byte, limit int) ([]T, error) {
	var out []T
	var bad error
	r.Iterate(start, end, func(k, v []byte) bool {
		var rec T
		if err := json.Unmarshal(v, &rec); err != nil {
			bad = fmt.Errorf("corrupt state at %q: %w", k, err)
			return false
		}
		out = append(out, rec)
		return limit <= 0 || len(out) < limit
	})
	return out, bad
}

// ListPage is [ListJSON] for one page of a list query: at most limit
// (1 or more) records with keys in [start, end), never nil, and more true
// when at least one further record follows them.
func ListPage[T any](r Reader, start, end []byte, limit int) (page []T, more bool, err error) {
	list, err := ListJSON[T](r, start, end, limit+1)
	if err != nil {
		return nil, false, err
	}
	if len(list) > limit {
		return list[:limit], true, nil
	}
	if list == nil {
		list = []T{}
	}
	return list, false, nil
}

// EncodeJSON encodes v for state storage. It panics only on values that
// cannot be encoded (channels, functions, cyclic values), which is a
// programming error, never something input can cause: modules store their
// own record types.
func EncodeJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("encode state: %v", err))
	}
	return b
}

// PutJSON stages key = the JSON encoding of v (see [EncodeJSON]).
func PutJSON(kv KV, key []byte, v any) { kv.Set(key, EncodeJSON(v)) }

// GetU64 returns the big-endian integer at key, 0 when the key is absent
// or its value is not 8 bytes.
func GetU64(r Reader, key []byte) uint64 { return U64(r.Get(key)) }

// PutU64 stages key = v as 8 big-endian bytes.
func PutU64(kv KV, key []byte, v uint64) { kv.Set(key, BE64(v)) }

// PutNonZeroU64 stages key = v, or deletes key when v is 0, so that zero
// and absent read the same and zero values take no space.
func PutNonZeroU64(kv KV, key []byte, v uint64) {
	if v == 0 {
		kv.Delete(key)
		return
	}
	PutU64(kv, key, v)
}

// U64 decodes an 8-byte big-endian value; any other length decodes to 0.
func U64(b []byte) uint64 {
	if len(b) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

// BE64 encodes v as 8 big-endian bytes, so integer key parts sort
// numerically.
func BE64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// BE16 encodes v as 2 big-endian bytes.
func BE16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }

// Key returns a fresh key: prefix followed by parts, concatenated. Parts of
// variable length that users choose must be the key's last part, or be
// followed by a separator they cannot contain, or be fixed width
// ([BE64], [BE16], addresses), so that distinct records get distinct keys.
// Key never aliases its arguments.
func Key(prefix []byte, parts ...[]byte) []byte {
	n := len(prefix)
	for _, p := range parts {
		n += len(p)
	}
	k := make([]byte, 0, n)
	k = append(k, prefix...)
	for _, p := range parts {
		k = append(k, p...)
	}
	return k
}

// Join returns a fresh key: prefix followed by parts separated by sep (no
// separator between prefix and the first part). The same caveat as for
// [Key] holds for variable-length parts.
func Join(prefix []byte, sep byte, parts ...[]byte) []byte {
	n := len(prefix) + len(parts)
	for _, p := range parts {
		n += len(p)
	}
	k := make([]byte, 0, n)
	k = append(k, prefix...)
	for i, p := range parts {
		if i > 0 {
			k = append(k, sep)
		}
		k = append(k, p...)
	}
	return k
}
