package circuit

import (
	"sync"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fp"
)

// Batch-affine operations in G1 (see mpcbatch.go). mpcbatch_g2.go is this
// file with E2 coordinates: keep the two in step.

// batchInverseG1 sets inv[i] = 1/d[i] for every i (no d[i] may be zero)
// with one inversion; pre is scratch of len(d).
func batchInverseG1(inv, d, pre []fp.Element) {
	var acc fp.Element
	acc.SetOne()
	for i := range d {
		pre[i] = acc
		acc.Mul(&acc, &d[i])
	}
	acc.Inverse(&acc)
	for i := len(d) - 1; i >= 0; i-- {
		inv[i].Mul(&acc, &pre[i])
		acc.Mul(&acc, &d[i])
	}
}

// g1Batch is the scratch of batch operations in G1 for up to batchLanes
// lanes.
type g1Batch struct {
	d, inv, pre []fp.Element
	a, b        []*curve.G1Affine // operands of the next round
	res         []curve.G1Affine
	on          []bool // res[i] is not infinity
	tab         [][15]curve.G1Affine
	buf         []curve.G1Affine // gathered points
	bits        [][4]uint64      // scalars of mulFixed
}

func newG1Batch() *g1Batch {
	const n = 9 * batchLanes // the widest round: 9 table entries a lane
	return &g1Batch{
		d: make([]fp.Element, n), inv: make([]fp.Element, n), pre: make([]fp.Element, n),
		a: make([]*curve.G1Affine, 0, n), b: make([]*curve.G1Affine, 0, n),
		res: make([]curve.G1Affine, batchLanes), on: make([]bool, batchLanes), tab: make([][15]curve.G1Affine, batchLanes),
		buf: make([]curve.G1Affine, batchLanes), bits: make([][4]uint64, batchLanes),
	}
}

// take adds table entry e to lane i's running sum: a lane's first entry
// is copied, later ones are queued for the round's batch addition.
func (s *g1Batch) take(i int, e *curve.G1Affine) {
	if !s.on[i] {
		s.res[i], s.on[i] = *e, true
		return
	}
	s.a, s.b = append(s.a, &s.res[i]), append(s.b, e)
}

// round runs the queued additions of lanes 0..n-1 and marks the lanes
// whose sum came to infinity as empty.
func (s *g1Batch) round(n int) {
	s.add()
	for i := range n {
		if s.on[i] && s.res[i].IsInfinity() {
			s.on[i] = false
		}
	}
}

// results writes lanes 0..n-1's sums to out (infinity for an empty lane).
func (s *g1Batch) results(out []curve.G1Affine, n int) {
	for i := range n {
		if s.on[i] {
			out[i] = s.res[i]
		} else {
			out[i].SetInfinity()
		}
	}
}

// g1Batches keeps the scratch of G1 batches between calls.
var g1Batches = sync.Pool{New: func() any { return newG1Batch() }}

func getG1Batch() *g1Batch  { return g1Batches.Get().(*g1Batch) }
func putG1Batch(s *g1Batch) { g1Batches.Put(s) }

// add sets *a[i] += *b[i] for the operands queued in s.a and s.b; none
// may be infinity (a result may be) and no a[i] may alias another operand.
// Lanes with equal x coordinates (a point plus itself or its negative)
// use gnark-crypto's complete addition, one by one.
func (s *g1Batch) add() {
	a, b := s.a, s.b
	d := s.d[:len(a)]
	for i := range a {
		d[i].Sub(&b[i].X, &a[i].X)
		if d[i].IsZero() {
			a[i].Add(a[i], b[i])
			d[i].SetOne()
			b[i] = nil
		}
	}
	inv := s.inv[:len(d)]
	batchInverseG1(inv, d, s.pre[:len(d)])
	for i := range a {
		if b[i] == nil {
			continue
		}
		var l, x3, y3 fp.Element
		l.Sub(&b[i].Y, &a[i].Y)
		l.Mul(&l, &inv[i])
		x3.Square(&l)
		x3.Sub(&x3, &a[i].X)
		x3.Sub(&x3, &b[i].X)
		y3.Sub(&a[i].X, &x3)
		y3.Mul(&y3, &l)
		y3.Sub(&y3, &a[i].Y)
		a[i].X, a[i].Y = x3, y3
	}
	s.a, s.b = s.a[:0], s.b[:0]
}

// double doubles the points queued in s.a (none infinity).
func (s *g1Batch) double() {
	a := s.a
	d := s.d[:len(a)]
	for i := range a {
		d[i].Double(&a[i].Y)
		if d[i].IsZero() { // a point of order 2 (none in the group)
			a[i].SetInfinity()
			d[i].SetOne()
			a[i] = nil
		}
	}
	inv := s.inv[:len(d)]
	batchInverseG1(inv, d, s.pre[:len(d)])
	for i := range a {
		if a[i] == nil {
			continue
		}
		var l, t, x3, y3 fp.Element
		t.Square(&a[i].X)
		l.Double(&t).Add(&l, &t)
		l.Mul(&l, &inv[i])
		x3.Square(&l)
		t.Double(&a[i].X)
		x3.Sub(&x3, &t)
		y3.Sub(&a[i].X, &x3)
		y3.Mul(&y3, &l)
		y3.Sub(&y3, &a[i].Y)
		a[i].X, a[i].Y = x3, y3
	}
	s.a = s.a[:0]
}

