package label

import (
	"errors"
	"reflect"
	"testing"

	"emergence/label/aggregate/fixedds"
)

// TestPartStateRoundTrip encodes settlement states of every phase and
// decodes them back; every truncation, a trailing byte, bad flags, phases
// and out-of-range values are refused.
func TestPartStateRoundTrip(t *testing.T) {
	const items, classes = 4, 3
	post := []int64{fixedds.One, 0, 0, 1, 2, fixedds.One - 3, 7, 1 << 20, 5, 0, fixedds.One, 0}
	states := []*partState{
		{Phase: phaseFree},
		{Phase: phaseFree, Run: &fixedds.State{Iterations: 3, LogLikelihood: -123456789, Post: post}},
		{Phase: phasePinned, Overturned: []uint32{0, 3}, GoldWrong: true},
		{Phase: phasePay, Overturned: []uint32{2}, Run: &fixedds.State{Iterations: 9, Converged: true, LogLikelihood: 42, Post: post}},
	}
	for n, st := range states {
		b := st.encode()
		if max := maxStateBytes(items, items, classes); uint64(len(b)) > max {
			t.Errorf("state %d: %d bytes above the bound %d", n, len(b), max)
		}
		got, err := decodePartState(b, items, classes)
		if err != nil {
			t.Fatalf("state %d: %v", n, err)
		}
		if !reflect.DeepEqual(got, st) {
			t.Fatalf("state %d: decoded %+v, want %+v", n, got, st)
		}
		for k := 0; k < len(b); k++ {
			if _, err := decodePartState(b[:k], items, classes); !errors.Is(err, errBadState) {
				t.Fatalf("state %d cut to %d bytes: %v", n, k, err)
			}
		}
		if _, err := decodePartState(append(b, 0), items, classes); !errors.Is(err, errBadState) {
			t.Fatalf("state %d with a trailing byte: %v", n, err)
		}
		if _, err := decodePartState(b, items, classes+1); !errors.Is(err, errBadState) && st.Run != nil {
			t.Fatalf("state %d decoded for another shape: %v", n, err)
		}
	}
	for name, b := range map[string][]byte{
		"version":       {2, phaseFree, 0, 0, 0},
		"phase 0":       {partStateVersion, 0, 0, 0, 0},
		"phase 4":       {partStateVersion, 4, 0, 0, 0},
		"pay, no run":   {partStateVersion, phasePay, 0, 0, 0},
		"gold flag":     {partStateVersion, phaseFree, 2, 0, 0},
		"run flag":      {partStateVersion, phaseFree, 0, 0, 2},
		"item range":    {partStateVersion, phasePinned, 0, 1, items, 0},
		"too many gold": {partStateVersion, phasePinned, 0, items + 1, 0, 0, 0, 0, 0, 0},
	} {
		if _, err := decodePartState(b, items, classes); !errors.Is(err, errBadState) {
			t.Errorf("%s: %v", name, err)
		}
	}
	big := (&partState{Phase: phaseFree, Run: &fixedds.State{Post: append(make([]int64, items*classes-1), fixedds.One+1)}}).encode()
	if _, err := decodePartState(big, items, classes); !errors.Is(err, errBadState) {
		t.Errorf("posterior above One: %v", err)
	}
}
