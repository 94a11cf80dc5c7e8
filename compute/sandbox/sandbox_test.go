package sandbox_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"emergence/compute/sandbox"
	"emergence/compute/sandbox/testdata/matmul/kernel"
	"emergence/compute/wasmopt"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

var (
	buildMu  sync.Mutex
	buildDir string
	built    = map[string][]byte{}
)

// wasm builds testdata/<name> for wasip1 as the project builds its modules
// (wasmopt.GoEnv, then wasmopt.Rewrite) once per test binary and returns
// the module bytes.
func wasm(tb testing.TB, name string) []byte {
	tb.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if b, ok := built[name]; ok {
		return b
	}
	if buildDir == "" {
		d, err := os.MkdirTemp("", "sandbox-wasm-")
		if err != nil {
			tb.Fatal(err)
		}
		buildDir = d
	}
	out := filepath.Join(buildDir, name+".wasm")
	cmd := exec.Command("go", "build", "-o", out, "./testdata/"+name)
	cmd.Env = append(os.Environ(), wasmopt.GoEnv...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("build %s for wasip1: %v\n%s", name, err, msg)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		tb.Fatal(err)
	}
	if b, _, err = wasmopt.Rewrite(b); err != nil {
		tb.Fatalf("rewrite %s: %v", name, err)
	}
	built[name] = b
	return b
}

func TestMain(m *testing.M) {
	if os.Getenv("SANDBOX_CHILD") == "1" {
		if err := sandbox.ServeChild(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

func mustRunner(tb testing.TB) *sandbox.Runner {
	tb.Helper()
	r, err := sandbox.NewRunner()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { r.Close() })
	return r
}

// childRunner runs jobs in child processes: this test binary, as
// ServeChild (see TestMain).
func childRunner(tb testing.TB) *sandbox.Runner {
	tb.Helper()
	self, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Setenv("SANDBOX_CHILD", "1")
	r, err := sandbox.NewRunner(sandbox.WithChildProcess(self), sandbox.WithCacheDir(tb.TempDir()))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { r.Close() })
	return r
}

// modes are the two ways a Runner runs a job.
var modes = []struct {
	name string
	new  func(testing.TB) *sandbox.Runner
}{{"in-process", mustRunner}, {"child", childRunner}}

// dirs returns an input directory holding data and an empty output directory.
func dirs(t *testing.T, data string) (in, out string) {
	t.Helper()
	in, out = t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(in, "data"), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return in, out
}

func TestInfiniteLoopKilledAtDeadline(t *testing.T) {
	for _, m := range modes {
		r := m.new(t)
		start := time.Now()
		_, err := r.Run(context.Background(), sandbox.Job{Module: wasm(t, "loop"), Limits: sandbox.Limits{Wall: 300 * time.Millisecond}})
		if !errors.Is(err, sandbox.ErrDeadline) {
			t.Fatalf("%s: Run(loop) err = %v, want ErrDeadline", m.name, err)
		}
		// The deadline kills it: the run must not outlive it by more than the
		// compile and a generous scheduling margin on a loaded machine.
		if d := time.Since(start); d > 60*time.Second {
			t.Fatalf("%s: loop ran %s past a 300ms deadline", m.name, d)
		}
	}
}

func TestMemoryBombCapped(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) { testMemoryBomb(t, m.new(t)) })
	}
}

func testMemoryBomb(t *testing.T, r *sandbox.Runner) {
	const pages = 1024 // 64 MiB
	res, err := r.Run(context.Background(), sandbox.Job{Module: wasm(t, "membomb"), Limits: sandbox.Limits{MemoryPages: pages}})
	if err != nil {
		t.Fatalf("Run(membomb): %v", err)
	}
	if res.ExitCode == 0 {
		t.Fatalf("membomb exited 0 under a 64 MiB cap; stdout:\n%s", res.Stdout)
	}
	if !bytes.Contains(res.Stderr, []byte("out of memory")) {
		t.Fatalf("membomb stderr does not say out of memory:\n%s", res.Stderr)
	}
	// It got at most 64 MiB: at most three 16 MiB blocks beside the runtime.
	if n := bytes.Count(res.Stdout, []byte("allocated")); n < 1 || n > 3 {
		t.Fatalf("membomb allocated %d blocks of 16 MiB under a 64 MiB cap", n)
	}
}

func TestOutputOverCap(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) { testOutputOverCap(t, m.new(t)) })
	}
}

