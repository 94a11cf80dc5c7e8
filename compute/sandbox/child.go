package sandbox

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"syscall"
	"time"

	"github.com/tetratelabs/wazero"
)

// WithChildProcess makes the Runner run every job in a child process,
// argv (e.g. the emergence binary and its hidden "sandbox-child"
// subcommand), which calls ServeChild. The child compiles the module
// without wazero's termination checks and the parent kills the process at
// the deadline instead: the checks (WithCloseOnContextDone) call out of the
// compiled code at every loop header, which costs Go-built modules, whose
// every function is a loop, more than ten times their speed. A killed
// process also takes every byte it allocated with it.
func WithChildProcess(argv ...string) Option {
	return func(r *Runner) error {
		if len(argv) == 0 {
			return errors.New("sandbox: empty child command")
		}
		r.child = append([]string(nil), argv...)
		return nil
	}
}

// childSpec is what the parent sends the child on stdin: one JSON line
// with the job but its module, then the module's ModuleBytes raw bytes.
// The module does not travel inside the JSON: decoding megabytes of base64
// through encoding/json cost the child more CPU than loading the module's
// compiled code (38 of a trainer job's ~140 ms).
type childSpec struct {
	Job         Job    `json:"job"`
	ModuleBytes int    `json:"module_bytes"`
	CacheDir    string `json:"cache_dir,omitempty"`
}

// maxChildModule bounds the module size a child accepts from its parent
// (wasm32 cannot address more than 4 GiB anyway).
const maxChildModule = 1 << 30

// childLine is one line the child writes on stdout: first {"started":
// true} once the module is compiled, then the result or the error.
type childLine struct {
	Started bool         `json:"started,omitempty"`
	Result  *childResult `json:"result,omitempty"`
	// Kind names the sentinel error (see errKinds), Err its text.
	Kind string `json:"kind,omitempty"`
	Err  string `json:"err,omitempty"`
}

// childResult carries a Result's unexported-in-JSON fields.
type childResult struct {
	Result
	HashHex []byte `json:"hash"`
	Out     []byte `json:"stdout"`
	ErrLog  []byte `json:"stderr"`
	Nanos   int64  `json:"elapsed_ns"`
}

var errKinds = map[string]error{
	"invalid": ErrInvalidModule, "imports": ErrImportNotGranted, "deadline": ErrDeadline,
	"output": ErrOutputCap, "limits": ErrLimits, "entry": ErrNoEntry,
}

func kindOf(err error) string {
	for k, e := range errKinds {
		if errors.Is(err, e) {
			return k
		}
	}
	return ""
}

// ServeChild is the child side of WithChildProcess: it reads one job from
// in, runs it without termination checks (the parent enforces the
// deadline) and writes its progress and result to out.
func ServeChild(in io.Reader, out io.Writer) error {
	var spec childSpec
	dec := json.NewDecoder(in)
	if err := dec.Decode(&spec); err != nil {
		return fmt.Errorf("sandbox child: read job: %w", err)
	}
	if spec.ModuleBytes < 0 || spec.ModuleBytes > maxChildModule {
		return fmt.Errorf("sandbox child: module of %d bytes", spec.ModuleBytes)
	}
	// The decoder may have read past the spec's line into the module.
	raw := io.MultiReader(dec.Buffered(), in)
	var nl [1]byte
	if _, err := io.ReadFull(raw, nl[:]); err != nil || nl[0] != '\n' {
		return fmt.Errorf("sandbox child: read job: no newline after the spec (%v)", err)
	}
	spec.Job.Module = make([]byte, spec.ModuleBytes)
	if _, err := io.ReadFull(raw, spec.Job.Module); err != nil {
		return fmt.Errorf("sandbox child: read module: %w", err)
	}
	var opts []Option
	if spec.CacheDir != "" {
		opts = append(opts, WithCacheDir(spec.CacheDir))
	}
	r, err := NewRunner(opts...)
	if err != nil {
		return err
	}
	defer r.Close()
	enc := json.NewEncoder(out)
	lim, err := spec.Job.Limits.withDefaults()
	var res *Result
	if err == nil {
		res, err = r.run(context.Background(), spec.Job, lim, false, func() { enc.Encode(childLine{Started: true}) })
	}
	if err != nil {
		return enc.Encode(childLine{Kind: kindOf(err), Err: err.Error()})
	}
	return enc.Encode(childLine{Result: &childResult{Result: *res, HashHex: res.Hash[:], Out: res.Stdout, ErrLog: res.Stderr, Nanos: int64(res.Elapsed)}})
}

