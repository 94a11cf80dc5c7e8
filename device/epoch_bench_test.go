package device_test

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"emergence/app"
	"emergence/app/apptest"
	"emergence/bank"
	"emergence/device"
	"emergence/device/devkey"
	"emergence/device/fleet"
	"emergence/device/ingest"
)

// BenchmarkEpochModule runs one epoch of n devices through the module path
// on a real app and reports its consensus time (FinalizeBlock and Commit of
// every block, invariant checks excluded): ms/epoch is the signed
// post-epoch transactions of MaxEvidence items each, each writing one
// part record and its owner tables, which complete the epoch; the epoch
// needs no end-of-block work per device. Owners then claim:
// ms/claims is every owner's device/claim (n/100 owners of 100 devices
// each), which claimers pay for and which need not fall in one block. The
// target for 100,000 devices is 200 ms. The fleet is paired at genesis
// (device.Genesis.Devices), so the set-up sends no transaction per device.
//
// The process's CPU time counts the garbage collector's work during the
// blocks, and most of what it collects is the harness's (the invariant
// checks after every block read every device record): gc=true collects
// before each block, outside the measurement, so the figure is the
// blocks' own work and the collection of what they allocate;
// alloc-MB/epoch is what the posts allocate.
func BenchmarkEpochModule(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		for _, gc := range []bool{false, true} {
			b.Run(fmt.Sprintf("devices=%d/gc=%v", n, gc), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					post, claims, blocks := epochThroughModule(b, n, gc, nil)
					b.ReportMetric(post[0], "ms/epoch")
					b.ReportMetric(post[1], "cpu-ms/epoch")
					b.ReportMetric(post[2]/(1<<20), "alloc-MB/epoch")
					b.ReportMetric(claims[0], "ms/claims")
					b.ReportMetric(claims[1], "cpu-ms/claims")
					b.ReportMetric(float64(blocks), "blocks")
				}
			})
		}
	}
}

// BenchmarkEpochModuleCells is BenchmarkEpochModule's 100,000-device
// epoch (gc=true) with freshness: each device's evidence names cells
// distinct cell ids, where BenchmarkEpochModule's evidence counts cells
// without ids. In road=city the devices are the device sim's vehicles
// (device/fleet): each starts where fleet.Route starts it on the city's
// street grid inside fleet.Coverage and names the grid cells
// (ingest.CellOf) of the first cells distinct cells its route drives
// through (cells=1: parked), so neighbouring devices share cells and
// pages as a city's do. In road=sparse every cell id of the epoch is a
// cell of its own on a page of its own, the worst case for pages: each
// costs a page's read and write.
func BenchmarkEpochModuleCells(b *testing.B) {
	for _, road := range []string{"city", "sparse"} {
		for _, cells := range []int{1, 4} {
			b.Run(fmt.Sprintf("devices=100000/road=%s/cells=%d", road, cells), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					post, _, _ := epochThroughModule(b, 100_000, true, cellIDs(road, cells))
					b.ReportMetric(post[0], "ms/epoch")
					b.ReportMetric(post[1], "cpu-ms/epoch")
					b.ReportMetric(post[2]/(1<<20), "alloc-MB/epoch")
				}
			})
		}
	}
}

// cellIDs returns the cell ids BenchmarkEpochModuleCells gives device i
// (in id order), sorted.
func cellIDs(road string, cells int) func(i int) []uint64 {
	return func(i int) []uint64 {
		var out []uint64
		switch road {
		case "sparse":
			for k := 0; k < cells; k++ {
				out = append(out, device.CellID(int64(i*cells+k)<<device.CellPageBits, 0))
			}
		default:
			for _, p := range fleet.Route(uint64(i)+1, 40*cells) {
				c := ingest.CellOf(p[0], p[1])
				if id := device.CellID(c.Lat, c.Lon); !slices.Contains(out, id) {
					out = append(out, id)
				}
				if len(out) == cells {
					break
				}
			}
		}
		slices.Sort(out)
		return out
	}
}

// allocated is the bytes the process allocated so far, as a Duration so
// that DeliverBlockMeasured reads it like a clock.
func allocated() time.Duration {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return time.Duration(ms.TotalAlloc)
}

