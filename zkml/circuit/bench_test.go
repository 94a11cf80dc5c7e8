package circuit

import (
	"bytes"
	crand "crypto/rand"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/constraint"
	cs "github.com/consensys/gnark/constraint/bn254"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/logger"

	"emergence/zkml/model"
	"emergence/zkml/verifier"
)

// denseCircuit is one dense layer with hidden weights and hidden inputs,
// the unit the constraints-per-MAC figure is measured on.
type denseCircuit struct {
	W   []frontend.Variable
	A   []frontend.Variable
	Out frontend.Variable `gnark:",public"`
	in  int
	out int
}

func (c *denseCircuit) Define(api frontend.API) error {
	z := make([]frontend.Variable, c.out)
	for j := 0; j < c.out; j++ {
		terms := make([]frontend.Variable, c.in)
		for k := 0; k < c.in; k++ {
			terms[k] = api.Mul(c.W[j*c.in+k], c.A[k])
		}
		z[j] = sum(api, terms)
	}
	// Bind every output so none is optimized away: Out = Σ_j j·z_j.
	acc := make([]frontend.Variable, c.out)
	for j := range z {
		acc[j] = api.Mul(z[j], j+1)
	}
	api.AssertIsEqual(sum(api, acc), c.Out)
	return nil
}

// BenchmarkDenseConstraintsPerMAC reports R1CS constraints per
// multiply-accumulate of a hidden-weight × hidden-activation layer.
func BenchmarkDenseConstraintsPerMAC(b *testing.B) {
	logger.Disable()
	for _, sz := range [][2]int{{784, 56}, {56, 10}, {784, 32}} {
		b.Run(strconv.Itoa(sz[0])+"x"+strconv.Itoa(sz[1]), func(b *testing.B) {
			c := &denseCircuit{W: make([]frontend.Variable, sz[0]*sz[1]), A: make([]frontend.Variable, sz[0]), in: sz[0], out: sz[1]}
			var n int
			for i := 0; i < b.N; i++ {
				ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, c)
				if err != nil {
					b.Fatal(err)
				}
				n = ccs.GetNbConstraints()
			}
			macs := sz[0] * sz[1]
			b.ReportMetric(float64(n), "constraints")
			b.ReportMetric(float64(n)/float64(macs), "constraints/MAC")
		})
	}
}

// randomModel quantizes a float model with random weights; proving cost
// does not depend on the weight values.
func randomModel(b testing.TB, sizes []int, inputMax int64) *model.Model {
	r := rand.New(rand.NewPCG(1, 2))
	f := &model.FloatModel{Sizes: sizes, InputMax: inputMax}
	for l := 0; l+1 < len(sizes); l++ {
		w := make([]float64, sizes[l]*sizes[l+1])
		for i := range w {
			w[i] = r.NormFloat64() * 0.1
		}
		f.W = append(f.W, w)
		bb := make([]float64, sizes[l+1])
		for i := range bb {
			bb[i] = r.NormFloat64() * 0.1
		}
		f.B = append(f.B, bb)
	}
	m, err := model.Quantize(f, model.QuantConfig{}, model.SaltFromBytes([]byte("bench")))
	if err != nil {
		b.Fatal(err)
	}
	return m
}

func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:"))
		}
	}
	return "unknown"
}

func peakRSSGiB() float64 {
	s := peakRSS()
	f := strings.Fields(s)
	if len(f) != 2 || f[1] != "kB" {
		return -1
	}
	kb, _ := strconv.ParseFloat(f[0], 64)
	return kb / (1 << 20)
}

// inferenceBenchState holds the 784-56-10 circuit and its one-party keys,
// made once per test binary (a benchmark function runs more than once).
type inferenceBenchState struct {
	once    sync.Once
	m       *model.Model
	x       []int64
	ccs     constraint.ConstraintSystem
	pk      groth16.ProvingKey
	vk      []byte
	compile time.Duration
	setup   time.Duration
	err     error
}

var inferenceBench inferenceBenchState

