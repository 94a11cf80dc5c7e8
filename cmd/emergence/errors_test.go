package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// procResult is what one run of the emergence command as its own process
// printed, and its exit status.
type procResult struct {
	stdout, stderr string
	status         int
}

// runProc runs this test binary as the emergence command in its own
// process (see TestMain), with an empty standard input.
func runProc(t *testing.T, args ...string) procResult {
	t.Helper()
	cmd := newSelfCmd(args...)
	cmd.Env = append(cmd.Env, passphraseEnv+"=")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := procResult{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.status = ee.ExitCode()
	case err != nil:
		t.Fatalf("run emergence %s: %v", strings.Join(args, " "), err)
	}
	return r
}

// want checks the exit status and that stderr holds every fragment.
func (r procResult) want(t *testing.T, status int, fragments ...string) {
	t.Helper()
	if r.status != status {
		t.Errorf("exit status %d, want %d\nstderr: %s", r.status, status, r.stderr)
	}
	for _, f := range fragments {
		if !strings.Contains(r.stderr, f) {
			t.Errorf("stderr lacks %q:\n%s", f, r.stderr)
		}
	}
}

// noHint checks that the failure printed no hint.
func (r procResult) noHint(t *testing.T) {
	t.Helper()
	if strings.Contains(r.stderr, "hint:") {
		t.Errorf("stderr has a hint, want none:\n%s", r.stderr)
	}
}

// TestExitStatuses runs the real command on real failures and checks each
// message and exit status: usage errors exit 2 with a hint, failures of
// the machine exit 1 and keep their cause, an unreachable node exits 4.
func TestExitStatuses(t *testing.T) {
	home := t.TempDir()
	kb := []string{"--home", home, "--keyring-backend", "test"}
	dir := t.TempDir()

	t.Run("unknown nested command", func(t *testing.T) {
		runProc(t, "tx", "bank", "sned", "alice", "bob", "1emg").want(t, exitUsage,
			`unknown command "sned" for "emergence tx bank"`, "did you mean 'emergence tx bank send'")
		runProc(t, "query", "lable").want(t, exitUsage, `unknown command "lable" for "emergence query"`, "'emergence query label'")
		runProc(t, "nosuch").want(t, exitUsage, `unknown command "nosuch" for "emergence"`)
	})
	t.Run("group without a subcommand shows help", func(t *testing.T) {
		r := runProc(t, "tx")
		if r.status != 0 || !strings.Contains(r.stdout, "Available Commands") {
			t.Errorf("emergence tx: exit %d, stdout %q", r.status, r.stdout)
		}
	})
	t.Run("missing positional argument", func(t *testing.T) {
		runProc(t, append([]string{"tx", "bank", "send", "alice"}, kb...)...).want(t, exitUsage,
			"accepts 3 arg(s), received 1", "hint: usage: emergence tx bank send FROM TO AMOUNT")
	})
	t.Run("unknown flag", func(t *testing.T) {
		runProc(t, "status", "--bogus").want(t, exitUsage, "unknown flag: --bogus", "see 'emergence status --help'")
	})
	t.Run("input path is a directory", func(t *testing.T) {
		runProc(t, "label", "aggregate", "--in", dir).want(t, exitUsage, "is a directory", "hint: check the --in path")
	})
	t.Run("input file cannot be read", func(t *testing.T) {
		// On Linux, reading /proc/self/mem at offset 0 fails with EIO: a
		// failure of the machine, not of the path, so no hint about it.
		r := runProc(t, "label", "aggregate", "--in", "/proc/self/mem")
		r.want(t, exitFailure, "read /proc/self/mem: input/output error")
		r.noHint(t)
		runProc(t, "keys", "add", "req", "--home", home, "--keyring-backend", "test").want(t, 0)
		r = runProc(t, append([]string{"tx", "label", "create-job", "--from", "req", "--items", "/proc/self/mem", "--classes", "a,b", "--gold", "g.csv"}, kb...)...)
		r.want(t, exitFailure, "input/output error")
		if strings.Contains(r.stderr, "is a directory") {
			t.Errorf("an I/O error is described as a directory problem:\n%s", r.stderr)
		}
		runProc(t, append([]string{"tx", "label", "create-job", "--from", "req", "--items", filepath.Join(dir, "none"), "--classes", "a,b", "--gold", "g.csv"}, kb...)...).
			want(t, exitUsage, "no such file or directory", "hint: check the --items path")
	})
	t.Run("node unreachable", func(t *testing.T) {
		runProc(t, "status", "--node", "127.0.0.1:1").want(t, exitUnreachable, "cannot reach node", "hint: is a node running at 127.0.0.1:1?")
	})
	t.Run("model file is not overwritten", func(t *testing.T) {
		m := filepath.Join(dir, "model.json")
		if err := os.WriteFile(m, []byte("private weights"), 0o600); err != nil {
			t.Fatal(err)
		}
		runProc(t, "zkml", "train", "--data", "x.csv", "--out", m).want(t, exitUsage, "model file "+m+" already exists", "--force")
		if b, _ := os.ReadFile(m); string(b) != "private weights" {
			t.Fatalf("model file overwritten: %q", b)
		}
	})
	t.Run("key in the other keyring backend", func(t *testing.T) {
		runProc(t, "keys", "add", "alice", "--home", home, "--keyring-backend", "test").want(t, 0)
		runProc(t, "tx", "bank", "send", "alice", "alice", "1emg", "--home", home).want(t, exitUsage,
			`key not found: "alice"`, `key "alice" is in the test keyring of `+home+": pass --keyring-backend test")
		runProc(t, "query", "bank", "balance", "alice", "--home", home).want(t, exitUsage, "pass --keyring-backend test")
	})
	t.Run("bad address says what is wrong", func(t *testing.T) {
		const good = keysTestAddress
		bad := good[:len(good)-1] + "x"
		if bad == good {
			bad = good[:len(good)-1] + "y"
		}
		runProc(t, append([]string{"query", "bank", "balance", bad}, kb...)...).want(t, exitUsage, "invalid checksum", "hint: an address is emg1")
		runProc(t, append([]string{"query", "bank", "balance", good[:20]}, kb...)...).want(t, exitUsage, "(20 characters, an address has 42)")
		runProc(t, append([]string{"query", "bank", "balance", "cosmos1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xu"}, kb...)...).want(t, exitUsage, `prefix "cosmos", want "emg"`)
		runProc(t, append([]string{"tx", "bank", "send", bad, "alice", "1emg"}, kb...)...).want(t, exitUsage, "invalid checksum")
	})
	t.Run("enrol without a device key", func(t *testing.T) {
		r := runProc(t, append([]string{"tx", "personhood", "enrol", "123", "--from", "alice"}, kb...)...)
		r.want(t, exitUsage, "no device key given", "hint: pass --device KEY")
		if strings.Contains(r.stderr, "--from") {
			t.Errorf("the missing --device is reported as a missing --from:\n%s", r.stderr)
		}
	})
	t.Run("help lists the exit statuses", func(t *testing.T) {
		r := runProc(t, "--help")
		if r.status != 0 || !strings.Contains(r.stdout, "Exit status:") || !strings.Contains(r.stdout, "4  the node at --node could not be reached") {
			t.Errorf("help: exit %d\n%s", r.status, r.stdout)
		}
	})
}
