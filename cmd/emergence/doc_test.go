package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The doc test runs the shell blocks of the project's READMEs, in order, the
// way a reader pastes them, and checks what they print. A README that drifts
// from the code fails it.
//
// The conventions, all invisible or natural in the rendered Markdown:
//
//   - Every ```sh block runs, in one bash session per file, so variables
//     and files carry from one block to the next. Commands run in a fresh
//     directory that holds links to the repository's testdata/ and docs/,
//     with HOME set to a fresh directory too.
//   - A line "#> TEXT" after a command says that the command's output (stdout
//     and stderr) contains TEXT; "#> exit N" says it exits with status N
//     (default 0). Both read as the output a reader should see.
//   - <!-- doctest: devnet HOME FLAGS... --> before a block starts
//     "emergence devnet --home HOME FLAGS..." as the text asks the reader to
//     do in another terminal; HOME is replaced by a temporary directory in
//     every block (a home under ~/ is the test's HOME, not replaced), and
//     the API listens on a free loopback port.
//   - <!-- doctest: skip REASON --> skips the next block (the quick start's
//     own commands, which are this test's caller).
//
// Background jobs a block starts ("... &", then "wait") are ended when the
// file's session ends.

// docFiles returns every Markdown file of the repository that has a ```sh
// block, relative to root, so a new document's commands are tested the day
// they are written.
func docFiles(t *testing.T, root string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".md") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.Contains(string(src), "\n```sh") {
			rel, _ := filepath.Rel(root, path)
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(files, "README.md") {
		t.Fatalf("README.md has no ```sh block: the doc test found %v", files)
	}
	return files
}

// docBlock is one fenced shell block of a Markdown file.
type docBlock struct {
	line  int      // line number of the opening fence
	lines []string // the block's lines
	skip  string   // reason to skip it, if any
	// devnet, when set, is the directive that precedes the block.
	devnet []string
}

// parseDoc returns the ```sh blocks of a Markdown document.
func parseDoc(src string) ([]docBlock, error) {
	var (
		blocks  []docBlock
		cur     *docBlock
		pending docBlock
	)
	sc := bufio.NewScanner(strings.NewReader(src))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trim := strings.TrimSpace(line)
		if cur != nil {
			if trim == "```" {
				blocks = append(blocks, *cur)
				cur = nil
				continue
			}
			cur.lines = append(cur.lines, line)
			continue
		}
		if d, ok := strings.CutPrefix(trim, "<!-- doctest:"); ok {
			d, ok = strings.CutSuffix(d, "-->")
			if !ok {
				return nil, fmt.Errorf("line %d: doctest directive must end with -->", n)
			}
			f := strings.Fields(d)
			if len(f) == 0 {
				return nil, fmt.Errorf("line %d: empty doctest directive", n)
			}
			switch f[0] {
			case "skip":
				if len(f) < 2 {
					return nil, fmt.Errorf("line %d: doctest skip needs a reason", n)
				}
				pending.skip = strings.Join(f[1:], " ")
			case "devnet":
				if len(f) < 2 {
					return nil, fmt.Errorf("line %d: doctest devnet needs a home directory", n)
				}
				pending.devnet = f[1:]
			default:
				return nil, fmt.Errorf("line %d: unknown doctest directive %q", n, f[0])
			}
			continue
		}
		if strings.HasPrefix(trim, "```") {
			info := strings.Fields(strings.TrimPrefix(trim, "```"))
			b := pending
			pending = docBlock{}
			b.line = n
			if len(info) > 0 && info[0] == "sh" {
				cur = &b
			} else if b.skip != "" || b.devnet != nil {
				return nil, fmt.Errorf("line %d: doctest directive before a block that is not ```sh", n)
			} else {
				// Some other fenced block: read through it.
				for sc.Scan() {
					n++
					if strings.TrimSpace(sc.Text()) == "```" {
						break
					}
				}
			}
		}
	}
	if cur != nil {
		return nil, fmt.Errorf("line %d: unclosed code block", cur.line)
	}
	return blocks, sc.Err()
}

