package wasmopt_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"emergence/compute/wasmopt"
)

// Hand-assembled function bodies (locals, code, end), before and after.
var (
	// load(p i64) f64 = f64 at p+8 + f64 at p+16, as Go spells the addresses.
	loadBody = []byte{0,
		0x20, 0, 0x42, 8, 0x7C, 0xA7, 0x2B, 3, 0,
		0x20, 0, 0x42, 16, 0x7C, 0xA7, 0x2B, 3, 0,
		0xA0, 0x0B}
	// Folded, the narrowing kept in local 1, and a probe of byte 23 first.
	loadWant = []byte{1, 1, 0x7F,
		0x20, 0, 0xA7, 0x22, 1, 0x2D, 0, 23, 0x1A, 0x20, 1, 0x2B, 3, 8,
		0x20, 1, 0x2B, 3, 16,
		0xA0, 0x0B}
	// store(p i64, v f64): v to p+24, then to p+8.
	storeBody = []byte{0,
		0x20, 0, 0x42, 24, 0x7C, 0xA7, 0x20, 1, 0x39, 3, 0,
		0x20, 0, 0x42, 8, 0x7C, 0xA7, 0x20, 1, 0x39, 3, 0,
		0x0B}
	// The highest access comes first, so no probe.
	storeWant = []byte{1, 1, 0x7F,
		0x20, 0, 0xA7, 0x22, 2, 0x20, 1, 0x39, 3, 24,
		0x20, 2, 0x20, 1, 0x39, 3, 8,
		0x0B}
	// keep(p i64) f64 = f64 at p-8 + f64 at p + f64 at p+1 after p += 1:
	// a negative constant is not folded, and a narrowing after the local
	// is reassigned is not the one before.
	keepBody = []byte{0,
		0x20, 0, 0x42, 0x78, 0x7C, 0xA7, 0x2B, 3, 0,
		0x20, 0, 0xA7, 0x2B, 3, 0,
		0xA0,
		0x20, 0, 0x42, 1, 0x7C, 0x21, 0,
		0x20, 0, 0xA7, 0x2B, 3, 0,
		0xA0, 0x0B}
)

// module assembles a module of one memory page ("memory") and the
// functions load and keep (i64) -> f64 and store (i64, f64) -> ().
func module(load, store, keep []byte) []byte {
	sec := func(id byte, b ...byte) []byte {
		return append(binary.AppendUvarint([]byte{id}, uint64(len(b))), b...)
	}
	name := func(s string, kind, idx byte) []byte { return append(append([]byte{byte(len(s))}, s...), kind, idx) }
	m := []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
	m = append(m, sec(1, 2, 0x60, 1, 0x7E, 1, 0x7C, 0x60, 2, 0x7E, 0x7C, 0)...)
	m = append(m, sec(3, 3, 0, 1, 0)...)
	m = append(m, sec(5, 1, 0, 1)...)
	var exp []byte
	exp = append(exp, 4)
	exp = append(exp, name("load", 0, 0)...)
	exp = append(exp, name("store", 0, 1)...)
	exp = append(exp, name("keep", 0, 2)...)
	exp = append(exp, name("memory", 2, 0)...)
	m = append(m, sec(7, exp...)...)
	code := []byte{3}
	for _, b := range [][]byte{load, store, keep} {
		code = append(binary.AppendUvarint(code, uint64(len(b))), b...)
	}
	return append(m, sec(10, code...)...)
}

func TestRewriteFoldsSharesAndProbes(t *testing.T) {
	got, st, err := wasmopt.Rewrite(module(loadBody, storeBody, keepBody))
	if err != nil {
		t.Fatal(err)
	}
	if want := module(loadWant, storeWant, keepBody); !bytes.Equal(got, want) {
		t.Fatalf("rewritten\n%x\nwant\n%x", got, want)
	}
	if want := (wasmopt.Stats{Folded: 4, Shared: 2, Probes: 1}); st != want {
		t.Fatalf("stats %+v, want %+v", st, want)
	}
}

