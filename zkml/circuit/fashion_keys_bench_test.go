package circuit

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/consensys/gnark/logger"

	"emergence/tx"
	"emergence/zkml/model"
)

// fashionDir returns ZKML_FASHION_DIR and fails the benchmark with a hint
// when it is not set: a benchmark without its data set measures nothing.
func fashionDir(b *testing.B) string {
	dir := os.Getenv("ZKML_FASHION_DIR")
	if dir == "" {
		b.Fatal("set ZKML_FASHION_DIR to a directory holding the four Fashion-MNIST IDX files " +
			"(train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz), " +
			"for example ZKML_FASHION_DIR=/work/shared/datasets/fashion-mnist")
	}
	return dir
}

// envInt reads a positive integer setting, failing on a malformed one.
func envInt(b *testing.B, name string, def int) int {
	b.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < 1 {
		b.Fatalf("%s=%q: want a positive integer", name, s)
	}
	return v
}

// usage is this process's CPU time (user + system) and peak RSS
// (getrusage's maxrss, which Linux gives in KiB).
type usage struct {
	cpu    time.Duration
	maxRSS int64
}

func rusage(b *testing.B) usage {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return usage{cpu: time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), maxRSS: ru.Maxrss}
}

// gib is KiB as GiB.
func gib(kib int64) float64 { return float64(kib) / (1 << 20) }

// fileSize is the size of a file of a keys directory.
func fileSize(b *testing.B, dir, name string) int64 {
	st, err := os.Stat(filepath.Join(dir, name))
	if err != nil {
		b.Fatal(err)
	}
	return st.Size()
}

