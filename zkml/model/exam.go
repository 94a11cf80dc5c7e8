package model

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"math/bits"
	"os"

	"emergence/zkml/statement"
)

// File format of an exam.
const (
	ExamFormat  = "emergence.zkml.exam"
	ExamVersion = 1
	// MaxExamSamples bounds the size of an exam.
	MaxExamSamples = 1 << 17
	// MaxExamName bounds an exam's name (the chain's limit on names).
	MaxExamName = 64
)

// Exam is a public test set fixed when an accuracy circuit is built. It is
// identified by Digest, a MiMC hash of its samples and labels.
type Exam struct {
	Name      string
	Features  int
	Classes   int
	InputBits int
	// X are the samples (features in [0, 2^InputBits)), Y the labels.
	X [][]int64
	Y []int
}

// NewExam builds an exam from a data set.
func NewExam(name string, d *Dataset) (*Exam, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	e := &Exam{Name: name, Features: d.Features, Classes: d.Classes, InputBits: max(bits.Len64(uint64(d.MaxValue)), 1), X: d.X, Y: d.Y}
	if err := e.Validate(); err != nil {
		return nil, err
	}
	return e, nil
}

// N is the number of samples.
func (e *Exam) N() int { return len(e.Y) }

// Validate checks shapes and ranges.
func (e *Exam) Validate() error {
	if len(e.X) != len(e.Y) || len(e.Y) == 0 {
		return fmt.Errorf("exam has %d samples and %d labels", len(e.X), len(e.Y))
	}
	if len(e.Name) > MaxExamName {
		return fmt.Errorf("exam name of %d bytes, at most %d", len(e.Name), MaxExamName)
	}
	for _, r := range e.Name {
		if r < 0x20 || r == 0x7f {
			return errors.New("exam name has control characters")
		}
	}
	if len(e.Y) > MaxExamSamples {
		return fmt.Errorf("exam has %d samples, at most %d", len(e.Y), MaxExamSamples)
	}
	if e.InputBits < 1 || e.InputBits > 8 {
		return fmt.Errorf("exam input width %d bits outside [1, 8]", e.InputBits)
	}
	if e.Classes < 2 || e.Classes > 256 || e.Features < 1 {
		return fmt.Errorf("exam has %d classes and %d features", e.Classes, e.Features)
	}
	lim := int64(1) << e.InputBits
	for i, x := range e.X {
		if len(x) != e.Features {
			return fmt.Errorf("exam sample %d has %d features, want %d", i, len(x), e.Features)
		}
		for _, v := range x {
			if v < 0 || v >= lim {
				return fmt.Errorf("exam sample %d: feature %d outside [0, %d)", i, v, lim)
			}
		}
		if e.Y[i] < 0 || e.Y[i] >= e.Classes {
			return fmt.Errorf("exam sample %d: label %d outside [0, %d)", i, e.Y[i], e.Classes)
		}
	}
	return nil
}

// Digest identifies the exam: MiMC(TagExam, n, features, classes,
// inputBits, packed samples..., packed labels...).
func (e *Exam) Digest() *big.Int {
	n := e.N()
	vals := make([]*big.Int, 0, n*e.Features+n)
	widths := make([]int, 0, cap(vals))
	for _, x := range e.X {
		for _, v := range x {
			vals = append(vals, big.NewInt(v))
			widths = append(widths, e.InputBits)
		}
	}
	lb := max(bits.Len(uint(e.Classes-1)), 1)
	for _, y := range e.Y {
		vals = append(vals, big.NewInt(int64(y)))
		widths = append(widths, lb)
	}
	el := []*big.Int{TagExam, big.NewInt(int64(n)), big.NewInt(int64(e.Features)), big.NewInt(int64(e.Classes)), big.NewInt(int64(e.InputBits))}
	el = append(el, Pack(vals, widths)...)
	return MiMC(el...)
}