// docCommand is one shell command of a block with what it must print.
type docCommand struct {
	line   int
	text   string
	expect []string
	exit   int
}

// splitCommands splits a block into commands: a line and its
// backslash continuations, then its "#>" expectations.
func splitCommands(b docBlock) ([]docCommand, error) {
	var cmds []docCommand
	for i := 0; i < len(b.lines); i++ {
		line := b.lines[i]
		trim := strings.TrimSpace(line)
		n := b.line + 1 + i
		if exp, ok := strings.CutPrefix(trim, "#>"); ok {
			if len(cmds) == 0 {
				return nil, fmt.Errorf("line %d: expectation before any command", n)
			}
			exp = strings.TrimSpace(exp)
			c := &cmds[len(cmds)-1]
			if code, ok := strings.CutPrefix(exp, "exit "); ok {
				v, err := strconv.Atoi(code)
				if err != nil {
					return nil, fmt.Errorf("line %d: bad exit status %q", n, code)
				}
				c.exit = v
				continue
			}
			c.expect = append(c.expect, exp)
			continue
		}
		if trim == "" || strings.HasPrefix(trim, "#") {
			continue
		}
		c := docCommand{line: n, text: line}
		for strings.HasSuffix(strings.TrimRight(b.lines[i], " "), "\\") && i+1 < len(b.lines) {
			i++
			c.text += "\n" + b.lines[i]
		}
		cmds = append(cmds, c)
	}
	return cmds, nil
}

