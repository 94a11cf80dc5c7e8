package circuit_test

import (
	"math/big"
	"path/filepath"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/test"

	"emergence/zkml/circuit"
	"emergence/zkml/model"
)

var (
	fixtureOnce sync.Once
	fixModel    *model.Model
	fixTest     *model.Dataset
	fixErr      error
)

// fixture trains a small digits MLP once per test binary.
func fixture(t testing.TB) (*model.Model, *model.Dataset) {
	t.Helper()
	fixtureOnce.Do(func() {
		d, err := model.ReadCSVFile(filepath.Join("..", "..", "dataset", "digits.csv.gz"), 16)
		if err != nil {
			fixErr = err
			return
		}
		train, test := d.Split(0.8, 3)
		cfg := model.DefaultTrainConfig()
		cfg.Epochs = 6
		f, err := model.Train(train, []int{64, 6, 10}, cfg)
		if err != nil {
			fixErr = err
			return
		}
		fixModel, fixErr = model.Quantize(f, model.QuantConfig{ActBits: 10}, model.SaltFromBytes([]byte("fixture")))
		fixTest = test
	})
	if fixErr != nil {
		t.Fatal(fixErr)
	}
	return fixModel, fixTest
}

func solved(circ, w frontend.Circuit) error {
	return test.IsSolved(circ, w, ecc.BN254.ScalarField())
}

// TestInferenceEqualsGoModel checks on every sample of the digits test
// split that the circuit accepts the Go quantized model's class, and on the
// first samples that it rejects every other class.
func TestInferenceEqualsGoModel(t *testing.T) {
	m, ds := fixture(t)
	circ, err := circuit.NewInferenceCircuit(m.Shape())
	if err != nil {
		t.Fatal(err)
	}
	const allClasses = 6
	for i := range ds.X {
		w, pub, err := circuit.AssignInference(m, ds.X[i], big.NewInt(0))
		if err != nil {
			t.Fatal(err)
		}
		want, _ := m.Predict(ds.X[i])
		if pub.Class != want {
			t.Fatalf("sample %d: assigned class %d, Go model %d", i, pub.Class, want)
		}
		if err := solved(circ, w); err != nil {
			t.Fatalf("sample %d: honest witness not solved: %v", i, err)
		}
		if i >= allClasses {
			continue
		}
		for c := 0; c < m.Classes; c++ {
			if c == want {
				continue
			}
			w.Class = c
			for j := range w.OneHot {
				w.OneHot[j] = 0
			}
			w.OneHot[c] = 1
			if err := solved(circ, w); err == nil {
				t.Fatalf("sample %d: circuit accepted class %d, Go model says %d", i, c, want)
			}
		}
	}
}

// TestInferenceTieRule builds logits with a tie and checks that only the
// lowest index is accepted.
func TestInferenceTieRule(t *testing.T) {
	m := tieModel(t)
	circ, err := circuit.NewInferenceCircuit(m.Shape())
	if err != nil {
		t.Fatal(err)
	}
	x := []int64{3, 1}
	w, pub, err := circuit.AssignInference(m, x, big.NewInt(0))
	if err != nil {
		t.Fatal(err)
	}
	if pub.Class != 1 {
		t.Fatalf("tie resolved to %d, want 1", pub.Class)
	}
	if err := solved(circ, w); err != nil {
		t.Fatal(err)
	}
	w.Class, w.OneHot[1], w.OneHot[2] = 2, 0, 1
	if err := solved(circ, w); err == nil {
		t.Fatal("circuit accepted the higher index of a tie")
	}
}

