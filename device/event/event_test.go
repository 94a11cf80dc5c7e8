package event_test

import (
	"errors"
	"strings"
	"testing"

	"emergence/device/devkey"
	"emergence/device/event"
)

func TestSignParseVerify(t *testing.T) {
	s := devkey.NewSecp256k1([32]byte{3})
	e, err := event.New(s, "e1", "dev1", event.TypeVehicleStatus, 1_700_000_000_123, event.VehicleStatus{LatE7: 525_200_000, LonE7: 134_050_000, SpeedMMS: 12_000, OdometerM: 42})
	if err != nil {
		t.Fatal(err)
	}
	got, data, err := event.Parse(e.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if v := data.(*event.VehicleStatus); v.SpeedMMS != 12_000 {
		t.Fatalf("data %+v", v)
	}
	if err := got.Verify(s.Type, s.Pub()); err != nil {
		t.Fatalf("verify: %v", err)
	}
	// A changed reading no longer verifies.
	tampered := strings.Replace(string(e.Encode()), `"speed_mm_s":12000`, `"speed_mm_s":13000`, 1)
	got, _, err = event.Parse([]byte(tampered))
	if err != nil {
		t.Fatal(err)
	}
	if err := got.Verify(s.Type, s.Pub()); !errors.Is(err, devkey.ErrBadSignature) {
		t.Fatalf("tampered event: %v", err)
	}
	for name, raw := range map[string]string{
		"unsigned":     strings.Replace(string(e.Encode()), `,"signature":"`+e.Signature+`"`, "", 1),
		"unknown type": strings.Replace(string(e.Encode()), event.TypeVehicleStatus, "x.y", 1),
		"bad json":     `{"specversion":`,
		"extra field":  strings.Replace(string(e.Encode()), `{"specversion"`, `{"x":1,"specversion"`, 1),
		"too large":    strings.Repeat(" ", event.MaxBytes+1),
		"bad time":     strings.Replace(string(e.Encode()), e.Time, "yesterday", 1),
	} {
		if _, _, err := event.Parse([]byte(raw)); !errors.Is(err, event.ErrMalformed) {
			t.Errorf("%s: got %v, want ErrMalformed", name, err)
		}
	}
}

// TestBatchSignature: one signature over a batch's Merkle root; every
// event verifies alone with its proof, and a changed event, a swapped
// proof, a malformed proof or a single-event signature reused as a batch
// one do not.
func TestBatchSignature(t *testing.T) {
	s := devkey.NewSecp256k1([32]byte{4})
	var evs []event.Event
	for i := 0; i < 5; i++ {
		e, err := event.Build("b"+strings.Repeat("x", i), "dev1", event.TypeVehicleStatus, 1_700_000_000_000+int64(i)*1000, event.VehicleStatus{LatE7: 525_200_000 + int64(i), LonE7: 134_050_000})
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, e)
	}
	if err := event.SignBatch(s, evs); err != nil {
		t.Fatal(err)
	}
	for i, e := range evs {
		got, _, err := event.Parse(e.Encode())
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if err := got.Verify(s.Type, s.Pub()); err != nil {
			t.Fatalf("event %d alone: %v", i, err)
		}
		if e.Signature != evs[0].Signature || e.SigProof == "" {
			t.Fatalf("event %d: signature %s proof %q", i, e.Signature, e.SigProof)
		}
	}
	tampered, _, err := event.Parse([]byte(strings.Replace(string(evs[2].Encode()), "525200002", "525200009", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if err := tampered.Verify(s.Type, s.Pub()); !errors.Is(err, devkey.ErrBadSignature) {
		t.Fatalf("changed batch event: %v", err)
	}
	swapped := evs[1]
	swapped.SigProof = evs[3].SigProof
	if err := swapped.Verify(s.Type, s.Pub()); !errors.Is(err, devkey.ErrBadSignature) {
		t.Fatalf("another event's proof: %v", err)
	}
	single, err := event.New(s, "one", "dev1", event.TypeVehicleStatus, 1_700_000_000_000, event.VehicleStatus{})
	if err != nil {
		t.Fatal(err)
	}
	single.SigProof = "v1"
	if err := single.Verify(s.Type, s.Pub()); !errors.Is(err, devkey.ErrBadSignature) {
		t.Fatalf("single signature as a batch of one: %v", err)
	}
	for _, bad := range []string{"v2", "v1x", "v1q" + strings.Repeat("0", 64), "v1l" + strings.Repeat("G", 64)} {
		e := evs[0]
		e.SigProof = bad
		if _, _, err := event.Parse(e.Encode()); !errors.Is(err, event.ErrMalformed) {
			t.Fatalf("sigproof %q: %v", bad, err)
		}
	}
	if err := event.SignBatch(s, nil); err == nil {
		t.Fatal("empty batch signed")
	}
}
