package circuit_test

import (
	"testing"

	"emergence/zkml/circuit"
)

func TestCeremonyPhases(t *testing.T) {
	ct := func(f string) circuit.Contribution { return circuit.Contribution{File: f} }
	c := &circuit.Ceremony{Kind: circuit.KindInference, Phase: 3,
		Phase1: []circuit.Contribution{ct("a"), ct("b")}, Phase2: []circuit.Contribution{ct("c")},
		Phase2Link: []circuit.Contribution{ct("d")}, Phase3: []circuit.Contribution{ct("e")}}
	var got string
	for _, x := range c.Contributions() {
		got += x.File
	}
	if got != "abcde" {
		t.Fatalf("contributions in order %q, want abcde", got)
	}
	for _, tc := range []struct {
		kind  string
		phase int
		keys  bool
	}{
		{circuit.KindExam, 1, false}, {circuit.KindExam, 2, true},
		{circuit.KindInference, 1, false}, {circuit.KindInference, 2, false}, {circuit.KindInference, 3, true},
	} {
		c := &circuit.Ceremony{Kind: tc.kind, Phase: tc.phase}
		if c.ClosingWritesKeys() != tc.keys {
			t.Errorf("%s ceremony in phase %d: closing writes keys %v, want %v", tc.kind, tc.phase, !tc.keys, tc.keys)
		}
	}
}
