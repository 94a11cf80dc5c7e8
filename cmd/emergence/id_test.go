package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"emergence/bank"
	"emergence/client"
	"emergence/node/nodetest"
	"emergence/personhood"
	"emergence/personhood/identity"
	"emergence/tx"
)

func TestIDCreateAndShow(t *testing.T) {
	unsetPassphraseEnv(t)
	home := t.TempDir()
	r := runKeys(t, "", "id", "create", "--home", home, "--keyring-backend", "test", "-o", "json").ok(t)
	var out idJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatal(err)
	}
	if out.Name != "default" || out.Encrypted || out.Commitment == "" {
		t.Fatalf("create output %+v", out)
	}
	data, err := os.ReadFile(filepath.Join(home, "identities", "default.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := identity.Decode(data, nil); err != nil {
		t.Fatalf("stored identity does not decode: %v", err)
	}
	if got := strings.TrimSpace(runKeys(t, "", "id", "show", "--home", home).ok(t).stdout); got != out.Commitment {
		t.Fatalf("show = %q, want %q", got, out.Commitment)
	}
	runKeys(t, "", "id", "create", "--home", home, "--keyring-backend", "test").userErr(t, "already exists")

	// File backend: sealed with the passphrase from standard input.
	r = runKeys(t, "a long passphrase\n", "id", "create", "sealed", "--home", home, "-o", "json").ok(t)
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || !out.Encrypted {
		t.Fatalf("sealed create: %+v %v", out, err)
	}
	data, _ = os.ReadFile(filepath.Join(home, "identities", "sealed.json"))
	if !identity.Encrypted(data) {
		t.Fatal("identity file not sealed")
	}
	if _, err := identity.Decode(data, []byte("a long passphrase")); err != nil {
		t.Fatalf("sealed identity does not open: %v", err)
	}
	runKeys(t, "short\n", "id", "create", "weak", "--home", home).userErr(t, "too short")
	runKeys(t, "", "id", "create", "bad/name", "--home", home, "--keyring-backend", "test").userErr(t, "invalid identity name")
	runKeys(t, "", "id", "show", "nobody", "--home", home).userErr(t, "no identity")
}

