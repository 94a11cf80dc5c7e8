package ingest_test

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"emergence/device/devkey"
	"emergence/device/event"
	"emergence/device/ingest"
	"emergence/device/merkle"
)

type reg map[string]ingest.DeviceInfo

func (r reg) Device(id string) (ingest.DeviceInfo, bool, error) { d, ok := r[id]; return d, ok, nil }

var box = ingest.Box{MinLatE7: 520_000_000, MaxLatE7: 530_000_000, MinLonE7: 130_000_000, MaxLonE7: 140_000_000}

const t0 = 1_700_000_000_000

type dev struct {
	id string
	s  *devkey.Signer
}

func newDev(r reg, seed byte, paired bool) dev {
	s := devkey.NewSecp256k1([32]byte{seed})
	id := fmt.Sprintf("dev%02d", seed)
	owner := ""
	if paired {
		owner = "emg1owner"
	}
	r[id] = ingest.DeviceInfo{KeyType: s.Type, PubKey: s.Pub(), Owner: owner}
	return dev{id, s}
}

func status(t testing.TB, d dev, n int, ms int64, lat, lon, speed int64, odo uint64) []byte {
	t.Helper()
	e, err := event.New(d.s, fmt.Sprintf("%s-%d", d.id, n), d.id, event.TypeVehicleStatus, ms, event.VehicleStatus{LatE7: lat, LonE7: lon, SpeedMMS: speed, OdometerM: odo})
	if err != nil {
		t.Fatal(err)
	}
	return e.Encode()
}

// route: 10 readings 10 s apart, moving 100 m (9,000 units of 1e-7°
// latitude) per reading at 10 m/s.
func route(t testing.TB, d dev, lat0 int64) [][]byte {
	var out [][]byte
	for i := 0; i < 10; i++ {
		out = append(out, status(t, d, i, t0+int64(i)*10_000, lat0+int64(i)*9000, 134_000_000, 10_000, uint64(1000+i*100)))
	}
	return out
}

