package model_test

import (
	"errors"
	"testing"

	"emergence/zkml/model"
)

func TestTrainQuantized(t *testing.T) {
	train, test := loadDigits(t).Split(0.8, 7)
	cfg := model.DefaultTrainConfig()
	cfg.Epochs = 3
	r := model.Recipe{Data: "digits", Arch: "64-10", Sizes: []int{64, 10}, Train: cfg}
	tr, err := model.TrainQuantized(train, test, r, model.SaltFromBytes([]byte("recipe")))
	if err != nil {
		t.Fatal(err)
	}
	correct, err := tr.Model.Correct(test)
	if err != nil {
		t.Fatal(err)
	}
	if correct != tr.Correct || tr.QuantAccuracy != float64(correct)/float64(test.Len()) {
		t.Fatalf("reported %d correct (%.4f), the model scores %d of %d", tr.Correct, tr.QuantAccuracy, correct, test.Len())
	}
	info := tr.Model.Training
	if info == nil || info.Data != "digits" || info.Arch != "64-10" || info.Epochs != 3 || info.TrainSamples != train.Len() || info.TestSamples != test.Len() {
		t.Fatalf("training record %+v", info)
	}

	e, score, err := tr.Exam("digits-test", test, 50)
	if err != nil {
		t.Fatal(err)
	}
	if e.N() != 50 || e.InputBits != tr.Model.InputBits || score > 50 {
		t.Fatalf("exam of %d samples at %d bits, score %d", e.N(), e.InputBits, score)
	}
	if all, _, err := tr.Exam("digits-test", test, 0); err != nil || all.N() != test.Len() {
		t.Fatalf("exam of size 0 has %v samples (%v), want all %d", all, err, test.Len())
	}

	_, err = model.TrainQuantized(train, test, model.Recipe{Sizes: []int{63, 10}, Train: cfg}, model.SaltFromBytes(nil))
	var se *model.StepError
	if !errors.As(err, &se) || se.Step != model.StepTrain {
		t.Fatalf("sizes that do not fit the data: %v, want a train step error", err)
	}
	_, err = model.TrainQuantized(train, test, model.Recipe{Sizes: []int{64, 10}, Train: cfg, Quant: model.QuantConfig{WeightBits: 99}}, model.SaltFromBytes(nil))
	if !errors.As(err, &se) || se.Step != model.StepQuantize {
		t.Fatalf("a weight width of 99 bits: %v, want a quantize step error", err)
	}
}

func TestExamWiden(t *testing.T) {
	d := loadDigits(t).Head(20)
	if d.Len() != 20 {
		t.Fatalf("Head(20) has %d samples", d.Len())
	}
	e, err := model.NewExam("x", d)
	if err != nil {
		t.Fatal(err)
	}
	if e.InputBits != 5 {
		t.Fatalf("digits exam at %d bits, want 5", e.InputBits)
	}
	if err := e.Widen(4); err == nil {
		t.Fatal("Widen narrowed the exam below its samples")
	}
	if err := e.Widen(9); err == nil {
		t.Fatal("Widen went past 8 bits")
	}
	if err := e.Widen(8); err != nil || e.InputBits != 8 {
		t.Fatalf("Widen(8): %v, %d bits", err, e.InputBits)
	}
}
