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
// device id not packed as its 20 bytes, more items than allowed, cell ids
// that do not increase.
func TestPackedEvidence(t *testing.T) {
	id := strings.Repeat("0a", 20)
	ev := []device.Evidence{
		{Device: id, Readings: 300, Cells: 2, CellIDs: []uint64{7, 1 << 40}},
		{Device: "not-a-hex-id", Readings: 1 << 32},
		{Device: strings.Repeat("f", 40)},
		{Device: strings.Repeat("0b", 20), Readings: 9, Cells: 3, CellIDs: []uint64{device.CellID(5250, 1340), device.CellID(5250, 1341), device.CellID(5251, 1341), 1<<64 - 1}},
	}
	p := device.PackEvidence(ev)
	got, err := device.UnpackEvidence(p, 4)
	if err != nil || !reflect.DeepEqual(got, ev) {
		t.Fatalf("round trip: %v, %+v", err, got)
	}
	if _, err := device.UnpackEvidence(p, 3); err == nil {
		t.Fatal("4 items unpacked with a maximum of 3")
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
		"truncated id":        p[:10],
		"truncated cell ids":  device.PackEvidence(ev[:1])[:30],
		"varint not minimal":  append([]byte{0x80, 0x00}, p...),
		"hex id as a string":  append(append([]byte{40}, id...), 0, 0, 0),
		"cut varint":          {0x80},
		"cell ids decreasing": device.PackEvidence([]device.Evidence{{Device: id, Cells: 2, CellIDs: []uint64{9, 7}}}),
		"cell ids repeated":   device.PackEvidence([]device.Evidence{{Device: id, Cells: 2, CellIDs: []uint64{7, 7}}}),
		"cell id past 2^64":   device.PackEvidence([]device.Evidence{{Device: id, Cells: 2, CellIDs: []uint64{1<<64 - 2, 0}}}),
	} {
		if _, err := device.UnpackEvidence(bad, 10); err == nil {
			t.Errorf("%s: unpacked", name)
		}
	}
}