func testOutputOverCap(t *testing.T, r *sandbox.Runner) {
	_, out := dirs(t, "")
	_, err := r.Run(context.Background(), sandbox.Job{Module: wasm(t, "bigout"), Args: []string{"2048"}, Output: out,
		Limits: sandbox.Limits{OutputBytes: 1 << 20}})
	if !errors.Is(err, sandbox.ErrOutputCap) {
		t.Fatalf("Run(bigout 2 MiB, cap 1 MiB) err = %v, want ErrOutputCap", err)
	}
	var total int64
	filepath.Walk(out, func(_ string, info os.FileInfo, _ error) error {
		if info != nil && !info.IsDir() {
			total += info.Size()
		}
		return nil
	})
	if total > 1<<20 {
		t.Fatalf("output dir holds %d bytes past a 1 MiB cap", total)
	}

	// Under the cap the same module succeeds, sparse file included.
	_, out2 := dirs(t, "")
	res, err := r.Run(context.Background(), sandbox.Job{Module: wasm(t, "bigout"), Args: []string{"100"}, Output: out2,
		Limits: sandbox.Limits{OutputBytes: 1 << 20}})
	if err != nil {
		t.Fatalf("Run(bigout 100 KiB): %v", err)
	}
	if len(res.Files) != 2 || res.Files[0].Path != "big" || res.Files[0].Size != 100<<10 {
		t.Fatalf("files = %+v, want big (100 KiB) and sparse", res.Files)
	}

	// A sparse write far past the end is charged for its gap.
	_, out3 := dirs(t, "")
	_, err = r.Run(context.Background(), sandbox.Job{Module: wasm(t, "bigout"), Args: []string{"600"}, Output: out3,
		Limits: sandbox.Limits{OutputBytes: 1 << 20}})
	if !errors.Is(err, sandbox.ErrOutputCap) {
		t.Fatalf("Run(bigout 600 KiB + sparse write at 600 KiB) err = %v, want ErrOutputCap", err)
	}
}

func TestImportNotGranted(t *testing.T) {
	for _, m := range modes {
		r := m.new(t)
		for _, name := range []string{"netimport", "sockimport"} {
			_, err := r.Run(context.Background(), sandbox.Job{Module: wasm(t, name)})
			if !errors.Is(err, sandbox.ErrImportNotGranted) {
				t.Fatalf("%s: Run(%s) err = %v, want ErrImportNotGranted", m.name, name, err)
			}
		}
		if _, err := r.Run(context.Background(), sandbox.Job{Module: []byte("not wasm")}); !errors.Is(err, sandbox.ErrInvalidModule) {
			t.Fatalf("%s: Run(not wasm) err = %v, want ErrInvalidModule", m.name, err)
		}
	}
}

func TestInvalidModule(t *testing.T) {
	r := mustRunner(t)
	good := wasm(t, "det")
	for name, mod := range map[string][]byte{
		"empty":     nil,
		"text":      []byte("not a wasm module"),
		"truncated": good[:len(good)/2],
		"header":    []byte("\x00asm\x01\x00\x00\x00\xff"),
	} {
		_, err := r.Run(context.Background(), sandbox.Job{Module: mod})
		if !errors.Is(err, sandbox.ErrInvalidModule) {
			t.Fatalf("Run(%s) err = %v, want ErrInvalidModule", name, err)
		}
	}
	if _, err := r.Run(context.Background(), sandbox.Job{Module: good, Limits: sandbox.Limits{MemoryPages: sandbox.MaxPages + 1}}); !errors.Is(err, sandbox.ErrLimits) {
		t.Fatalf("Run(65537 pages) err = %v, want ErrLimits", err)
	}
}

