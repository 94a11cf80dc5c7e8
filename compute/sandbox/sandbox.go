// Package sandbox runs a compute job's WebAssembly module (WASI preview 1)
// under wazero with the limits a provider promises the chain: no network,
// no host file system except a read-only input directory mounted at /in and
// a capped output directory mounted at /out, a memory limit in 64 KiB pages,
// a wall-clock deadline at which the module is killed, and capped logs.
//
// Everything the guest can observe is fixed by the job: the clock is
// wazero's fake clock, random_get reads a stream seeded from the job, and
// the environment is empty. So a module runs bit-identically on every host,
// and two providers that ran the same job either produce the same result
// hash or one of them is wrong.
//
// The result hash is the chain's output hash (compute.OutputHash) over the
// exit code and the output files (flat names and SHA-256 blob hashes,
// sorted), the logs included; see [Hash].
package sandbox

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"emergence/compute"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"
)

// Guest paths of the two mounted directories.
const (
	InputDir  = "/in"
	OutputDir = "/out"
)

// Default and maximum limits.
const (
	// PageSize is the size of a WebAssembly memory page.
	PageSize = 65536
	// MaxPages is the most memory a job may ask for (4 GiB, wasm32's limit).
	MaxPages = 65536
	// DefaultPages is 256 MiB.
	DefaultPages = 4096
	// DefaultOutputBytes caps the output directory at 64 MiB.
	DefaultOutputBytes = 64 << 20
	// DefaultOutputFiles caps how many files a job may create.
	DefaultOutputFiles = compute.MaxFiles - 2
	// DefaultLogBytes caps stdout and stderr at 64 KiB each.
	DefaultLogBytes = 64 << 10
	// DefaultWall is the deadline when a job names none.
	DefaultWall = time.Minute
)

// Errors Run returns. A job that ends with one of them has no result: it is
// the provider's (or the module's) failure, not an answer replicas can agree on.
var (
	// ErrInvalidModule is returned when the bytes are not a WebAssembly
	// module wazero can compile.
	ErrInvalidModule = errors.New("invalid wasm module")
	// ErrImportNotGranted is returned when the module imports a host
	// function other than the granted WASI preview 1 set (sockets included).
	ErrImportNotGranted = errors.New("module imports a host function that is not granted")
	// ErrDeadline is returned when the module was killed at its deadline.
	ErrDeadline = errors.New("job killed at its deadline")
	// ErrOutputCap is returned when the module wrote more than the output
	// cap allows (bytes or files).
	ErrOutputCap = errors.New("job output over the cap")
	// ErrLimits is returned for limits out of range.
	ErrLimits = errors.New("invalid sandbox limits")
	// ErrNoEntry is returned when the module exports no _start function.
	ErrNoEntry = errors.New("module has no _start entry point")
)

// Limits bound one run.
type Limits struct {
	// MemoryPages caps linear memory (64 KiB pages); 0 means DefaultPages.
	MemoryPages uint32
	// Wall is the deadline; 0 means DefaultWall.
	Wall time.Duration
	// OutputBytes caps the bytes written under /out; 0 means DefaultOutputBytes.
	OutputBytes int64
	// OutputFiles caps the files created under /out; 0 means
	// DefaultOutputFiles. With the two log files a result has at most
	// compute.MaxFiles files, so OutputFiles may be at most that less two.
	OutputFiles int
	// LogBytes caps stdout and stderr each; 0 means DefaultLogBytes.
	LogBytes int
}

func (l Limits) withDefaults() (Limits, error) {
	if l.MemoryPages == 0 {
		l.MemoryPages = DefaultPages
	}
	if l.Wall == 0 {
		l.Wall = DefaultWall
	}
	if l.OutputBytes == 0 {
		l.OutputBytes = DefaultOutputBytes
	}
	if l.OutputFiles == 0 {
		l.OutputFiles = DefaultOutputFiles
	}
	if l.LogBytes == 0 {
		l.LogBytes = DefaultLogBytes
	}
	switch {
	case l.MemoryPages > MaxPages:
		return l, fmt.Errorf("%w: %d memory pages, at most %d", ErrLimits, l.MemoryPages, MaxPages)
	case l.OutputFiles > compute.MaxFiles-2:
		return l, fmt.Errorf("%w: %d output files, at most %d", ErrLimits, l.OutputFiles, compute.MaxFiles-2)
	case l.Wall < 0 || l.OutputBytes < 0 || l.OutputFiles < 0 || l.LogBytes < 0:
		return l, fmt.Errorf("%w: negative limit", ErrLimits)
	}
	return l, nil
}