// mul sets out[i] = k[i]·p[i] for i < len(p) ≤ batchLanes, where k[i] is
// dig(i); out may be p.
func (s *g1Batch) mul(out, p []curve.G1Affine, dig func(i int) *glvDigits) {
	n := len(p)
	live := 0
	width := 0
	for i := range n {
		g := dig(i)
		s.on[i] = false
		if p[i].IsInfinity() || g.n == 0 {
			s.tab[i][0].SetInfinity()
			continue
		}
		live++
		width = max(width, g.n)
		t := &s.tab[i]
		t[0] = p[i]
		if g.neg1 {
			t[0].Y.Neg(&t[0].Y)
		}
		t[1] = t[0]
		s.a = append(s.a, &t[1])
	}
	if live == 0 {
		for i := range n {
			out[i].SetInfinity()
		}
		return
	}
	s.double() // 2P
	for i := range n {
		if t := &s.tab[i]; !t[0].IsInfinity() {
			t[2] = t[1]
			s.a, s.b = append(s.a, &t[2]), append(s.b, &t[0])
		}
	}
	s.add() // 3P
	for i := range n {
		t := &s.tab[i]
		if t[0].IsInfinity() {
			continue
		}
		g := dig(i)
		for b2 := 1; b2 <= 3; b2++ {
			q := &t[4*b2-1]
			*q = t[b2-1]
			q.X.Mul(&q.X, &glvOmega1)
			if g.neg1 != g.neg2 {
				q.Y.Neg(&q.Y)
			}
			for b1 := 1; b1 <= 3; b1++ {
				t[4*b2+b1-1] = *q
				s.a, s.b = append(s.a, &t[4*b2+b1-1]), append(s.b, &t[b1-1])
			}
		}
	}
	s.add() // b2·φ(P) + b1·P
	for w := range width {
		if w > 0 {
			for range 2 {
				for i := range n {
					if s.on[i] {
						s.a = append(s.a, &s.res[i])
					}
				}
				s.double()
			}
		}
		for i := range n {
			t := &s.tab[i]
			if t[0].IsInfinity() {
				continue
			}
			g := dig(i)
			j := w - (width - g.n)
			if j < 0 || g.d[j] == 0 {
				continue
			}
			e := &t[g.d[j]-1]
			s.take(i, e)
		}
		s.round(n)
	}
	s.results(out, n)
}

// butterfliesG1 does the butterflies of one stage of a decimation-in-
// frequency FFT over a, in place: for each block of 2m points, u = a[i]
// and v = a[i+m] become u + v and u − v. The sum and the difference share
// their inversion (u − v is u + (−v), whose x is v's). Pairs with an
// infinity or equal x coordinates use gnark-crypto's complete addition.
// work, when not nil, hears of the pairs done.
func butterfliesG1(a []curve.G1Affine, m int, work func(int)) {
	batchMulJobs(len(a)/2, getG1Batch, putG1Batch, func(s *g1Batch, lo, hi int) {
		d, odd := s.d[:hi-lo], s.on[:hi-lo]
		for k := lo; k < hi; k++ {
			j := (k/m)*2*m + k%m
			u, v := &a[j], &a[j+m]
			t := &d[k-lo]
			t.Sub(&v.X, &u.X)
			odd[k-lo] = t.IsZero() || u.IsInfinity() || v.IsInfinity()
			if odd[k-lo] {
				var sum, diff curve.G1Affine
				sum.Add(u, v)
				diff.Sub(u, v)
				*u, *v = sum, diff
				t.SetOne()
			}
		}
		inv := s.inv[:hi-lo]
		batchInverseG1(inv, d, s.pre[:hi-lo])
		for k := lo; k < hi; k++ {
			if odd[k-lo] {
				continue
			}
			j := (k/m)*2*m + k%m
			u, v := &a[j], &a[j+m]
			in := &inv[k-lo]
			var l1, l2, sx, sy, dx, dy fp.Element
			l1.Sub(&v.Y, &u.Y)
			l1.Mul(&l1, in)
			l2.Add(&v.Y, &u.Y)
			l2.Mul(&l2, in)
			l2.Neg(&l2)
			sx.Square(&l1)
			sx.Sub(&sx, &u.X)
			sx.Sub(&sx, &v.X)
			sy.Sub(&u.X, &sx)
			sy.Mul(&sy, &l1)
			sy.Sub(&sy, &u.Y)
			dx.Square(&l2)
			dx.Sub(&dx, &u.X)
			dx.Sub(&dx, &v.X)
			dy.Sub(&u.X, &dx)
			dy.Mul(&dy, &l2)
			dy.Sub(&dy, &u.Y)
			u.X, u.Y = sx, sy
			v.X, v.Y = dx, dy
		}
	}, work)
}

