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

// childSpec is what the parent sends the child on stdin for each job: one
// JSON line with the job but its module, then the module's ModuleBytes raw
// bytes, or none when SameModule says the job's module is the last one's.
// The module does not travel inside the JSON: decoding megabytes of base64
// through encoding/json cost the child more CPU than loading the module's
// compiled code (38 of a trainer job's ~140 ms).
type childSpec struct {
	Job         Job    `json:"job"`
	ModuleBytes int    `json:"module_bytes"`
	SameModule  bool   `json:"same_module,omitempty"`
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
	CPUNs   int64  `json:"cpu_ns,omitempty"`
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

// ServeChild is the child side of WithChildProcess: it reads jobs from in
// until in ends, runs each without termination checks (the parent
// enforces the deadline) and writes its progress and result to out. A
// spec with no module bytes runs the module of the job before, still
// compiled: decoding, validating and loading a module's compiled code
// from the cache was most of what a child did before a job started (45-50
// of the trainer's ~95 ms), and a parent hands a child that has finished
// a job the next job of the same module.
func ServeChild(in io.Reader, out io.Writer) error {
	br := bufio.NewReaderSize(in, 64<<10)
	enc := json.NewEncoder(out)
	var (
		r       *Runner
		p       *prepared
		module  []byte
		lastCPU time.Duration
	)
	defer func() {
		if p != nil {
			p.close()
		}
		if r != nil {
			r.Close()
		}
	}()
	for first := true; ; first = false {
		line, err := br.ReadBytes('\n')
		if err == io.EOF && len(line) == 0 && !first {
			return nil
		}
		if err != nil {
			return fmt.Errorf("sandbox child: read job: no spec line (%w)", err)
		}
		var spec childSpec
		if err := json.Unmarshal(line, &spec); err != nil {
			return fmt.Errorf("sandbox child: read job: %w", err)
		}
		switch {
		case spec.ModuleBytes < 0 || spec.ModuleBytes > maxChildModule:
			return fmt.Errorf("sandbox child: module of %d bytes", spec.ModuleBytes)
		case spec.SameModule && (module == nil || spec.ModuleBytes != 0):
			return errors.New("sandbox child: the same module as no job before")
		}
		if !spec.SameModule {
			module = make([]byte, spec.ModuleBytes)
			if _, err := io.ReadFull(br, module); err != nil {
				return fmt.Errorf("sandbox child: read module: %w", err)
			}
			if p != nil {
				p.close()
				p = nil
			}
		}
		if r == nil {
			var opts []Option
			if spec.CacheDir != "" {
				opts = append(opts, WithCacheDir(spec.CacheDir))
			}
			if r, err = NewRunner(opts...); err != nil {
				return err
			}
		}
		spec.Job.Module = module
		lim, err := spec.Job.Limits.withDefaults()
		if err == nil && p != nil && p.pages != lim.MemoryPages {
			p.close()
			p = nil
		}
		if err == nil && p == nil {
			p, err = r.prepare(context.Background(), module, lim.MemoryPages, false)
		}
		var res *Result
		if err == nil {
			res, err = p.run(context.Background(), spec.Job, lim, func() { enc.Encode(childLine{Started: true}) })
		}
		if err != nil {
			err = enc.Encode(childLine{Kind: kindOf(err), Err: err.Error()})
		} else {
			cpu := processCPU()
			err = enc.Encode(childLine{Result: &childResult{Result: *res, HashHex: res.Hash[:], Out: res.Stdout, ErrLog: res.Stderr, Nanos: int64(res.Elapsed), CPUNs: int64(cpu - lastCPU)}})
			lastCPU = cpu
		}
		if err != nil {
			return fmt.Errorf("sandbox child: write result: %w", err)
		}
	}
}

// Idle children: a child that has finished a job waits, its module still
// compiled, for the next job of the same module and memory limit, for at
// most childIdle; a Runner keeps at most maxIdleChildren waiting. A child
// killed at a deadline, or whose job was cancelled, is never reused.
const (
	maxIdleChildren = 2
	childIdle       = 30 * time.Second
)

// childKey is what an idle child can run again.
type childKey struct {
	module [32]byte
	pages  uint32
}

// child is one child process.
type child struct {
	key    childKey
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr *capWriter
	// lines carries the child's output lines; readErr is set before it
	// closes. One channel keeps the order: a result line the child wrote
	// just before it exited is always seen before the end (with a second
	// channel for the end, select could take the end first and drop the
	// result).
	lines   chan childLine
	readErr error
	idle    *time.Timer
}

// startChild starts a child process and its reader.
func (r *Runner) startChild(key childKey) (*child, error) {
	c := &child{key: key, cmd: exec.Command(r.child[0], r.child[1:]...), stderr: &capWriter{max: DefaultLogBytes}, lines: make(chan childLine, 2)}
	c.cmd.Stderr = c.stderr
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var err error
	if c.stdin, err = c.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	pipe, err := c.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := c.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start sandbox child: %w", err)
	}
	go func() {
		defer close(c.lines)
		sc := bufio.NewScanner(pipe)
		sc.Buffer(make([]byte, 1<<20), 1<<30)
		for sc.Scan() {
			var l childLine
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				c.readErr = fmt.Errorf("sandbox child: bad line: %w", err)
				return
			}
			c.lines <- l
		}
		c.readErr = sc.Err()
	}()
	return c, nil
}

