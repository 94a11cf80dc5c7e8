package subnet_test

import (
	"fmt"
	"syscall"
	"testing"

	"emergence/app/apptest"
	"emergence/bank"
	"emergence/subnet"
)

// BenchmarkEpochBlock measures a block that runs a full subnet epoch
// (256 uids, 64 validators weighting every uid): loading neurons, weights
// and bonds from the store, Yuma Consensus, payouts and writes, plus the
// block's commit. Tempo is 1, so every block runs the epoch.
func BenchmarkEpochBlock(b *testing.B) {
	const n, v = 256, 64
	bal := map[string]uint64{"owner": 1000 * million}
	for i := 0; i < n; i++ {
		bal[fmt.Sprint("k", i)] = 1000 * million
	}
	c := apptest.New(b, apptest.Genesis{
		Balances: bal,
		Emission: &bank.Emission{PerBlock: million, Subnets: 50, Treasury: 50},
	}, bank.New(), subnet.New(bank.New()))
	h := subnet.DefaultHyperparams()
	h.Tempo, h.MaxUIDs, h.MaxValidators, h.CommitReveal = 1, n, v, false
	h.MinBurn, h.MaxBurn = 1, 1
	c.MustOK(c.Deliver(c.Sign("owner", c.Msg("subnet/create", subnet.CreateMsg{Name: "bench", Hyper: &h})))[0])
	var txs [][]byte
	for i := 0; i < n; i++ {
		txs = append(txs, c.Sign(fmt.Sprint("k", i), c.Msg("subnet/register", subnet.RegisterMsg{NetUID: 0})))
	}
	for _, r := range c.Deliver(txs...) {
		c.MustOK(r)
	}
	txs = txs[:0]
	for i := 0; i < v; i++ {
		txs = append(txs, c.Sign(fmt.Sprint("k", i), c.Msg("subnet/stake", subnet.StakeMsg{NetUID: 0, Hotkey: apptest.Addr(fmt.Sprint("k", i)), Amount: uint64(i+1) * million})))
	}
	for _, r := range c.Deliver(txs...) {
		c.MustOK(r)
	}
	c.Deliver() // epoch: permits
	uids := make([]uint16, n)
	for j := range uids {
		uids[j] = uint16(j)
	}
	txs = txs[:0]
	for i := 0; i < v; i++ {
		vals := make([]uint16, n)
		for j := range vals {
			vals[j] = uint16((i*7919 + j*104729) % 65536)
		}
		txs = append(txs, c.Sign(fmt.Sprint("k", i), c.Msg("subnet/set-weights", subnet.WeightsMsg{NetUID: 0, UIDs: uids, Values: vals})))
	}
	for _, r := range c.Deliver(txs...) {
		c.MustOK(r)
	}
	b.ResetTimer()
	cpu0 := cpuTime()
	for b.Loop() {
		c.Deliver()
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(n), "uids")
}

// cpuTime returns the user+system CPU time of the process in nanoseconds
// (the shared machine makes wall time include waiting for a core).
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
