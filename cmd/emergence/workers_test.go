package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"emergence/client"
)

// TestWorkersWithoutNode starts every worker against an address where no
// node listens: each retries with the same bounded backoff, saying so,
// then fails with exit status 4 and a hint.
func TestWorkersWithoutNode(t *testing.T) {
	workerBackoff = client.Backoff{Attempts: 3, First: time.Millisecond, Max: 2 * time.Millisecond}
	defer func() { workerBackoff = client.WorkerBackoff }()
	unsetPassphraseEnv(t)
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	base := []string{"--home", home, "--keyring-backend", "test", "--node", "127.0.0.1:1"}
	mustCLI(t, append([]string{"keys", "add", "w"}, base...)...)
	data := zkmlTinyData(t, dir)
	m := filepath.Join(dir, "m.json")
	mustCLI(t, "zkml", "train", "--data", data, "--arch", "2-3", "--epochs", "2", "--out", m, "--max-value", "7")
	answers := filepath.Join(dir, "answers.csv")
	if err := os.WriteFile(answers, []byte("item,label\n0,a\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		role string
		args []string
	}{
		{"labeler", []string{"labeler", "--from", "w", "--job", "1", "--auto", answers}},
		{"miner", []string{"subnet", "miner", "--netuid", "0", "--model", m, "--listen", "127.0.0.1:0", "--from", "w"}},
		{"validator", []string{"subnet", "validator", "--netuid", "0", "--data", data, "--all", "--from", "w"}},
	} {
		_, errs, err := runCLI(t, append(tc.args, base...)...)
		if got := exitCode(err); got != exitUnreachable {
			t.Errorf("%s: exit status %d, want %d: %v", tc.role, got, exitUnreachable, err)
		}
		for _, want := range []string{
			tc.role + ": no node at 127.0.0.1:1 (attempt 1 of 3); retrying in 1ms",
			tc.role + ": no node at 127.0.0.1:1 (attempt 2 of 3); retrying in 2ms",
			"emergence: error: cannot reach node: 3 attempts over 3ms",
			"hint: is a node running at 127.0.0.1:1?",
		} {
			if !strings.Contains(errs, want) {
				t.Errorf("%s: stderr lacks %q:\n%s", tc.role, want, errs)
			}
		}
	}
}
