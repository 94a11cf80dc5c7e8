// Package wasmopt rewrites the memory accesses of a WebAssembly module built
// by Go (GOOS=wasip1 GOARCH=wasm) so that wazero's compiler checks their
// bounds once per straight run of code and base address instead of once per
// access. It is a build step of the modules the project builds itself (the
// trainer, the sandbox's test programs); it is never applied to a module a
// user uploads.
//
// Go's wasm backend computes every address in 64 bits and narrows it for
// each access: a float load of p[3] is
//
//	local.get $p  i64.const 24  i64.add  i32.wrap_i64  f64.load
//
// (Go folds constant offsets into the offset immediate of integer loads, not
// of float loads or stores). wazero remembers a checked bound per SSA value
// of the address within a block, but every access above narrows afresh, so
// every access is a new value and a full check (about 8 instructions where
// native code has a memory operand). Rewrite makes three changes, each a
// peephole over a function body:
//
//   - Fold: a constant added before the narrowing moves into the access's
//     offset immediate (local.get $p  i32.wrap_i64  f64.load offset=24).
//   - Share: within a straight run of code (no block, branch, call or
//     memory.grow between) the narrowed value of a local that is not
//     reassigned is computed once, kept in a new i32 local and read again,
//     so the accesses share one address value.
//   - Probe: where such a run reaches one base at increasing offsets, the
//     first access through it is preceded by a one-byte load at the highest
//     byte the run touches (its value dropped), so one check covers the run
//     and wazero drops the others.
//
// Folding is exact for addresses below 4 GiB that do not wrap, which holds
// for every address a Go program computes: Go's pointers are offsets into
// the 32-bit linear memory and a field or element offset never carries past
// it. The probe traps only where a later access of the same run, which runs
// unconditionally after it (nothing between can branch, call or grow
// memory), would trap. Modules with instructions outside what Go emits
// (SIMD, exceptions, threads, multiple memories) are refused with
// ErrUnsupported rather than rewritten in part.
package wasmopt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// GoEnv is the environment, on top of the caller's, in which the project
// builds Go programs to WebAssembly for Rewrite and the sandbox: WASI
// preview 1, with the sign-extension and saturating float-to-int
// instructions of WebAssembly 2.0 (wazero runs both; Go otherwise spells
// them out as shifts and range checks), without cgo.
var GoEnv = []string{"GOOS=wasip1", "GOARCH=wasm", "GOWASM=satconv,signext", "CGO_ENABLED=0"}

// ErrUnsupported is returned for a module using an instruction or a
// section encoding this package does not decode.
var ErrUnsupported = errors.New("wasmopt: unsupported module")

// Stats counts what Rewrite changed.
type Stats struct {
	Folded int // constant additions moved into offsets
	Shared int // narrowed addresses read from a local instead of recomputed
	Probes int // one-byte probes inserted
}

// Rewrite returns the module with its memory accesses rewritten as the
// package comment describes. Sections other than the code section are
// copied unchanged.
func Rewrite(module []byte) ([]byte, Stats, error) {
	var st Stats
	if len(module) < 8 || !bytes.Equal(module[:8], []byte{0, 'a', 's', 'm', 1, 0, 0, 0}) {
		return nil, st, fmt.Errorf("%w: not a WebAssembly 1.0 binary", ErrUnsupported)
	}
	out := append([]byte(nil), module[:8]...)
	var (
		typeParams []int // parameter count of each type
		funcTypes  []int // type of each defined function
	)
	r := &reader{b: module, p: 8}
	for r.p < len(r.b) {
		id := r.byte()
		size := r.u32()
		if r.err != nil || int(size) > len(r.b)-r.p {
			return nil, st, fmt.Errorf("%w: truncated section", ErrUnsupported)
		}
		body := r.b[r.p : r.p+int(size)]
		r.p += int(size)
		switch id {
		case 1:
			var err error
			if typeParams, err = readTypes(body); err != nil {
				return nil, st, err
			}
		case 3:
			br := &reader{b: body}
			n := br.u32()
			for i := uint32(0); i < n && br.err == nil; i++ {
				funcTypes = append(funcTypes, int(br.u32()))
			}
			if br.err != nil {
				return nil, st, fmt.Errorf("%w: function section: %w", ErrUnsupported, br.err)
			}
		case 10:
			code, err := rewriteCode(body, typeParams, funcTypes, &st)
			if err != nil {
				return nil, st, err
			}
			body = code
		}
		out = append(out, id)
		out = binary.AppendUvarint(out, uint64(len(body)))
		out = append(out, body...)
	}
	return out, st, nil
}

