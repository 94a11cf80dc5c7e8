package yuma_test

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"

	"emergence/subnet/yuma"
)

// benchInput is a full subnet: v validators (the highest stakes) each
// weighting every uid, every validator holding bonds to every uid.
func benchInput(n, v int, yuma3, liquid bool) *yuma.Input {
	r := rand.New(rand.NewPCG(uint64(n), uint64(v)))
	p := yuma.DefaultParams()
	p.MaxValidators = uint16(v)
	p.Yuma3, p.LiquidAlpha = yuma3, liquid
	in := &yuma.Input{
		Block: 100_000, Emission: 1_000_000_000, Params: p,
		Stake: make([]uint64, n), LastUpdate: make([]uint64, n), RegisteredAt: make([]uint64, n),
		ValidatorPermit: make([]bool, n), Weights: make([][]yuma.Entry, n), Bonds: make([][]yuma.Entry, n),
	}
	for i := range n {
		in.LastUpdate[i] = 99_000 + uint64(r.IntN(900))
		in.RegisteredAt[i] = uint64(r.IntN(1000))
	}
	for i := 0; i < v; i++ {
		in.Stake[i] = 1_000_000_000 + uint64(r.IntN(1_000_000_000))
		in.ValidatorPermit[i] = true
		w := make([]yuma.Entry, 0, n)
		b := make([]yuma.Entry, 0, n)
		for j := range n {
			if j == i {
				continue
			}
			w = append(w, yuma.Entry{UID: uint16(j), Value: uint16(r.IntN(65536))})
			b = append(b, yuma.Entry{UID: uint16(j), Value: uint16(r.IntN(65536))})
		}
		in.Weights[i], in.Bonds[i] = w, b
	}
	return in
}

func BenchmarkEpoch(b *testing.B) {
	for _, size := range []struct{ n, v int }{{256, 64}, {4096, 256}} {
		for _, variant := range []struct {
			name          string
			yuma3, liquid bool
		}{{"legacy", false, false}, {"yuma3", true, false}, {"yuma3-liquid", true, true}} {
			b.Run(fmt.Sprintf("n=%d/v=%d/%s", size.n, size.v, variant.name), func(b *testing.B) {
				in := benchInput(size.n, size.v, variant.yuma3, variant.liquid)
				var e yuma.Epoch
				var out yuma.Result
				if err := e.Run(in, &out); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.ResetTimer()
				cpu0 := cpuTime()
				for b.Loop() {
					if err := e.Run(in, &out); err != nil {
						b.Fatal(err)
					}
				}
				// CPU time of the process per epoch: on a shared machine the
				// wall-clock ns/op includes time spent waiting for a core.
				b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
				b.ReportMetric(float64(size.n*size.v), "cells")
			})
		}
	}
}

// cpuTime returns the user+system CPU time of the process in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
