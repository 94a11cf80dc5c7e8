package dataset_test

import (
	"testing"

	"emergence/dataset"
)

func TestDigits(t *testing.T) {
	d, err := dataset.Digits()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := d.Len(), 1797; got != want {
		t.Fatalf("digits has %d items, want %d", got, want)
	}
	if _, ok, _ := dataset.Builtin("imagenet"); ok {
		t.Fatal("Builtin found a data set that is not built in")
	}
}