// TestPersonhoodDevnetCLI is the README story against a real node: an
// operator registers, enrols a person after a uniqueness check, refuses the
// same person's second identity, the person claims UBI to a fresh address,
// a second claim is refused, and governance suspends the operator.
func TestPersonhoodDevnetCLI(t *testing.T) {
	unsetPassphraseEnv(t)
	home, dir := t.TempDir(), t.TempDir()
	base := []string{"--home", home, "--keyring-backend", "test"}
	addrs := map[string]tx.Address{}
	for _, n := range []string{"gov", "op", "orb", "fresh"} {
		var k keyJSON
		if err := json.Unmarshal([]byte(runKeys(t, "", append([]string{"keys", "add", n, "-o", "json"}, base...)...).ok(t).stdout), &k); err != nil {
			t.Fatal(err)
		}
		a, err := tx.ParseAddress(k.Address)
		if err != nil {
			t.Fatal(err)
		}
		addrs[n] = a
	}
	runKeys(t, "", append([]string{"id", "create"}, base...)...).ok(t)
	net := nodetest.Start(t, nodetest.Options{
		Genesis: map[string]any{personhood.Name: personhood.Genesis{Params: personhood.Params{Governance: addrs["gov"], EpochBlocks: 15}}},
	})
	// Epoch 0 pays nothing (the pool is empty at genesis): the claim is
	// refused before proving, with when epoch 1 opens.
	r := runKeys(t, "", append([]string{"id", "claim", "--to", "fresh", "--node", net.API.Addr()}, base...)...)
	r.userErr(t, "epoch 0 pays no UBI grant")
	if !strings.Contains(r.stderr, "the next epoch, 1, opens at height 15 (in ") {
		t.Errorf("epoch 0 claim: no opening height in %q", r.stderr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for _, n := range []string{"gov", "op"} {
		m, _ := tx.NewMsg("bank/send", bank.SendMsg{To: addrs[n], Amount: 200 * bank.UnitsPerEMG})
		if res, err := net.Client.SignAndBroadcast(ctx, net.Key("alice"), client.TxOptions{}, m); err != nil || res.Code != 0 {
			t.Fatalf("fund %s: %v %+v", n, err, res)
		}
	}
	cli := func(stdin string, args ...string) keysRun {
		t.Helper()
		return runKeys(t, stdin, append(append(args, base...), "--node", net.API.Addr())...)
	}
	cli("", "tx", "personhood", "register-operator", "--device", "orb", "--stake", "100emg", "--from", "op").ok(t)
	// An identity nobody enrolled cannot prove membership: it is told so
	// before any proving work.
	if r := cli("", "tx", "personhood", "prove-human", "label", "--from", "fresh"); !strings.Contains(r.stderr, "not enrolled") || !strings.Contains(r.stderr, "an enrolment operator must enrol") || strings.Contains(r.stderr, "proving membership") {
		t.Fatalf("prove-human before enrolment: err %v, stderr %q", r.err, r.stderr)
	}

	cli("", "id", "create", "again").ok(t)
	commit := strings.TrimSpace(cli("", "id", "show").ok(t).stdout)
	commit2 := strings.TrimSpace(cli("", "id", "show", "again").ok(t).stdout)
	cap1, cap2 := filepath.Join(dir, "ann1.bin"), filepath.Join(dir, "ann2.bin")
	cli("", "personhood", "synth-capture", "--person", "ann", "--capture", "1", "--out", cap1).ok(t)
	cli("", "personhood", "synth-capture", "--person", "ann", "--capture", "2", "--out", cap2).ok(t)
	gallery := filepath.Join(dir, "gallery.enc")

	cli("gallery passphrase\n", "tx", "personhood", "enrol", commit, "--device", "orb", "--from", "op", "--capture", cap1, "--gallery", gallery).ok(t)
	// The same person with a second identity is refused before anything reaches the chain.
	cli("gallery passphrase\n", "tx", "personhood", "enrol", commit2, "--device", "orb", "--from", "op", "--capture", cap2, "--gallery", gallery).userErr(t, "uniqueness check failed")
	if r := cli("gallery passphrase\n", "personhood", "check", cap2, "--gallery", gallery).ok(t); !strings.Contains(r.stdout, "duplicate: matches enrolled person #0") {
		t.Fatalf("check output %q", r.stdout)
	}
	// An enrolment signed by a key that is not the operator's device key
	// is refused: by the simulation before signing, and on chain when sent
	// with an explicit gas limit.
	if r := cli("", "tx", "personhood", "enrol", commit2, "--device", "fresh", "--from", "op"); r.err == nil || exitCode(r.err) != 2 || !strings.Contains(r.stderr, "would fail: code personhood/7") {
		t.Fatalf("enrol with the wrong device key: err %v, stderr %q", r.err, r.stderr)
	}
	if r := cli("", "tx", "personhood", "enrol", commit2, "--device", "fresh", "--from", "op", "--gas", "1000000"); r.err == nil || exitCode(r.err) != 3 || !strings.Contains(r.stdout, "personhood/7") {
		t.Fatalf("enrol with the wrong device key: err %v, stdout %q", r.err, r.stdout)
	}

	// Batch enrolment of three more identities from a file.
	var lines []string
	for _, n := range []string{"b1", "b2", "b3"} {
		cli("", "id", "create", n).ok(t)
		lines = append(lines, strings.TrimSpace(cli("", "id", "show", n).ok(t).stdout))
	}
	list := filepath.Join(dir, "batch.txt")
	if err := os.WriteFile(list, []byte("# people checked today\n"+strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cli("", "tx", "personhood", "enrol-batch", list, "--device", "orb", "--from", "op").ok(t)
	var ti personhood.TreeInfo
	if err := json.Unmarshal([]byte(cli("", "query", "personhood", "tree").ok(t).stdout), &ti); err != nil || ti.Size != 4 {
		t.Fatalf("tree after batch %+v %v", ti, err)
	}

	// Wait for epoch 1, whose grant comes from the pool emission filled.
	if err := net.Client.Await(ctx, func() (bool, error) {
		var pool personhood.PoolInfo
		err := net.Client.Query(ctx, personhood.Name, "pool", nil, &pool)
		return err == nil && pool.CurrentEpoch >= 1 && pool.Epoch != nil && pool.Epoch.Grant > 0, err
	}); err != nil {
		t.Fatalf("epoch 1 never opened: %v", err)
	}
	var path personhood.PathInfo
	if err := json.Unmarshal([]byte(cli("", "query", "personhood", "path", commit).ok(t).stdout), &path); err != nil || path.Index != 0 || len(path.Siblings) != 30 {
		t.Fatalf("path query %+v %v", path, err)
	}
	first := cli("", "id", "claim", "--to", "fresh").ok(t).stdout
	acct, err := net.Client.Account(ctx, addrs["fresh"])
	if err != nil || acct.Balance == 0 {
		t.Fatalf("fresh address not paid: %+v %v", acct, err)
	}
	// The same epoch again (named: under load the next epoch may have
	// opened while the first claim was proved).
	ep := regexp.MustCompile(`epoch=(\d+)`).FindStringSubmatch(first)
	if ep == nil {
		t.Fatalf("first claim names no epoch: %q", first)
	}
	r = cli("", "id", "claim", "--to", "fresh", "--epoch", ep[1])
	if r.err == nil || exitCode(r.err) != 2 || !strings.Contains(r.stderr, "would fail: code personhood/15") {
		t.Fatalf("second claim: err %v, out %q %q", r.err, r.stdout, r.stderr)
	}
	if again, _ := net.Client.Account(ctx, addrs["fresh"]); again.Balance != acct.Balance {
		t.Fatalf("paid twice: %d then %d", acct.Balance, again.Balance)
	}

	cli("", "tx", "personhood", "suspend-operator", "op", "--slash", "10emg", "--reason", "audit", "--from", "gov").ok(t)
	var op personhood.Operator
	if err := json.Unmarshal([]byte(cli("", "query", "personhood", "operator", "op").ok(t).stdout), &op); err != nil {
		t.Fatal(err)
	}
	if !op.Suspended || op.Slashed != 10*bank.UnitsPerEMG || op.Enrolled != 4 {
		t.Fatalf("operator after suspension %+v", op)
	}
}