// loadInferenceBench compiles the 784-56-10 inference circuit and makes its
// one-party keys, once per test binary.
func loadInferenceBench(b *testing.B) *inferenceBenchState {
	logger.Disable()
	ib := &inferenceBench
	ib.once.Do(func() {
		ib.m = randomModel(b, []int{784, 56, 10}, 255)
		r := rand.New(rand.NewPCG(3, 4))
		ib.x = make([]int64, 784)
		for i := range ib.x {
			ib.x[i] = int64(r.IntN(256))
		}
		st := time.Now()
		ccs, err := Spec{Kind: KindInference, Shape: ib.m.Shape()}.Compile()
		if err != nil {
			ib.err = err
			return
		}
		ib.compile = time.Since(st)
		ib.ccs = ccs
		st = time.Now()
		pk, vk, err := SetupOneParty(ccs)
		if err != nil {
			ib.err = err
			return
		}
		ib.setup = time.Since(st)
		ib.pk = pk
		ib.vk, ib.err = MarshalVK(vk)
	})
	if ib.err != nil {
		b.Fatal(ib.err)
	}
	return ib
}

// BenchmarkInference784x56x10 compiles, sets up (one party, real keys),
// proves and verifies an inference of a 784-56-10 MLP with 8-bit weights
// and inputs. The verify figure includes the comparison of the proof's
// commitment with the model's binding, as the chain does it.
func BenchmarkInference784x56x10(b *testing.B) {
	ib := loadInferenceBench(b)
	w, pub, err := AssignInference(ib.m, ib.x, big.NewInt(0))
	if err != nil {
		b.Fatal(err)
	}
	want, _ := ib.m.Predict(ib.x)
	if pub.Class != want {
		b.Fatalf("assigned class %d, Go model %d", pub.Class, want)
	}
	pubs, _ := InferencePublics(pub)
	e, err := InferenceCommitment(ib.pk, ib.m)
	if err != nil {
		b.Fatal(err)
	}
	eb := e.Bytes()
	b.ResetTimer()
	var proofBytes []byte
	for i := 0; i < b.N; i++ {
		p, err := ProveMasked(ib.ccs, ib.pk, w)
		if err != nil {
			b.Fatal(err)
		}
		proofBytes, _ = MarshalProof(p)
	}
	b.StopTimer()
	dvk, err := DecodeVK(ib.vk)
	if err != nil {
		b.Fatal(err)
	}
	st := time.Now()
	const verifies = 20
	for i := 0; i < verifies; i++ {
		if err := verifier.VerifyBound(dvk, proofBytes, pubs, eb[:]); err != nil {
			b.Fatal(err)
		}
	}
	ver := time.Since(st) / verifies
	sh := ib.m.Shape()
	b.Logf("784-56-10: %d-bit inputs, %d-bit weights; packing %+v", sh.InputBits, sh.Layers[0].WeightBits, PackLayout(sh))
	b.ReportMetric(float64(ib.ccs.GetNbConstraints()), "constraints")
	b.ReportMetric(ib.compile.Seconds(), "compile-s")
	b.ReportMetric(ib.setup.Seconds(), "setup-s")
	b.ReportMetric(ver.Seconds()*1000, "verify-ms")
	b.ReportMetric(float64(len(proofBytes)), "proof-bytes")
	b.ReportMetric(peakRSSGiB(), "peakRSS-GiB")
}