// shellQuote quotes s for bash.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// docScript turns commands into a bash script that runs each in the
// current shell (so assignments and background jobs behave as pasted),
// captures its output, and fails with the file and line on a mismatch.
func docScript(file string, cmds []docCommand, outDir string) string {
	var sb strings.Builder
	sb.WriteString("set -o pipefail\n")
	sb.WriteString(`__fail() { printf '%s\n' "$1" >&2; printf -- '--- output:\n' >&2; cat "$2" >&2; exit 1; }` + "\n")
	for i, c := range cmds {
		out := filepath.Join(outDir, fmt.Sprintf("out.%d", i))
		where := fmt.Sprintf("%s:%d: %s", file, c.line, strings.SplitN(c.text, "\n", 2)[0])
		fmt.Fprintf(&sb, "printf '%%s\\n' %s\n", shellQuote("$ "+strings.TrimSpace(c.text)))
		fmt.Fprintf(&sb, "{ %s\n} >%s 2>&1 </dev/null; __rc=$?\ncat %s\n", c.text, out, out)
		fmt.Fprintf(&sb, "[ \"$__rc\" = %d ] || __fail %s\"exited with status $__rc, want %d\" %s\n", c.exit, shellQuote(where+"\n"), c.exit, out)
		for _, e := range c.expect {
			fmt.Fprintf(&sb, "grep -qF -- %s %s || __fail %s %s\n", shellQuote(e), out, shellQuote(fmt.Sprintf("%s\noutput lacks %q", where, e)), out)
		}
	}
	return sb.String()
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// emergenceShim writes an "emergence" command into a fresh directory that
// runs this test binary as the real command, and returns the directory.
func emergenceShim(t *testing.T) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	script := fmt.Sprintf("#!/bin/sh\nEMERGENCE_RUN_MAIN=1 exec %s \"$@\"\n", shellQuote(self))
	if err := os.WriteFile(filepath.Join(dir, "emergence"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// startDocDevnet starts "emergence devnet" as a real process on a free
// port and waits until its API answers.
func startDocDevnet(t *testing.T, shim string, env []string, home string, flags []string) {
	t.Helper()
	api := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	args := append([]string{"devnet", "--home", home, "--api", api}, flags...)
	cmd := exec.Command(filepath.Join(shim, "emergence"), args...)
	cmd.Env = env
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start devnet: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	})
	deadline := time.After(2 * time.Minute)
	for {
		resp, err := http.Get("http://" + api + "/v1/status")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		select {
		case <-exited:
			t.Fatalf("devnet exited before its API answered:\n%s", log.String())
		case <-deadline:
			t.Fatalf("devnet API at %s did not answer within 2 minutes:\n%s", api, log.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func TestDocs(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	shim := emergenceShim(t)
	for _, file := range docFiles(t, root) {
		t.Run(file, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join(root, file))
			if err != nil {
				t.Fatal(err)
			}
			blocks, err := parseDoc(string(src))
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			work, home := keptDir(t, "work"), keptDir(t, "home")
			for _, d := range []string{"testdata", "docs"} {
				if err := os.Symlink(filepath.Join(root, d), filepath.Join(work, d)); err != nil {
					t.Fatal(err)
				}
			}
			env := append(os.Environ(), "PATH="+shim+string(os.PathListSeparator)+os.Getenv("PATH"), "HOME="+home, "EMERGENCE_RUN_MAIN=")
			// Go's build and module caches are content-addressed, so a README
			// that builds a program (a WebAssembly job) shares them with the
			// test's own HOME instead of rebuilding the standard library.
			env = append(env, goCacheEnv(t)...)
			// Devnets first, so that one bash session runs the whole file.
			subst := map[string]string{}
			for _, b := range blocks {
				if b.devnet != nil && b.skip == "" {
					// The default home is the reader's own: the test's HOME.
					dhome, ok := strings.CutPrefix(b.devnet[0], "~/")
					if ok {
						dhome = filepath.Join(home, dhome)
					} else {
						dhome = filepath.Join(t.TempDir(), "home")
						subst[b.devnet[0]] = dhome
					}
					startDocDevnet(t, shim, env, dhome, b.devnet[1:])
				}
			}
			var cmds []docCommand
			for _, b := range blocks {
				if b.skip != "" {
					t.Logf("%s:%d: skipped by its directive: %s", file, b.line, b.skip)
					continue
				}
				for i, l := range b.lines {
					for from, to := range subst {
						l = strings.ReplaceAll(l, from, to)
					}
					b.lines[i] = l
				}
				bc, err := splitCommands(b)
				if err != nil {
					t.Fatalf("%s: %v", file, err)
				}
				cmds = append(cmds, bc...)
			}
			if len(cmds) == 0 {
				t.Fatalf("%s: no commands to run", file)
			}
			runDocScript(t, file, cmds, work, env)
		})
	}
}

// goCacheEnv returns GOCACHE and GOMODCACHE as the go command resolves them.
func goCacheEnv(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOCACHE", "GOMODCACHE").Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	f := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(f) != 2 {
		t.Fatalf("go env printed %q", out)
	}
	return []string{"GOCACHE=" + f[0], "GOMODCACHE=" + f[1]}
}

// keptDir returns a fresh directory that is removed after the test unless
// the test failed: then its path is logged, so the files and logs the
// commands left can be read.
func keptDir(t *testing.T, name string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "doctest-"+name+"-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kept %s for inspection", dir)
			return
		}
		os.RemoveAll(dir)
	})
	return dir
}

// runDocScript runs a file's commands in one bash session and fails the
// test on the first mismatch.
func runDocScript(t *testing.T, file string, cmds []docCommand, work string, env []string) {
	t.Helper()
	outDir := t.TempDir()
	script := docScript(file, cmds, outDir)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Dir, cmd.Env = work, env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	// Background jobs the commands started end with the session.
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	if ctx.Err() != nil {
		t.Fatalf("%s: the commands did not finish within 10 minutes; the last one started is the last \"$ \" line:\n%s", file, out.String())
	}
	if err != nil {
		t.Fatalf("%s: %v\n%s", file, err, out.String())
	}
	t.Logf("%s:\n%s", file, out.String())
}