func TestNoEscape(t *testing.T) {
	r := mustRunner(t)
	in, out := dirs(t, "secret")
	if err := os.WriteFile(filepath.Join(out, "x"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := r.Run(context.Background(), sandbox.Job{Module: wasm(t, "escape"), Input: in, Output: out})
	if err != nil {
		t.Fatalf("Run(escape): %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(res.Stdout)), "\n")
	if len(lines) != 10 {
		t.Fatalf("escape printed %d lines, want 10:\n%s", len(lines), res.Stdout)
	}
	for _, l := range lines {
		if !strings.HasSuffix(l, ": refused") {
			t.Errorf("escape: %s", l)
		}
	}
	if _, err := os.Lstat(filepath.Join(out, "link")); err == nil {
		t.Error("a symlink was created in the output directory")
	}
	if _, err := os.Stat(filepath.Join(in, "new")); err == nil {
		t.Error("the read-only input directory was written")
	}
}

func TestBitIdenticalAcrossRuns(t *testing.T) {
	mod := wasm(t, "det")
	var first *sandbox.Result
	var firstOut []byte
	// Two runners, so nothing is shared but the module bytes; the second
	// uses the interpreter, a different engine.
	r1 := mustRunner(t)
	r2, err := sandbox.NewRunner(sandbox.WithInterpreter())
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	for i, r := range []*sandbox.Runner{r1, r1, r2, childRunner(t)} {
		in, out := dirs(t, "hello")
		res, err := r.Run(context.Background(), sandbox.Job{Module: mod, Args: []string{"a", "b"}, Input: in, Output: out, Seed: 42})
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		got, err := os.ReadFile(filepath.Join(out, "a.txt"))
		if err != nil {
			t.Fatal(err)
		}
		if res.ExitCode != 7 || len(res.Files) != 3 || res.Files[0].Path != sandbox.StdoutFile || res.Files[1].Path != "a.txt" || res.Files[2].Path != "b.txt" {
			t.Fatalf("run %d: exit %d files %+v, want exit 7 and .stdout, a.txt, b.txt", i, res.ExitCode, res.Files)
		}
		if first == nil {
			first, firstOut = res, got
			continue
		}
		if res.Hash != first.Hash || !bytes.Equal(got, firstOut) {
			t.Fatalf("run %d differs:\n%s\nvs\n%s", i, got, firstOut)
		}
	}
	// The hash covers the seed (random bytes) and the input.
	in, out := dirs(t, "hello")
	res, err := r1.Run(context.Background(), sandbox.Job{Module: mod, Args: []string{"a", "b"}, Input: in, Output: out, Seed: 43})
	if err != nil {
		t.Fatal(err)
	}
	if res.Hash == first.Hash {
		t.Fatal("a different seed gave the same result hash")
	}
	in, out = dirs(t, "hellO")
	res, err = r1.Run(context.Background(), sandbox.Job{Module: mod, Args: []string{"a", "b"}, Input: in, Output: out, Seed: 42})
	if err != nil {
		t.Fatal(err)
	}
	if res.Hash == first.Hash {
		t.Fatal("a different input gave the same result hash")
	}
}

func TestHashRefusesUnsorted(t *testing.T) {
	d := strings.Repeat("00", 32)
	if _, err := sandbox.Hash(0, []sandbox.File{{Path: "a/b", SHA256: d}}); err == nil {
		t.Fatal("Hash accepted a nested name the chain refuses")
	}
	if _, err := sandbox.Hash(0, []sandbox.File{{Path: "b", SHA256: d}, {Path: "a", SHA256: d}}); err == nil {
		t.Fatal("Hash accepted files out of order")
	}
	if _, err := sandbox.Hash(0, []sandbox.File{{Path: "a", SHA256: "zz"}}); err == nil {
		t.Fatal("Hash accepted a bad digest")
	}
	a, _ := sandbox.Hash(0, nil)
	b, _ := sandbox.Hash(1, nil)
	if a == b {
		t.Fatal("exit code not in the hash")
	}
}

// matmulN and matmulReps size the kernel so one run takes a good part of a
// second natively.
const matmulN, matmulReps = 160, 8

// TestMatmulKernel checks the blocked kernel against the textbook triple
// loop, for sizes that leave every remainder (rows, columns and k steps).
func TestMatmulKernel(t *testing.T) {
	for _, n := range []int{1, 2, 3, 4, 5, 7, 16, 17, 31, 33, 37} {
		a, b := make([]float64, n*n), make([]float64, n*n)
		for i := range a {
			a[i] = float64(i%13) - 6.5
			b[i] = float64((i*7)%11) / 4
		}
		got := make([]float64, n*n)
		kernel.Mul(got, a, b, n)
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				var want float64
				for k := 0; k < n; k++ {
					want += a[i*n+k] * b[k*n+j]
				}
				if d := got[i*n+j] - want; d > 1e-9 || d < -1e-9 {
					t.Fatalf("n=%d: c[%d][%d] = %v, want %v", n, i, j, got[i*n+j], want)
				}
			}
		}
	}
}

// TestMatmulWasmMatchesNative: the wasm build of the kernel computes the
// native checksum, at a size with every remainder.
func TestMatmulWasmMatchesNative(t *testing.T) {
	const n, reps = 37, 2
	var want uint64
	for r := 0; r < reps; r++ {
		want += kernel.Run(n, uint64(r))
	}
	out := t.TempDir()
	if _, err := mustRunner(t).Run(context.Background(), sandbox.Job{Module: wasm(t, "matmul"), Args: []string{fmt.Sprint(n), fmt.Sprint(reps)}, Output: out}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(out, "sum"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(got)) != fmt.Sprint(want) {
		t.Fatalf("wasm checksum %s, native %d", got, want)
	}
}

// BenchmarkMatmulNative runs the kernel compiled for this machine. Beside
// the mean it reports cpu-ns/product, the process's CPU time per product
// (run it with -cpu 1), and the fastest and the median single product by
// wall time: on the shared machine the mean measures the load as much as
// the code.
func BenchmarkMatmulNative(b *testing.B) {
	var times []int64
	cpu := cpuTime(syscall.RUSAGE_SELF)
	for i := 0; i < b.N; i++ {
		var sum uint64
		for r := 0; r < matmulReps; r++ {
			start := time.Now()
			sum += kernel.Run(matmulN, uint64(r))
			times = append(times, time.Since(start).Nanoseconds())
		}
		if sum == 0 {
			b.Fatal("zero checksum")
		}
	}
	cpu = cpuTime(syscall.RUSAGE_SELF) - cpu
	slices.Sort(times)
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*matmulReps), "cpu-ns/product")
	b.ReportMetric(float64(times[0]), "min-ns/product")
	b.ReportMetric(float64(times[len(times)/2]), "median-ns/product")
}

// BenchmarkMatmulWasm runs the same Go kernel compiled to wasip1 under
// wazero's compiler (compile cached, instantiation included), in process
// with WithCloseOnContextDone's checks.
func BenchmarkMatmulWasm(b *testing.B) { benchMatmulWasm(b, mustRunner(b)) }

// BenchmarkMatmulWasmChild runs it in a child process killed at the
// deadline (no termination checks; process start and the on-disk
// compilation cache included).
func BenchmarkMatmulWasmChild(b *testing.B) { benchMatmulWasm(b, childRunner(b)) }

// BenchmarkMatmulWasmSteady separates the wasm job's start-up from its
// steady state, in child processes as a provider runs jobs, by CPU time
// (the children's, which the shared machine's load moves far less than
// wall time): each iteration runs the module with one product and with
// 1+matmulReps; cpu-ns/product is the difference over matmulReps, against
// BenchmarkMatmulNative's, and fixed-cpu-ns what the one-product child
// took beyond its product (process start, loading the compiled module
// from the cache, instantiation, Go's runtime start in wasm, the output
// file).
func BenchmarkMatmulWasmSteady(b *testing.B) {
	r := childRunner(b)
	mod := wasm(b, "matmul")
	run := func(reps int) time.Duration {
		out := b.TempDir()
		start := cpuTime(syscall.RUSAGE_CHILDREN)
		res, err := r.Run(context.Background(), sandbox.Job{Module: mod, Args: []string{fmt.Sprint(matmulN), fmt.Sprint(reps)}, Output: out})
		if err != nil {
			b.Fatal(err)
		}
		if res.ExitCode != 0 {
			b.Fatalf("matmul exit %d:\n%s", res.ExitCode, res.Stderr)
		}
		return cpuTime(syscall.RUSAGE_CHILDREN) - start
	}
	run(1) // compile into the cache
	b.ResetTimer()
	var one, many time.Duration
	for i := 0; i < b.N; i++ {
		one += run(1)
		many += run(1 + matmulReps)
	}
	product := float64((many - one).Nanoseconds()) / float64(b.N*matmulReps)
	b.ReportMetric(product, "cpu-ns/product")
	b.ReportMetric(float64(one.Nanoseconds())/float64(b.N)-product, "fixed-cpu-ns")
}

// cpuTime is the user and system CPU time of who (RUSAGE_SELF or
// RUSAGE_CHILDREN) so far.
func cpuTime(who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkMatmulWasmKernel times the kernel inside the guest, apart from
// start-up: the matmul module under wazero's compiler without termination
// checks (as a provider's child process runs it), given the host's clock
// (which the sandbox never gives a job) so that it can time each product
// itself. It reports the fastest and the median product, against
// BenchmarkMatmulNative's.
func BenchmarkMatmulWasmKernel(b *testing.B) {
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler().WithCloseOnContextDone(false))
	defer rt.Close(ctx)
	wasi_snapshot_preview1.MustInstantiate(ctx, rt)
	compiled, err := rt.CompileModule(ctx, wasm(b, "matmul"))
	if err != nil {
		b.Fatal(err)
	}
	var times []int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var stdout bytes.Buffer
		cfg := wazero.NewModuleConfig().WithName("").WithArgs("job", fmt.Sprint(matmulN), fmt.Sprint(matmulReps), "time").
			WithStdout(&stdout).WithSysNanotime().WithSysWalltime().
			WithFSConfig(wazero.NewFSConfig().WithDirMount(b.TempDir(), "/out"))
		if _, err := rt.InstantiateModule(ctx, compiled, cfg); err != nil {
			b.Fatal(err)
		}
		for _, l := range strings.Fields(stdout.String()) {
			ns, err := strconv.ParseInt(l, 10, 64)
			if err != nil {
				b.Fatalf("guest printed %q", l)
			}
			times = append(times, ns)
		}
	}
	if len(times) != b.N*matmulReps {
		b.Fatalf("guest timed %d products, want %d", len(times), b.N*matmulReps)
	}
	slices.Sort(times)
	b.ReportMetric(float64(times[0]), "min-ns/product")
	b.ReportMetric(float64(times[len(times)/2]), "median-ns/product")
}