// TestRewriteRunsAlike runs the hand-assembled module and its rewrite under
// wazero's compiler on addresses in bounds, at the edge, past it and with
// high bits set: the same values, the same stores and the same traps, but
// for the one case the package comment excludes (an address that wraps
// past 4 GiB, which no Go program computes).
func TestRewriteRunsAlike(t *testing.T) {
	orig := module(loadBody, storeBody, keepBody)
	opt, _, err := wasmopt.Rewrite(orig)
	if err != nil {
		t.Fatal(err)
	}
	const page = 65536
	type result struct {
		load, keep     float64
		loadOK, keepOK bool
		storeOK        bool
		mem            []byte
	}
	run := func(mod []byte, p uint64) result {
		ctx := context.Background()
		rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler())
		defer rt.Close(ctx)
		m, err := rt.Instantiate(ctx, mod)
		if err != nil {
			t.Fatal(err)
		}
		mem := m.Memory()
		for i := uint32(0); i+8 <= page; i += 8 {
			mem.WriteFloat64Le(i, float64(i)/8)
		}
		var r result
		if out, err := m.ExportedFunction("load").Call(ctx, p); err == nil {
			r.load, r.loadOK = api.DecodeF64(out[0]), true
		}
		if out, err := m.ExportedFunction("keep").Call(ctx, p); err == nil {
			r.keep, r.keepOK = api.DecodeF64(out[0]), true
		}
		_, err = m.ExportedFunction("store").Call(ctx, p, api.EncodeF64(-1.5))
		r.storeOK = err == nil
		r.mem, _ = mem.Read(0, page)
		r.mem = bytes.Clone(r.mem)
		return r
	}
	for _, p := range []uint64{8, 1000, page - 24, page - 23, page - 17, page - 8, page, 1<<32 + 800, 1<<63 + 64} {
		a, b := run(orig, p), run(opt, p)
		if a.load != b.load || a.loadOK != b.loadOK || a.keep != b.keep || a.keepOK != b.keepOK || a.storeOK != b.storeOK || !bytes.Equal(a.mem, b.mem) {
			t.Errorf("p=%#x: original load %v (%v) keep %v (%v) store %v, rewritten load %v (%v) keep %v (%v) store %v, memory equal %v",
				p, a.load, a.loadOK, a.keep, a.keepOK, a.storeOK, b.load, b.loadOK, b.keep, b.keepOK, b.storeOK, bytes.Equal(a.mem, b.mem))
		}
	}
	if a, b := run(orig, 1<<32-8), run(opt, 1<<32-8); !a.loadOK || b.loadOK {
		t.Errorf("p = 4 GiB - 8: the original wraps to address 0 (load ok %v), the rewrite traps (load ok %v)", a.loadOK, b.loadOK)
	}
}

// TestRewriteGoProgram builds a Go program as the project builds its
// modules and runs it before and after the rewrite: the same output, and
// the rewrite found accesses of each kind to change.
func TestRewriteGoProgram(t *testing.T) {
	out := filepath.Join(t.TempDir(), "access.wasm")
	cmd := exec.Command("go", "build", "-o", out, "./testdata/access")
	cmd.Env = append(os.Environ(), wasmopt.GoEnv...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, msg)
	}
	orig, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	opt, st, err := wasmopt.Rewrite(orig)
	if err != nil {
		t.Fatal(err)
	}
	if st.Folded == 0 || st.Shared == 0 || st.Probes == 0 {
		t.Fatalf("stats %+v: nothing of some kind rewritten", st)
	}
	run := func(mod []byte) string {
		ctx := context.Background()
		rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler())
		defer rt.Close(ctx)
		wasi_snapshot_preview1.MustInstantiate(ctx, rt)
		var stdout, stderr bytes.Buffer
		if _, err := rt.InstantiateWithConfig(ctx, mod, wazero.NewModuleConfig().WithStdout(&stdout).WithStderr(&stderr)); err != nil {
			t.Fatalf("run: %v\n%s", err, stderr.Bytes())
		}
		return stdout.String()
	}
	a, b := run(orig), run(opt)
	if a != b || a == "" {
		t.Fatalf("original printed %q, rewritten %q", a, b)
	}
	again, _, err := wasmopt.Rewrite(orig)
	if err != nil || !bytes.Equal(again, opt) {
		t.Fatalf("a second rewrite of the same module differs (err %v)", err)
	}
}

func TestRewriteRefusesWhatItCannotDecode(t *testing.T) {
	simd := []byte{0, 0xFD, 0x0C, 0x0B} // v128.const, unterminated
	for name, mod := range map[string][]byte{
		"not wasm":  []byte("\x7fELF\x02\x01\x01\x00"),
		"truncated": module(loadBody, storeBody, keepBody)[:40],
		"simd":      module(simd, storeBody, keepBody),
	} {
		if _, _, err := wasmopt.Rewrite(mod); !errors.Is(err, wasmopt.ErrUnsupported) {
			t.Errorf("%s: err %v, want ErrUnsupported", name, err)
		}
	}
}

// BenchmarkRewrite rewrites the Go program's module.
func BenchmarkRewrite(b *testing.B) {
	out := filepath.Join(b.TempDir(), "access.wasm")
	cmd := exec.Command("go", "build", "-o", out, "./testdata/access")
	cmd.Env = append(os.Environ(), wasmopt.GoEnv...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, msg)
	}
	mod, err := os.ReadFile(out)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(mod)))
	for i := 0; i < b.N; i++ {
		if _, _, err := wasmopt.Rewrite(mod); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzRewrite feeds Rewrite mangled modules: it returns a module or
// ErrUnsupported, never panics, and what it returns it accepts again.
func FuzzRewrite(f *testing.F) {
	f.Add(module(loadBody, storeBody, keepBody))
	f.Add(module(keepBody, storeBody, loadBody))
	f.Fuzz(func(t *testing.T, mod []byte) {
		out, _, err := wasmopt.Rewrite(mod)
		if err != nil {
			if !errors.Is(err, wasmopt.ErrUnsupported) {
				t.Fatalf("error %v is not ErrUnsupported", err)
			}
			return
		}
		if _, _, err := wasmopt.Rewrite(out); err != nil {
			t.Fatalf("rewritten module refused: %v", err)
		}
	})
}
