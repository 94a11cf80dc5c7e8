package labeler_test

import (
	"strings"
	"testing"

	"emergence/label/labeler"
)

func TestWriteResults(t *testing.T) {
	man := labeler.Manifest{Items: []labeler.ManifestItem{{ID: "a"}, {ID: "b,1"}, {ID: "c"}}}
	var b strings.Builder
	if err := labeler.WriteResults(&b, man, []string{"cat", "dog"}, []int32{1, 0, -1}); err != nil {
		t.Fatal(err)
	}
	if got, want := b.String(), "item,label\na,dog\n\"b,1\",cat\n"; got != want {
		t.Fatalf("results CSV %q, want %q", got, want)
	}
	if err := labeler.WriteResults(&b, man, []string{"cat"}, []int32{0}); err == nil {
		t.Fatal("results of 1 item written for a manifest of 3")
	}
	if err := labeler.WriteResults(&b, man, []string{"cat"}, []int32{0, 1, 0}); err == nil {
		t.Fatal("label 1 of 1 class written")
	}
}
