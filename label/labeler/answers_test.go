package labeler_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"emergence/label/labeler"
)

// fixedAnswerer answers every item with one class index.
type fixedAnswerer int

func (f fixedAnswerer) Answer(context.Context, int, int, labeler.ManifestItem, []byte, []string) (int, error) {
	return int(f), nil
}

func TestAnswerItems(t *testing.T) {
	ctx := context.Background()
	man := labeler.Manifest{Items: []labeler.ManifestItem{{ID: "i0"}, {ID: "i1"}, {ID: "i2"}}}
	classes := []string{"cat", "dog"}
	auto, err := labeler.NewAutoAnswerer(strings.NewReader("item,label\ni0,dog\ni2,cat\ni1,dog\n"))
	if err != nil {
		t.Fatal(err)
	}
	var fetched []string
	fetch := func(_ context.Context, mi labeler.ManifestItem) ([]byte, error) {
		fetched = append(fetched, mi.ID)
		return []byte(mi.ID), nil
	}
	got, err := labeler.AnswerItems(ctx, auto, man, []uint32{2, 0}, classes, fetch)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []uint32{0, 1}) || !slices.Equal(fetched, []string{"i2", "i0"}) {
		t.Fatalf("answers %v after fetching %v, want [0 1] after [i2 i0]", got, fetched)
	}

	partial, _ := labeler.NewAutoAnswerer(strings.NewReader("item,label\ni0,dog\n"))
	_, err = labeler.AnswerItems(ctx, partial, man, []uint32{0, 1}, classes, nil)
	var ae *labeler.AnswerError
	if !errors.As(err, &ae) || ae.Item != "i1" || !strings.HasPrefix(err.Error(), "answer item i1: ") {
		t.Fatalf("unanswered item: %v, want an answer error for i1", err)
	}
	if _, err = labeler.AnswerItems(ctx, fixedAnswerer(2), man, []uint32{0}, classes, nil); !errors.As(err, &ae) || err.Error() != "answer item i0: class 2 out of range" {
		t.Fatalf("class out of range: %v", err)
	}
	if _, err = labeler.AnswerItems(ctx, fixedAnswerer(0), man, []uint32{3}, classes, nil); err == nil || errors.As(err, &ae) {
		t.Fatalf("item outside the manifest: %v, want a plain error", err)
	}
}