// kill ends the child's process group and waits for it.
func (c *child) kill() {
	syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
	c.stdin.Close()
	c.cmd.Wait()
}

// takeIdle returns a waiting child for key, or nil.
func (r *Runner) takeIdle(key childKey) *child {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, c := range r.idle {
		if c.key != key {
			continue
		}
		r.idle = append(r.idle[:i:i], r.idle[i+1:]...)
		c.idle.Stop()
		select {
		case <-c.lines: // it wrote or ended while idle: not usable
			go c.kill()
			return nil
		default:
			return c
		}
	}
	return nil
}

// putIdle keeps c for the next job of its module, or ends it.
func (r *Runner) putIdle(c *child) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || len(r.idle) >= maxIdleChildren {
		go c.kill()
		return
	}
	r.idle = append(r.idle, c)
	c.idle = time.AfterFunc(childIdle, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		for i, w := range r.idle {
			if w == c {
				r.idle = append(r.idle[:i:i], r.idle[i+1:]...)
				go c.kill()
				return
			}
		}
	})
}

// closeChildren ends the idle children (Runner.Close).
func (r *Runner) closeChildren() {
	r.mu.Lock()
	idle := r.idle
	r.idle, r.closed = nil, true
	r.mu.Unlock()
	for _, c := range idle {
		c.idle.Stop()
		c.kill()
	}
}

// runChild runs job in a child process, a waiting one of the same module
// if there is one, and kills it at the deadline, which starts once the
// child has compiled the module.
func (r *Runner) runChild(ctx context.Context, job Job, lim Limits) (*Result, error) {
	if r.cacheDir != "" {
		r.Precompile(ctx, job.Module)
	}
	key := childKey{module: sha256.Sum256(job.Module), pages: lim.MemoryPages}
	if c := r.takeIdle(key); c != nil {
		res, err, gone := r.runIn(ctx, c, job, nil, lim)
		if !gone {
			return res, err
		}
		// It ended while it waited (or as it was handed the job), before
		// it started the job: run the job in a new child.
	}
	c, err := r.startChild(key)
	if err != nil {
		return nil, err
	}
	module := job.Module
	if module == nil {
		module = []byte{} // sent, empty: not the same module
	}
	res, err, _ := r.runIn(ctx, c, job, module, lim)
	return res, err
}

// runIn runs job in c, sending module if c does not have it yet; gone
// reports a child that ended before it started the job.
func (r *Runner) runIn(ctx context.Context, c *child, job Job, module []byte, lim Limits) (res *Result, err error, gone bool) {
	job.Module = nil
	spec, err := json.Marshal(childSpec{Job: job, ModuleBytes: len(module), SameModule: module == nil, CacheDir: r.cacheDir})
	if err != nil {
		go c.kill()
		return nil, err, false
	}
	// The child reads all of it before it answers; a child that died
	// fails the write, and its end is seen on lines.
	go func() {
		if _, err := c.stdin.Write(append(spec, '\n')); err == nil {
			c.stdin.Write(module)
		}
	}()
	reused := module == nil
	started := false
	var timer <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			go c.kill()
			return nil, ctx.Err(), false
		case <-timer:
			go c.kill()
			return nil, fmt.Errorf("%w after %s", ErrDeadline, lim.Wall), false
		case l, ok := <-c.lines:
			if !ok {
				c.kill()
				if reused && !started {
					return nil, nil, true
				}
				err := c.readErr
				if err == nil {
					err = fmt.Errorf("sandbox child exited without a result (%s): %s", c.cmd.ProcessState, bytes.TrimSpace(c.stderr.Bytes()))
				}
				return nil, err, false
			}
			switch {
			case l.Started:
				started = true
				timer = time.After(lim.Wall)
			case l.Result != nil:
				r.putIdle(c)
				res := l.Result.Result
				copy(res.Hash[:], l.Result.HashHex)
				res.Stdout, res.Stderr, res.Elapsed = l.Result.Out, l.Result.ErrLog, time.Duration(l.Result.Nanos)
				res.ChildCPU = time.Duration(l.Result.CPUNs)
				return &res, nil, false
			default:
				r.putIdle(c)
				if e, ok := errKinds[l.Kind]; ok {
					return nil, fmt.Errorf("%w (%s)", e, l.Err), false
				}
				return nil, errors.New(l.Err), false
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

// processCPU is this process's user and system CPU time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