// Statement is the exam circuit's public exam input for a model shape:
// statement.Exam (zkml/verifier.ExamStatement) over the digest, size,
// shape and name, which the chain recomputes from an exam's registration.
func (e *Exam) Statement(s Shape) (*big.Int, error) {
	return statement.Exam(e.Digest(), uint64(e.N()), ShapeDigest(s), e.Name)
}

// Score counts the exam samples m classifies correctly.
func (e *Exam) Score(m *Model) (int, error) {
	if m.Layers[0].In != e.Features || m.Classes != e.Classes {
		return 0, fmt.Errorf("model takes %d features and %d classes, exam has %d and %d", m.Layers[0].In, m.Classes, e.Features, e.Classes)
	}
	return m.Correct(&Dataset{X: e.X, Y: e.Y, Features: e.Features, Classes: e.Classes, MaxValue: int64(1)<<e.InputBits - 1})
}

type examFile struct {
	Format    string `json:"format"`
	Version   int    `json:"version"`
	Name      string `json:"name"`
	N         int    `json:"n"`
	Features  int    `json:"features"`
	Classes   int    `json:"classes"`
	InputBits int    `json:"inputBits"`
	// Samples holds one byte per feature, sample after sample (base64).
	Samples string `json:"samples"`
	// Labels holds one byte per label (base64).
	Labels string `json:"labels"`
	Digest string `json:"digest"`
}

// MarshalJSON encodes the exam in its compact self-describing file form.
func (e *Exam) MarshalJSON() ([]byte, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	sb := make([]byte, 0, e.N()*e.Features)
	for _, x := range e.X {
		for _, v := range x {
			sb = append(sb, byte(v))
		}
	}
	lb := make([]byte, e.N())
	for i, y := range e.Y {
		lb[i] = byte(y)
	}
	return json.Marshal(examFile{
		Format: ExamFormat, Version: ExamVersion, Name: e.Name, N: e.N(), Features: e.Features,
		Classes: e.Classes, InputBits: e.InputBits,
		Samples: base64.StdEncoding.EncodeToString(sb), Labels: base64.StdEncoding.EncodeToString(lb),
		Digest: HexElement(e.Digest()),
	})
}

// UnmarshalJSON decodes and checks an exam file, including its digest.
func (e *Exam) UnmarshalJSON(b []byte) error {
	var f examFile
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("decode exam: %w", err)
	}
	if f.Format != ExamFormat || f.Version != ExamVersion {
		return fmt.Errorf("not an exam file version %d (format %q version %d)", ExamVersion, f.Format, f.Version)
	}
	if f.N <= 0 || f.N > MaxExamSamples || f.Features <= 0 || f.Features > 1<<16 {
		return fmt.Errorf("exam shape %d×%d out of range", f.N, f.Features)
	}
	sb, err := base64.StdEncoding.DecodeString(f.Samples)
	if err != nil {
		return fmt.Errorf("exam samples: %w", err)
	}
	lb, err := base64.StdEncoding.DecodeString(f.Labels)
	if err != nil {
		return fmt.Errorf("exam labels: %w", err)
	}
	if len(sb) != f.N*f.Features || len(lb) != f.N {
		return errors.New("exam samples or labels do not match its shape")
	}
	out := Exam{Name: f.Name, Features: f.Features, Classes: f.Classes, InputBits: f.InputBits}
	all := make([]int64, len(sb))
	for i, v := range sb {
		all[i] = int64(v)
	}
	for i := 0; i < f.N; i++ {
		out.X = append(out.X, all[i*f.Features:(i+1)*f.Features:(i+1)*f.Features])
		out.Y = append(out.Y, int(lb[i]))
	}
	if err := out.Validate(); err != nil {
		return err
	}
	if HexElement(out.Digest()) != f.Digest {
		return errors.New("exam digest does not match its samples and labels")
	}
	*e = out
	return nil
}

// SaveExam writes an exam file.
func SaveExam(path string, e *Exam) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode exam: %w", err)
	}
	return os.WriteFile(path, b, 0o644)
}

// LoadExam reads an exam file.
func LoadExam(path string) (*Exam, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read exam: %w", err)
	}
	var e Exam
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, err
	}
	return &e, nil
}
