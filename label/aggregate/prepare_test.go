package aggregate_test

import (
	"errors"
	"testing"

	"emergence/label/aggregate"
)

func TestPrepare(t *testing.T) {
	rows := []aggregate.Row{
		{Worker: "w1", Item: "a", Label: "x"},
		{Worker: "w1", Item: "a", Label: "y"}, // w1 corrects itself
		{Worker: "w2", Item: "a", Label: "y"},
		{Worker: "w2", Item: "b", Label: "x"},
	}
	truth := []aggregate.Truth{{Item: "b", Label: "z"}, {Item: "gone", Label: "x"}}
	p, err := aggregate.Prepare(rows, truth, true)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(p.Dataset.Labels), 3; got != want {
		t.Errorf("labels %d, want %d", got, want)
	}
	if p.Duplicates != 1 || p.GoldItems != 1 {
		t.Errorf("duplicates %d, gold items %d, want 1 and 1", p.Duplicates, p.GoldItems)
	}
	// The gold class z no worker used is a class of the dataset.
	if got, want := len(p.Dataset.Classes), 3; got != want {
		t.Errorf("classes %v, want x, y, z", p.Dataset.Classes)
	}
	b := -1
	for i, it := range p.Dataset.Items {
		if it == "b" {
			b = i
		}
	}
	if b < 0 || p.Dataset.Classes[p.Gold[b]] != "z" {
		t.Errorf("gold vector %v over items %v classes %v", p.Gold, p.Dataset.Items, p.Dataset.Classes)
	}

	kept, err := aggregate.Prepare(rows, nil, false)
	if err != nil || kept.Duplicates != 0 || len(kept.Dataset.Labels) != 4 || kept.Gold != nil {
		t.Errorf("without dedup or truth: %+v, %v", kept, err)
	}
	_, err = aggregate.Prepare(rows, []aggregate.Truth{{Item: "a", Label: "x"}, {Item: "a", Label: "y"}}, false)
	if !errors.Is(err, aggregate.ErrGoldVector) {
		t.Errorf("two gold labels for one item: %v, want ErrGoldVector", err)
	}
	if _, err := aggregate.Prepare(nil, nil, false); err == nil || errors.Is(err, aggregate.ErrGoldVector) {
		t.Errorf("no rows: %v, want a labels error", err)
	}
}
