package circuit

import (
	"math/big"
	"sync"
	"testing"

	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/fft"
	gmpc "github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
)

// TestLagrangeMatchesJacobian: the batch-affine Lagrange bases equal the
// Jacobian transform's, for domains of 1 to 256 points of a phase 1 with
// a random τ.
func TestLagrangeMatchesJacobian(t *testing.T) {
	for _, n := range []int{1, 2, 4, 8, 256} {
		commons := randomCommons(t, uint64(n))
		got := newLagrangeBases(commons, nil)
		want := lagrangeBasesJac(commons)
		for i := range n {
			if !got.Tau1[i].Equal(&want.Tau1[i]) || !got.AlphaTau1[i].Equal(&want.AlphaTau1[i]) ||
				!got.BetaTau1[i].Equal(&want.BetaTau1[i]) || !got.Tau2[i].Equal(&want.Tau2[i]) {
				t.Fatalf("domain %d: point %d differs from the Jacobian transform's", n, i)
			}
		}
	}
}

// randomCommons is a phase 1 for a domain of n with random τ, α, β.
func randomCommons(t testing.TB, n uint64) *gmpc.SrsCommons {
	t.Helper()
	p := initialPhase1(n)
	var tau, alpha, beta fr.Element
	for _, e := range []*fr.Element{&tau, &alpha, &beta} {
		if _, err := e.SetRandom(); err != nil {
			t.Fatal(err)
		}
	}
	updateSRS(&p.srs, &tau, &alpha, &beta, true, nil)
	return &p.srs
}

// lagrangeBasesJac is newLagrangeBases with the Jacobian transform.
func lagrangeBasesJac(commons *gmpc.SrsCommons) *lagrangeBases {
	n := len(commons.G1.AlphaTau)
	l := new(lagrangeBases)
	tick := func(int) {}
	var wg sync.WaitGroup
	wg.Add(4)
	go func() { defer wg.Done(); l.Tau1 = lagrangeG1Jac(commons.G1.Tau, n, tick) }()
	go func() { defer wg.Done(); l.AlphaTau1 = lagrangeG1Jac(commons.G1.AlphaTau, n, tick) }()
	go func() { defer wg.Done(); l.BetaTau1 = lagrangeG1Jac(commons.G1.BetaTau, n, tick) }()
	go func() { defer wg.Done(); l.Tau2 = lagrangeG2Jac(commons.G2.Tau, n, tick) }()
	wg.Wait()
	return l
}

// BenchmarkLagrange times the four Lagrange transforms of a phase 1 for a
// domain of 8,192 (the 8-sample exam circuit's), batch-affine against
// the Jacobian transform, in CPU time (cpu-ns/op) and wall time.
func BenchmarkLagrange(b *testing.B) {
	commons := randomCommons(b, 8192)
	b.Run("jacobian", func(b *testing.B) {
		defer reportCPU(b)()
		for range b.N {
			lagrangeBasesJac(commons)
		}
	})
	b.Run("batch", func(b *testing.B) {
		defer reportCPU(b)()
		for range b.N {
			newLagrangeBases(commons, nil)
		}
	})
}

// butterflyTick is how many butterflies the Jacobian transform does
// between two progress reports.
const butterflyTick = 512

// lagrangeG1Jac is the Lagrange transform before the batch-affine one:
// recursive, Jacobian butterflies, gnark-crypto's scalar multiplication
// one point at a time, one goroutine; kept as the reference the new one
// is checked and measured against.
func lagrangeG1Jac(powers []curve.G1Affine, n int, tick func(int)) []curve.G1Affine {
	a := make([]curve.G1Jac, n)
	for i := range a {
		a[i].FromAffine(&powers[i])
	}
	domain := fft.NewDomain(uint64(n))
	tw, _ := domain.TwiddlesInv()
	difJac(a, tw, 0, 1, tick)
	bitReverse(a)
	var inv big.Int
	domain.CardinalityInv.BigInt(&inv)
	for i := range a {
		a[i].ScalarMultiplication(&a[i], &inv)
	}
	return curve.BatchJacobianToAffineG1(a)
}

// lagrangeG2Jac is lagrangeG1Jac in G2.
func lagrangeG2Jac(powers []curve.G2Affine, n int, tick func(int)) []curve.G2Affine {
	a := make([]curve.G2Jac, n)
	for i := range a {
		a[i].FromAffine(&powers[i])
	}
	domain := fft.NewDomain(uint64(n))
	tw, _ := domain.TwiddlesInv()
	difJac(a, tw, 0, 3, tick)
	bitReverse(a)
	var inv big.Int
	domain.CardinalityInv.BigInt(&inv)
	out := make([]curve.G2Affine, n)
	for i := range a {
		a[i].ScalarMultiplication(&a[i], &inv)
		out[i].FromJacobian(&a[i])
	}
	return out
}

// jacobian is the Jacobian point of a group (curve.G1Jac, curve.G2Jac) as
// difJac uses it.
type jacobian[T any] interface {
	*T
	AddAssign(*T) *T
	Neg(*T) *T
	ScalarMultiplication(*T, *big.Int) *T
}

// difJac is the transform's decimation-in-frequency butterflies over a,
// in G1 or G2, ticking cost for each butterfly (1 in G1, 3 in G2, where a
// multiplication counts three as in newLagrangeBases' progress).
func difJac[T any, P jacobian[T]](a []T, tw [][]fr.Element, stage int, cost int, tick func(int)) {
	n := len(a)
	if n == 1 {
		return
	}
	m := n >> 1
	var tb big.Int
	for i := 0; i < m; i++ {
		t := a[i]
		P(&a[i]).AddAssign(&a[i+m])
		P(&a[i+m]).Neg(&a[i+m])
		P(&a[i+m]).AddAssign(&t)
		if i > 0 {
			tw[stage][i].BigInt(&tb)
			P(&a[i+m]).ScalarMultiplication(&a[i+m], &tb)
		}
		if i%butterflyTick == butterflyTick-1 {
			tick(cost * butterflyTick)
		}
	}
	if m < butterflyTick {
		tick(cost * m)
	}
	difJac[T, P](a[:m], tw, stage+1, cost, tick)
	difJac[T, P](a[m:], tw, stage+1, cost, tick)
}
