package subnet_test

import (
	"fmt"
	"syscall"
	"testing"

	"emergence/app"
	"emergence/app/apptest"
	"emergence/bank"
	"emergence/store"
	"emergence/subnet"
)

// fullSubnet builds a chain with one tempo-1 subnet of n uids whose v
// validators (the largest stakes) each weight every uid, and runs the
// permit-granting epoch and one with weights, so bonds exist too.
func fullSubnet(b *testing.B, n, v int) (*apptest.Chain, *subnet.Module, *subnet.Hyperparams) {
	bal := map[string]uint64{"owner": 1000 * million}
	for i := 0; i < n; i++ {
		bal[fmt.Sprint("k", i)] = 1000 * million
	}
	m := subnet.New(bank.New())
	c := apptest.New(b, apptest.Genesis{
		Balances: bal,
		Emission: &bank.Emission{PerBlock: million, Subnets: 50, Treasury: 50},
	}, bank.New(), m)
	h := subnet.DefaultHyperparams()
	h.Tempo, h.MaxUIDs, h.MaxValidators, h.CommitReveal = 1, uint16(n), uint16(v), false
	h.MinBurn, h.MaxBurn = 1, 1
	c.MustOK(c.Deliver(c.Sign("owner", c.Msg("subnet/create", subnet.CreateMsg{Name: "bench", Hyper: &h})))[0])
	var txs [][]byte
	for i := 0; i < n; i++ {
		txs = append(txs, c.Sign(fmt.Sprint("k", i), c.Msg("subnet/register", subnet.RegisterMsg{NetUID: 0})))
		if len(txs) == 512 || i == n-1 {
			for _, r := range c.Deliver(txs...) {
				c.MustOK(r)
			}
			txs = txs[:0]
		}
	}
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
		gas := 100_000 + uint64(n)*subnet.GasPerWeight + 200*uint64(n)
		txs = append(txs, c.SignWith(fmt.Sprint("k", i), gas, c.Msg("subnet/set-weights", subnet.WeightsMsg{NetUID: 0, UIDs: uids, Values: vals})))
		if len(txs) == 32 || i == v-1 {
			for _, r := range c.Deliver(txs...) {
				c.MustOK(r)
			}
			txs = txs[:0]
		}
	}
	c.Deliver() // an epoch with weights: bonds for every (validator, uid)
	return c, m, &h
}

// BenchmarkEpochBlock measures a block that runs a full subnet epoch
// (256 uids, 64 validators weighting every uid): loading neurons, weights
// and bonds from the store, Yuma Consensus, payouts and writes, plus the
// block's commit and the test chain's invariant check. Tempo is 1, so
// every block runs the epoch.
func BenchmarkEpochBlock(b *testing.B) {
	const n, v = 256, 64
	c, _, _ := fullSubnet(b, n, v)
	b.ResetTimer()
	cpu0 := cpuTime()
	for b.Loop() {
		c.Deliver()
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(n), "uids")
}

// BenchmarkEpochWork measures the end-of-block work of one full epoch
// (the module's EndBlock on the committed state, writes staged in memory
// as FinalizeBlock stages them) and reports it per work unit and per gas
// (EpochWork × GasPerEpochWork), the figure the epoch fee is priced on.
// The largest case is the largest epoch the default budget admits.
func BenchmarkEpochWork(b *testing.B) {
	for _, size := range []struct{ n, v int }{{256, 64}, {1024, 256}, {4096, 253}} {
		b.Run(fmt.Sprintf("n=%d/v=%d", size.n, size.v), func(b *testing.B) {
			c, m, h := fullSubnet(b, size.n, size.v)
			work := subnet.EpochWork(h, uint16(size.n))
			height := c.Height() + 1
			b.ResetTimer()
			cpu0 := cpuTime()
			for b.Loop() {
				var err error
				kv := store.NewCache(c.Reader(), &err)
				ctx := &app.Context{KV: kv, Height: height}
				if err := m.EndBlock(ctx); err != nil {
					b.Fatal(err)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			ns := float64(cpuTime()-cpu0) / float64(b.N)
			b.ReportMetric(ns, "cpu-ns/op")
			b.ReportMetric(float64(work), "work")
			b.ReportMetric(ns/float64(work), "ns/work")
			b.ReportMetric(ns/float64(work*subnet.GasPerEpochWork), "ns/gas")
		})
	}
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
