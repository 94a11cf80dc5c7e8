package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"emergence/client"
	"emergence/node"
	"emergence/node/genesis"
)

// startDevnet runs "emergence devnet" in-process until the returned stop
// function is called, and returns the API address it printed.
func startDevnet(t *testing.T, home string) (string, func()) {
	t.Helper()
	return startDevnetAt(t, home, "127.0.0.1:0")
}

// startDevnetAt is startDevnet with the API on addr.
func startDevnetAt(t *testing.T, home, addr string) (string, func()) {
	t.Helper()
	return startServing(t, "devnet", "--home", home, "--api", addr, "--block-time", "100ms")
}

// startServing runs a command that serves the API until interrupted
// (devnet, start) in-process until the returned stop function is called,
// and returns the API address it printed.
func startServing(t *testing.T, args ...string) (string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		var errb strings.Builder
		err := run(ctx, args, strings.NewReader(""), pw, &errb)
		if err != nil {
			t.Logf("%s stderr: %s", args[0], errb.String())
		}
		pw.Close()
		done <- err
	}()
	api := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		re := regexp.MustCompile(`api\s+http://(\S+)`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				api <- m[1]
			}
		}
	}()
	select {
	case a := <-api:
		return a, func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("%s exited with %v", args[0], err)
			}
		}
	case err := <-done:
		t.Fatalf("%s exited early: %v", args[0], err)
	case <-time.After(60 * time.Second):
		t.Fatalf("%s printed no API address", args[0])
	}
	return "", nil
}