// cpuTime is the process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// epochThroughModule posts and claims one epoch of n devices; cellIDs,
// when not nil, gives each device's cell ids.
func epochThroughModule(b *testing.B, n int, gc bool, cellIDs func(i int) []uint64) ([3]float64, [3]float64, int) {
	b.StopTimer()
	owners := n / 100
	bal := map[string]uint64{"maker": 1e12, "bob": 1e12}
	names := make([]string, owners)
	for i := range names {
		names[i] = fmt.Sprintf("o%d", i)
		bal[names[i]] = 1_000_000
	}
	g := device.Genesis{Params: device.DefaultParams(), Makers: []device.Maker{{Address: apptest.Addr("maker"), Name: "bench", Stake: 1_000_000}}}
	ids := make([]string, n)
	for i := range ids {
		var seed [32]byte
		binary.BigEndian.PutUint64(seed[:], uint64(i)+1)
		s := devkey.NewEd25519(seed)
		ids[i] = device.DeviceID(s.Type, s.Pub())
		g.Devices = append(g.Devices, device.Device{KeyType: s.Type, PubKey: hex.EncodeToString(s.Pub()), Maker: apptest.Addr("maker"),
			Model: "m", Serial: fmt.Sprint(i), Owner: apptest.Addr(names[i%owners])})
	}
	bk := bank.New()
	c := apptest.New(b, apptest.Genesis{Balances: bal, Modules: map[string]any{device.Name: g}}, bk, device.New(bk))
	c.MustOK(c.Deliver(c.Sign("bob", c.Msg(device.MsgRegisterIngest, device.RegisterIngest{Stake: device.IngestStake})))[0])
	c.MustOK(c.Deliver(c.Sign("bob", c.Msg(device.MsgFundPool, device.FundPool{Amount: device.EpochBudget})))[0])
	slices.Sort(ids)
	epoch := uint64(c.Time.UnixMilli())/device.EpochMillis - 1
	parts := (n + device.MaxEvidence - 1) / device.MaxEvidence
	var posts [][]byte
	for p := 0; p < parts; p++ {
		var ev []device.Evidence
		cells := 0
		for j, id := range ids[p*device.MaxEvidence : min((p+1)*device.MaxEvidence, n)] {
			e := device.Evidence{Device: id, Readings: device.MaxRewardReadings, Cells: device.MaxRewardCells}
			if cellIDs != nil {
				e.CellIDs = cellIDs(p*device.MaxEvidence + j)
				e.Cells = uint64(len(e.CellIDs))
				cells += len(e.CellIDs)
			}
			ev = append(ev, e)
		}
		post := device.PostEpoch{Epoch: epoch, Root: strings.Repeat("ab", 32), Events: uint64(n), Evidence: device.PackEvidence(ev), Part: uint64(p), Parts: uint64(parts)}
		posts = append(posts, c.SignWith("bob", device.GasPostEpoch+device.GasPerEvidence*uint64(len(ev))+device.GasPerCell*uint64(cells)+device.GasPerCellPage*device.CellPages(ev)+2_000_000, c.Msg(device.MsgPostEpoch, post)))
	}
	var claims [][]byte
	for _, o := range names {
		claims = append(claims, c.Sign(o, c.Msg(device.MsgClaim, device.Claim{})))
	}
	wall := func() func() time.Duration {
		t0 := time.Now()
		return func() time.Duration { return time.Since(t0) }
	}()
	run := func(txs [][]byte, per int) ([3]float64, int) {
		var total [3]time.Duration
		blocks := 0
		for len(txs) > 0 {
			k := min(len(txs), per)
			if gc {
				runtime.GC()
			}
			var r app.BlockResult
			var d []time.Duration
			b.StartTimer()
			// The label tells a CPU profile's samples of the measured blocks
			// (on this goroutine) from the background's (GC, Pebble).
			pprof.Do(context.Background(), pprof.Labels("bench", "block"), func(context.Context) {
				r, d = c.DeliverBlockMeasured(txs[:k], wall, cpuTime, allocated)
			})
			b.StopTimer()
			for _, t := range r.Txs {
				c.MustOK(t)
			}
			for j := range total {
				total[j] += d[j]
			}
			blocks++
			txs = txs[k:]
		}
		return [3]float64{float64(total[0].Microseconds()) / 1000, float64(total[1].Microseconds()) / 1000, float64(total[2])}, blocks
	}
	postTime, postBlocks := run(posts, 10)
	var rec device.EpochRecord
	if err := c.Query(fmt.Sprintf("device/epoch/%d", epoch), map[string][]string{"limit": {"1"}}, &rec); err != nil {
		b.Fatal(err)
	}
	if !rec.Complete || rec.Devices != uint64(n) {
		b.Fatalf("epoch after its posts: %+v", rec)
	}
	claimTime, claimBlocks := run(claims, 500)
	if err := c.Query(fmt.Sprintf("device/epoch/%d", epoch), map[string][]string{"limit": {"1"}}, &rec); err != nil {
		b.Fatal(err)
	}
	if !rec.PaidOut || rec.Paid > rec.Budget || (cellIDs == nil && rec.Paid != rec.Budget) {
		b.Fatalf("epoch after every claim: %+v", rec)
	}
	return postTime, claimTime, postBlocks + claimBlocks
}
