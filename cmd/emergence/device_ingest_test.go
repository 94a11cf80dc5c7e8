package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"emergence/app/apptest"
	"emergence/bank"
	"emergence/client"
	"emergence/device"
	"emergence/device/fleet"
	"emergence/device/ingest"
	"emergence/device/ingestd"
	"emergence/node/nodetest"
	"emergence/tx"
)

// ingestProc is one 'emergence ingest' running as its own OS process.
type ingestProc struct {
	url string
	dir string
}

// startIngest starts an ingest process and waits (with a deadline) for the
// line saying it listens.
func startIngest(t *testing.T, common []string, from, dir string) *ingestProc {
	t.Helper()
	cmd := newSelfCmd(append([]string{"ingest", "--from", from, "--listen", "127.0.0.1:0", "--dir", dir, "--grace", "1h", "--poll", "200ms"}, common...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() })
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
		close(lines)
	}()
	deadline := time.After(time.Minute)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("ingest %s exited before listening", from)
			}
			if i := strings.Index(l, "listening on http://"); i >= 0 {
				u := strings.Fields(l[i+len("listening on "):])[0]
				return &ingestProc{url: u, dir: dir}
			}
		case <-deadline:
			t.Fatalf("ingest %s did not start listening within a minute", from)
		}
	}
}

func (p *ingestProc) do(t *testing.T, method, path string, body []byte, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, p.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
	}
	return resp.StatusCode
}

// setupFleet registers alice as a maker, provisions the fleet and pairs
// every vehicle with bob, through the node's client.
func setupFleet(t *testing.T, ctx context.Context, net *nodetest.Net, f *fleet.Fleet) {
	t.Helper()
	send := func(key string, msgs ...tx.Msg) {
		t.Helper()
		for len(msgs) > 0 {
			n := min(len(msgs), 50)
			res, err := net.Client.SignAndBroadcast(ctx, net.Key(key), client.TxOptions{GasLimit: 10_000_000}, msgs[:n]...)
			if err != nil || res.Code != 0 {
				t.Fatalf("%s: %v %+v", key, err, res)
			}
			msgs = msgs[n:]
		}
	}
	m, _ := tx.NewMsg(device.MsgRegisterMaker, device.RegisterMaker{Name: "fleet", Stake: device.DefaultParams().MakerStake})
	send("alice", m)
	var prov, pair []tx.Msg
	for i, v := range f.Vehicles {
		m, _ := tx.NewMsg(device.MsgProvision, device.Provision{KeyType: v.Signer.Type, PubKey: hex.EncodeToString(v.Signer.Pub()), Model: "sim", Serial: fmt.Sprint(i)})
		prov = append(prov, m)
		sig := v.Signer.Sign(device.PairingMessage(apptest.ChainID, v.ID, net.Addr("bob"), 0))
		m, _ = tx.NewMsg(device.MsgPair, device.Pair{Device: v.ID, Signature: hex.EncodeToString(sig)})
		pair = append(pair, m)
	}
	send("alice", prov...)
	send("bob", pair...)
	m, _ = tx.NewMsg(device.MsgFundPool, device.FundPool{Amount: device.EpochBudget})
	send("carol", m)
}