// Job is one run of a module.
type Job struct {
	// Module is the WebAssembly binary.
	Module []byte
	// Args are the guest's argv after argv[0] (which is "job").
	Args []string
	// Input is a host directory mounted read-only at /in; empty mounts nothing.
	Input string
	// Output is a host directory mounted at /out with the caps of Limits;
	// it must exist and should be empty. Empty mounts nothing.
	Output string
	// Seed feeds the guest's random_get, so replicas see the same bytes.
	Seed uint64
	Limits
}

// File is one output file.
type File struct {
	// Path is the file's name in /out (or a log file's name).
	Path string `json:"path"`
	Size int64  `json:"size"`
	// SHA256 is the hex digest of the content (the file's blob hash).
	SHA256 string `json:"sha256"`
}

// Result is what a finished run produced.
type Result struct {
	// ExitCode is the guest's exit status (0 when it returned from _start).
	ExitCode uint32 `json:"exit_code"`
	// Files are the output files sorted by path.
	Files []File `json:"files"`
	// Hash commits to ExitCode and Files; see Hash.
	Hash [32]byte `json:"-"`
	// Stdout and Stderr are the capped logs; they are not part of Hash.
	Stdout, Stderr []byte `json:"-"`
	// Elapsed is the wall time of the run (compile excluded).
	Elapsed time.Duration `json:"-"`
	// ChildCPU is, for a run in a child process, the CPU time the child
	// spent since its last result (since it started, for its first): the
	// run's share of a process that may go on to run the next job.
	ChildCPU time.Duration `json:"-"`
}

// Log files: a run's stdout and stderr are part of its result under these
// names (when not empty), so `emergence job logs` can show what replicas
// agreed on. A guest cannot create files of these names itself.
const (
	StdoutFile = ".stdout"
	StderrFile = ".stderr"
)

// Hash is the chain's output hash of an exit code and files
// (compute.OutputHash): what providers commit to.
func Hash(exit uint32, files []File) ([32]byte, error) {
	cf := make([]compute.File, len(files))
	for i, f := range files {
		cf[i] = compute.File{Name: f.Path, Blob: f.SHA256}
	}
	if err := compute.CheckFiles(cf); err != nil {
		return [32]byte{}, err
	}
	return compute.OutputHash(exit, cf)
}

// ChainFiles returns the result's files as the chain records them.
func (r *Result) ChainFiles() []compute.File {
	cf := make([]compute.File, len(r.Files))
	for i, f := range r.Files {
		cf[i] = compute.File{Name: f.Path, Blob: f.SHA256}
	}
	return cf
}

// Runner compiles and runs modules. It keeps one compilation cache, so a
// module run twice (the trainer, a referee's re-run) is compiled once.
// A Runner is safe for concurrent use.
type Runner struct {
	cache wazero.CompilationCache
	// Interpreter selects wazero's interpreter instead of its compiler.
	interpreter bool
	// child, when set, is the command that runs a job in its own process
	// (see WithChildProcess); cacheDir is passed to it.
	child    []string
	cacheDir string
	// compiled are the modules compiled by Precompile
	// (at most maxCompiled, oldest forgotten first).
	mu       sync.Mutex
	compiled map[[32]byte]*compiling
	order    [][32]byte
	// idle are child processes waiting for a job (see putIdle); closed
	// is set by Close.
	idle   []*child
	closed bool
}

// Option configures a Runner.
type Option func(*Runner) error

// WithCacheDir keeps compiled modules on disk in dir across processes.
// wazero's cache key does not record whether termination checks were
// compiled in, so a directory must only ever serve one kind of Runner:
// child-process ones (no checks) or in-process ones (checks).
func WithCacheDir(dir string) Option {
	return func(r *Runner) error {
		c, err := wazero.NewCompilationCacheWithDir(dir)
		if err != nil {
			return fmt.Errorf("open compilation cache %s: %w", dir, err)
		}
		r.cache, r.cacheDir = c, dir
		return nil
	}
}

// WithInterpreter makes the Runner use wazero's interpreter (for platforms
// without the compiler, and to compare).
func WithInterpreter() Option {
	return func(r *Runner) error { r.interpreter = true; return nil }
}

// NewRunner returns a Runner.
func NewRunner(opts ...Option) (*Runner, error) {
	r := &Runner{}
	for _, o := range opts {
		if err := o(r); err != nil {
			return nil, err
		}
	}
	if r.cache == nil {
		r.cache = wazero.NewCompilationCache()
	}
	return r, nil
}

// Close ends the idle child processes and releases the compilation cache.
func (r *Runner) Close() error {
	r.closeChildren()
	return r.cache.Close(context.Background())
}

