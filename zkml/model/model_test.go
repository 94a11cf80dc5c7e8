package model_test

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"emergence/zkml/model"
)

func loadDigits(t testing.TB) *model.Dataset {
	t.Helper()
	d, err := model.ReadCSVFile(filepath.Join("..", "..", "dataset", "digits.csv.gz"), 16)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestReadCSVDigits(t *testing.T) {
	d := loadDigits(t)
	if got, want := d.Len(), 1797; got != want {
		t.Fatalf("Len()=%d, want %d", got, want)
	}
	if d.Features != 64 || d.Classes != 10 || d.MaxValue != 16 {
		t.Fatalf("shape %d features %d classes max %d", d.Features, d.Classes, d.MaxValue)
	}
}

func TestReadCSVRejects(t *testing.T) {
	for name, in := range map[string]string{
		"ragged":   "1,2,0\n1,2,3,1\n",
		"negative": "1,-2,0\n",
		"text":     "1,2,0\n1,x,1\n",
		"empty":    "",
	} {
		if _, err := model.ReadCSV(strings.NewReader(in), 0); err == nil {
			t.Errorf("%s: ReadCSV accepted %q", name, in)
		}
	}
	// iris has a text header line, which is skipped.
	d, err := model.ReadCSV(strings.NewReader("150,4,setosa\n5,3,1,0,0\n6,3,4,1,1\n"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != 2 || d.Classes != 2 || d.MaxValue != 6 {
		t.Fatalf("got %d rows, %d classes, max %d", d.Len(), d.Classes, d.MaxValue)
	}
}

func TestIDXRoundTrip(t *testing.T) {
	d := loadDigits(t).Subset(0, 20)
	img, lab, err := model.EncodeIDX(d, 8, 8)
	if err != nil {
		t.Fatal(err)
	}
	got, err := model.ReadIDX(bytes.NewReader(img), bytes.NewReader(lab))
	if err != nil {
		t.Fatal(err)
	}
	for i := range d.X {
		if got.Y[i] != d.Y[i] {
			t.Fatalf("label %d: %d, want %d", i, got.Y[i], d.Y[i])
		}
		for k := range d.X[i] {
			if got.X[i][k] != d.X[i][k] {
				t.Fatalf("sample %d feature %d differs", i, k)
			}
		}
	}
	img[3] = 0x99
	if _, err := model.ReadIDX(bytes.NewReader(img), bytes.NewReader(lab)); err == nil {
		t.Fatal("ReadIDX accepted a bad magic")
	}
	if _, err := model.ReadIDX(bytes.NewReader(lab), bytes.NewReader(lab[:5])); err == nil {
		t.Fatal("ReadIDX accepted truncated files")
	}
}

func TestParseArch(t *testing.T) {
	got, err := model.ParseArch("64-32-10")
	if err != nil || len(got) != 3 || got[0] != 64 || got[1] != 32 || got[2] != 10 {
		t.Fatalf("ParseArch=%v, %v", got, err)
	}
	for _, bad := range []string{"", "64", "64--10", "64-x-10", "0-10", "64-10-"} {
		if _, err := model.ParseArch(bad); err == nil {
			t.Errorf("ParseArch(%q) accepted", bad)
		}
	}
}

// trainSmall trains a small digits MLP used by several tests.
func trainSmall(t testing.TB, arch []int) (*model.FloatModel, *model.Model, *model.Dataset) {
	t.Helper()
	train, test := loadDigits(t).Split(0.8, 7)
	cfg := model.DefaultTrainConfig()
	cfg.Epochs = 8
	f, err := model.Train(train, arch, cfg)
	if err != nil {
		t.Fatal(err)
	}
	q, err := model.Quantize(f, model.QuantConfig{}, model.SaltFromBytes([]byte("test salt")))
	if err != nil {
		t.Fatal(err)
	}
	return f, q, test
}

func TestTrainQuantizeDigits(t *testing.T) {
	for _, arch := range [][]int{{64, 16, 10}, {64, 10}, {64, 12, 12, 10}} {
		f, q, test := trainSmall(t, arch)
		fa := f.Accuracy(test)
		ok, err := q.Correct(test)
		if err != nil {
			t.Fatal(err)
		}
		qa := float64(ok) / float64(test.Len())
		t.Logf("arch %v: float %.4f quantized %.4f", arch, fa, qa)
		if fa < 0.85 {
			t.Errorf("arch %v: float accuracy %.3f below 0.85", arch, fa)
		}
		if qa < fa-0.03 {
			t.Errorf("arch %v: quantized accuracy %.3f more than 3 points below float %.3f", arch, qa, fa)
		}
		// Correct and Accuracy reuse their buffers; they count what
		// Predict says sample by sample.
		wantOK, wantF := 0, 0
		for i, x := range test.X {
			c, err := q.Predict(x)
			if err != nil {
				t.Fatal(err)
			}
			if c == test.Y[i] {
				wantOK++
			}
			if f.Predict(x) == test.Y[i] {
				wantF++
			}
		}
		if ok != wantOK || fa != float64(wantF)/float64(test.Len()) {
			t.Errorf("arch %v: Correct %d, Accuracy %v; Predict gives %d and %d", arch, ok, fa, wantOK, wantF)
		}
		if _, err := q.Correct(&model.Dataset{X: [][]int64{{1, 2}}, Y: []int{0}}); err == nil {
			t.Errorf("arch %v: Correct took a sample of 2 features", arch)
		}
		wantKind := model.KindMLP
		if len(arch) == 2 {
			wantKind = model.KindLogReg
		}
		if q.Kind != wantKind {
			t.Errorf("kind %q, want %q", q.Kind, wantKind)
		}
	}
}

func TestTrainDeterministic(t *testing.T) {
	_, a, _ := trainSmall(t, []int{64, 8, 10})
	_, b, _ := trainSmall(t, []int{64, 8, 10})
	if a.Commitment != b.Commitment {
		t.Fatal("same seed and salt gave different models")
	}
}

func TestModelFileRoundTripAndCommitment(t *testing.T) {
	_, q, test := trainSmall(t, []int{64, 8, 10})
	path := filepath.Join(t.TempDir(), "m.json")
	if err := model.SaveModel(path, q); err != nil {
		t.Fatal(err)
	}
	back, err := model.LoadModel(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range test.X {
		a, _ := q.Predict(x)
		b, _ := back.Predict(x)
		if a != b {
			t.Fatalf("sample %d: %d after reload, want %d", i, b, a)
		}
	}
	// Any change to a weight or the salt changes the commitment.
	raw, _ := json.Marshal(q)
	var tampered model.Model
	json.Unmarshal(raw, &tampered)
	tampered.Layers[0].Weights[0][0] ^= 1
	if _, err := model.ParseModel(mustJSON(t, &tampered)); err == nil {
		t.Fatal("ParseModel accepted a weight that does not match the commitment")
	}
	other := *q
	if err := other.Seal(model.SaltFromBytes([]byte("other salt"))); err != nil {
		t.Fatal(err)
	}
	if other.Commitment == q.Commitment {
		t.Fatal("a new salt kept the same commitment")
	}
	// Out-of-range weights are rejected.
	json.Unmarshal(raw, &tampered)
	tampered.Layers[1].Weights[0][0] = 1 << 20
	if err := tampered.Validate(); err == nil {
		t.Fatal("Validate accepted a weight wider than its declared bits")
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestExamFile(t *testing.T) {
	d := loadDigits(t).Subset(0, 30)
	e, err := model.NewExam("digits-30", d)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "exam.json")
	if err := model.SaveExam(path, e); err != nil {
		t.Fatal(err)
	}
	back, err := model.LoadExam(path)
	if err != nil {
		t.Fatal(err)
	}
	if back.Digest().Cmp(e.Digest()) != 0 {
		t.Fatal("digest changed across a round trip")
	}
	d2 := loadDigits(t).Subset(0, 30)
	d2.Y = append([]int(nil), d2.Y...)
	d2.Y[0] = (d2.Y[0] + 1) % 10
	e2, _ := model.NewExam("digits-30", d2)
	if e2.Digest().Cmp(e.Digest()) == 0 {
		t.Fatal("changing a label kept the digest")
	}
}

func TestPackGroups(t *testing.T) {
	widths := make([]int, 70)
	for i := range widths {
		widths[i] = 8
	}
	g := model.PackGroups(widths)
	if len(g) != 3 || g[0] != [2]int{0, 31} || g[2] != [2]int{62, 70} {
		t.Fatalf("PackGroups=%v", g)
	}
}
