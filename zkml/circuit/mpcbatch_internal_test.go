package circuit

import (
	"math/big"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// TestGLVConstants: φ(x, y) = (ω·x, y) is multiplication by λ in both
// groups, with the constants mpcbatch.go copies from gnark-crypto.
func TestGLVConstants(t *testing.T) {
	_, _, g1, g2 := curve.Generators()
	var l1 curve.G1Affine
	l1.ScalarMultiplication(&g1, &glvLambda)
	p1 := g1
	p1.X.Mul(&p1.X, &glvOmega1)
	if !p1.Equal(&l1) {
		t.Fatal("G1: φ is not multiplication by λ")
	}
	var l2 curve.G2Affine
	l2.ScalarMultiplication(&g2, &glvLambda)
	p2 := g2
	p2.X.MulByElement(&p2.X, &glvOmega2)
	if !p2.Equal(&l2) {
		t.Fatal("G2: φ is not multiplication by λ")
	}
}

// batchScalars is scalars for the batch tests: random ones and the edge
// cases 0, 1, 2, −1, λ, −λ, r − 2.
func batchScalars(t *testing.T, n int) []fr.Element {
	t.Helper()
	k := make([]fr.Element, n)
	for i := range k {
		if _, err := k[i].SetRandom(); err != nil {
			t.Fatal(err)
		}
	}
	k[0].SetZero()
	k[1].SetOne()
	k[2].SetUint64(2)
	k[3].SetOne().Neg(&k[3])
	k[4].SetBigInt(&glvLambda)
	k[5].Neg(&k[4])
	k[6].SetUint64(2).Neg(&k[6])
	return k
}

// TestBatchMulMatchesGnark: the batch multiplication gives gnark-crypto's
// points in both groups, for random points and scalars, the edge-case
// scalars, infinity, a batch holding the same point many times and one
// holding a point and its negative, and batches of every length up to
// batchLanes + 1 (two batches); so does the fixed-base multiplication
// of the generators by the same scalars.
func TestBatchMulMatchesGnark(t *testing.T) {
	const n = batchLanes + 1
	k := batchScalars(t, n)
	dig := glvDigitsOf(k)
	_, _, g1, g2 := curve.Generators()
	p1 := make([]curve.G1Affine, n)
	p2 := make([]curve.G2Affine, n)
	for i := range p1 {
		var s fr.Element
		s.SetRandom()
		var b big.Int
		s.BigInt(&b)
		p1[i].ScalarMultiplication(&g1, &b)
		p2[i].ScalarMultiplication(&g2, &b)
	}
	p1[7].SetInfinity()
	p2[7].SetInfinity()
	for i := 8; i < 40; i++ { // the same point with many scalars
		p1[i], p2[i] = p1[8], p2[8]
	}
	p1[41].Neg(&p1[40]) // a point and its negative, with the same scalar
	p2[41].Neg(&p2[40])
	k[41] = k[40]
	dig[41] = dig[40]
	for i := 42; i < 60; i++ { // one point, one scalar: every lane meets
		p1[i], p2[i], k[i], dig[i] = p1[42], p2[42], k[42], dig[42]
	}
	want1 := make([]curve.G1Affine, n)
	want2 := make([]curve.G2Affine, n)
	for i := range want1 {
		var b big.Int
		k[i].BigInt(&b)
		want1[i].ScalarMultiplication(&p1[i], &b)
		want2[i].ScalarMultiplication(&p2[i], &b)
	}
	// Fixed-base multiplication of the generators by the same scalars.
	t1, t2 := fixedTableG1(&g1), fixedTableG2(&g2)
	s1, s2 := newG1Batch(), newG2Batch()
	for lo := 0; lo < n; lo += batchLanes {
		hi := min(lo+batchLanes, n)
		f1 := make([]curve.G1Affine, hi-lo)
		f2 := make([]curve.G2Affine, hi-lo)
		s1.mulFixed(f1, k[lo:hi], t1)
		s2.mulFixed(f2, k[lo:hi], t2)
		for i := lo; i < hi; i++ {
			var b big.Int
			k[i].BigInt(&b)
			var w1 curve.G1Affine
			w1.ScalarMultiplication(&g1, &b)
			var w2 curve.G2Affine
			w2.ScalarMultiplication(&g2, &b)
			if !f1[i-lo].Equal(&w1) || !f2[i-lo].Equal(&w2) {
				t.Fatalf("fixed-base multiplication by scalar %d differs from gnark-crypto's", i)
			}
		}
	}
	for _, size := range []int{1, 2, 7, 64, n} {
		got1 := make([]curve.G1Affine, size)
		got2 := make([]curve.G2Affine, size)
		batchMulJobs(size, getG1Batch, putG1Batch, func(s *g1Batch, lo, hi int) {
			s.mul(got1[lo:hi], p1[lo:hi], func(i int) *glvDigits { return &dig[lo+i] })
		}, nil)
		batchMulJobs(size, getG2Batch, putG2Batch, func(s *g2Batch, lo, hi int) {
			s.mul(got2[lo:hi], p2[lo:hi], func(i int) *glvDigits { return &dig[lo+i] })
		}, nil)
		for i := range size {
			if !got1[i].Equal(&want1[i]) {
				t.Fatalf("batch of %d: G1 point %d differs from gnark-crypto's", size, i)
			}
			if !got2[i].Equal(&want2[i]) {
				t.Fatalf("batch of %d: G2 point %d differs from gnark-crypto's", size, i)
			}
		}
	}
}

// BenchmarkBatchMul compares the CPU time of one multiplication of a
// point by a random scalar: gnark-crypto's Jacobian GLV against a batch
// (cpu-ns/op is the process's CPU time, which other load changes less
// than ns/op).
func BenchmarkBatchMul(b *testing.B) {
	const n = batchLanes
	k := make([]fr.Element, n)
	for i := range k {
		k[i].SetRandom()
	}
	dig := glvDigitsOf(k)
	_, _, g1, g2 := curve.Generators()
	p1 := make([]curve.G1Affine, n)
	p2 := make([]curve.G2Affine, n)
	for i := range p1 {
		var bi big.Int
		k[(i+1)%n].BigInt(&bi)
		p1[i].ScalarMultiplication(&g1, &bi)
		p2[i].ScalarMultiplication(&g2, &bi)
	}
	b.Run("G1/gnark", func(b *testing.B) {
		defer reportCPU(b)()
		var bi big.Int
		var j curve.G1Jac
		for i := 0; i < b.N; i++ {
			k[i%n].BigInt(&bi)
			j.FromAffine(&p1[i%n])
			j.ScalarMultiplication(&j, &bi)
		}
	})
	b.Run("G1/batch", func(b *testing.B) {
		defer reportCPU(b)()
		s := newG1Batch()
		out := make([]curve.G1Affine, n)
		for i := 0; i < b.N; i += n {
			s.mul(out, p1, func(i int) *glvDigits { return &dig[i] })
		}
	})
	b.Run("G2/gnark", func(b *testing.B) {
		defer reportCPU(b)()
		var bi big.Int
		var j curve.G2Jac
		for i := 0; i < b.N; i++ {
			k[i%n].BigInt(&bi)
			j.FromAffine(&p2[i%n])
			j.ScalarMultiplication(&j, &bi)
		}
	})
	b.Run("G2/batch", func(b *testing.B) {
		defer reportCPU(b)()
		s := newG2Batch()
		out := make([]curve.G2Affine, n)
		for i := 0; i < b.N; i += n {
			s.mul(out, p2, func(i int) *glvDigits { return &dig[i] })
		}
	})
}

// TestBatchAddExceptional: a batch addition of a point to itself, to its
// negative and to another point gives gnark-crypto's sums (the first two
// take the one-by-one path), in both groups.
func TestBatchAddExceptional(t *testing.T) {
	_, _, g1, g2 := curve.Generators()
	var two1 curve.G1Affine
	two1.Double(&g1)
	var two2 curve.G2Affine
	two2.Double(&g2)
	ops1 := [][2]curve.G1Affine{{g1, g1}, {g1, *new(curve.G1Affine).Neg(&g1)}, {g1, two1}}
	ops2 := [][2]curve.G2Affine{{g2, g2}, {g2, *new(curve.G2Affine).Neg(&g2)}, {g2, two2}}
	s1, s2 := newG1Batch(), newG2Batch()
	got1 := make([]curve.G1Affine, len(ops1))
	got2 := make([]curve.G2Affine, len(ops2))
	for i := range ops1 {
		got1[i], got2[i] = ops1[i][0], ops2[i][0]
		s1.a, s1.b = append(s1.a, &got1[i]), append(s1.b, &ops1[i][1])
		s2.a, s2.b = append(s2.a, &got2[i]), append(s2.b, &ops2[i][1])
	}
	s1.add()
	s2.add()
	for i := range ops1 {
		var w1 curve.G1Affine
		w1.Add(&ops1[i][0], &ops1[i][1])
		var w2 curve.G2Affine
		w2.Add(&ops2[i][0], &ops2[i][1])
		if !got1[i].Equal(&w1) || !got2[i].Equal(&w2) {
			t.Fatalf("sum %d differs from gnark-crypto's", i)
		}
	}
	if !got1[1].IsInfinity() || !got2[1].IsInfinity() {
		t.Fatal("a point plus its negative is not infinity")
	}
}

// reportCPU reports the process's CPU time per operation, from the call
// to the call of the function it returns.
func reportCPU(b *testing.B) func() {
	start := processCPU()
	return func() { b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op") }
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestBatchG2FollowsG1 holds mpcbatch_g2.go to what its header says it is:
// mpcbatch_g1.go with G1 names made G2 and fp.Element coordinates made
// curve.E2, apart from the lines listed here (the header, the fp import,
// and φ, which multiplies an E2 coordinate by the base-field ω₂). A fix
// made in one file and not the other fails here.
func TestBatchG2FollowsG1(t *testing.T) {
	g1, err := os.ReadFile("mpcbatch_g1.go")
	if err != nil {
		t.Fatal(err)
	}
	g2, err := os.ReadFile("mpcbatch_g2.go")
	if err != nil {
		t.Fatal(err)
	}
	s := string(g1)
	for _, r := range [][2]string{
		{"\t\"github.com/consensys/gnark-crypto/ecc/bn254/fp\"\n", ""},
		{"q.X.Mul(&q.X, &glvOmega1)", "q.X.MulByElement(&q.X, &glvOmega1)"},
		{"neg1", "negA"}, // the GLV signs keep their names
		{"G1", "G2"}, {"g1", "g2"}, {"fp.Element", "curve.E2"}, {"glvOmega1", "glvOmega2"},
		{"negA", "neg1"},
		{"// Batch-affine operations in G2 (see mpcbatch.go). mpcbatch_g2.go is this\n// file with E2 coordinates: keep the two in step.",
			"// Batch-affine operations in G2: mpcbatch_g1.go with E2 coordinates and\n// φ by ω₂ (sed s/G1/G2/g, s/fp.Element/curve.E2/g): keep the two in step."},
	} {
		s = strings.ReplaceAll(s, r[0], r[1])
	}
	if s != string(g2) {
		a, b := strings.Split(s, "\n"), strings.Split(string(g2), "\n")
		for i := 0; i < min(len(a), len(b)); i++ {
			if a[i] != b[i] {
				t.Fatalf("mpcbatch_g2.go:%d does not follow mpcbatch_g1.go:\n g1 made G2: %s\n g2:         %s", i+1, a[i], b[i])
			}
		}
		t.Fatalf("mpcbatch_g2.go has %d lines, mpcbatch_g1.go made G2 has %d", len(b), len(a))
	}
}
