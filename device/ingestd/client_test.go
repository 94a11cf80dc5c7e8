package ingestd_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"emergence/client"
	"emergence/device"
	"emergence/device/fleet"
	"emergence/device/ingestd"
	"emergence/node/nodetest"
	"emergence/tx"
)

// TestClientAndFleetSetup: fleet.SetupOnChain makes bob a maker and
// provisions and pairs the fleet (a second owner is refused with
// ErrDeviceTaken, and running it again for bob changes nothing); the
// ingest client reaches a real ingest HTTP server, posts the fleet's
// events (every one queued) and closes the epoch, which is posted on chain.
func TestClientAndFleetSetup(t *testing.T) {
	net := nodetest.Start(t, nodetest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	f := fleet.NewFleet(21, 3, 1, 0, 0)
	if err := fleet.SetupOnChain(ctx, net.Client, net.Key("bob"), net.Addr("bob"), f, 0); err != nil {
		t.Fatal(err)
	}
	if err := fleet.SetupOnChain(ctx, net.Client, net.Key("bob"), net.Addr("bob"), f, device.EpochBudget); err != nil {
		t.Fatalf("again for bob: %v", err)
	}
	if err := fleet.SetupOnChain(ctx, net.Client, net.Key("alice"), net.Addr("alice"), f, 0); !errors.Is(err, fleet.ErrDeviceTaken) {
		t.Fatalf("alice taking bob's fleet: %v", err)
	}
	var page device.Page
	if err := net.Client.Query(ctx, device.Name, "owner/"+net.Addr("bob").String()+"/devices", nil, &page); err != nil || len(page.Devices) != len(f.Vehicles) {
		t.Fatalf("bob's devices: %d, %v", len(page.Devices), err)
	}
	m, _ := tx.NewMsg(device.MsgRegisterIngest, device.RegisterIngest{Stake: device.IngestStake})
	if res, err := net.Client.SignAndBroadcast(ctx, net.Key("carol"), client.TxOptions{}, m); err != nil || res.Code != 0 {
		t.Fatalf("register ingest: %v %+v", err, res)
	}
	s, err := ingestd.New(ingestd.Config{Dir: t.TempDir(), Coverage: fleet.Coverage, Grace: time.Hour}, &ingestd.NodeChain{C: net.Client, Key: net.Key("carol")})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	if err := ingestd.Reach(ctx, srv.URL, io.Discard); err != nil {
		t.Fatal(err)
	}
	epoch := uint64(time.Now().UnixMilli()/device.EpochMillis - 1)
	evs, err := f.Events(int64(epoch)*device.EpochMillis, 10)
	if err != nil {
		t.Fatal(err)
	}
	if q, err := ingestd.PostEvents(ctx, srv.URL, evs); err != nil || q != len(evs) {
		t.Fatalf("posted: %d of %d queued, %v", q, len(evs), err)
	}
	var sum ingestd.Summary
	if err := ingestd.Call(ctx, http.MethodPost, fmt.Sprintf("%s/v1/epochs/%d/close", srv.URL, epoch), nil, &sum); err != nil || !sum.Posted || !sum.Agrees {
		t.Fatalf("close: %v %+v", err, sum)
	}
	if err := ingestd.Call(ctx, http.MethodPost, fmt.Sprintf("%s/v1/epochs/%d/close", srv.URL, epoch+1), nil, &sum); err == nil {
		t.Fatal("closing the current epoch succeeded")
	}
}
