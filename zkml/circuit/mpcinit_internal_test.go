package circuit

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	gmpc "github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
	cs "github.com/consensys/gnark/constraint/bn254"
	"github.com/consensys/gnark/logger"

	"emergence/zkml/model"
)

// TestInitPhase2MatchesGnark: initPhase2 gives exactly the state and
// evaluations of gnark's Initialize, on the tiny inference and link
// circuits (two and one commitments, public inputs, constants).
func TestInitPhase2MatchesGnark(t *testing.T) {
	logger.Disable()
	m := &model.Model{
		Format: model.ModelFormat, Version: model.ModelVersion, Kind: model.KindLogReg,
		InputMax: 7, Classes: 3, InputBits: 3,
		Layers: []model.Layer{{
			LayerShape: model.LayerShape{In: 2, Out: 3, WeightBits: 4, BiasBits: 4},
			Weights:    [][]int64{{2, -1}, {-1, 3}, {1, 1}},
			Bias:       []int64{0, -2, 1},
		}},
	}
	if err := m.Seal(model.SaltFromBytes([]byte("tiny"))); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{KindInference} {
		r1cs, err := (Spec{Kind: kind, Shape: m.Shape()}).Compile()
		if err != nil {
			t.Fatal(err)
		}
		commons := testCommons(t, r1cs)
		want := new(gmpc.Phase2)
		wantEvals := want.Initialize(r1cs, commons)
		got, gotEvals, _ := initPhase2(r1cs, commons, nil, nil)
		var a, b bytes.Buffer
		if _, err := want.WriteTo(&a); err != nil {
			t.Fatal(err)
		}
		if _, err := got.WriteTo(&b); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Fatalf("%s: phase-2 state differs from gnark's", kind)
		}
		if !reflect.DeepEqual(&wantEvals, gotEvals) {
			t.Fatalf("%s: evaluations differ from gnark's", kind)
		}
	}
}

// testCommons runs a one-contribution phase 1 sized for r1cs.
func testCommons(t *testing.T, r1cs *cs.R1CS) *gmpc.SrsCommons {
	t.Helper()
	n := ecc.NextPowerOfTwo(uint64(r1cs.GetNbConstraints()))
	p := gmpc.NewPhase1(n)
	p.Contribute()
	c, err := gmpc.VerifyPhase1(n, []byte("test beacon, sixteen bytes or more"), p)
	if err != nil {
		t.Fatal(err)
	}
	return &c
}

// BenchmarkInitPhase2 compares gnark's phase-2 initialisation with
// initPhase2 on an exam circuit of the tiny model.
func BenchmarkInitPhase2(b *testing.B) {
	logger.Disable()
	m := &model.Model{Format: model.ModelFormat, Version: model.ModelVersion, Kind: model.KindLogReg, InputMax: 7, Classes: 3, InputBits: 3,
		Layers: []model.Layer{{LayerShape: model.LayerShape{In: 2, Out: 3, WeightBits: 4, BiasBits: 4}, Weights: [][]int64{{2, -1}, {-1, 3}, {1, 1}}, Bias: []int64{0, -2, 1}}}}
	if err := m.Seal(model.SaltFromBytes([]byte("tiny"))); err != nil {
		b.Fatal(err)
	}
	d := &model.Dataset{Features: 2, Classes: 3, MaxValue: 7}
	for i := 0; i < 300; i++ {
		d.X = append(d.X, []int64{int64(i % 8), int64((i * 5) % 8)})
		d.Y = append(d.Y, i%3)
	}
	e, err := model.NewExam("bench", d)
	if err != nil {
		b.Fatal(err)
	}
	r1cs, err := (Spec{Kind: KindExam, Shape: m.Shape(), Exam: e}).Compile()
	if err != nil {
		b.Fatal(err)
	}
	t := &testing.T{}
	commons := testCommons(t, r1cs)
	b.ReportMetric(float64(r1cs.GetNbConstraints()), "constraints")
	b.Run("gnark", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			new(gmpc.Phase2).Initialize(r1cs, commons)
		}
	})
	b.Run("initPhase2", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			initPhase2(r1cs, commons, nil, nil)
		}
	})
}
