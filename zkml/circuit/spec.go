package circuit

import (
	"errors"
	"fmt"

	"emergence/zkml/model"
)

// Errors of NewSpec.
var (
	// ErrKind is a circuit kind keys cannot be set up for.
	ErrKind = errors.New("unknown circuit")
	// ErrNoExam is an exam circuit asked for without an exam.
	ErrNoExam = errors.New("an exam circuit needs an exam")
)

// NewSpec returns the spec of a circuit keys are set up for: an inference
// circuit of a model's shape, or an exam circuit of a shape and an exam
// (ignored for inference). It fails with ErrKind or ErrNoExam, or when the
// exam does not fit the shape (features, classes, input width).
func NewSpec(kind string, shape model.Shape, exam *model.Exam) (Spec, error) {
	spec := Spec{Kind: kind, Shape: shape}
	switch kind {
	case KindInference:
	case KindExam:
		if exam == nil {
			return Spec{}, ErrNoExam
		}
		spec.Exam = exam
	default:
		return Spec{}, fmt.Errorf("%w %q", ErrKind, kind)
	}
	if _, err := spec.Circuit(); err != nil {
		return Spec{}, err
	}
	return spec, nil
}