// TestIngestTwoProcesses feeds the same signed events to two ingest
// processes, in different orders and batches; each closes the epoch, the
// first posts it and the chain pays it, the second finds the chain's root
// equal to its own. Accepted events are in Parquet, rejected ones keep
// their reasons, and a proof served by the second node verifies on chain
// as an included valid event.
func TestIngestTwoProcesses(t *testing.T) {
	t0 := time.Now()
	unsetPassphraseEnv(t)
	net := nodetest.Start(t, nodetest.Options{})
	home := t.TempDir()
	common := []string{"--home", home, "--keyring-backend", "test", "--node", net.API.Addr()}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for _, n := range []string{"ing1", "ing2"} {
		var k keyJSON
		if err := json.Unmarshal([]byte(runLabel(t, "", append([]string{"keys", "add", n, "-o", "json"}, common...)...).ok(t).stdout), &k); err != nil {
			t.Fatal(err)
		}
		to, _ := tx.ParseAddress(k.Address)
		m, _ := tx.NewMsg("bank/send", bank.SendMsg{To: to, Amount: 10 * bank.UnitsPerEMG})
		if res, err := net.Client.SignAndBroadcast(ctx, net.Key("alice"), client.TxOptions{}, m); err != nil || res.Code != 0 {
			t.Fatalf("fund %s: %v %+v", n, err, res)
		}
	}
	fl := fleet.NewFleet(7, 6, 1, 1, 1)
	setupFleet(t, ctx, net, fl)
	epoch := uint64(time.Now().UnixMilli()/device.EpochMillis - 1)
	events, err := fl.Events(int64(epoch)*device.EpochMillis, 20)
	if err != nil {
		t.Fatal(err)
	}
	// An unknown device's event and a duplicate go in too.
	stranger := fleet.NewFleet(99, 1, 0, 0, 0)
	extra, err := stranger.Events(int64(epoch)*device.EpochMillis, 2)
	if err != nil {
		t.Fatal(err)
	}
	events = append(append(events, extra...), events[20+3])

	t.Logf("fleet ready after %s", time.Since(t0))
	p1 := startIngest(t, common, "ing1", filepath.Join(t.TempDir(), "ing1"))
	p2 := startIngest(t, common, "ing2", filepath.Join(t.TempDir(), "ing2"))
	raws := make([]json.RawMessage, len(events))
	for i, e := range events {
		raws[i] = e
	}
	arr, _ := json.Marshal(raws)
	var res []ingestd.Result
	if code := p1.do(t, "POST", "/v1/events", arr, &res); code != http.StatusAccepted || len(res) != len(events) {
		t.Fatalf("batch post: %d, %d results, first %+v", code, len(res), res[:min(len(res), 1)])
	}
	rev := slices.Clone(events)
	slices.Reverse(rev)
	for _, e := range rev {
		if code := p2.do(t, "POST", "/v1/events", e, &res); code != http.StatusAccepted || res[0].Status != "queued" || res[0].Epoch != epoch {
			t.Fatalf("single post: %d %+v", code, res)
		}
	}
	// A malformed event is refused at once, with its reason.
	if code := p1.do(t, "POST", "/v1/events", []byte(`{"specversion":"1.0"}`), &res); code != http.StatusBadRequest || res[0].Status != "malformed" {
		t.Fatalf("malformed post: %d %+v", code, res)
	}
	// The current epoch has not ended: it cannot be closed.
	cur := epoch + 1
	now, _ := json.Marshal([]json.RawMessage{mustEvent(t, fl, int64(cur)*device.EpochMillis+1)})
	p1.do(t, "POST", "/v1/events", now, &res)
	if code := p1.do(t, "POST", fmt.Sprintf("/v1/epochs/%d/close", cur), nil, nil); code != http.StatusConflict {
		t.Fatalf("closing the current epoch: %d, want 409", code)
	}

	t.Logf("events posted after %s", time.Since(t0))
	var s1, s2 ingestd.Summary
	if code := p1.do(t, "POST", fmt.Sprintf("/v1/epochs/%d/close", epoch), nil, &s1); code != http.StatusOK || !s1.Posted {
		t.Fatalf("close on ing1: %d %+v", code, s1)
	}
	t.Logf("ing1 closed after %s", time.Since(t0))
	if code := p2.do(t, "POST", fmt.Sprintf("/v1/epochs/%d/close", epoch), nil, &s2); code != http.StatusOK || s2.Posted {
		t.Fatalf("close on ing2: %d %+v", code, s2)
	}
	t.Logf("ing2 closed after %s", time.Since(t0))
	if s1.Root != s2.Root || !s1.Agrees || !s2.Agrees || s2.ChainRoot != s1.Root {
		t.Fatalf("roots differ: ing1 %+v\ning2 %+v", s1, s2)
	}
	if s1.Accepted != s2.Accepted || s1.Received != len(events) || s1.Devices != 5+2 {
		t.Fatalf("summaries: %+v %+v", s1, s2)
	}
	for _, r := range []string{ingest.ReasonDuplicate, ingest.ReasonUnknownDevice, ingest.ReasonReplay, ingest.ReasonClone, ingest.ReasonPositionJump} {
		if s2.Reasons[r] == 0 {
			t.Errorf("no event rejected as %s: %v", r, s2.Reasons)
		}
	}
	var rec device.EpochRecord
	if err := net.Client.Query(ctx, device.Name, fmt.Sprintf("epoch/%d", epoch), nil, &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Root != s1.Root || !rec.Complete || len(rec.Payouts) != s1.Devices {
		t.Fatalf("chain record %+v", rec)
	}
	// bob owns the fleet: one claim pays him the epoch.
	claim, _ := tx.NewMsg(device.MsgClaim, device.Claim{})
	if r, err := net.Client.SignAndBroadcast(ctx, net.Key("bob"), client.TxOptions{GasLimit: 1_000_000}, claim); err != nil || r.Code != 0 {
		t.Fatalf("bob's claim: %v %+v", err, r)
	}
	if err := net.Client.Query(ctx, device.Name, fmt.Sprintf("epoch/%d", epoch), nil, &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Paid == 0 || !rec.PaidOut {
		t.Fatalf("chain record after bob's claim %+v", rec)
	}
	earned := map[string]uint64{}
	for _, v := range fl.Vehicles {
		for _, p := range rec.Payouts {
			if p.Device == v.ID {
				earned[v.Strategy] += p.Amount
			}
		}
	}
	if earned[fleet.Honest] == 0 || 20*(earned[fleet.Spoofer]+earned[fleet.Replayer]+earned[fleet.Cloner]) > earned[fleet.Honest] {
		t.Fatalf("earnings by strategy %v: cheaters must earn under 5%% of the honest", earned)
	}
	rows, err := ingestd.ReadRows(filepath.Join(p2.dir, "epochs", fmt.Sprint(epoch), "accepted.parquet"))
	if err != nil || len(rows) != s2.Accepted {
		t.Fatalf("parquet: %d rows, %v; want %d", len(rows), err, s2.Accepted)
	}
	if !slices.IsSortedFunc(rows, func(a, b ingestd.Row) int {
		if c := strings.Compare(a.Subject, b.Subject); c != 0 {
			return c
		}
		return int(a.TimeMs - b.TimeMs)
	}) {
		t.Fatal("parquet rows are not sorted by subject and time")
	}
	var rej []ingest.Rejected
	if code := p2.do(t, "GET", fmt.Sprintf("/v1/epochs/%d/rejected", epoch), nil, &rej); code != 200 || len(rej) != s2.Rejected {
		t.Fatalf("rejected: %d, %d items", code, len(rej))
	}
	// A proof from the second node is valid against the chain's root: a
	// challenge with it is refused because the event is valid.
	var ch device.Challenge
	if code := p2.do(t, "GET", fmt.Sprintf("/v1/epochs/%d/events/3/proof", epoch), nil, &ch); code != 200 {
		t.Fatalf("proof: %d", code)
	}
	m, _ := tx.NewMsg(device.MsgChallenge, ch)
	r, err := net.Client.SignAndBroadcast(ctx, net.Key("carol"), client.TxOptions{GasLimit: 1_000_000}, m)
	if err != nil || r.Code != device.CodeNoFraud.Num || !strings.Contains(r.Log, "the included event is valid") {
		t.Fatalf("challenge of a valid event: %v %+v", err, r)
	}
	// A late event for the closed epoch is refused and kept.
	if code := p1.do(t, "POST", "/v1/events", events[0], &res); code != http.StatusConflict || res[0].Status != "late" {
		t.Fatalf("late post: %d %+v", code, res)
	}
	if _, err := os.Stat(filepath.Join(p1.dir, "epochs", fmt.Sprint(epoch), "late.ndjson")); err != nil {
		t.Fatal(err)
	}
}

func mustEvent(t *testing.T, f *fleet.Fleet, ms int64) json.RawMessage {
	t.Helper()
	evs, err := f.Events(ms, 1)
	if err != nil {
		t.Fatal(err)
	}
	return evs[0]
}
