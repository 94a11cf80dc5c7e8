package store_test

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"emergence/store"
)

// BenchmarkCacheIterate measures one Iterate over a block-sized cache: n
// staged writes under one prefix (accounts) and 16 under another (models),
// then a scan of the model prefix that reads its first key, as an existence
// check does, or all 16. Its cost should not grow with n.
func BenchmarkCacheIterate(b *testing.B) {
	for _, n := range []int{0, 1_000, 10_000, 100_000} {
		var err error
		parent := newMemReader()
		for i := 0; i < 16; i++ {
			parent.set(fmt.Appendf(nil, "model/%04d/p", i), []byte("v"))
		}
		c := store.NewCache(parent, &err)
		for i := 0; i < n; i++ {
			c.Set(fmt.Appendf(nil, "acct/%08d", i), []byte("balance"))
		}
		for i := 0; i < 16; i++ {
			c.Set(fmt.Appendf(nil, "model/%04d", i), []byte("v"))
		}
		start := []byte("model/")
		end := store.PrefixEnd(start)
		for _, read := range []int{1, 32} {
			b.Run(fmt.Sprintf("staged=%d/read=%d", n, read), func(b *testing.B) {
				b.ReportAllocs()
				cpu0 := processCPU(b)
				for i := 0; i < b.N; i++ {
					got := 0
					c.Iterate(start, end, func(_, _ []byte) bool {
						got++
						return got < read
					})
					if got != min(read, 32) {
						b.Fatalf("read %d keys, want %d", got, min(read, 32))
					}
				}
				reportCPU(b, cpu0)
			})
		}
		b.Run(fmt.Sprintf("staged=%d/nested", n), func(b *testing.B) {
			// A transaction's cache over the block's: the scan merges both levels.
			tx := store.NewCache(c, &err)
			tx.Set([]byte("model/0003/q"), []byte("w"))
			tx.Delete([]byte("model/0004"))
			b.ReportAllocs()
			cpu0 := processCPU(b)
			for i := 0; i < b.N; i++ {
				got := 0
				tx.Iterate(start, end, func(_, _ []byte) bool { got++; return true })
				if got != 32 {
					b.Fatalf("read %d keys, want 32", got)
				}
			}
			reportCPU(b, cpu0)
		})
	}
}

// processCPU is the process's user and system CPU time so far: on a machine
// shared with other work, CPU time rather than wall time is the figure.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU time per operation since cpu0.
func reportCPU(b *testing.B, cpu0 time.Duration) {
	b.ReportMetric(float64((processCPU(b)-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// BenchmarkCacheSet measures staging a new key in a cache of n writes and
// taking the sorted write set of a block (Writes, which the app hash and
// the commit batch read): the index's price on the write path.
func BenchmarkCacheSet(b *testing.B) {
	for _, n := range []int{1_000, 100_000} {
		keys := make([][]byte, n)
		for i := range keys {
			// Spread the keys as hashes of accounts would be.
			keys[i] = fmt.Appendf(nil, "acct/%08d", (i*7919)%n)
		}
		value := []byte("balance")
		b.Run(fmt.Sprintf("writes=%d/set", n), func(b *testing.B) {
			b.ReportAllocs()
			var err error
			cpu0 := processCPU(b)
			for i := 0; i < b.N; i++ {
				c := store.NewCache(newMemReader(), &err)
				for _, k := range keys {
					c.Set(k, value)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64((processCPU(b)-cpu0).Nanoseconds())/float64(b.N*n), "cpu-ns/write")
		})
		b.Run(fmt.Sprintf("writes=%d/writes", n), func(b *testing.B) {
			var err error
			c := store.NewCache(newMemReader(), &err)
			for _, k := range keys {
				c.Set(k, value)
			}
			b.ReportAllocs()
			cpu0 := processCPU(b)
			for i := 0; i < b.N; i++ {
				if len(c.Writes()) != n {
					b.Fatal("lost writes")
				}
			}
			b.StopTimer()
			b.ReportMetric(float64((processCPU(b)-cpu0).Nanoseconds())/float64(b.N*n), "cpu-ns/write")
		})
	}
}
