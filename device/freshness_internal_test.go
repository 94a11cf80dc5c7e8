package device

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"syscall"
	"testing"
	"time"

	"emergence/app"
	"emergence/store"
)

// emptyReader is a store with nothing in it.
type emptyReader struct{}

func (emptyReader) Get([]byte) []byte                              { return nil }
func (emptyReader) Iterate([]byte, []byte, func(_, _ []byte) bool) {}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkFreshAges is freshAges alone on one post of MaxEvidence devices
// naming cells cell ids each, over pages an earlier epoch's post of the
// same cells wrote: in area=city the cells are a random walk in a 10 × 10
// block of cells (a city as the device sim's, 2 pages), in area=sparse
// every cell is alone on its page. cpu-us/post is the process's CPU time
// per post.
func BenchmarkFreshAges(b *testing.B) {
	for _, area := range []string{"city", "sparse"} {
		for _, cells := range []int{1, 4, 16} {
			b.Run(fmt.Sprintf("area=%s/cells=%d", area, cells), func(b *testing.B) {
				rng := rand.New(rand.NewPCG(1, 2))
				ev := make([]Evidence, MaxEvidence)
				for i := range ev {
					lat, lon := int64(5250+rng.IntN(10)), int64(1340+rng.IntN(10))
					for k := 0; k < cells; k++ {
						id := CellID(lat, lon)
						if area == "sparse" {
							id = CellID(int64(i*cells+k)<<CellPageBits, 0)
						}
						if !slices.Contains(ev[i].CellIDs, id) {
							ev[i].CellIDs = append(ev[i].CellIDs, id)
						}
						if rng.IntN(2) == 0 {
							lat += int64(rng.IntN(3) - 1)
						} else {
							lon += int64(rng.IntN(3) - 1)
						}
					}
					slices.Sort(ev[i].CellIDs)
					ev[i].Readings, ev[i].Cells = MaxRewardReadings, uint64(len(ev[i].CellIDs))
				}
				before := store.NewCache(emptyReader{}, nil)
				if _, err := freshAges(&app.Context{KV: before}, ev, 1000); err != nil {
					b.Fatal(err)
				}
				b.ResetTimer()
				cpu0 := processCPU()
				for b.Loop() {
					if _, err := freshAges(&app.Context{KV: store.NewCache(before, nil)}, ev, 1001); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-us/post")
			})
		}
	}
}