// twiddleMulG1 multiplies, after the butterflies of a stage with blocks of
// 2m points, each a[i+m] (0 < i < m) of every block by the i-th twiddle of
// the stage, dig(i) (the first is 1). work, when not nil, hears of the
// points done.
func twiddleMulG1(a []curve.G1Affine, m int, dig func(i int) *glvDigits, work func(int)) {
	if m < 2 {
		return
	}
	per := m - 1
	pos := func(k int) (int, int) { b, i := k/per, 1+k%per; return b*2*m + m + i, i }
	batchMulJobs(len(a)/(2*m)*per, getG1Batch, putG1Batch, func(s *g1Batch, lo, hi int) {
		p := s.buf[:hi-lo]
		for k := lo; k < hi; k++ {
			j, _ := pos(k)
			p[k-lo] = a[j]
		}
		s.mul(p, p, func(x int) *glvDigits { _, i := pos(lo + x); return dig(i) })
		for k := lo; k < hi; k++ {
			j, _ := pos(k)
			a[j] = p[k-lo]
		}
	}, work)
}

// mulAllG1 multiplies every point of a by the scalar of dig, on every core.
func mulAllG1(a []curve.G1Affine, dig *glvDigits) {
	batchMulJobs(len(a), getG1Batch, putG1Batch, func(s *g1Batch, lo, hi int) {
		s.mul(a[lo:hi], a[lo:hi], func(int) *glvDigits { return dig })
	}, nil)
}

// lagrangeG1 returns the Lagrange basis [Lᵢ(τ)] of a domain of n points
// from the powers [τⁱ]: an inverse FFT over the group, stage by stage,
// then a multiplication by 1/n. tw[j] is the j-th twiddle of the first
// stage (ω⁻ʲ, j < n/2), inv is 1/n; tick hears of the twiddle
// multiplications done ((n/2)·log n − n + 1 in all).
func lagrangeG1(powers []curve.G1Affine, n int, tw []glvDigits, inv *glvDigits, tick func(int)) []curve.G1Affine {
	a := make([]curve.G1Affine, n)
	copy(a, powers[:n])
	for m, stage := n/2, 0; m >= 1; m, stage = m/2, stage+1 {
		butterfliesG1(a, m, nil)
		twiddleMulG1(a, m, func(i int) *glvDigits { return &tw[i<<stage] }, tick)
	}
	bitReverse(a)
	mulAllG1(a, inv)
	return a
}

// fixedTableG1 returns base's fixed-base table: entry [j][d−1] is
// d·256ʲ·base.
func fixedTableG1(base *curve.G1Affine) [][fixedDigits]curve.G1Affine {
	jac := make([]curve.G1Jac, fixedWindows*fixedDigits)
	var b curve.G1Jac
	b.FromAffine(base)
	for j := range fixedWindows {
		w := jac[j*fixedDigits : (j+1)*fixedDigits]
		w[0] = b
		for d := 1; d < fixedDigits; d++ {
			w[d] = w[d-1]
			w[d].AddAssign(&b)
		}
		for range 8 {
			b.DoubleAssign()
		}
	}
	aff := jacobiansToAffineG1(jac)
	t := make([][fixedDigits]curve.G1Affine, fixedWindows)
	for j := range t {
		copy(t[j][:], aff[j*fixedDigits:])
	}
	return t
}

// jacobiansToAffineG1 converts points with one inversion.
func jacobiansToAffineG1(jac []curve.G1Jac) []curve.G1Affine {
	n := len(jac)
	z, inv, pre := make([]fp.Element, n), make([]fp.Element, n), make([]fp.Element, n)
	for i := range jac {
		z[i] = jac[i].Z
		if z[i].IsZero() {
			z[i].SetOne()
		}
	}
	batchInverseG1(inv, z, pre)
	out := make([]curve.G1Affine, n)
	for i := range jac {
		if jac[i].Z.IsZero() {
			out[i].SetInfinity()
			continue
		}
		var i2, i3 fp.Element
		i2.Square(&inv[i])
		i3.Mul(&i2, &inv[i])
		out[i].X.Mul(&jac[i].X, &i2)
		out[i].Y.Mul(&jac[i].Y, &i3)
	}
	return out
}

// mulFixed sets out[i] = k[i]·base for i < len(out) ≤ batchLanes, where t
// is base's fixed-base table: one batch addition a window, no doublings.
func (s *g1Batch) mulFixed(out []curve.G1Affine, k []fr.Element, t [][fixedDigits]curve.G1Affine) {
	n := len(out)
	for i := range n {
		s.on[i] = false
		s.bits[i] = k[i].Bits()
	}
	for j := range fixedWindows {
		for i := range n {
			d := (s.bits[i][j/8] >> (8 * (j % 8))) & 0xff
			if d == 0 {
				continue
			}
			e := &t[j][d-1]
			s.take(i, e)
		}
		s.round(n)
	}
	s.results(out, n)
}
