package tx_test

import (
	"crypto/ed25519"
	"fmt"
	"syscall"
	"testing"
	"time"

	"emergence/tx"
)

// BenchmarkVerifyBatch is the cost per signature of verifying a batch of
// each size at once (tx.VerifyBatch) against one by one: what the size of
// the Batcher's and FinalizeBlock's batches buys. cpu-ns/op is the
// process's CPU time per signature.
func BenchmarkVerifyBatch(b *testing.B) {
	var checks []tx.SigCheck
	for i := 0; i < 512; i++ {
		k := key(fmt.Sprint("k", i%256))
		msg := []byte(fmt.Sprintf(`{"chain_id":"bench","nonce":%d,"msgs":[{"type":"bank/send"}]}`, i))
		checks = append(checks, tx.SigCheck{Pub: k.Public().(ed25519.PublicKey), Msg: msg, Sig: ed25519.Sign(k, msg)})
	}
	for _, n := range []int{1, 16, 64, 128, 256, 512} {
		b.Run(fmt.Sprint("n=", n), func(b *testing.B) {
			t0 := processCPU(b)
			defer func() { b.ReportMetric(float64((processCPU(b)-t0).Nanoseconds())/float64(b.N), "cpu-ns/op") }()
			for i := 0; i < b.N; i += n {
				for _, ok := range tx.VerifyBatch(checks[:n]) {
					if !ok {
						b.Fatal("valid signature refused")
					}
				}
			}
		})
	}
}

// processCPU is the process's CPU time (user and system) so far.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
