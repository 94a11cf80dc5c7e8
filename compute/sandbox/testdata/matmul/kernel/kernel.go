// Package kernel is a matrix multiply shared by the native benchmark and the
// WebAssembly one, so both run the same Go code.
package kernel

// Run multiplies two n×n float64 matrices filled from seed and returns a
// checksum of the product.
func Run(n int, seed uint64) uint64 {
	a := make([]float64, n*n)
	b := make([]float64, n*n)
	c := make([]float64, n*n)
	s := seed*0x9e3779b97f4a7c15 + 1
	for i := range a {
		s ^= s << 13
		s ^= s >> 7
		s ^= s << 17
		a[i] = float64(s%1000) / 1000
		s ^= s << 13
		s ^= s >> 7
		s ^= s << 17
		b[i] = float64(s%1000) / 1000
	}
	for i := 0; i < n; i++ {
		ci := c[i*n : (i+1)*n]
		for k := 0; k < n; k++ {
			aik := a[i*n+k]
			bk := b[k*n : (k+1)*n]
			for j := range ci {
				ci[j] += aik * bk[j]
			}
		}
	}
	var sum uint64
	for _, v := range c {
		sum = sum*31 + uint64(int64(v*1000))
	}
	return sum
}