// granted is the WASI preview 1 module name; every import must come from it.
const granted = wasi_snapshot_preview1.ModuleName

// refused are the WASI functions a job may not import even from the granted
// module: sockets are the network.
var refused = []string{"sock_accept", "sock_recv", "sock_send", "sock_shutdown"}

// CheckImports returns ErrImportNotGranted if m imports anything other than
// the granted WASI functions.
func CheckImports(m wazero.CompiledModule) error {
	for _, f := range m.ImportedFunctions() {
		mod, name, _ := f.Import()
		if mod != granted {
			return fmt.Errorf("%w: %s.%s", ErrImportNotGranted, mod, name)
		}
		for _, r := range refused {
			if name == r {
				return fmt.Errorf("%w: %s.%s (no network)", ErrImportNotGranted, mod, name)
			}
		}
	}
	for _, m := range m.ImportedMemories() {
		mod, name, _ := m.Import()
		return fmt.Errorf("%w: memory %s.%s", ErrImportNotGranted, mod, name)
	}
	return nil
}

// Run runs job to completion, its deadline or a limit. ctx cancels it too.
// A non-zero exit code is a result (deterministic, so replicas agree on it);
// the errors above are not.
func (r *Runner) Run(ctx context.Context, job Job) (*Result, error) {
	lim, err := job.Limits.withDefaults()
	if err != nil {
		return nil, err
	}
	if r.child != nil {
		return r.runChild(ctx, job, lim)
	}
	return r.run(ctx, job, lim, true, func() {})
}

// config is the runtime configuration of a run: the compiler (or the
// interpreter), the Runner's cache, termination checks or not.
func (r *Runner) config(terminate bool) wazero.RuntimeConfig {
	cfg := wazero.NewRuntimeConfigCompiler()
	if r.interpreter {
		cfg = wazero.NewRuntimeConfigInterpreter()
	}
	return cfg.WithCompilationCache(r.cache).WithCloseOnContextDone(terminate)
}

// run runs job in this process. With terminate the compiled code checks
// for the deadline at every loop header and call (WithCloseOnContextDone);
// without, nothing stops the guest but its own end, and the caller must be
// a child process that its parent kills at the deadline. started is called
// once the module is compiled and checked, just before it starts.
func (r *Runner) run(ctx context.Context, job Job, lim Limits, terminate bool, started func()) (*Result, error) {
	p, err := r.prepare(ctx, job.Module, lim.MemoryPages, terminate)
	if err != nil {
		return nil, err
	}
	defer p.close()
	return p.run(ctx, job, lim, started)
}

// prepared is a module compiled and checked in a runtime of its own,
// with WASI instantiated: what runs of the module can share. Each run
// instantiates the module afresh, so no run sees another's memory.
type prepared struct {
	rt       wazero.Runtime
	compiled wazero.CompiledModule
	pages    uint32
}

// prepare compiles module (from the cache when it is there) for runs
// limited to pages of memory.
func (r *Runner) prepare(ctx context.Context, module []byte, pages uint32, terminate bool) (*prepared, error) {
	rt := wazero.NewRuntimeWithConfig(ctx, r.config(terminate).WithMemoryLimitPages(pages))
	p := &prepared{rt: rt, pages: pages}
	compiled, err := rt.CompileModule(ctx, module)
	if err != nil {
		p.close()
		return nil, fmt.Errorf("%w: %w", ErrInvalidModule, err)
	}
	p.compiled = compiled
	if err := CheckImports(compiled); err != nil {
		p.close()
		return nil, err
	}
	if _, ok := compiled.ExportedFunctions()["_start"]; !ok {
		p.close()
		return nil, ErrNoEntry
	}
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, rt); err != nil {
		p.close()
		return nil, fmt.Errorf("instantiate wasi: %w", err)
	}
	return p, nil
}

func (p *prepared) close() { p.rt.Close(context.Background()) }

