package labeler

import (
	"context"
	"fmt"
)

// AnswerError is a failure to answer one item.
type AnswerError struct {
	Item string // the item's id in the manifest
	Err  error
}

func (e *AnswerError) Error() string { return fmt.Sprintf("answer item %s: %v", e.Item, e.Err) }

func (e *AnswerError) Unwrap() error { return e.Err }

// AnswerItems asks a for the class of each assigned item (positions in
// man), in order, and returns the answers as indices into classes. When
// content is not nil it fetches each item's content for a first. A failure
// of a, or an answer outside classes, is an *AnswerError.
func AnswerItems(ctx context.Context, a Answerer, man Manifest, items []uint32, classes []string,
	content func(context.Context, ManifestItem) ([]byte, error)) ([]uint32, error) {
	answers := make([]uint32, len(items))
	for k, it := range items {
		if int(it) >= len(man.Items) {
			return nil, fmt.Errorf("assigned item %d is not in the manifest of %d items", it, len(man.Items))
		}
		mi := man.Items[it]
		var data []byte
		if content != nil {
			var err error
			if data, err = content(ctx, mi); err != nil {
				return nil, err
			}
		}
		c, err := a.Answer(ctx, k, len(items), mi, data, classes)
		if err != nil {
			return nil, &AnswerError{Item: mi.ID, Err: err}
		}
		if c < 0 || c >= len(classes) {
			return nil, &AnswerError{Item: mi.ID, Err: fmt.Errorf("class %d out of range", c)}
		}
		answers[k] = uint32(c)
	}
	return answers, nil
}
