package device_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"emergence/device"
)

// TestPackedEvidence: evidence survives packing, JSON (base64 on the
// wire, an array of objects read too) and unpacking; every other byte
// string is refused with a reason: truncated, a varint not minimal, a
// device id not packed as its 20 bytes, more items than allowed.
func TestPackedEvidence(t *testing.T) {
	id := strings.Repeat("0a", 20)
	ev := []device.Evidence{
		{Device: id, Readings: 300, Cells: 2, CellIDs: []uint64{7, 1 << 40}},
		{Device: "not-a-hex-id", Readings: 1 << 32},
		{Device: strings.Repeat("f", 40)},
	}
	p := device.PackEvidence(ev)
	got, err := device.UnpackEvidence(p, 3)
	if err != nil || !reflect.DeepEqual(got, ev) {
		t.Fatalf("round trip: %v, %+v", err, got)
	}
	if _, err := device.UnpackEvidence(p, 2); err == nil {
		t.Fatal("3 items unpacked with a maximum of 2")
	}
	b, err := json.Marshal(device.PostEpoch{Epoch: 1, Evidence: p})
	if err != nil || !strings.Contains(string(b), `"evidence":"`) {
		t.Fatalf("wire form %s: %v", b, err)
	}
	var back device.PostEpoch
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual([]byte(back.Evidence), []byte(p)) {
		t.Fatalf("decoded %v: %v", back.Evidence, err)
	}
	arr, _ := json.Marshal(ev)
	if err := json.Unmarshal([]byte(`{"epoch":1,"evidence":`+string(arr)+`}`), &back); err != nil || !reflect.DeepEqual([]byte(back.Evidence), []byte(p)) {
		t.Fatalf("from an array: %v", err)
	}
	for name, bad := range map[string][]byte{
		"truncated id":       p[:10],
		"truncated cell ids": device.PackEvidence(ev[:1])[:30],
		"varint not minimal": append([]byte{0x80, 0x00}, p...),
		"hex id as a string": append(append([]byte{40}, id...), 0, 0, 0),
		"cut varint":         {0x80},
	} {
		if _, err := device.UnpackEvidence(bad, 10); err == nil {
			t.Errorf("%s: unpacked", name)
		}
	}
}
