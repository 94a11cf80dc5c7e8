package aggregate_test

import (
	"errors"
	"testing"

	"emergence/label/aggregate"
)

func TestEvaluate(t *testing.T) {
	pred := []aggregate.Truth{{Item: "a", Label: "x"}, {Item: "b", Label: "y"}, {Item: "b", Label: "y"}, {Item: "c", Label: "x"}, {Item: "d", Label: "x"}}
	truth := []aggregate.Truth{{Item: "a", Label: "x"}, {Item: "b", Label: "x"}, {Item: "c", Label: "x"}, {Item: "e", Label: "y"}}
	got, err := aggregate.Evaluate(pred, truth)
	if err != nil {
		t.Fatal(err)
	}
	want := aggregate.Eval{Accuracy: 2.0 / 3, Correct: 2, Evaluated: 3, Predicted: 4, Truth: 4}
	if got != want {
		t.Fatalf("Evaluate = %+v, want %+v", got, want)
	}

	got, err = aggregate.Evaluate(pred, []aggregate.Truth{{Item: "z", Label: "x"}})
	if err != nil || got.Evaluated != 0 || got.Accuracy != 0 {
		t.Fatalf("no overlap: %+v, %v; want nothing evaluated", got, err)
	}

	_, err = aggregate.Evaluate(append(pred, aggregate.Truth{Item: "a", Label: "y"}), truth)
	var de *aggregate.DuplicateError
	if !errors.As(err, &de) || de.Item != "a" || err.Error() != `item "a" predicted twice` {
		t.Fatalf("two labels for a: %v, want a duplicate error", err)
	}
}

func TestMethodKnownAndGoldItems(t *testing.T) {
	for _, m := range append(aggregate.Methods, aggregate.MethodDSFixed) {
		if !m.Known() {
			t.Errorf("method %q not known", m)
		}
	}
	if aggregate.Method("median").Known() {
		t.Error("method median known")
	}
	if n := aggregate.GoldItems([]int{aggregate.NoGold, 0, 2, aggregate.NoGold, 1}); n != 3 {
		t.Errorf("GoldItems = %d, want 3", n)
	}
}
