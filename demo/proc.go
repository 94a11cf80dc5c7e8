package demo

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

// proc is a child emergence process (the devnet, the site or a worker)
// whose output goes to a log file and is scanned line by line, so the demo
// can wait for a line the process prints instead of polling.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error // set before done closes

	mu      sync.Mutex
	lines   []string // the last lines, for error messages
	waiters []lineWaiter
}

type lineWaiter struct {
	re *regexp.Regexp
	ch chan []string
}

// start runs bin with args as a child process logging to dir/name.log.
func start(bin, dir, name string, args ...string) (*proc, error) {
	logPath := filepath.Join(dir, name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("log of %s: %w", name, err)
	}
	cmd := exec.Command(bin, args...)
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	p := &proc{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(f, line)
			p.seen(line)
		}
		io.Copy(f, pr)
	}()
	go func() {
		p.err = cmd.Wait()
		pw.Close()
		f.Close()
		close(p.done)
	}()
	return p, nil
}

func (p *proc) seen(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lines = append(p.lines, line)
	if len(p.lines) > 20 {
		p.lines = p.lines[len(p.lines)-20:]
	}
	kept := p.waiters[:0]
	for _, w := range p.waiters {
		if m := w.re.FindStringSubmatch(line); m != nil {
			w.ch <- m
			continue
		}
		kept = append(kept, w)
	}
	p.waiters = kept
}

// tail is the process's last output lines.
func (p *proc) tail() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// waitLine waits until the process prints a line matching re, and returns
// the match. It fails when the process exits first or ctx ends. Only lines
// printed after the call count, so call it before what makes the line.
func (p *proc) waitLine(ctx context.Context, re *regexp.Regexp) ([]string, error) {
	ch := make(chan []string, 1)
	p.mu.Lock()
	for _, l := range p.lines {
		if m := re.FindStringSubmatch(l); m != nil {
			p.mu.Unlock()
			return m, nil
		}
	}
	p.waiters = append(p.waiters, lineWaiter{re: re, ch: ch})
	p.mu.Unlock()
	select {
	case m := <-ch:
		return m, nil
	case <-p.done:
		select {
		case m := <-ch:
			return m, nil
		default:
		}
		return nil, fmt.Errorf("%s exited (%v) before printing %q; its last lines (%s):\n%s", p.name, p.err, re, p.log, p.tail())
	case <-ctx.Done():
		return nil, fmt.Errorf("%s did not print %q: %w; its last lines (%s):\n%s", p.name, re, ctx.Err(), p.log, p.tail())
	}
}

// wait waits for the process to exit and returns its error.
func (p *proc) wait(ctx context.Context) error {
	select {
	case <-p.done:
		if p.err != nil {
			return fmt.Errorf("%s: %w; its last lines (%s):\n%s", p.name, p.err, p.log, p.tail())
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s still running: %w; its last lines (%s):\n%s", p.name, ctx.Err(), p.log, p.tail())
	}
}

// stop sends SIGTERM, and SIGKILL after 15 s.
func (p *proc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// cliError is a CLI command that failed: its exit status and output.
type cliError struct {
	args   []string
	status int
	stdout string
	stderr string
}

func (e *cliError) Error() string {
	return fmt.Sprintf("emergence %s: exit %d\n%s%s", strings.Join(e.args, " "), e.status, e.stdout, e.stderr)
}

// run runs one CLI command to its end and returns its stdout.
func run(ctx context.Context, bin string, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return out.String(), &cliError{args: args, status: ee.ExitCode(), stdout: out.String(), stderr: errb.String()}
	}
	if err != nil {
		return out.String(), fmt.Errorf("emergence %s: %w", strings.Join(args, " "), err)
	}
	return out.String(), nil
}

// parallel runs fn(0..n-1) at once and returns the first error. The demo
// uses it for transactions of distinct accounts, whose nonces are
// independent.
func parallel(n int, fn func(i int) error) error {
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func() { errs <- fn(i) }()
	}
	var first error
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}
