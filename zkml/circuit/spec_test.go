package circuit_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"emergence/zkml/circuit"
	"emergence/zkml/model"
)

func TestNewSpec(t *testing.T) {
	m, ds := fixture(t)
	e := smallExam(t, ds, 4)
	s, err := circuit.NewSpec(circuit.KindExam, m.Shape(), e)
	if err != nil || s.Kind != circuit.KindExam || s.Exam != e {
		t.Fatalf("exam spec %+v, %v", s, err)
	}
	if s, err = circuit.NewSpec(circuit.KindInference, m.Shape(), e); err != nil || s.Exam != nil {
		t.Fatalf("inference spec %+v, %v: want no exam", s, err)
	}
	if _, err := circuit.NewSpec(circuit.KindExam, m.Shape(), nil); !errors.Is(err, circuit.ErrNoExam) {
		t.Fatalf("exam spec without an exam: %v, want ErrNoExam", err)
	}
	if _, err := circuit.NewSpec(circuit.KindLink, m.Shape(), nil); !errors.Is(err, circuit.ErrKind) || err.Error() != `unknown circuit "link"` {
		t.Fatalf("link spec: %v, want ErrKind", err)
	}
	narrow := &model.Exam{Name: "narrow", Features: 3, Classes: 10, InputBits: 5, X: [][]int64{{1, 2, 3}}, Y: []int{1}}
	if _, err := circuit.NewSpec(circuit.KindExam, m.Shape(), narrow); err == nil {
		t.Fatal("an exam of 3 features fits a 64-feature model")
	}
}

func TestSetupOnePartyKeys(t *testing.T) {
	m, ds := fixture(t)
	spec, err := circuit.NewSpec(circuit.KindExam, m.Shape(), smallExam(t, ds, 4))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var steps []string
	info, err := circuit.SetupOnePartyKeys(dir, spec, func(format string, args ...any) {
		steps = append(steps, fmt.Sprintf(format, args...))
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 2 || steps[0] != "compiling exam circuit..." || !strings.HasSuffix(steps[1], "; running setup...") {
		t.Fatalf("steps %q", steps)
	}
	k, err := circuit.LoadKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	if k.Info.Kind != circuit.KindExam || k.Info.Setup != circuit.SetupOnePartyNote || k.Info.VKHash != info.VKHash || info.Constraints == 0 {
		t.Fatalf("keys %+v, setup returned %+v", k.Info, info)
	}
}