// tieModel is logistic regression whose logits for x=(3,1) are (0, 4, 4).
func tieModel(t *testing.T) *model.Model {
	t.Helper()
	m := &model.Model{
		Format: model.ModelFormat, Version: model.ModelVersion, Kind: model.KindLogReg,
		InputMax: 3, Classes: 3, InputBits: 2,
		Layers: []model.Layer{{
			LayerShape: model.LayerShape{In: 2, Out: 3, WeightBits: 4, BiasBits: 4},
			Weights:    [][]int64{{0, 0}, {1, 1}, {0, 4}},
			Bias:       []int64{0, 0, 0},
		}},
	}
	if err := m.Seal(model.SaltFromBytes([]byte("tie"))); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestInferenceSoundness(t *testing.T) {
	m, ds := fixture(t)
	circ, _ := circuit.NewInferenceCircuit(m.Shape())
	x := ds.X[0]
	fresh := func() *circuit.InferenceCircuit {
		w, _, err := circuit.AssignInference(m, x, big.NewInt(0))
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	cases := map[string]func(w *circuit.InferenceCircuit){
		"wrong input digest": func(w *circuit.InferenceCircuit) { w.InputDigest = 777 },
		"other input":        func(w *circuit.InferenceCircuit) { w.X[10] = (x[10] + 1) % 16 },
		"packed weight changed": func(w *circuit.InferenceCircuit) {
			w.P[0][5] = new(big.Int).Add(w.P[0][5].(*big.Int), big.NewInt(1))
		},
		"slot off by one": func(w *circuit.InferenceCircuit) {
			w.Slot[0][0] = new(big.Int).Add(w.Slot[0][0].(*big.Int), big.NewInt(1))
		},
		// A carry between neighbouring slots keeps the packed sum but takes
		// a slot out of its range.
		"carry between slots": func(w *circuit.InferenceCircuit) {
			width := circuit.PackLayout(m.Shape())[0].Width
			w.Slot[0][0] = new(big.Int).Add(w.Slot[0][0].(*big.Int), new(big.Int).Lsh(big.NewInt(1), uint(width)))
			w.Slot[0][1] = new(big.Int).Sub(w.Slot[0][1].(*big.Int), big.NewInt(1))
		},
		"quotient off by one": func(w *circuit.InferenceCircuit) {
			w.Q[0][0] = addInt(w.Q[0][0], 1)
		},
		"sign flipped": func(w *circuit.InferenceCircuit) {
			if w.Sign[0][1] == 0 {
				w.Sign[0][1] = 1
			} else {
				w.Sign[0][1] = 0
			}
		},
	}
	for name, tamper := range cases {
		w := fresh()
		tamper(w)
		if err := solved(circ, w); err == nil {
			t.Errorf("%s: circuit accepted a tampered witness", name)
		}
	}
}

func addInt(v frontend.Variable, d int64) frontend.Variable {
	switch x := v.(type) {
	case int64:
		return x + d
	case int:
		return int64(x) + d
	}
	panic("unexpected advice type")
}

func smallExam(t testing.TB, ds *model.Dataset, n int) *model.Exam {
	t.Helper()
	e, err := model.NewExam("digits-small", ds.Subset(0, n))
	if err != nil {
		t.Fatal(err)
	}
	e.InputBits = 5 // the model's input width (features are 0..16)
	return e
}

func TestExamSoundness(t *testing.T) {
	m, ds := fixture(t)
	e := smallExam(t, ds, 12)
	correct, err := e.Score(m)
	if err != nil {
		t.Fatal(err)
	}
	if correct == e.N() {
		t.Fatalf("fixture classifies every exam sample; the test needs a miss")
	}
	circ, err := circuit.NewExamCircuit(m.Shape(), e)
	if err != nil {
		t.Fatal(err)
	}
	fresh := func(claim int) *circuit.ExamCircuit {
		w, pub, err := circuit.AssignExam(m, e, claim, big.NewInt(0))
		if err != nil {
			t.Fatal(err)
		}
		if pub.N != e.N() || pub.Claim != claim {
			t.Fatalf("publics %+v", pub)
		}
		return w
	}
	if err := solved(circ, fresh(correct)); err != nil {
		t.Fatalf("honest claim K=%d not solved: %v", correct, err)
	}
	if err := solved(circ, fresh(correct-3)); err != nil {
		t.Fatalf("lower claim not solved: %v", err)
	}
	if _, _, err := circuit.AssignExam(m, e, correct+1, big.NewInt(0)); err == nil {
		t.Fatal("AssignExam accepted a claim above the model's score")
	}
	wrongIdx := -1
	for i, x := range e.X {
		if c, _ := m.Predict(x); c != e.Y[i] {
			wrongIdx = i
			break
		}
	}
	cases := map[string]func(w *circuit.ExamCircuit){
		"claim above count": func(w *circuit.ExamCircuit) { w.Claim = correct + 1 },
		"wrong sample flagged correct": func(w *circuit.ExamCircuit) {
			w.Correct[wrongIdx] = 1
			w.Claim = correct + 1
		},
		"wrong commitment":     func(w *circuit.ExamCircuit) { w.Commitment = 99 },
		"wrong exam statement": func(w *circuit.ExamCircuit) { w.Statement = 98 },
		"logit changed": func(w *circuit.ExamCircuit) {
			k := m.Classes
			w.Logits[wrongIdx*k+e.Y[wrongIdx]] = addInt(w.Logits[wrongIdx*k+e.Y[wrongIdx]], 1<<20)
			w.Correct[wrongIdx] = 1
			w.Claim = correct + 1
		},
		"hidden quotient changed": func(w *circuit.ExamCircuit) { w.Q[0][3] = addInt(w.Q[0][3], 1) },
		"weight changed":          func(w *circuit.ExamCircuit) { w.W[1][0] = addInt(w.W[1][0], 1) },
	}
	for name, tamper := range cases {
		w := fresh(correct)
		tamper(w)
		if err := solved(circ, w); err == nil {
			t.Errorf("%s: circuit accepted a tampered witness", name)
		}
	}
}
