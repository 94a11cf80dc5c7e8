// Package bad breaks every rule of apptest.Guard, for the guard's own test.
package bad

import (
	"math/rand"
	"time"
)

// Bad uses maps, goroutines, the wall clock, randomness and floats.
func Bad() float64 {
	m := map[string]int{}
	go func() {}()
	_ = time.Now()
	return rand.Float64() + 0.5 + float64(len(m))
}