func TestRules(t *testing.T) {
	r := reg{}
	honest := newDev(r, 1, true)
	spoofer := newDev(r, 2, true)
	cloner := newDev(r, 3, true)
	unpaired := newDev(r, 4, false)
	stranger := dev{"dev99", devkey.NewSecp256k1([32]byte{99})}
	stuck := newDev(r, 5, true)
	behind := newDev(r, 6, true)

	good := route(t, honest, 525_000_000)
	var batch [][]byte
	batch = append(batch, good...)
	batch = append(batch, good[3])                                                                  // duplicate
	batch = append(batch, status(t, honest, 2, t0+200_000, 525_010_000, 134_000_000, 10_000, 2000)) // replayed id at another time
	// Spoofer: a sane start, then 50 km away 10 s later.
	batch = append(batch, status(t, spoofer, 0, t0, 525_000_000, 134_100_000, 10_000, 5000))
	batch = append(batch, status(t, spoofer, 1, t0+10_000, 529_500_000, 134_100_000, 10_000, 5100))
	// Cloner signs the honest device's first payload at the same time.
	ce, _ := event.New(cloner.s, "c0", cloner.id, event.TypeVehicleStatus, t0, event.VehicleStatus{LatE7: 525_000_000, LonE7: 134_000_000, SpeedMMS: 10_000, OdometerM: 1000})
	batch = append(batch, ce.Encode())
	batch = append(batch, status(t, unpaired, 0, t0, 525_000_000, 134_000_000, 0, 0))
	batch = append(batch, status(t, stranger, 0, t0, 525_000_000, 134_000_000, 0, 0))
	batch = append(batch, status(t, stuck, 0, t0, 525_000_000, 134_200_000, 10_000, 7))
	batch = append(batch, status(t, stuck, 1, t0+60_000, 525_054_000, 134_200_000, 10_000, 7))    // 600 m, odometer still
	batch = append(batch, status(t, stuck, 2, t0+120_000, 510_000_000, 134_200_000, 10_000, 8))   // outside coverage
	batch = append(batch, status(t, stuck, 3, t0+3_600_000, 525_054_000, 134_200_000, 10_000, 9)) // an hour ahead of now
	// 1.5 km in a minute (a legal speed) while the odometer advanced 200 m.
	batch = append(batch, status(t, behind, 0, t0, 525_300_000, 134_300_000, 10_000, 100))
	batch = append(batch, status(t, behind, 1, t0+60_000, 525_435_000, 134_300_000, 25_000, 300))
	forged := status(t, stuck, 4, t0+130_000, 525_054_000, 134_200_000, 10_000, 9)
	forged[len(forged)-5] ^= 1 // flips a hex digit of the signature
	batch = append(batch, forged)
	batch = append(batch, []byte(`{"specversion":"0.3"}`))

	n := ingest.New(r, box)
	n.Add(batch, t0+200_000)
	if got := len(n.Accepted()); got != 9+1+1+1 { // honest route but its cloned first reading, spoofer's first, stuck's first, behind's first
		for _, rj := range n.Rejected() {
			t.Logf("rejected %s %s", rj.Reason, rj.Detail)
		}
		t.Fatalf("%d accepted, want 12", got)
	}
	var reasons []string
	for _, rj := range n.Rejected() {
		reasons = append(reasons, rj.Reason)
	}
	slices.Sort(reasons)
	want := []string{ingest.ReasonBadSignature, ingest.ReasonClone, ingest.ReasonClone, ingest.ReasonDuplicate, ingest.ReasonFuture, ingest.ReasonMalformed,
		ingest.ReasonOdometerStuck, ingest.ReasonOdometerBehind, ingest.ReasonOutsideCoverage, ingest.ReasonPositionJump, ingest.ReasonReplay,
		ingest.ReasonUnknownDevice, ingest.ReasonUnpaired}
	slices.Sort(want)
	if !slices.Equal(reasons, want) {
		t.Fatalf("reasons %q\nwant    %q", reasons, want)
	}

	// A second node fed the same events in another order posts the same root.
	rev := slices.Clone(batch)
	slices.Reverse(rev)
	n2 := ingest.New(r, box)
	n2.Add(rev, t0+200_000)
	if n.Root() != n2.Root() {
		t.Fatalf("roots differ: %x vs %x", n.Root(), n2.Root())
	}
	if n.Root() == [32]byte{} {
		t.Fatal("zero root")
	}

	// Every accepted event proves its inclusion; a foreign leaf does not.
	leaves := n.Leaves()
	for i := range leaves {
		if err := merkle.Verify(n.Root(), leaves[i], merkle.Prove(leaves, i)); err != nil {
			t.Fatalf("leaf %d: %v", i, err)
		}
	}
	if err := merkle.Verify(n.Root(), [32]byte{1}, merkle.Prove(leaves, 0)); err == nil {
		t.Fatal("foreign leaf proved")
	}

	ev := n.Evidence(64)
	if len(ev) != 4 || ev[0].Device != honest.id || ev[0].Readings != 9 || len(ev[0].Cells) != 1 {
		t.Fatalf("evidence %+v", ev)
	}
	_ = hex.EncodeToString
}

func TestDistance(t *testing.T) {
	// 0.01° of latitude is about 1,112 m.
	if d := ingest.DistanceMM(525_000_000, 134_000_000, 525_100_000, 134_000_000); d < 1_111_000 || d > 1_113_000 {
		t.Fatalf("distance %d mm", d)
	}
	if d := ingest.DistanceMM(-900_000_000, -1_800_000_000, 900_000_000, 1_800_000_000); d <= 0 {
		t.Fatalf("antipodal distance %d", d)
	}
}

// batchRoute is route's shape, n readings signed as one batch.
func batchRoute(t testing.TB, d dev, lat0 int64, n int) [][]byte {
	t.Helper()
	return batchRouteFrom(t, d, lat0, n, n)
}

