package bad

import (
	"math/rand"
	"time"
)

func Bad() float64 {
	m := map[string]int{}
	go func() {}()
	_ = time.Now()
	return rand.Float64() + 0.5 + float64(len(m))
}