// run runs job (whose module p holds) in a fresh instance.
func (p *prepared) run(ctx context.Context, job Job, lim Limits, started func()) (*Result, error) {
	rt, compiled := p.rt, p.compiled
	var err error
	fsc := wazero.NewFSConfig()
	if job.Input != "" {
		fsc = fsc.WithReadOnlyDirMount(job.Input, InputDir)
	}
	var out *capFS
	if job.Output != "" {
		out = newCapFS(job.Output, lim.OutputBytes, lim.OutputFiles)
		fsc = out.mount(fsc)
	}
	stdout := &capWriter{max: lim.LogBytes}
	stderr := &capWriter{max: lim.LogBytes}
	mc := wazero.NewModuleConfig().
		WithName("job").
		WithArgs(append([]string{"job"}, job.Args...)...).
		WithFSConfig(fsc).
		WithStdin(bytes.NewReader(nil)).
		WithStdout(stdout).
		WithStderr(stderr).
		WithRandSource(newSeeded(job.Seed)).
		WithStartFunctions() // _start is called below, under the deadline

	runCtx, cancel := context.WithTimeout(ctx, lim.Wall)
	defer cancel()
	started()
	start := time.Now()
	mod, err := rt.InstantiateModule(runCtx, compiled, mc)
	var exit uint32
	if err == nil {
		_, err = mod.ExportedFunction("_start").Call(runCtx)
	}
	elapsed := time.Since(start)
	if err != nil {
		var ee *sys.ExitError
		switch {
		case errors.As(err, &ee) && ee.ExitCode() == sys.ExitCodeDeadlineExceeded:
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("%w after %s", ErrDeadline, lim.Wall)
		case errors.As(err, &ee) && ee.ExitCode() == sys.ExitCodeContextCanceled:
			return nil, ctx.Err()
		case errors.As(err, &ee):
			exit = ee.ExitCode()
		default:
			// A trap (unreachable, out of bounds, failed memory.grow
			// handled by the guest as a trap) is deterministic: exit 134.
			if runCtx.Err() != nil {
				return nil, fmt.Errorf("%w after %s", ErrDeadline, lim.Wall)
			}
			exit = ExitTrap
			fmt.Fprintf(stderr, "\nsandbox: trap: %v\n", trapText(err))
		}
	}
	if mod != nil {
		mod.Close(context.Background())
	}
	res := &Result{ExitCode: exit, Stdout: stdout.Bytes(), Stderr: stderr.Bytes(), Elapsed: elapsed}
	if out != nil {
		if out.over() {
			return nil, fmt.Errorf("%w: %d bytes and %d files allowed", ErrOutputCap, lim.OutputBytes, lim.OutputFiles)
		}
		if res.Files, err = ListOutputs(job.Output, lim.OutputBytes, lim.OutputFiles); err != nil {
			return nil, err
		}
	}
	for _, l := range []struct {
		name string
		b    []byte
	}{{StdoutFile, res.Stdout}, {StderrFile, res.Stderr}} {
		if len(l.b) > 0 {
			res.Files = append(res.Files, File{Path: l.name, Size: int64(len(l.b)), SHA256: fmt.Sprintf("%x", sha256.Sum256(l.b))})
		}
	}
	sort.Slice(res.Files, func(i, j int) bool { return res.Files[i].Path < res.Files[j].Path })
	if res.Hash, err = Hash(res.ExitCode, res.Files); err != nil {
		return nil, err
	}
	return res, nil
}

// ExitTrap is the exit code recorded when the guest traps.
const ExitTrap = 134

// trapText keeps the first line of a trap error (wazero appends a stack).
func trapText(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// ListOutputs hashes every regular file in dir (flat: the chain's file
// names have no slashes, and the sandbox refuses subdirectories) in name
// order and fails with ErrOutputCap past the caps. Anything else is an error.
func ListOutputs(dir string, maxBytes int64, maxFiles int) ([]File, error) {
	var files []File
	var total int64
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p == dir {
				return nil
			}
			return fmt.Errorf("output %s is a directory", p)
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("output %s is not a regular file", p)
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		total += info.Size()
		if total > maxBytes || len(files)+1 > maxFiles {
			return fmt.Errorf("%w: %d bytes and %d files allowed", ErrOutputCap, maxBytes, maxFiles)
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		h := sha256.New()
		n, err := io.Copy(h, f)
		if err != nil {
			return fmt.Errorf("hash output %s: %w", rel, err)
		}
		files = append(files, File{Path: filepath.ToSlash(rel), Size: n, SHA256: fmt.Sprintf("%x", h.Sum(nil))})
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, nil
}

// capWriter keeps the first max bytes written to it and drops the rest.
type capWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (w *capWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if room := w.max - w.buf.Len(); room > 0 {
		w.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (w *capWriter) Bytes() []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return bytes.Clone(w.buf.Bytes())
}

// seeded is a splitmix64 stream: the guest's random bytes, fixed by the job.
type seeded struct{ s uint64 }

func newSeeded(seed uint64) *seeded { return &seeded{s: seed} }

func (r *seeded) Read(p []byte) (int, error) {
	for i := 0; i < len(p); i += 8 {
		r.s += 0x9e3779b97f4a7c15
		z := r.s
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		z ^= z >> 31
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], z)
		copy(p[i:], b[:])
	}
	return len(p), nil
}
