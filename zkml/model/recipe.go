package model

import "fmt"

// Recipe says how TrainQuantized makes a model.
type Recipe struct {
	// Data and Arch name the data set and the layer sizes in the model's
	// training record.
	Data, Arch string
	Sizes      []int
	Train      TrainConfig
	Quant      QuantConfig
}

// Trained is a model made by TrainQuantized with its accuracies on the
// held-out test part.
type Trained struct {
	Model         *Model
	FloatAccuracy float64
	QuantAccuracy float64
	// Correct counts the test samples the quantized model classifies
	// correctly.
	Correct int
}

// Steps of TrainQuantized a StepError names.
const (
	StepTrain    = "train"
	StepQuantize = "quantize"
)

// StepError is a failure of one step of TrainQuantized (StepTrain: the
// sizes do not fit the data; StepQuantize: the widths do not fit the
// model). Its text is its cause's.
type StepError struct {
	Step string
	Err  error
}

func (e *StepError) Error() string { return e.Err.Error() }

func (e *StepError) Unwrap() error { return e.Err }

// TrainQuantized trains a float model on train, quantizes it with salt,
// scores both on test and records how the model was made in its Training
// field.
func TrainQuantized(train, test *Dataset, r Recipe, salt Salt) (*Trained, error) {
	fm, err := Train(train, r.Sizes, r.Train)
	if err != nil {
		return nil, &StepError{Step: StepTrain, Err: err}
	}
	qm, err := Quantize(fm, r.Quant, salt)
	if err != nil {
		return nil, &StepError{Step: StepQuantize, Err: err}
	}
	floatAcc := fm.Accuracy(test)
	correct, err := qm.Correct(test)
	if err != nil {
		return nil, fmt.Errorf("score the quantized model: %w", err)
	}
	quantAcc := float64(correct) / float64(test.Len())
	qm.Training = &TrainingInfo{Data: r.Data, Arch: r.Arch, Seed: r.Train.Seed, Epochs: r.Train.Epochs,
		TrainSamples: train.Len(), TestSamples: test.Len(), FloatAccuracy: floatAcc, QuantAccuracy: quantAcc}
	return &Trained{Model: qm, FloatAccuracy: floatAcc, QuantAccuracy: quantAcc, Correct: correct}, nil
}

// Exam builds an exam called name of the first size samples of test (all
// when size is 0 or more than there are) at the model's input width, and
// the model's score on it.
func (t *Trained) Exam(name string, test *Dataset, size int) (e *Exam, score int, err error) {
	if e, err = NewExam(name, test.Head(size)); err != nil {
		return nil, 0, err
	}
	e.InputBits = t.Model.InputBits
	score, err = e.Score(t.Model)
	if err != nil {
		return nil, 0, err
	}
	return e, score, nil
}

// Head returns the first n samples of d, all of them when n is 0 or more
// than d holds.
func (d *Dataset) Head(n int) *Dataset {
	if n <= 0 || n >= d.Len() {
		return d
	}
	return d.Subset(0, n)
}

// Widen declares the exam's features bits wide, as a model trained on
// wider data expects; it cannot narrow them below what the samples need.
func (e *Exam) Widen(bits int) error {
	if bits < e.InputBits || bits > 8 {
		return fmt.Errorf("input width %d outside [%d, 8]", bits, e.InputBits)
	}
	e.InputBits = bits
	return nil
}