// TestBatchSignedEvents: batch-signed events are accepted one by one and
// in any split of the batch, with the same root as events signed one at
// a time would give for the same readings' rules; a changed batch event
// or one under another device's batch signature is bad-signature, and its
// batch's other events are still accepted.
func TestBatchSignedEvents(t *testing.T) {
	r := reg{}
	a, b := newDev(r, 1, true), newDev(r, 2, true)
	evs := batchRoute(t, a, 525_000_000, 10)
	other := batchRoute(t, b, 526_000_000, 10)
	tampered := []byte(strings.Replace(string(evs[4]), `"speed_mm_s":10000`, `"speed_mm_s":10001`, 1))
	// b's event carrying a's batch signature and proof.
	var stolen event.Event
	if err := json.Unmarshal(other[0], &stolen); err != nil {
		t.Fatal(err)
	}
	var ae event.Event
	if err := json.Unmarshal(evs[0], &ae); err != nil {
		t.Fatal(err)
	}
	stolen.Signature, stolen.SigProof = ae.Signature, ae.SigProof
	n := ingest.New(r, box)
	n.Add(append(slices.Clone(evs[:4]), tampered), t0+200_000)
	n.Add(append(slices.Clone(evs[5:]), stolen.Encode()), t0+200_000)
	n.Add(other[1:], t0+200_000)
	var reasons []string
	for _, rj := range n.Rejected() {
		reasons = append(reasons, rj.Reason)
	}
	if len(n.Accepted()) != 9+9 || !slices.Equal(reasons, []string{ingest.ReasonBadSignature, ingest.ReasonBadSignature}) {
		t.Fatalf("%d accepted, rejected %q", len(n.Accepted()), reasons)
	}
	for _, acc := range n.Accepted() {
		if err := acc.Event.Verify(a.s.Type, a.s.Pub()); acc.Event.Source == a.id && err != nil {
			t.Fatalf("accepted batch event does not verify alone: %v", err)
		}
	}
}

// BenchmarkIngest measures events per second through Add, signature
// checks included (secp256k1): 100 devices of 100 readings each, every
// reading signed alone (batch=1) or each device's readings signed as
// batches of that many (one signature check per batch, a proof fold per
// event).
func BenchmarkIngest(b *testing.B) {
	for _, size := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			r := reg{}
			var batch [][]byte
			for d := 0; d < 100; d++ {
				dv := newDev(r, byte(d+1), true)
				if size == 1 {
					for i := 0; i < 100; i++ {
						batch = append(batch, status(b, dv, i, t0+int64(i)*10_000, 521_000_000+int64(d)*10_000+int64(i)*9000, 134_000_000, 10_000, uint64(1000+i*100)))
					}
					continue
				}
				all := batchRouteFrom(b, dv, 521_000_000+int64(d)*10_000, 100, size)
				batch = append(batch, all...)
			}
			b.ResetTimer()
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				n := ingest.New(r, box)
				n.Add(batch, t0+10_000_000)
				if len(n.Accepted()) != len(batch) {
					b.Fatalf("%d of %d accepted: %+v", len(n.Accepted()), len(batch), n.Rejected()[0])
				}
			}
			b.ReportMetric(float64(len(batch)*b.N)/b.Elapsed().Seconds(), "events/s")
			// CPU time of the process (the GC's workers included): on a
			// loaded machine wall time counts the waits for a core too.
			b.ReportMetric(float64(len(batch)*b.N)/(cpuTime()-cpu0).Seconds(), "events/cpu-s")
		})
	}
}

// cpuTime is the process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// batchRouteFrom is n readings of route's shape signed in batches of size.
func batchRouteFrom(t testing.TB, d dev, lat0 int64, n, size int) [][]byte {
	t.Helper()
	var out [][]byte
	for start := 0; start < n; start += size {
		var evs []event.Event
		for i := start; i < min(n, start+size); i++ {
			e, err := event.Build(fmt.Sprintf("%s-%d", d.id, i), d.id, event.TypeVehicleStatus, t0+int64(i)*10_000,
				event.VehicleStatus{LatE7: lat0 + int64(i)*9000, LonE7: 134_000_000, SpeedMMS: 10_000, OdometerM: uint64(1000 + i*100)})
			if err != nil {
				t.Fatal(err)
			}
			evs = append(evs, e)
		}
		if err := event.SignBatch(d.s, evs); err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			out = append(out, e.Encode())
		}
	}
	return out
}