// runChild runs job in a child process and kills it at the deadline,
// which starts once the child has compiled the module.
func (r *Runner) runChild(ctx context.Context, job Job, lim Limits) (*Result, error) {
	if r.cacheDir != "" {
		r.Precompile(ctx, job.Module)
	}
	module := job.Module
	job.Module = nil
	spec, err := json.Marshal(childSpec{Job: job, ModuleBytes: len(module), CacheDir: r.cacheDir})
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(r.child[0], r.child[1:]...)
	cmd.Stdin = io.MultiReader(bytes.NewReader(append(spec, '\n')), bytes.NewReader(module))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start sandbox child: %w", err)
	}
	kill := func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	// The reader hands over every line, then closes lines; readErr is set
	// before the close. One channel keeps the order: a result line the
	// child wrote just before it exited is always seen before the end
	// (with a second channel for the end, select could take the end first
	// and drop the result).
	lines := make(chan childLine, 2)
	var readErr error
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(pipe)
		sc.Buffer(make([]byte, 1<<20), 1<<30)
		for sc.Scan() {
			var l childLine
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				readErr = fmt.Errorf("sandbox child: bad line: %w", err)
				return
			}
			lines <- l
		}
		readErr = sc.Err()
	}()
	waited := false
	defer func() {
		if !waited {
			cmd.Wait()
		}
	}()
	var timer <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			kill()
			return nil, ctx.Err()
		case <-timer:
			kill()
			return nil, fmt.Errorf("%w after %s", ErrDeadline, lim.Wall)
		case l, ok := <-lines:
			if !ok {
				kill()
				err := readErr
				if err == nil {
					cmd.Wait()
					waited = true
					err = fmt.Errorf("sandbox child exited without a result (%s): %s", cmd.ProcessState, bytes.TrimSpace(stderr.Bytes()))
				}
				return nil, err
			}
			switch {
			case l.Started:
				timer = time.After(lim.Wall)
			case l.Result != nil:
				res := l.Result.Result
				copy(res.Hash[:], l.Result.HashHex)
				res.Stdout, res.Stderr, res.Elapsed = l.Result.Out, l.Result.ErrLog, time.Duration(l.Result.Nanos)
				return &res, nil
			default:
				if e, ok := errKinds[l.Kind]; ok {
					return nil, fmt.Errorf("%w (%s)", e, l.Err)
				}
				return nil, errors.New(l.Err)
			}
		}
	}
}

// maxCompiled bounds the modules a Runner remembers having compiled.
const maxCompiled = 64

// compiling is one module's compilation into the cache directory; done
// closes when it ends.
type compiling struct{ done chan struct{} }

// Precompile compiles module into the Runner's cache once, as its runs
// compile it (for child processes: into the on-disk cache, without
// termination checks), so that the runs that follow only load it, and
// concurrent first runs of a module (a provider's cores, its referee
// runs) wait for one compilation instead of each compiling it again: a
// Go-built module is megabytes, seconds of compiler time. A provider calls
// it when it bids, so the compilation is done by the time the job is
// assigned. A module that does not compile is left to the run, which
// reports the refusal as a result.
func (r *Runner) Precompile(ctx context.Context, module []byte) {
	key := sha256.Sum256(module)
	r.mu.Lock()
	c, ok := r.compiled[key]
	if !ok {
		if r.compiled == nil {
			r.compiled = map[[32]byte]*compiling{}
		}
		if len(r.order) >= maxCompiled {
			delete(r.compiled, r.order[0])
			r.order = r.order[1:]
		}
		c = &compiling{done: make(chan struct{})}
		r.compiled[key] = c
		r.order = append(r.order, key)
	}
	r.mu.Unlock()
	if ok {
		select {
		case <-c.done:
		case <-ctx.Done():
		}
		return
	}
	defer close(c.done)
	rt := wazero.NewRuntimeWithConfig(ctx, r.config(r.child == nil))
	defer rt.Close(context.Background())
	if m, err := rt.CompileModule(ctx, module); err == nil {
		m.Close(context.Background())
	}
}