// BenchmarkBind784x56x10 measures the once-per-model side of inference
// proofs for a 784-56-10 MLP: a real one-party setup of the link circuit
// (several minutes here), the binding key, and then per iteration the
// link proof (the MiMC opening) with E and π; verification of the binding
// as the chain does it is timed after the loop.
func BenchmarkBind784x56x10(b *testing.B) {
	ib := loadInferenceBench(b)
	st := time.Now()
	link, err := Spec{Kind: KindLink, Shape: ib.m.Shape()}.Compile()
	if err != nil {
		b.Fatal(err)
	}
	compile := time.Since(st)
	st = time.Now()
	lpk, lvk, err := SetupOneParty(link)
	if err != nil {
		b.Fatal(err)
	}
	setup := time.Since(st)
	st = time.Now()
	bk, bvk, err := SetupBinding(ib.m.Shape(), lpk, ib.pk, crand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	bindSetup := time.Since(st)
	b.ResetTimer()
	var e, lp, pi []byte
	for i := 0; i < b.N; i++ {
		if e, lp, pi, err = BindParts(link, lpk, ib.pk, bk, ib.m, big.NewInt(0)); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	lvkb, _ := MarshalVK(lvk)
	dlvk, err := DecodeVK(lvkb)
	if err != nil {
		b.Fatal(err)
	}
	c, _ := model.ParseElement(ib.m.Commitment)
	st = time.Now()
	const verifies = 10
	for i := 0; i < verifies; i++ {
		if err := verifier.VerifyBinding(dlvk, bvk, lp, []*big.Int{c, big.NewInt(0)}, e, pi); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(link.GetNbConstraints()), "link-constraints")
	b.ReportMetric(compile.Seconds(), "compile-s")
	b.ReportMetric(setup.Seconds(), "link-setup-s")
	b.ReportMetric(bindSetup.Seconds(), "binding-key-setup-s")
	b.ReportMetric(float64(time.Since(st).Microseconds())/1000/verifies, "verify-ms")
	b.ReportMetric(float64(len(lp)+len(e)+len(pi)), "binding-bytes")
	b.ReportMetric(peakRSSGiB(), "peakRSS-GiB")
}

// setupInference compiles the inference circuit of a shape and makes its
// one-party keys.
func setupInference(b *testing.B, s model.Shape) (*cs.R1CS, groth16.ProvingKey, groth16.VerifyingKey) {
	ccs, err := Spec{Kind: KindInference, Shape: s}.Compile()
	if err != nil {
		b.Fatal(err)
	}
	pk, vk, err := SetupOneParty(ccs)
	if err != nil {
		b.Fatal(err)
	}
	return ccs, pk, vk
}

// loadFashion reads the Fashion-MNIST training and test sets from dir.
func loadFashion(b *testing.B, dir string) (train, test *model.Dataset) {
	var err error
	if train, err = model.ReadIDXFiles(filepath.Join(dir, "train-images-idx3-ubyte.gz"), filepath.Join(dir, "train-labels-idx1-ubyte.gz")); err != nil {
		b.Fatal(err)
	}
	if test, err = model.ReadIDXFiles(filepath.Join(dir, "t10k-images-idx3-ubyte.gz"), filepath.Join(dir, "t10k-labels-idx1-ubyte.gz")); err != nil {
		b.Fatal(err)
	}
	return train, test
}

// trainMLP trains the float MLP of layer sizes on train for epochs, with
// the rest of the training settings at their defaults.
func trainMLP(b *testing.B, train *model.Dataset, sizes []int, epochs int) *model.FloatModel {
	b.Helper()
	cfg := model.DefaultTrainConfig()
	cfg.Epochs = epochs
	f, err := model.Train(train, sizes, cfg)
	if err != nil {
		b.Fatal(err)
	}
	return f
}

// BenchmarkInferenceFashion784x56x10 trains a 784-56-10 MLP on
// Fashion-MNIST (ZKML_FASHION_DIR), reports its float and quantized test
// accuracy, and proves inferences of the first ZKML_PROOFS (default 20)
// test images with the 784-56-10 keys, checking that every proof's class
// is the Go quantized model's and that it verifies against the model's
// binding commitment. The figure per op is one proof.
func BenchmarkInferenceFashion784x56x10(b *testing.B) {
	dir := fashionDir(b)
	logger.Disable()
	train, test := loadFashion(b, dir)
	f := trainMLP(b, train, []int{784, 56, 10}, 3)
	m, err := model.Quantize(f, model.QuantConfig{}, model.SaltFromBytes([]byte("fashion-56")))
	if err != nil {
		b.Fatal(err)
	}
	ccs, pk, vk := setupInference(b, m.Shape())
	vkb, _ := MarshalVK(vk)
	qc, err := m.Correct(test)
	if err != nil {
		b.Fatal(err)
	}
	proofs := envInt(b, "ZKML_PROOFS", 20)
	dvk, err := DecodeVK(vkb)
	if err != nil {
		b.Fatal(err)
	}
	e, err := InferenceCommitment(pk, m)
	if err != nil {
		b.Fatal(err)
	}
	eb := e.Bytes()
	b.ResetTimer()
	var proved time.Duration
	for it := 0; it < b.N; it++ {
		for i := 0; i < proofs; i++ {
			st := time.Now()
			p, pub, err := ProveInference(ccs, pk, m, test.X[i], big.NewInt(0))
			if err != nil {
				b.Fatal(err)
			}
			proved += time.Since(st)
			if want, _ := m.Predict(test.X[i]); pub.Class != want {
				b.Fatalf("image %d: proof class %d, Go quantized model %d", i, pub.Class, want)
			}
			pb, _ := MarshalProof(p)
			pubs, _ := InferencePublics(pub)
			if err := verifier.VerifyBound(dvk, pb, pubs, eb[:]); err != nil {
				b.Fatalf("image %d: %v", i, err)
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(f.Accuracy(test), "float-acc")
	b.ReportMetric(float64(qc)/float64(test.Len()), "quant-acc")
	b.ReportMetric(float64(ccs.GetNbConstraints()), "constraints")
	b.ReportMetric(proved.Seconds()/float64(b.N*proofs), "s/proof")
}

// BenchmarkVerify measures verification of a small real proof: the cost is
// the same for every circuit with three public inputs and one commitment.
func BenchmarkVerify(b *testing.B) {
	logger.Disable()
	m := &model.Model{
		Format: model.ModelFormat, Version: model.ModelVersion, Kind: model.KindLogReg,
		InputMax: 7, Classes: 3, InputBits: 3,
		Layers: []model.Layer{{LayerShape: model.LayerShape{In: 2, Out: 3, WeightBits: 4, BiasBits: 4},
			Weights: [][]int64{{2, -1}, {-1, 3}, {1, 1}}, Bias: []int64{0, -2, 1}}},
	}
	if err := m.Seal(model.SaltFromBytes([]byte("v"))); err != nil {
		b.Fatal(err)
	}
	ccs, pk, vk := setupInference(b, m.Shape())
	w, pub, _ := AssignInference(m, []int64{1, 2}, big.NewInt(0))
	p, err := Prove(ccs, pk, w)
	if err != nil {
		b.Fatal(err)
	}
	pb, _ := MarshalProof(p)
	vkb, _ := MarshalVK(vk)
	pubs, _ := InferencePublics(pub)
	dvk, err := DecodeVK(vkb)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("decoded-key", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if err := VerifyDecoded(dvk, pb, pubs); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("with-key-decoding", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if err := Verify(vkb, pb, pubs); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkExamFashionMNIST proves accuracy of a 784-32-10 MLP trained on
// Fashion-MNIST over its test set. Set ZKML_FASHION_DIR to the directory
// holding the four IDX .gz files; ZKML_EXAM_N limits the exam (default all
// 10,000); ZKML_EPOCHS sets training epochs (default 3); ZKML_ACT_BITS the
// quantizer's activation width (default 16; 30 means no requantization for
// 784-32-10); ZKML_COMPILE_ONLY=1 stops after counting constraints. Proving uses
// gnark's DummySetup keys (a real one-party setup of a multi-million
// constraint circuit takes tens of minutes on two cores); the proof cannot
// be verified with them, so verification is measured by BenchmarkVerify.
func BenchmarkExamFashionMNIST(b *testing.B) {
	dir := fashionDir(b)
	logger.Disable()
	n := envInt(b, "ZKML_EXAM_N", 10000)
	epochs := envInt(b, "ZKML_EPOCHS", 3)
	actBits := envInt(b, "ZKML_ACT_BITS", 16)
	train, test := loadFashion(b, dir)
	st := time.Now()
	f := trainMLP(b, train, []int{784, 32, 10}, epochs)
	m, err := model.Quantize(f, model.QuantConfig{ActBits: actBits}, model.SaltFromBytes([]byte("fashion")))
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("trained in %s: float accuracy %.4f", time.Since(st), f.Accuracy(test))
	e, err := model.NewExam("fashion-mnist-test", test.Subset(0, n))
	if err != nil {
		b.Fatal(err)
	}
	score, _ := e.Score(m)
	b.Logf("quantized model scores %d/%d on the exam", score, e.N())

	st = time.Now()
	ccs, err := Spec{Kind: KindExam, Shape: m.Shape(), Exam: e}.Compile()
	if err != nil {
		b.Fatal(err)
	}
	compile := time.Since(st)
	b.Logf("compiled %d constraints in %s (peak RSS %s); shape %+v", ccs.GetNbConstraints(), compile, peakRSS(), m.Shape())
	if os.Getenv("ZKML_COMPILE_ONLY") != "" {
		b.ReportMetric(float64(ccs.GetNbConstraints()), "constraints")
		return
	}
	st = time.Now()
	pk, err := groth16.DummySetup(ccs)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("dummy setup in %s (peak RSS %s)", time.Since(st), peakRSS())
	st = time.Now()
	w, _, err := AssignExam(m, e, score, big.NewInt(0))
	if err != nil {
		b.Fatal(err)
	}
	assign := time.Since(st)
	runtime.GC()
	b.ResetTimer()
	st = time.Now()
	var proofBytes []byte
	for i := 0; i < b.N; i++ {
		p, err := Prove(ccs, pk, w)
		if err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		p.WriteTo(&buf)
		proofBytes = buf.Bytes()
	}
	prove := time.Since(st) / time.Duration(b.N)
	b.StopTimer()
	b.Logf("proved in %s (witness assignment %s), peak RSS %s, proof %d bytes", prove, assign, peakRSS(), len(proofBytes))
	b.ReportMetric(float64(ccs.GetNbConstraints()), "constraints")
	b.ReportMetric(compile.Seconds(), "compile-s")
	b.ReportMetric(prove.Seconds(), "prove-s")
	b.ReportMetric(float64(len(proofBytes)), "proof-bytes")
	b.ReportMetric(peakRSSGiB(), "peakRSS-GiB")
	b.ReportMetric(float64(score), "correct")
	b.ReportMetric(float64(e.N()), "exam-n")
}

// BenchmarkBindingContribution784x56x10 times one phase-3 contribution to
// the binding key of a 784-56-10 inference key (44,532 columns) and its
// verification. The bases come from DummySetup keys: random points, which
// cost the same as a ceremony's.
func BenchmarkBindingContribution784x56x10(b *testing.B) {
	logger.Disable()
	m := randomModel(b, []int{784, 56, 10}, 255)
	var pks [2]groth16.ProvingKey
	for i, kind := range []string{KindLink, KindInference} {
		ccs, err := Spec{Kind: kind, Shape: m.Shape()}.Compile()
		if err != nil {
			b.Fatal(err)
		}
		if pks[i], err = groth16.DummySetup(ccs); err != nil {
			b.Fatal(err)
		}
	}
	bases, err := newBindingBases(Spec{Kind: KindInference, Shape: m.Shape()}, pks[0], pks[1])
	if err != nil {
		b.Fatal(err)
	}
	prev, prevHash := bases.initialBindingState(), []byte("beacon")
	var verify time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		next, err := bases.contributeRandom(prev, prevHash)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		st := time.Now()
		if err := bases.verify(prev, next, prevHash); err != nil {
			b.Fatal(err)
		}
		verify += time.Since(st)
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(len(bases.cols)), "columns")
	b.ReportMetric(verify.Seconds()/float64(b.N), "verify-s")
}
