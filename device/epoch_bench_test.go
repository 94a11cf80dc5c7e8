package device_test

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"emergence/app/apptest"
	"emergence/bank"
	"emergence/device"
	"emergence/device/devkey"
	"emergence/tx"
)

// BenchmarkEpochModule posts one epoch of n devices through the module
// path (signed post-epoch transactions of MaxEvidence items each, then the
// end-of-block payouts, MaxPayoutsPerBlock a block) on a real app and
// reports the consensus time: FinalizeBlock and Commit of every block from
// the first part to the last payout, invariant checks excluded. The
// target for 100,000 devices is 200 ms. Run it with -benchtime 1x: the
// setup provisions and pairs every device through transactions too.
func BenchmarkEpochModule(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("devices=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				ms, blocks := epochThroughModule(b, n)
				b.ReportMetric(ms, "ms/epoch")
				b.ReportMetric(float64(blocks), "blocks")
			}
		})
	}
}

func epochThroughModule(b *testing.B, n int) (float64, int) {
	b.StopTimer()
	bk := bank.New()
	c := apptest.New(b, apptest.Genesis{Balances: map[string]uint64{"maker": 1e12, "alice": 1e12, "bob": 1e12}}, bk, device.New(bk))
	c.MustOK(c.Deliver(c.Sign("maker", c.Msg(device.MsgRegisterMaker, device.RegisterMaker{Name: "bench", Stake: 1_000_000})))[0])
	ids := make([]string, n)
	var prov, pair [][]byte
	var pm, pp []tx.Msg
	flush := func() {
		if len(pm) > 0 {
			prov = append(prov, c.SignWith("maker", uint64(len(pm))*device.GasProvision+2_000_000, pm...))
			pair = append(pair, c.SignWith("alice", uint64(len(pp))*device.GasPair+2_000_000, pp...))
		}
		pm, pp = nil, nil
	}
	for i := range ids {
		var seed [32]byte
		binary.BigEndian.PutUint64(seed[:], uint64(i)+1)
		s := devkey.NewEd25519(seed)
		ids[i] = device.DeviceID(s.Type, s.Pub())
		pm = append(pm, c.Msg(device.MsgProvision, device.Provision{KeyType: s.Type, PubKey: hex.EncodeToString(s.Pub()), Model: "m", Serial: fmt.Sprint(i)}))
		pp = append(pp, c.Msg(device.MsgPair, pairMsg(s, ids[i], apptest.Addr("alice"), 0)))
		if len(pm) == tx.MaxMsgs {
			flush()
		}
	}
	flush()
	for _, txs := range [][][]byte{prov, pair} {
		for len(txs) > 0 {
			k := min(len(txs), 800)
			for _, r := range c.Deliver(txs[:k]...) {
				c.MustOK(r)
			}
			txs = txs[k:]
		}
	}
	c.MustOK(c.Deliver(c.Sign("bob", c.Msg(device.MsgRegisterIngest, device.RegisterIngest{Stake: device.IngestStake})))[0])
	c.MustOK(c.Deliver(c.Sign("bob", c.Msg(device.MsgFundPool, device.FundPool{Amount: device.EpochBudget})))[0])
	slices.Sort(ids)
	epoch := uint64(c.Time.UnixMilli())/device.EpochMillis - 1
	parts := (n + device.MaxEvidence - 1) / device.MaxEvidence
	var posts [][]byte
	for p := 0; p < parts; p++ {
		var ev []device.Evidence
		for _, id := range ids[p*device.MaxEvidence : min((p+1)*device.MaxEvidence, n)] {
			ev = append(ev, device.Evidence{Device: id, Readings: device.MaxRewardReadings, Cells: device.MaxRewardCells})
		}
		post := device.PostEpoch{Epoch: epoch, Root: strings.Repeat("ab", 32), Events: uint64(n), Evidence: ev, Part: uint64(p), Parts: uint64(parts)}
		posts = append(posts, c.SignWith("bob", device.GasPostEpoch+device.GasPerEvidence*uint64(len(ev))+2_000_000, c.Msg(device.MsgPostEpoch, post)))
	}
	b.StartTimer()
	var total time.Duration
	blocks := 0
	for len(posts) > 0 {
		k := min(len(posts), 10)
		r, d := c.DeliverBlockMeasured(posts[:k])
		for _, t := range r.Txs {
			c.MustOK(t)
		}
		total += d[0]
		blocks++
		posts = posts[k:]
	}
	for {
		var rec device.EpochRecord
		if err := c.Query(fmt.Sprintf("device/epoch/%d", epoch), map[string][]string{"limit": {"1"}}, &rec); err != nil {
			b.Fatal(err)
		}
		if rec.PaidOut {
			if rec.Devices != uint64(n) || rec.Paid == 0 {
				b.Fatalf("epoch %+v", rec)
			}
			break
		}
		_, d := c.DeliverBlockMeasured(nil)
		total += d[0]
		blocks++
	}
	b.StopTimer()
	return float64(total.Microseconds()) / 1000, blocks
}
