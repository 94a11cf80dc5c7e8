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
