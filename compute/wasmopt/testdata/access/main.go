// Command access reads and writes floats and integers through slices,
// arrays and struct fields at constant offsets (the accesses wasmopt
// rewrites) and prints a checksum of everything it computed, with a Go
// bounds-check panic recovered on the way.
package main

import (
	"fmt"
	"math"
)

type point struct {
	x, y, z float64
	n       int32
	w       float32
	tag     uint16
	b       byte
}

func main() {
	const n = 203
	a := make([]float64, n)
	pts := make([]point, n)
	for i := range a {
		a[i] = float64(i%17) / 7
		pts[i] = point{x: float64(i), y: -float64(i) / 3, z: 0.5, n: int32(i), w: float32(i) / 9, tag: uint16(i * 7), b: byte(i)}
	}
	var sum float64
	for i := 0; i+8 <= n; i += 8 {
		s := a[i : i+8 : i+8]
		sum += s[0]*s[7] + s[1]*s[6] + s[2]*s[5] + s[3]*s[4]
		s[7], s[6] = s[0]+1, s[1]-1
	}
	var h uint64 = 14695981039346656037
	for i := range pts {
		p := &pts[i]
		p.z += p.x*p.y - float64(p.w)
		p.w *= 2
		h = (h ^ math.Float64bits(p.z) ^ uint64(p.n) ^ uint64(p.tag)<<16 ^ uint64(p.b)<<40) * 1099511628211
	}
	for _, v := range a {
		h = (h ^ math.Float64bits(v)) * 1099511628211
	}
	fmt.Printf("%x %x %d\n", h, math.Float64bits(sum), recovered(a, n))
}

// recovered indexes past the end of a and reports the panic's recovery.
func recovered(a []float64, i int) (r int) {
	defer func() {
		if recover() != nil {
			r = -1
		}
	}()
	return int(a[i])
}