func readTypes(body []byte) ([]int, error) {
	r := &reader{b: body}
	n := r.u32()
	var params []int
	for i := uint32(0); i < n && r.err == nil; i++ {
		if r.byte() != 0x60 {
			return nil, fmt.Errorf("%w: type %d is not a function type", ErrUnsupported, i)
		}
		np := r.u32()
		r.skip(int(np))
		nr := r.u32()
		r.skip(int(nr))
		params = append(params, int(np))
	}
	if r.err != nil {
		return nil, fmt.Errorf("%w: type section: %w", ErrUnsupported, r.err)
	}
	return params, nil
}

func rewriteCode(body []byte, typeParams, funcTypes []int, st *Stats) ([]byte, error) {
	r := &reader{b: body}
	n := r.u32()
	if r.err != nil || int(n) != len(funcTypes) {
		return nil, fmt.Errorf("%w: code section has %d bodies for %d functions", ErrUnsupported, n, len(funcTypes))
	}
	out := binary.AppendUvarint(make([]byte, 0, len(body)+len(body)/64), uint64(n))
	var w scratch
	for i := 0; i < int(n); i++ {
		size := r.u32()
		if r.err != nil || int(size) > len(r.b)-r.p {
			return nil, fmt.Errorf("%w: function %d truncated", ErrUnsupported, i)
		}
		fn := r.b[r.p : r.p+int(size)]
		r.p += int(size)
		if funcTypes[i] >= len(typeParams) {
			return nil, fmt.Errorf("%w: function %d has type %d of %d", ErrUnsupported, i, funcTypes[i], len(typeParams))
		}
		nf, err := rewriteFunc(fn, typeParams[funcTypes[i]], st, &w)
		if err != nil {
			return nil, fmt.Errorf("function %d: %w", i, err)
		}
		out = binary.AppendUvarint(out, uint64(len(nf)))
		out = append(out, nf...)
	}
	return out, nil
}

// instr is one decoded instruction: its opcode (0xFC-prefixed ones as
// 0xFC00|sub), where its immediates lie in the function's bytes, and the
// immediates of the instructions Rewrite reads or writes, decoded (those
// are encoded again from these fields). It holds no pointer, so the
// slices of a module's million instructions cost the garbage collector
// nothing.
type instr struct {
	op      uint32
	at, end uint32 // raw immediates: fn[at:end]
	local   uint32 // local.get/set/tee
	konst   int64  // i64.const
	align   uint32 // loads and stores
	off     uint32
}

const (
	opBlock    = 0x02
	opLocalGet = 0x20
	opLocalSet = 0x21
	opLocalTee = 0x22
	opI64Const = 0x42
	opI64Add   = 0x7C
	opWrap     = 0xA7
	opDrop     = 0x1A
	opLoad8U   = 0x2D // i32.load8_u
)

// scratch holds the buffers one function's rewrite reuses from the last.
type scratch struct {
	code, out []instr
	body      []byte
}

