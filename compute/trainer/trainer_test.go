package trainer_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"emergence/compute/sandbox"
	"emergence/compute/trainer"
	"emergence/zkml/model"
)

var (
	wasmOnce sync.Once
	wasmMod  []byte
	wasmErr  error
)

// TestMain serves as the sandbox's child process when
// BenchmarkTrainWasmChild runs this test binary as one.
func TestMain(m *testing.M) {
	if os.Getenv("SANDBOX_CHILD") == "1" {
		if err := sandbox.ServeChild(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// trainerWasm builds the trainer with trainer.Build once per test binary.
func trainerWasm(tb testing.TB) []byte {
	tb.Helper()
	wasmOnce.Do(func() { wasmMod, wasmErr = trainer.Build(context.Background(), ".") })
	if wasmErr != nil {
		tb.Fatal(wasmErr)
	}
	return wasmMod
}

// digitsCSV writes the built-in digits set as a CSV input directory.
func digitsCSV(tb testing.TB) string {
	tb.Helper()
	d, _, err := loadDigits()
	if err != nil {
		tb.Fatal(err)
	}
	in := tb.TempDir()
	var buf bytes.Buffer
	for i := range d.Y {
		for _, v := range d.X[i] {
			buf.WriteString(itoa(v))
			buf.WriteByte(',')
		}
		buf.WriteString(itoa(int64(d.Y[i])))
		buf.WriteByte('\n')
	}
	if err := os.WriteFile(filepath.Join(in, "0"), buf.Bytes(), 0o644); err != nil {
		tb.Fatal(err)
	}
	return in
}

func itoa(v int64) string { return string(appendInt(nil, v)) }

func appendInt(b []byte, v int64) []byte {
	if v >= 10 {
		b = appendInt(b, v/10)
	}
	return append(b, byte('0'+v%10))
}

var opts = trainer.Options{Data: "/in/0", Arch: "64-16-10", Seed: 7, Epochs: 3, WeightBits: 8, ActBits: 16, MaxValue: 16, Out: "/out"}

func runWasm(t testing.TB, r *sandbox.Runner, o trainer.Options) (*sandbox.Result, []byte) {
	t.Helper()
	in, out := digitsCSV(t), t.TempDir()
	res, err := r.Run(context.Background(), sandbox.Job{Module: trainerWasm(t), Args: o.Args(), Input: in, Output: out,
		Limits: sandbox.Limits{MemoryPages: 4096}})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 0 {
		t.Fatalf("trainer exit %d:\n%s", res.ExitCode, res.Stderr)
	}
	b, err := os.ReadFile(filepath.Join(out, trainer.ModelFile))
	if err != nil {
		t.Fatal(err)
	}
	return res, b
}

func TestWasmTrainingIsReproducible(t *testing.T) {
	r, err := sandbox.NewRunner()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	res1, m1 := runWasm(t, r, opts)
	res2, m2 := runWasm(t, r, opts)
	if !bytes.Equal(m1, m2) || res1.Hash != res2.Hash {
		t.Fatal("two runs of the same training job wrote different model bytes")
	}
	m, err := model.ParseModel(m1)
	if err != nil {
		t.Fatalf("the job's model is not a valid zkml model: %v", err)
	}
	if m.Training == nil || m.Training.Seed != opts.Seed || m.Training.Arch != opts.Arch {
		t.Fatalf("training record %+v", m.Training)
	}
	// The commitment opens with the seed's salt, so a verifier can recompute it.
	c, err := model.Commit(m, trainer.Salt(opts.Seed))
	if err != nil || model.HexElement(c) != m.Commitment {
		t.Fatalf("commitment %s does not open with the seed's salt (%v)", m.Commitment, err)
	}
	if m.Training.QuantAccuracy < 0.5 {
		t.Fatalf("quantized accuracy %.3f after 3 epochs on digits, want >= 0.5", m.Training.QuantAccuracy)
	}
	// Another seed trains another model.
	o := opts
	o.Seed = 8
	_, m3 := runWasm(t, r, o)
	if bytes.Equal(m1, m3) {
		t.Fatal("seed 8 wrote seed 7's model")
	}
}

// TestWasmMatchesNative: the trainer compiled to WebAssembly writes the
// model file the same Go code writes natively, byte for byte.
func TestWasmMatchesNative(t *testing.T) {
	r, err := sandbox.NewRunner()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	_, wasmModel := runWasm(t, r, opts)
	o := opts
	o.Data, o.Out = filepath.Join(digitsCSV(t), "0"), t.TempDir()
	if _, err := trainer.Train(o, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	native, err := os.ReadFile(filepath.Join(o.Out, trainer.ModelFile))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(wasmModel, native) {
		t.Fatal("the wasm trainer wrote another model than the native one")
	}
}

func TestBadArguments(t *testing.T) {
	var stderr bytes.Buffer
	if code := trainer.Main([]string{"--epochs", "0"}, &bytes.Buffer{}, &stderr); code != 2 {
		t.Fatalf("Main(--epochs 0) = %d, want 2", code)
	}
	if code := trainer.Main([]string{"--data", filepath.Join(t.TempDir(), "missing.csv"), "--out", t.TempDir()}, &bytes.Buffer{}, &stderr); code != 1 {
		t.Fatalf("Main(missing data) = %d, want 1", code)
	}
	if code := trainer.Main([]string{"--data", "digits", "--arch", "60-10", "--out", t.TempDir()}, &bytes.Buffer{}, &stderr); code != 1 {
		t.Fatalf("Main(arch 60-10 on 64 features) = %d, want 1", code)
	}
	if _, err := trainer.Build(context.Background(), t.TempDir()); err == nil {
		t.Fatal("Build outside the source tree succeeded")
	}
}

// benchOpts is the benchmarked training job: digits, 64-32-10, 5 epochs.
var benchOpts = trainer.Options{Data: "/in/0", Arch: "64-32-10", Seed: 1, Epochs: 5, WeightBits: 8, ActBits: 16, MaxValue: 16}

// The benchmarks below report, beside the wall time of the whole job
// (ns/op), CPU time, which the shared machine's load moves far less:
// cpu-ns/op for the whole job, and, to tell the training's steady state
// from the fixed work around it (loading the CSV, quantizing, committing,
// writing the model, and in wasm the module's instantiation and Go's
// runtime start), a one-epoch job run beside each: cpu-ns/epoch is the
// difference over the other epochs and fixed-cpu-ns what the one-epoch
// job took beyond its epoch.

// BenchmarkTrainNative trains natively (the process's CPU time; run it
// with -cpu 1).
func BenchmarkTrainNative(b *testing.B) {
	in := digitsCSV(b)
	benchEpochs(b, func(epochs int) time.Duration {
		o := benchOpts
		o.Data, o.Out, o.Epochs = filepath.Join(in, "0"), b.TempDir(), epochs
		start := cpuTime(syscall.RUSAGE_SELF)
		if _, err := trainer.Train(o, &bytes.Buffer{}); err != nil {
			b.Fatal(err)
		}
		return cpuTime(syscall.RUSAGE_SELF) - start
	})
}

// BenchmarkTrainWasm runs the same training job as WebAssembly in the
// sandbox (wazero compiler, compile cached, in process with termination
// checks; the process's CPU time, so run it with -cpu 1).
func BenchmarkTrainWasm(b *testing.B) {
	r, err := sandbox.NewRunner()
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	benchTrainWasm(b, func(job sandbox.Job) (*sandbox.Result, time.Duration) {
		start := cpuTime(syscall.RUSAGE_SELF)
		res, err := r.Run(context.Background(), job)
		if err != nil {
			b.Fatal(err)
		}
		return res, cpuTime(syscall.RUSAGE_SELF) - start
	})
}

// BenchmarkTrainWasmChild runs it in a new child process each time, as a
// provider does for a module's first job (no termination checks, the
// process killed at the deadline instead); the CPU time is the child's,
// its start and the load of the compiled module from the cache included.
func BenchmarkTrainWasmChild(b *testing.B) {
	self, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	b.Setenv("SANDBOX_CHILD", "1")
	cache := b.TempDir()
	benchTrainWasm(b, func(job sandbox.Job) (*sandbox.Result, time.Duration) {
		r, err := sandbox.NewRunner(sandbox.WithChildProcess(self), sandbox.WithCacheDir(cache))
		if err != nil {
			b.Fatal(err)
		}
		start := cpuTime(syscall.RUSAGE_CHILDREN)
		res, err := r.Run(context.Background(), job)
		r.Close() // ends the child, whose CPU time then counts
		if err != nil {
			b.Fatal(err)
		}
		return res, cpuTime(syscall.RUSAGE_CHILDREN) - start
	})
}

// BenchmarkTrainWasmChildReused runs every job in the child that ran the
// one before, as a provider does for a module's later jobs: the module is
// already compiled there. The CPU time is what the child reports for each
// job (Result.ChildCPU).
func BenchmarkTrainWasmChildReused(b *testing.B) {
	self, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	b.Setenv("SANDBOX_CHILD", "1")
	r, err := sandbox.NewRunner(sandbox.WithChildProcess(self), sandbox.WithCacheDir(b.TempDir()))
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	benchTrainWasm(b, func(job sandbox.Job) (*sandbox.Result, time.Duration) {
		res, err := r.Run(context.Background(), job)
		if err != nil {
			b.Fatal(err)
		}
		return res, res.ChildCPU
	})
}

// benchTrainWasm times the training job through runJob, which returns
// the job's result and CPU time.
func benchTrainWasm(b *testing.B, runJob func(sandbox.Job) (*sandbox.Result, time.Duration)) {
	in := digitsCSV(b)
	run := func(epochs int) time.Duration {
		o := benchOpts
		o.Out, o.Epochs = "/out", epochs
		res, cpu := runJob(sandbox.Job{Module: trainerWasm(b), Args: o.Args(), Input: in, Output: b.TempDir(),
			Limits: sandbox.Limits{MemoryPages: 4096}})
		if res.ExitCode != 0 {
			b.Fatalf("trainer exit %d:\n%s", res.ExitCode, res.Stderr)
		}
		return cpu
	}
	run(1) // compile
	benchEpochs(b, run)
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

// benchEpochs times run(benchOpts.Epochs) as the op and run(1) beside it;
// run returns the CPU time it took.
func benchEpochs(b *testing.B, run func(epochs int) time.Duration) {
	b.Helper()
	b.ResetTimer()
	var full, one time.Duration
	for i := 0; i < b.N; i++ {
		full += run(benchOpts.Epochs)
		b.StopTimer()
		one += run(1)
		b.StartTimer()
	}
	epoch := float64((full - one).Nanoseconds()) / float64(b.N) / float64(benchOpts.Epochs-1)
	b.ReportMetric(float64(full.Nanoseconds())/float64(b.N), "cpu-ns/op")
	b.ReportMetric(epoch, "cpu-ns/epoch")
	b.ReportMetric(float64(one.Nanoseconds())/float64(b.N)-epoch, "fixed-cpu-ns")
}

// TestTrainerLinksNoProofSystem: the trainer program does not link
// zkml/verifier or gnark's backends (through zkml/model), because every
// job run pays for the module's size: the child decodes, hashes and loads
// the compiled code of the whole module before the trainer starts, and Go's
// start runs every linked package's init. Without them the module is 4.4
// MB instead of 6.0.
func TestTrainerLinksNoProofSystem(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", trainer.Package)
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", trainer.Package, err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps listed %d packages", len(deps))
	}
	for _, p := range deps {
		for _, heavy := range []string{"emergence/zkml/verifier", "emergence/zkml/circuit", "github.com/consensys/gnark/"} {
			if p == heavy || strings.HasPrefix(p, heavy) {
				t.Errorf("the trainer links %s", p)
			}
		}
	}
}