// BenchmarkExamFashionKeys makes real Groth16 keys (the one-party setup,
// SetupOneParty, as 'emergence zkml setup' runs it) for the accuracy
// circuit of a 784-32-10 MLP over the Fashion-MNIST test set, writes them
// as a keys directory, proves the model's score and verifies the proof
// from the files on disk, as 'emergence zkml verify' does. It reports
// setup, prove and verify time (wall and CPU), peak RSS, the sizes of
// pk.bin and vk.bin, and the constraints.
//
// ZKML_FASHION_DIR (required) holds the four IDX .gz files. ZKML_EXAM_N
// limits the exam (default all 10,000 test images), ZKML_EPOCHS the
// training (default 3, as BenchmarkExamFashionMNIST). ZKML_FASHION_OUT,
// when set, is a directory that keeps keys/ (the keys directory),
// model.json (the private model file) and proof.json; otherwise they go to
// a temporary directory. ZKML_SUBMITTER, an emg1… address, binds the proof
// to the account that will submit it on chain (default the zero address:
// checkable offline only). zkml/scripts/fashion-devnet.sh runs this, proves
// again for a devnet account, registers the exam and attests on the devnet.
//
// The full-size run needs about 6 GiB of memory and 20 CPU minutes of setup: it
// is a benchmark, never part of the suite. Run it with -benchtime 1x.
func BenchmarkExamFashionKeys(b *testing.B) {
	dir := fashionDir(b)
	n := envInt(b, "ZKML_EXAM_N", 10000)
	epochs := envInt(b, "ZKML_EPOCHS", 3)
	out := os.Getenv("ZKML_FASHION_OUT")
	if out == "" {
		out = b.TempDir()
	} else if err := os.MkdirAll(out, 0o755); err != nil {
		b.Fatal(err)
	}
	var submitter tx.Address
	if s := os.Getenv("ZKML_SUBMITTER"); s != "" {
		var err error
		if submitter, err = tx.ParseAddress(s); err != nil {
			b.Fatalf("ZKML_SUBMITTER: %v (want an emg1… address)", err)
		}
	}
	logger.Disable()
	if b.N != 1 {
		b.Fatalf("run with -benchtime 1x: one setup is tens of minutes (b.N = %d)", b.N)
	}

	train, test := loadFashion(b, dir)
	st := time.Now()
	f := trainMLP(b, train, []int{784, 32, 10}, epochs)
	salt, err := model.NewSalt()
	if err != nil {
		b.Fatal(err)
	}
	m, err := model.Quantize(f, model.QuantConfig{ActBits: 16}, salt)
	if err != nil {
		b.Fatal(err)
	}
	if n > test.Len() {
		b.Fatalf("ZKML_EXAM_N=%d: the test set has %d images", n, test.Len())
	}
	e, err := model.NewExam("fashion-mnist-test", test.Subset(0, n))
	if err != nil {
		b.Fatal(err)
	}
	score, err := e.Score(m)
	if err != nil {
		b.Fatal(err)
	}
	modelPath := filepath.Join(out, "model.json")
	if err := model.SaveModel(modelPath, m); err != nil {
		b.Fatal(err)
	}
	b.Logf("trained in %s: float accuracy %.4f; quantized model scores %d/%d; commitment %s",
		time.Since(st).Round(time.Millisecond), f.Accuracy(test), score, e.N(), m.Commitment)

	spec := Spec{Kind: KindExam, Shape: m.Shape(), Exam: e}
	st = time.Now()
	ccs, err := spec.Compile()
	if err != nil {
		b.Fatal(err)
	}
	compile := time.Since(st)
	constraints := ccs.GetNbConstraints()
	b.Logf("compiled %d constraints in %s (peak RSS %.2f GiB)", constraints, compile.Round(time.Millisecond), gib(rusage(b).maxRSS))
	runtime.GC()

	b.ResetTimer()
	u0, st := rusage(b), time.Now()
	pk, vk, err := SetupOneParty(ccs)
	if err != nil {
		b.Fatal(err)
	}
	setup, u1 := time.Since(st), rusage(b)
	b.Logf("one-party setup in %s (CPU %s), peak RSS %.2f GiB", setup.Round(time.Millisecond), (u1.cpu - u0.cpu).Round(time.Millisecond), gib(u1.maxRSS))
	keysDir := filepath.Join(out, "keys")
	st = time.Now()
	info, err := WriteKeys(keysDir, spec, constraints, pk, vk, SetupOnePartyNote)
	if err != nil {
		b.Fatal(err)
	}
	write := time.Since(st)
	pkSize, vkSize := fileSize(b, keysDir, PKFile), fileSize(b, keysDir, VKFile)
	b.Logf("wrote %s in %s: pk.bin %d bytes, vk.bin %d bytes, vk sha256 %s", keysDir, write.Round(time.Millisecond), pkSize, vkSize, info.VKHash)

	w, pub, err := AssignExam(m, e, score, SubmitterElement(submitter[:]))
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	u2, st := rusage(b), time.Now()
	p, err := Prove(ccs, pk, w)
	if err != nil {
		b.Fatal(err)
	}
	prove, u3 := time.Since(st), rusage(b)
	b.StopTimer()
	b.Logf("proved in %s (CPU %s), peak RSS %.2f GiB", prove.Round(time.Millisecond), (u3.cpu - u2.cpu).Round(time.Millisecond), gib(u3.maxRSS))
	proofBytes, err := MarshalProof(p)
	if err != nil {
		b.Fatal(err)
	}
	pf := &ProofFile{Format: ProofFormat, Version: FilesVersion, Kind: KindExam, VKHash: info.VKHash, Exam: &pub, Proof: proofBytes}
	proofPath := filepath.Join(out, "proof.json")
	if err := SaveProof(proofPath, pf); err != nil {
		b.Fatal(err)
	}

	// Verify from the files, as 'emergence zkml verify' does: the keys
	// directory's description, exam and verifying key, and the proof file.
	st = time.Now()
	k, err := LoadKeys(keysDir)
	if err != nil {
		b.Fatal(err)
	}
	loaded, err := LoadProof(proofPath)
	if err != nil {
		b.Fatal(err)
	}
	loadKeys := time.Since(st)
	st = time.Now()
	if err := loaded.VerifyWith(k); err != nil {
		b.Fatalf("the proof does not verify with the keys on disk: %v", err)
	}
	verify := time.Since(st)
	// A proof of a higher claim than the model's score is no proof: the
	// same bytes under claim+1 must be refused.
	bad := *loaded
	badPub := *loaded.Exam
	badPub.Claim++
	bad.Exam = &badPub
	if err := bad.VerifyWith(k); err == nil {
		b.Fatal("the proof verifies for a claim one above the model's score")
	}
	b.Logf("verified from %s (and refused for claim %d) in %s (keys and proof read in %s); proof %d bytes",
		keysDir, badPub.Claim, verify.Round(time.Microsecond), loadKeys.Round(time.Millisecond), len(proofBytes))
	b.Logf("files: %s, %s, %s", keysDir, modelPath, proofPath)
	fmt.Fprintf(os.Stderr, "exam-fashion-keys: out=%s score=%d n=%d commitment=%s\n", out, score, e.N(), m.Commitment)

	b.ReportMetric(float64(constraints), "constraints")
	b.ReportMetric(compile.Seconds(), "compile-s")
	b.ReportMetric(setup.Seconds(), "setup-s")
	b.ReportMetric((u1.cpu - u0.cpu).Seconds(), "setup-cpu-s")
	b.ReportMetric(write.Seconds(), "write-keys-s")
	b.ReportMetric(prove.Seconds(), "prove-s")
	b.ReportMetric((u3.cpu - u2.cpu).Seconds(), "prove-cpu-s")
	b.ReportMetric(float64(verify.Microseconds())/1000, "verify-ms")
	b.ReportMetric(float64(pkSize)/(1<<20), "pk-MiB")
	b.ReportMetric(float64(vkSize), "vk-bytes")
	b.ReportMetric(float64(len(proofBytes)), "proof-bytes")
	b.ReportMetric(gib(rusage(b).maxRSS), "peakRSS-GiB")
	b.ReportMetric(float64(score), "correct")
	b.ReportMetric(float64(e.N()), "exam-n")
}