// rewriteFunc returns fn rewritten, in w.body (valid until the next call).
func rewriteFunc(fn []byte, params int, st *Stats, w *scratch) ([]byte, error) {
	r := &reader{b: fn}
	ngroups := r.u32()
	type group struct {
		n uint32
		t byte
	}
	var groups []group
	nlocals := uint64(params)
	for g := uint32(0); g < ngroups && r.err == nil; g++ {
		c := r.u32()
		t := r.byte()
		groups = append(groups, group{c, t})
		nlocals += uint64(c)
	}
	if r.err != nil {
		return nil, fmt.Errorf("%w: locals: %w", ErrUnsupported, r.err)
	}
	expr := r.b[r.p:]
	code, err := decode(expr, w.code[:0])
	if err != nil {
		return nil, err
	}
	w.code = code
	code = fold(code, st)
	code, added := share(code, uint32(nlocals), st, w.out[:0])
	w.out = code
	if nlocals+uint64(added) > 50000 {
		return nil, fmt.Errorf("%w: %d locals", ErrUnsupported, nlocals+uint64(added))
	}
	out := binary.AppendUvarint(w.body[:0], uint64(len(groups)+min(added, 1)))
	for _, g := range groups {
		out = binary.AppendUvarint(out, uint64(g.n))
		out = append(out, g.t)
	}
	if added > 0 {
		out = binary.AppendUvarint(out, uint64(added))
		out = append(out, 0x7F) // i32
	}
	for _, in := range code {
		out = encode(out, expr, in)
	}
	w.body = out
	return out, nil
}

func encode(out, fn []byte, in instr) []byte {
	switch {
	case in.op >= 0xFC00:
		out = append(out, 0xFC)
		return append(binary.AppendUvarint(out, uint64(in.op&0xFF)), fn[in.at:in.end]...)
	case in.op >= opLocalGet && in.op <= opLocalTee:
		return binary.AppendUvarint(append(out, byte(in.op)), uint64(in.local))
	case accessSize(in.op) > 0:
		return binary.AppendUvarint(binary.AppendUvarint(append(out, byte(in.op)), uint64(in.align)), uint64(in.off))
	}
	return append(append(out, byte(in.op)), fn[in.at:in.end]...)
}

// accessSize is the width in bytes of a load or store opcode, 0 for others.
func accessSize(op uint32) uint64 {
	switch op {
	case 0x29, 0x2B, 0x37, 0x39: // i64.load, f64.load, i64.store, f64.store
		return 8
	case 0x28, 0x2A, 0x34, 0x35, 0x36, 0x38, 0x3E: // i32.load, f32.load, i64.load32_[su], i32.store, f32.store, i64.store32
		return 4
	case 0x2E, 0x2F, 0x32, 0x33, 0x3B, 0x3D: // 16-bit
		return 2
	case 0x2C, 0x2D, 0x30, 0x31, 0x3A, 0x3C: // 8-bit
		return 1
	}
	return 0
}

func isLoad(op uint32) bool  { return op >= 0x28 && op <= 0x35 }
func isStore(op uint32) bool { return op >= 0x36 && op <= 0x3E }

// pushesOne reports whether in pushes one value and pops none, so that it
// can sit between a store's address and the store.
func pushesOne(in instr) bool {
	switch in.op {
	case opLocalGet, 0x23, 0x41, opI64Const, 0x43, 0x44: // local.get, global.get, consts
		return true
	}
	return false
}

// accessAt returns the index of the load or store that consumes the
// address left on the stack by code[i] (the narrowing), or -1.
func accessAt(code []instr, i int) int {
	if i+1 < len(code) && isLoad(code[i+1].op) {
		return i + 1
	}
	if i+2 < len(code) && pushesOne(code[i+1]) && isStore(code[i+2].op) {
		return i + 2
	}
	return -1
}

// fold rewrites local.get X; i64.const C; i64.add; i32.wrap_i64; ACCESS
// into local.get X; i32.wrap_i64; ACCESS offset+C.
func fold(code []instr, st *Stats) []instr {
	out := code[:0] // written behind i
	for i := 0; i < len(code); i++ {
		if i+3 < len(code) && code[i].op == opLocalGet && code[i+1].op == opI64Const &&
			code[i+2].op == opI64Add && code[i+3].op == opWrap {
			if a := accessAt(code, i+3); a >= 0 {
				c := code[i+1].konst
				if nc := uint64(code[a].off) + uint64(c); c >= 0 && c < 1<<32 && nc < 1<<32 {
					code[a].off = uint32(nc)
					out = append(out, code[i], code[i+3])
					i += 3
					st.Folded++
					continue
				}
			}
		}
		out = append(out, code[i])
	}
	return out
}

