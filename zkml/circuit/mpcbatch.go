package circuit

import (
	"math/big"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fp"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// Batch-affine scalar multiplication: a ceremony multiplies tens of
// thousands of points, each by its own scalar (phase 1, the Lagrange
// transform) or all by one (phase 2). gnark-crypto's ScalarMultiplication
// takes one point at a time in Jacobian coordinates (a doubling costs
// about 12 field multiplications there, an addition 21). Here a batch of
// points runs the same GLV double-and-add schedule in lockstep in affine
// coordinates, and each round of doublings or additions shares one field
// inversion across the batch (Montgomery's trick): about 7 multiplications
// a doubling and 6 an addition. Doublings, about 130 of a multiplication's
// 200 steps, cost about the same either way, so a multiplication costs
// 0.70× gnark-crypto's in CPU time (BenchmarkBatchMul: 30.8 against 44.1
// µs in G1, 63.3 against 88.2 in G2), and an FFT butterfly, whose sum and
// difference share one inversion, about a third. The rare exceptional additions (a point plus itself, its negative or
// infinity) fall back to gnark-crypto's complete affine addition.

// glvLambda, glvOmega1 and glvOmega2 are BN254's GLV endomorphism:
// φ(x, y) = (ω·x, y) is multiplication by λ, in G1 with ω₁ and in G2 with
// ω₂ = ω₁² (the constants of gnark-crypto's bn254 package, which does not
// export them; TestGLVConstants checks them against its multiplication).
var (
	glvLambda  big.Int
	glvOmega1  fp.Element
	glvOmega2  fp.Element
	glvLattice ecc.Lattice
)

func init() {
	glvOmega1.SetString("2203960485148121921418603742825762020974279258880205651966")
	glvOmega2.Square(&glvOmega1)
	glvLambda.SetString("4407920970296243842393367215006156084916469457145843978461", 10)
	ecc.PrecomputeLattice(fr.Modulus(), &glvLambda, &glvLattice)
}

// maxWindows bounds the 2-bit windows of a GLV half (at most 129 bits).
const maxWindows = 72

// glvDigits is a scalar k = s₁k₁ + s₂k₂λ (mod r) recoded for a joint
// 2-bit window: digit w (most significant first) is 4·(bits of k₂) + (bits
// of k₁), so that k·P = Σ 4^(n−1−w)·(d₂·s₂φ(P) + d₁·s₁P).
type glvDigits struct {
	d          [maxWindows]uint8
	n          int
	neg1, neg2 bool
}

// newGLVDigits recodes k.
func newGLVDigits(k *fr.Element) glvDigits {
	var g glvDigits
	var b big.Int
	k.BigInt(&b)
	s := ecc.SplitScalar(&b, &glvLattice)
	if s[0].Sign() < 0 {
		s[0].Neg(&s[0])
		g.neg1 = true
	}
	if s[1].Sign() < 0 {
		s[1].Neg(&s[1])
		g.neg2 = true
	}
	bitsLen := max(s[0].BitLen(), s[1].BitLen())
	g.n = (bitsLen + 1) / 2
	if g.n > maxWindows {
		panic("GLV half longer than the lattice allows")
	}
	for w := 0; w < g.n; w++ {
		sh := 2 * (g.n - 1 - w)
		d1 := s[0].Bit(sh) | s[0].Bit(sh+1)<<1
		d2 := s[1].Bit(sh) | s[1].Bit(sh+1)<<1
		g.d[w] = uint8(d2<<2 | d1)
	}
	return g
}

// glvDigitsOf recodes every scalar.
func glvDigitsOf(k []fr.Element) []glvDigits {
	out := make([]glvDigits, len(k))
	parallel(len(k), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			out[i] = newGLVDigits(&k[i])
		}
	})
	return out
}

// batchLanes is how many points one batch multiplies in lockstep: enough
// to share an inversion (about 70 multiplications) well, few enough that
// the tables (15 points a lane) stay in cache.
const batchLanes = 256

// fixedWindows and fixedDigits shape a fixed-base table: 32 windows of 8
// bits, 255 multiples each.
const fixedWindows, fixedDigits = 32, 255

// batchMulJobs multiplies n points in batches of batchLanes on every
// core: f(s, lo, hi) multiplies points [lo, hi) with the scratch s of one
// goroutine (from get, given back to put). done, when not nil,
// hears of each batch finished (points), from one goroutine at a time.
func batchMulJobs[S any](n int, get func() S, put func(S), f func(s S, lo, hi int), done func(int)) {
	var next atomic.Int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	jobs := (n + batchLanes - 1) / batchLanes
	for range min(max(runtime.GOMAXPROCS(0), 1), jobs) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := get()
			defer put(s)
			for {
				j := int(next.Add(1) - 1)
				if j >= jobs {
					return
				}
				lo, hi := j*batchLanes, min((j+1)*batchLanes, n)
				f(s, lo, hi)
				if done != nil {
					mu.Lock()
					done(hi - lo)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
}
