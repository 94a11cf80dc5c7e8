package main

import (
	"io"
	"strings"
	"testing"
)

// TestTxTable checks every row of the transaction table: one command per
// module and action, each reachable under 'emergence tx', with its
// positional arguments in its usage line, a message builder, and a --from
// flag unless a positional argument names the signer.
func TestTxTable(t *testing.T) {
	root := newRootCmd(strings.NewReader(""), io.Discard, io.Discard)
	seen := map[string]bool{}
	for _, spec := range txTable {
		path := spec.module + " " + spec.action
		if seen[path] {
			t.Errorf("tx %s twice in the table", path)
		}
		seen[path] = true
		if spec.build == nil || spec.short == "" {
			t.Errorf("tx %s: no message builder or no short help", path)
		}
		cmd, rest, err := root.Find([]string{"tx", spec.module, spec.action})
		if err != nil || len(rest) != 0 || cmd.Name() != spec.action {
			t.Errorf("tx %s is not a command: %v %v", path, err, rest)
			continue
		}
		for _, a := range spec.args {
			if !strings.Contains(cmd.Use, a.name) {
				t.Errorf("tx %s: usage %q does not name argument %s", path, cmd.Use, a.name)
			}
		}
		if hasFrom := cmd.Flags().Lookup("from") != nil; hasFrom != (spec.signerArg == "") {
			t.Errorf("tx %s: --from flag %v, signer argument %q", path, hasFrom, spec.signerArg)
		}
		for _, f := range spec.flags {
			if cmd.Flags().Lookup(f.name) == nil {
				t.Errorf("tx %s: no --%s flag", path, f.name)
			}
		}
	}
}

// TestTxTableRejectsBadInput runs table commands with bad arguments: each
// is a usage error naming what is wrong, found before any key is opened
// (the signing key here does not exist) or the node is asked.
func TestTxTableRejectsBadInput(t *testing.T) {
	home := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"tx", "label", "request", "--from", "nobody"}, "no --job given"},
		{[]string{"tx", "label", "settle", "--job", "x", "--from", "nobody"}, `bad job id "x"`},
		{[]string{"tx", "label", "stake", "lots", "--from", "nobody"}, "invalid amount"},
		{[]string{"tx", "subnet", "set-weights", "0", "--from", "nobody"}, "no --weights given"},
		{[]string{"tx", "subnet", "serve", "x", "127.0.0.1:1", "--from", "nobody"}, `netuid "x"`},
		{[]string{"tx", "personhood", "register-operator", "--stake", "1emg", "--from", "nobody"}, "no --device given"},
		{[]string{"tx", "zkml", "attest", "--exam", "-1", "--from", "nobody"}, `--exam "-1"`},
		{[]string{"tx", "zkml", "infer", "--from", "nobody"}, "no --circuit given"},
	} {
		_, errs, err := runCLI(t, append(tc.args, "--home", home, "--keyring-backend", "test")...)
		if exitCode(err) != exitUsage || !strings.Contains(errs, tc.want) || !strings.Contains(errs, "hint:") {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 with %q and a hint", tc.args, exitCode(err), errs, tc.want)
		}
	}
}