// resets reports whether in ends a straight run: control flow, calls
// (which may exit or grow memory) and memory.grow.
func resets(in instr) bool {
	switch {
	case in.op <= 0x11, in.op == 0x12, in.op == 0x13: // unreachable .. call_indirect, tail calls
		return true
	case in.op == 0x40: // memory.grow
		return true
	}
	return false
}

// share gives each run's narrowings of one local a new i32 local and
// inserts probes; it returns the code and the number of locals added.
func share(code []instr, first uint32, st *Stats, out []instr) ([]instr, int) {
	type use struct {
		at   int    // index of the local.get
		ceil uint64 // offset+size of the access it feeds, 0 if none
	}
	slot := map[uint32]uint32{} // local X -> its i32 local
	added := 0
	start := 0
	flush := func(end int) {
		narrowings := 0
		for i := start; i+1 < end; i++ {
			if code[i].op == opLocalGet && code[i+1].op == opWrap {
				narrowings++
			}
		}
		if narrowings < 2 {
			out = append(out, code[start:end]...)
			return
		}
		// Within code[start:end], group narrowings of each local by
		// generation (a local.set or local.tee of X starts a new one).
		gen := map[uint32]int{}
		type key struct {
			x   uint32
			gen int
		}
		uses := map[key][]use{}
		var order []key
		for i := start; i < end; i++ {
			in := code[i]
			if in.op == opLocalSet || in.op == opLocalTee {
				gen[in.local]++
				continue
			}
			if in.op == opLocalGet && i+1 < end && code[i+1].op == opWrap {
				k := key{in.local, gen[in.local]}
				u := use{at: i}
				if a := accessAt(code[:end], i+1); a >= 0 {
					u.ceil = uint64(code[a].off) + accessSize(code[a].op)
				}
				if _, ok := uses[k]; !ok {
					order = append(order, k)
				}
				uses[k] = append(uses[k], u)
			}
		}
		type plan struct {
			first bool
			slot  uint32
			probe uint64 // ceil to probe, 0 for none
		}
		plans := map[int]plan{}
		for _, k := range order {
			us := uses[k]
			if len(us) < 2 {
				continue
			}
			s, ok := slot[k.x]
			if !ok {
				s = first + uint32(added)
				slot[k.x] = s
				added++
			}
			var maxCeil, firstCeil uint64
			for _, u := range us {
				if u.ceil > 0 && firstCeil == 0 {
					firstCeil = u.ceil
				}
				maxCeil = max(maxCeil, u.ceil)
			}
			p := plan{first: true, slot: s}
			if firstCeil > 0 && firstCeil < maxCeil && maxCeil-1 < 1<<32 {
				p.probe = maxCeil
			}
			plans[us[0].at] = p
			for _, u := range us[1:] {
				plans[u.at] = plan{slot: s}
			}
		}
		for i := start; i < end; i++ {
			p, ok := plans[i]
			if !ok {
				out = append(out, code[i])
				continue
			}
			if !p.first {
				out = append(out, instr{op: opLocalGet, local: p.slot})
				i++ // the narrowing
				st.Shared++
				continue
			}
			tee := instr{op: opLocalTee, local: p.slot}
			out = append(out, code[i], code[i+1], tee)
			if p.probe > 0 {
				out = append(out,
					instr{op: opLoad8U, off: uint32(p.probe - 1)},
					instr{op: opDrop},
					instr{op: opLocalGet, local: p.slot})
				st.Probes++
			}
			i++
		}
	}
	for i, in := range code {
		if resets(in) {
			flush(i)
			out = append(out, in)
			start = i + 1
		}
	}
	flush(len(code))
	return out, added
}