// TestDevnetCLI walks the README's chain commands against a real devnet:
// send, balance, tx, block, status, keys, bad input, then a resumed devnet.
func TestDevnetCLI(t *testing.T) {
	home := t.TempDir()
	api, stop := startDevnet(t, home)
	common := []string{"--home", home, "--keyring-backend", "test", "--node", "http://" + api}

	bob := strings.TrimSpace(mustCLI(t, append([]string{"keys", "show", "bob", "--address"}, common...)...))
	if !strings.HasPrefix(bob, "emg1") {
		t.Fatalf("keys show --address printed %q", bob)
	}
	out := mustCLI(t, append([]string{"tx", "bank", "send", "alice", "bob", "2.5emg", "--output", "json"}, common...)...)
	var res struct {
		Hash   string `json:"hash"`
		Height int64  `json:"height"`
		Code   uint32 `json:"code"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Code != 0 || res.Height == 0 {
		t.Fatalf("send: %q %v", out, err)
	}
	out = mustCLI(t, append([]string{"query", "bank", "balance", bob, "--output", "json"}, common...)...)
	var acc struct {
		Balance uint64 `json:"balance"`
	}
	if err := json.Unmarshal([]byte(out), &acc); err != nil || acc.Balance != genesis.DevFunds+2_500_000 {
		t.Fatalf("balance: %q %v", out, err)
	}
	if out := mustCLI(t, append([]string{"query", "tx", res.Hash}, common...)...); !strings.Contains(out, "committed at height") {
		t.Fatalf("query tx: %q", out)
	}
	if out := mustCLI(t, append([]string{"query", "block", "--output", "json"}, common...)...); !strings.Contains(out, `"app_hash"`) {
		t.Fatalf("query block: %q", out)
	}
	out = mustCLI(t, append([]string{"status", "--output", "json"}, common...)...)
	var st struct {
		ChainID string `json:"chain_id"`
		Height  int64  `json:"height"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil || st.ChainID != "emergence-devnet" {
		t.Fatalf("status: %q %v", out, err)
	}

	// The governance key can pay for its transactions.
	out = mustCLI(t, append([]string{"query", "bank", "balance", genesis.GovernanceKey, "--output", "json"}, common...)...)
	if err := json.Unmarshal([]byte(out), &acc); err != nil || acc.Balance != genesis.GovernanceFunds {
		t.Fatalf("governance balance: %q %v", out, err)
	}
	mustCLI(t, append([]string{"tx", "personhood", "register-operator", "--device", "bob", "--stake", "100emg", "--from", "carol"}, common...)...)
	mustCLI(t, append([]string{"tx", "personhood", "suspend-operator", "carol", "--slash", "1emg", "--from", genesis.GovernanceKey}, common...)...)

	// Bad input: clear errors with hints, non-zero exit codes.
	for _, tc := range []struct {
		args []string
		want string
		code int
	}{
		{[]string{"tx", "bank", "send", "alice", "nobody", "1emg"}, "neither an address nor a key name", 2},
		{[]string{"tx", "bank", "send", "alice", "bob", "lots"}, "invalid amount", 2},
		// Simulated first: refused before signing, nothing charged.
		{[]string{"tx", "bank", "send", "bob", "alice", "999999999emg"}, "would fail: code bank/1", 2},
		// With an explicit gas limit it is sent, and fails on chain.
		{[]string{"tx", "bank", "send", "bob", "alice", "999999999emg", "--gas", "100000"}, "insufficient funds", 3},
		{[]string{"query", "block", "99999999"}, "no block", 2},
		{[]string{"query", "tx", "abc"}, "64 hex", 2},
	} {
		_, errs, err := runCLI(t, append(tc.args, common...)...)
		if err == nil || !strings.Contains(errs, tc.want) || !strings.Contains(errs, "emergence: error:") || exitCode(err) != tc.code {
			t.Errorf("%v: err %v (exit %d), stderr %q; want %q, exit %d", tc.args, err, exitCode(err), errs, tc.want, tc.code)
		}
	}
	if _, errs, _ := runCLI(t, "status", "--node", "127.0.0.1:1"); !strings.Contains(errs, "hint:") {
		t.Errorf("unreachable node: no hint in %q", errs)
	}
	stop()

	// The same home resumes the same chain.
	api, stop = startDevnet(t, home)
	defer stop()
	common[len(common)-1] = "http://" + api
	out = mustCLI(t, append([]string{"query", "bank", "balance", bob, "--output", "json"}, common...)...)
	// bob paid the fee of the overspend he sent with --gas, and nothing for
	// the one the simulation stopped.
	if err := json.Unmarshal([]byte(out), &acc); err != nil || acc.Balance != genesis.DevFunds+2_500_000-client.MinFee(100000) {
		t.Fatalf("balance after resume: %q %v", out, err)
	}
	out = mustCLI(t, append([]string{"status", "--output", "json"}, common...)...)
	var st2 struct{ Height int64 }
	json.Unmarshal([]byte(out), &st2)
	if st2.Height < st.Height {
		t.Fatalf("resumed at height %d, was %d", st2.Height, st.Height)
	}
}

// TestDevnetResumedOnAnotherAPI resumes a devnet with --api on another port,
// as a reader does when the README's default 127.0.0.1:8545 is taken by
// another devnet: commands given only --home must reach the resumed node,
// not whatever listens at the address the home was created with.
func TestDevnetResumedOnAnotherAPI(t *testing.T) {
	home := t.TempDir()
	first := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	api, stop := startDevnetAt(t, home, first)
	if api != first {
		t.Fatalf("devnet listens at %s, asked for %s", api, first)
	}
	stop()
	second := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	api, stop = startDevnetAt(t, home, second)
	defer stop()
	if api != second {
		t.Fatalf("resumed devnet listens at %s, asked for %s", api, second)
	}
	s, err := node.LoadSettings(home)
	if err != nil {
		t.Fatal(err)
	}
	if s.APIAddr != second {
		t.Fatalf("home records api %s after resuming on %s", s.APIAddr, second)
	}
	// A second devnet on the address taken says what to do.
	_, errs, err := runCLI(t, "devnet", "--home", t.TempDir(), "--api", second)
	if err == nil || !strings.Contains(errs, "address already in use") || !strings.Contains(errs, "hint: another node listens at "+second) {
		t.Errorf("devnet on a taken address: err %v, stderr %q", err, errs)
	}
	// The first address is closed now: an answer comes from the resumed node.
	out := mustCLI(t, "status", "--home", home, "--output", "json")
	var st struct {
		ChainID string `json:"chain_id"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil || st.ChainID != "emergence-devnet" {
		t.Fatalf("status --home after resume: %q %v", out, err)
	}
}

// TestInitNextStep checks the next step init prints: the plain start when
// the home's API address is free, and a start with a free --api when a
// devnet holds the address (as the README's devnet holds 127.0.0.1:8545
// when a reader then inits ./single). That step must really start the node
// and record its address, so that commands given --home reach it and not
// the devnet.
func TestInitNextStep(t *testing.T) {
	free := filepath.Join(t.TempDir(), "free")
	out := mustCLI(t, "init", "--home", free, "--api", fmt.Sprintf("127.0.0.1:%d", freePort(t)))
	if want := "start it with: emergence start --home " + free + "\n"; !strings.Contains(out, want) || strings.Contains(out, "--api") {
		t.Errorf("init on a free address printed %q, want %q", out, want)
	}

	busy, stopDevnet := startDevnet(t, t.TempDir())
	defer stopDevnet()
	home := filepath.Join(t.TempDir(), "single")
	out = mustCLI(t, "init", "--home", home, "--api", busy)
	m := regexp.MustCompile(`(?m)^  emergence start --home (\S+) --api (\S+)$`).FindStringSubmatch(out)
	if !strings.Contains(out, "its API address "+busy+" is taken now") || m == nil || m[1] != home || m[2] == busy {
		t.Fatalf("init on the devnet's address printed %q; want a start with another --api", out)
	}
	// The plain start fails there, and its hint names a free address too.
	_, errs, err := runCLI(t, "start", "--home", home)
	if err == nil || !strings.Contains(errs, "hint: another node listens at "+busy) || !strings.Contains(errs, "such as --api 127.0.0.1:") {
		t.Fatalf("start on the devnet's address: err %v, stderr %q", err, errs)
	}
	api, stopStart := startServing(t, "start", "--home", home, "--api", m[2])
	defer stopStart()
	if api != m[2] {
		t.Fatalf("start listens at %s, init suggested %s", api, m[2])
	}
	if s, err := node.LoadSettings(home); err != nil || s.APIAddr != m[2] {
		t.Fatalf("home records api %q (%v) after start --api %s", s.APIAddr, err, m[2])
	}
	var st struct {
		ChainID string `json:"chain_id"`
	}
	if out := mustCLI(t, "status", "--home", home, "--output", "json"); json.Unmarshal([]byte(out), &st) != nil || st.ChainID != "emergence-1" {
		t.Fatalf("status --home %s answered %q: want this node's chain emergence-1, not the devnet's", home, out)
	}
}