func benchMatmulWasm(b *testing.B, r *sandbox.Runner) {
	mod := wasm(b, "matmul")
	want := uint64(0)
	for rr := 0; rr < matmulReps; rr++ {
		want += kernel.Run(matmulN, uint64(rr))
	}
	out := b.TempDir()
	if _, err := r.Run(context.Background(), sandbox.Job{Module: mod, Args: []string{fmt.Sprint(matmulN), fmt.Sprint(matmulReps)}, Output: out}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		os.Remove(filepath.Join(out, "sum"))
		if _, err := r.Run(context.Background(), sandbox.Job{Module: mod, Args: []string{fmt.Sprint(matmulN), fmt.Sprint(matmulReps)}, Output: out}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	got, err := os.ReadFile(filepath.Join(out, "sum"))
	if err != nil {
		b.Fatal(err)
	}
	if strings.TrimSpace(string(got)) != fmt.Sprint(want) {
		b.Fatalf("wasm checksum %s, native %d", got, want)
	}
}

// TestChildResultBeforeExitIsKept: a child that writes its result and
// exits at once must never be reported as exiting without a result. The
// parent once read the end of the child's output on a second channel, and
// select could take it before the result line: one provider run in fifty
// failed so in BenchmarkComputeThroughput, and the provider missed that
// job's commit. The child here is a shell printing the two lines a real
// child prints, so hundreds of runs take a second.
func TestChildResultBeforeExitIsKept(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatalf("no sh: %v", err)
	}
	hash := strings.Repeat("A", 43) + "="
	script := `head -n 1 > /dev/null; echo '{"started":true}'; echo '{"result":{"exit_code":7,"files":[],"hash":"` + hash + `","elapsed_ns":1}}'`
	r, err := sandbox.NewRunner(sandbox.WithChildProcess(sh, "-c", script))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for i := 0; i < 300; i++ {
		res, err := r.Run(context.Background(), sandbox.Job{Module: []byte("unused")})
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		if res.ExitCode != 7 {
			t.Fatalf("run %d: exit %d, want the child's 7", i, res.ExitCode)
		}
	}
}

// TestChildGetsModuleRaw: the parent sends the child one JSON line without
// the module, then the module's bytes as they are (base64 in JSON cost the
// child 38 ms of CPU for the 4.4 MB trainer). The child here is a shell
// that keeps its stdin and prints a result.
func TestChildGetsModuleRaw(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatalf("no sh: %v", err)
	}
	got := filepath.Join(t.TempDir(), "stdin")
	hash := strings.Repeat("A", 43) + "="
	script := `IFS= read -r line; printf '%s\n' "$line" > "$0"; head -c 1000000 >> "$0"; echo '{"started":true}'; echo '{"result":{"exit_code":0,"files":[],"hash":"` + hash + `","elapsed_ns":1}}'`
	r, err := sandbox.NewRunner(sandbox.WithChildProcess(sh, "-c", script, got))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	module := bytes.Repeat([]byte("\x00asm\n{\"x\"}"), 100_000)
	if _, err := r.Run(context.Background(), sandbox.Job{Module: module, Args: []string{"a"}}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(got)
	if err != nil {
		t.Fatal(err)
	}
	line, rest, ok := bytes.Cut(b, []byte("\n"))
	if !ok || !bytes.Equal(rest, module) {
		t.Fatalf("the child's stdin after the spec line is %d bytes, not the %d of the module", len(rest), len(module))
	}
	if !bytes.Contains(line, []byte(`"module_bytes":1000000`)) || bytes.Contains(line, []byte(`"Module":"`)) {
		t.Fatalf("spec line %.200s", line)
	}
}

// TestServeChildBadSpec: a spec whose module is cut short, oversized or
// not on a line of its own is an error, not a panic or a run.
func TestServeChildBadSpec(t *testing.T) {
	module := wasm(t, "loop")
	spec := func(n int) string { return fmt.Sprintf(`{"job":{"Args":null},"module_bytes":%d}`, n) }
	for name, in := range map[string]string{
		"short":     spec(len(module)) + "\n" + string(module[:len(module)/2]),
		"negative":  spec(-1) + "\n",
		"huge":      spec(1<<31) + "\n",
		"no line":   spec(len(module)) + " " + string(module),
		"no module": spec(len(module)),
		"not json":  "module\n",
	} {
		var out bytes.Buffer
		err := sandbox.ServeChild(strings.NewReader(in), &out)
		if err == nil || !strings.Contains(err.Error(), "sandbox child") {
			t.Errorf("%s: err %v, want a sandbox child error", name, err)
		}
		if out.Len() != 0 {
			t.Errorf("%s: the child wrote %q", name, out.Bytes())
		}
	}
}

// TestChildIsReused: a child that has finished a job runs the next job of
// the same module and memory limit without loading the module again, gives
// the same result as a new child, and is not reused after its deadline.
// The child command is a shell that counts its starts, then runs this test
// binary as the child.
func TestChildIsReused(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatalf("no sh: %v", err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("SANDBOX_CHILD", "1")
	starts := filepath.Join(t.TempDir(), "starts")
	r, err := sandbox.NewRunner(sandbox.WithChildProcess(sh, "-c", `echo >> "$0"; exec "$1"`, starts, self), sandbox.WithCacheDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	count := func() int {
		b, err := os.ReadFile(starts)
		if err != nil {
			t.Fatal(err)
		}
		return bytes.Count(b, []byte("\n"))
	}
	det := wasm(t, "det")
	run := func(module []byte, pages uint32, wall time.Duration) (*sandbox.Result, error) {
		in, out := dirs(t, "reused")
		return r.Run(context.Background(), sandbox.Job{Module: module, Input: in, Output: out, Seed: 5,
			Limits: sandbox.Limits{MemoryPages: pages, Wall: wall}})
	}
	first, err := run(det, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		res, err := run(det, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if res.Hash != first.Hash || !bytes.Equal(res.Stdout, first.Stdout) {
			t.Fatalf("run %d in a reused child: %x %q, the first run %x %q", i, res.Hash, res.Stdout, first.Hash, first.Stdout)
		}
	}
	if n := count(); n != 1 {
		t.Fatalf("%d children for four runs of one module, want 1", n)
	}
	if _, err := run(det, 2048, 0); err != nil { // another memory limit: another child
		t.Fatal(err)
	}
	if n := count(); n != 2 {
		t.Fatalf("%d children after a run with another limit, want 2", n)
	}
	if _, err := run(wasm(t, "loop"), 0, 300*time.Millisecond); !errors.Is(err, sandbox.ErrDeadline) {
		t.Fatalf("loop: %v, want ErrDeadline", err)
	}
	if _, err := run(wasm(t, "loop"), 0, 300*time.Millisecond); !errors.Is(err, sandbox.ErrDeadline) {
		t.Fatalf("loop again: %v, want ErrDeadline", err)
	}
	if n := count(); n != 4 {
		t.Fatalf("%d children after two killed runs, want 4 (a killed child is not reused)", n)
	}
	if res, err := run(det, 0, 0); err != nil || res.Hash != first.Hash {
		t.Fatalf("det after the kills: %v", err)
	}
}