// decode splits a function's expression into instructions.
func decode(b []byte, code []instr) ([]instr, error) {
	r := &reader{b: b}
	for r.p < len(r.b) {
		at := r.p
		op := uint32(r.byte())
		in := instr{op: op}
		switch {
		case op == 0x00, op == 0x01, op == 0x05, op == 0x0B, op == 0x0F, op == 0x1A, op == 0x1B, op == 0xD1:
		case op >= 0x45 && op <= 0xC4:
		case op == opBlock, op == 0x03, op == 0x04:
			t := r.byte()
			if !(t == 0x40 || t >= 0x6F && t <= 0x7F) {
				r.p--
				r.s64()
			}
		case op == 0x0C, op == 0x0D, op == 0x10, op == 0x12, op == 0x23, op == 0x24, op == 0x25, op == 0x26, op == 0xD2:
			r.u32()
		case op >= opLocalGet && op <= opLocalTee:
			in.local = r.u32()
		case op == 0x0E:
			n := r.u32()
			for i := uint32(0); i <= n && r.err == nil; i++ {
				r.u32()
			}
		case op == 0x11, op == 0x13:
			r.u32()
			r.u32()
		case op == 0x1C:
			r.skip(int(r.u32()))
		case op >= 0x28 && op <= 0x3E:
			in.align = r.u32()
			in.off = r.u32()
			if in.align&0x40 != 0 {
				return nil, fmt.Errorf("%w: multiple memories", ErrUnsupported)
			}
		case op == 0x3F, op == 0x40, op == 0xD0:
			r.byte()
		case op == 0x41:
			r.s64()
		case op == opI64Const:
			in.konst = r.s64()
		case op == 0x43:
			r.skip(4)
		case op == 0x44:
			r.skip(8)
		case op == 0xFC:
			sub := r.u32()
			in.op = 0xFC00 | sub
			immAt := r.p
			switch {
			case sub <= 7:
			case sub == 8:
				r.u32()
				r.byte()
			case sub == 9, sub == 13, sub == 15, sub == 16, sub == 17:
				r.u32()
			case sub == 10, sub == 12, sub == 14:
				r.u32()
				r.u32()
			case sub == 11:
				r.byte()
			default:
				return nil, fmt.Errorf("%w: opcode 0xFC %d", ErrUnsupported, sub)
			}
			if r.err != nil {
				return nil, fmt.Errorf("%w: %w", ErrUnsupported, r.err)
			}
			in.at, in.end = uint32(immAt), uint32(r.p)
			code = append(code, in)
			continue
		default:
			return nil, fmt.Errorf("%w: opcode 0x%02x", ErrUnsupported, op)
		}
		if r.err != nil {
			return nil, fmt.Errorf("%w: %w", ErrUnsupported, r.err)
		}
		in.at, in.end = uint32(at+1), uint32(r.p)
		code = append(code, in)
	}
	return code, nil
}

type reader struct {
	b   []byte
	p   int
	err error
}

var errShort = errors.New("unexpected end")

func (r *reader) byte() byte {
	if r.p >= len(r.b) {
		r.err = errShort
		return 0
	}
	c := r.b[r.p]
	r.p++
	return c
}

func (r *reader) skip(n int) {
	if n < 0 || n > len(r.b)-r.p {
		r.err = errShort
		r.p = len(r.b)
		return
	}
	r.p += n
}

func (r *reader) u32() uint32 {
	var v uint64
	for shift := 0; shift < 35; shift += 7 {
		c := r.byte()
		v |= uint64(c&0x7F) << shift
		if c&0x80 == 0 {
			if v > 1<<32-1 {
				r.err = errors.New("u32 out of range")
			}
			return uint32(v)
		}
	}
	r.err = errors.New("u32 too long")
	return 0
}

func (r *reader) s64() int64 {
	var v int64
	shift := 0
	for {
		c := r.byte()
		if r.err != nil {
			return 0
		}
		v |= int64(c&0x7F) << shift
		shift += 7
		if c&0x80 == 0 {
			if shift < 64 && c&0x40 != 0 {
				v |= -1 << shift
			}
			return v
		}
		if shift >= 70 {
			r.err = errors.New("s64 too long")
			return 0
		}
	}
}
