package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"emergence/bank"
	"emergence/client"
	"emergence/device"
	"emergence/device/event"
	"emergence/device/keyfile"
	"emergence/device/merkle"
	"emergence/node/nodetest"
	"emergence/tx"
)

// TestDeviceDevnetCLI drives every device transaction and query through
// the CLI against a real in-process node: a maker provisions a device
// from a key file, an owner pairs it (the command signs the device's
// consent), an ingest node posts an epoch that 'device rewards' recomputes,
// a fraud proof of a valid event is refused, and the device is
// transferred, unpaired and retired.
func TestDeviceDevnetCLI(t *testing.T) {
	unsetPassphraseEnv(t)
	net := nodetest.Start(t, nodetest.Options{})
	home, dir := t.TempDir(), t.TempDir()
	common := []string{"--home", home, "--keyring-backend", "test", "--node", net.API.Addr()}
	cli := func(args ...string) keysRun {
		t.Helper()
		return runLabel(t, "", append(args, common...)...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	addrs := map[string]tx.Address{}
	for _, n := range []string{"maker", "owner", "ing"} {
		var k keyJSON
		if err := json.Unmarshal([]byte(cli("keys", "add", n, "-o", "json").ok(t).stdout), &k); err != nil {
			t.Fatal(err)
		}
		to, err := tx.ParseAddress(k.Address)
		if err != nil {
			t.Fatal(err)
		}
		addrs[n] = to
		m, _ := tx.NewMsg("bank/send", bank.SendMsg{To: to, Amount: 20 * bank.UnitsPerEMG})
		if res, err := net.Client.SignAndBroadcast(ctx, net.Key("alice"), client.TxOptions{}, m); err != nil || res.Code != 0 {
			t.Fatalf("fund %s: %v %+v", n, err, res)
		}
	}
	keyPath := filepath.Join(dir, "car.json")
	var kg struct{ ID string }
	if err := json.Unmarshal([]byte(cli("device", "keygen", "--out", keyPath, "-o", "json").ok(t).stdout), &kg); err != nil {
		t.Fatal(err)
	}
	cli("device", "keygen", "--out", keyPath).userErr(t, "already exists")
	id := kg.ID

	cli("tx", "device", "register-maker", "acme", "--stake", "1emg", "--from", "maker").ok(t)
	cli("tx", "device", "provision", "--device-key", keyPath, "--model", "obd-2", "--serial", "0001", "--from", "maker").ok(t)
	cli("tx", "device", "pair", "--device-key", keyPath, "--from", "owner").ok(t)
	var d device.Device
	if err := json.Unmarshal([]byte(cli("query", "device", "device", id, "-o", "json").ok(t).stdout), &d); err != nil {
		t.Fatal(err)
	}
	if d.Owner != addrs["owner"] || d.Maker != addrs["maker"] || d.Nonce != 1 || d.Model != "obd-2" {
		t.Fatalf("device after pairing: %+v", d)
	}
	if out := cli("query", "device", "owner-devices", "owner").ok(t).stdout; !strings.Contains(out, id) {
		t.Fatalf("owner-devices printed %q", out)
	}
	if out := cli("query", "device", "maker-devices", addrs["maker"].String(), "--limit", "1").ok(t).stdout; !strings.Contains(out, id) {
		t.Fatalf("maker-devices printed %q", out)
	}
	if out := cli("query", "device", "maker", "maker").ok(t).stdout; !strings.Contains(out, "acme") || !strings.Contains(out, "devices  1") {
		t.Fatalf("maker printed %q", out)
	}
	cli("query", "device", "params").ok(t)
	if out := cli("query", "device", "makers", "--limit", "1").ok(t).stdout; !strings.Contains(out, addrs["maker"].String()) || !strings.Contains(out, "acme") {
		t.Errorf("query device makers printed %q, want the maker acme", out)
	}
	cli("query", "device", "makers", "--limit", "0").userErr(t, "pass --limit 1 to")

	cli("tx", "device", "register-ingest", "--stake", "1emg", "--from", "ing").ok(t)
	if out := cli("query", "device", "ingest", "ing").ok(t).stdout; !strings.Contains(out, "1000000 uemg") {
		t.Fatalf("ingest printed %q", out)
	}
	cli("tx", "device", "fund-pool", "2emg", "--from", "maker").ok(t)

	// One valid signed reading under a root, posted for the last epoch.
	s, _, err := keyfile.Load(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	epoch := uint64(time.Now().UnixMilli()/device.EpochMillis - 1)
	ev, err := event.New(s, "r1", id, event.TypeVehicleStatus, int64(epoch)*device.EpochMillis+1_000, event.VehicleStatus{LatE7: 525_000_000, LonE7: 134_000_000})
	if err != nil {
		t.Fatal(err)
	}
	leaves := [][32]byte{merkle.Leaf(ev.Encode()), merkle.Leaf([]byte("another accepted event"))}
	root := merkle.Root(leaves)
	post := device.PostEpoch{Epoch: epoch, Root: hex.EncodeToString(root[:]), Events: 2,
		Evidence: device.PackEvidence([]device.Evidence{{Device: id, Readings: 10, Cells: 2}})}
	postPath := writeJSON(t, dir, "post.json", post)
	cli("tx", "device", "post-epoch", "--post", postPath, "--from", "ing").ok(t)
	n := strconv.FormatUint(epoch, 10)
	if out := cli("device", "rewards", "--epoch", n).ok(t).stdout; !strings.Contains(out, "the recomputation matches the chain") {
		t.Fatalf("rewards printed %q", out)
	}
	var rec device.EpochRecord
	if err := json.Unmarshal([]byte(cli("query", "device", "epoch", n, "-o", "json").ok(t).stdout), &rec); err != nil {
		t.Fatal(err)
	}
	if len(rec.Payouts) != 1 || rec.Payouts[0].Amount != rec.Budget || rec.Budget != 2*bank.UnitsPerEMG || rec.Paid != 0 {
		t.Fatalf("epoch record %+v", rec)
	}
	if out := cli("query", "device", "epochs").ok(t).stdout; !strings.Contains(out, n) || !strings.Contains(out, "2000000 uemg") {
		t.Fatalf("query device epochs printed %q, want epoch %s with its budget", out, n)
	}
	cli("query", "device", "epochs", "--after", "x").userErr(t, "--after takes the previous page's next epoch")
	// The owner claims the epoch's budget: listed as owed, then paid once.
	if out := cli("query", "device", "owed", "owner").ok(t).stdout; !strings.Contains(out, "2000000") {
		t.Fatalf("owed printed %q", out)
	}
	cli("tx", "device", "claim", "--from", "owner").ok(t)
	cli("tx", "device", "claim", "--from", "owner").userErr(t, "no earnings in a complete epoch to claim")
	if err := json.Unmarshal([]byte(cli("query", "device", "epoch", n, "-o", "json").ok(t).stdout), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Paid != rec.Budget || !rec.PaidOut {
		t.Fatalf("epoch record after the claim %+v", rec)
	}
	// A valid included event proves nothing: refused before anything is sent.
	proof := writeJSON(t, dir, "proof.json", device.Challenge{Epoch: epoch, Event: string(ev.Encode()), Proof: merkle.Prove(leaves, 0)})
	cli("tx", "device", "challenge", "--proof", proof, "--from", "owner").userErr(t, "fraud proof proves nothing")

	cli("tx", "device", "transfer", id, "maker", "--from", "owner").ok(t)
	cli("tx", "device", "unpair", id, "--from", "owner").userErr(t, "only the device's owner")
	cli("tx", "device", "unpair", id, "--from", "maker").ok(t)
	cli("tx", "device", "retire", id, "--from", "maker").ok(t)
	if err := json.Unmarshal([]byte(cli("query", "device", "device", id, "-o", "json").ok(t).stdout), &d); err != nil {
		t.Fatal(err)
	}
	if !d.Retired || d.Paired() {
		t.Fatalf("device after retiring: %+v", d)
	}
	cli("tx", "device", "pair", "--device-key", keyPath, "--from", "owner").userErr(t, "device is retired")
	cli("query", "device", "epoch", "1").userErr(t, "epoch 1")
}

func writeJSON(t *testing.T, dir, name string, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDeviceTxBadInput: bad arguments to device commands are usage errors
// found before a key is opened or the node asked.
func TestDeviceTxBadInput(t *testing.T) {
	home := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"tx", "device", "register-maker", "acme", "--from", "nobody"}, "no --stake given"},
		{[]string{"tx", "device", "provision", "--device-key", "k.json", "--from", "nobody"}, "no --model given"},
		{[]string{"tx", "device", "transfer", "0011", "emg1nothing", "--from", "nobody"}, "emg1nothing"},
		{[]string{"tx", "device", "fund-pool", "lots", "--from", "nobody"}, "invalid amount"},
		{[]string{"tx", "device", "challenge", "--from", "nobody"}, "no --proof given"},
		{[]string{"query", "device", "colour"}, `unknown device query "colour"`},
		{[]string{"query", "device", "epoch", "x"}, `epoch "x"`},
		{[]string{"query", "device", "device"}, "takes 1 argument"},
		{[]string{"device", "keygen"}, "no --out given"},
		{[]string{"device", "keygen", "--out", filepath.Join(home, "k.json"), "--type", "rsa"}, "unknown key type"},
	} {
		_, errs, err := runCLI(t, append(tc.args, "--home", home, "--keyring-backend", "test")...)
		if exitCode(err) != exitUsage || !strings.Contains(errs, tc.want) || !strings.Contains(errs, "hint:") {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 with %q and a hint", tc.args, exitCode(err), errs, tc.want)
		}
	}
}
