package gasbench

import (
	"strings"
	"testing"
)

func TestSelect(t *testing.T) {
	if got, want := len(Select("")), len(Cases()); got != want {
		t.Fatalf("Select(\"\") has %d cases, want all %d", got, want)
	}
	bank := Select("bank")
	if len(bank) == 0 {
		t.Fatal("no bank cases")
	}
	for _, cs := range bank {
		if !strings.HasPrefix(cs.Kind, "bank/") {
			t.Errorf("Select(bank) holds %s", cs.Kind)
		}
	}
	settle := Select("label/settle")
	if len(settle) == 0 {
		t.Fatal("no label/settle case")
	}
	for _, cs := range settle {
		if cs.Kind != "label/settle" {
			t.Errorf("Select(label/settle) holds %s", cs.Kind)
		}
	}
	if n := len(Select("lab")); n != 0 {
		t.Errorf("Select(lab) has %d cases: a prefix of a module name is not a module", n)
	}
}
