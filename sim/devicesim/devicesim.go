// Package devicesim plays device owners with different strategies against
// the real ingest rules and the real device module, and reports what each
// strategy earned: honest vehicles driving a generated grid road network
// (blocks of 100 m, one reading every 10 s at 10 m/s), a GPS spoofer that
// teleports across the city, a replayer that re-sends its old readings at
// new times, and a cloner that signs the honest vehicles' payloads with its
// own devices. The chain is apptest's in-process chain composed by package
// chain, so the invariants of every module run after every block.
package devicesim

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"

	"emergence/app/apptest"
	"emergence/device"
	"emergence/device/devkey"
	"emergence/device/event"
	"emergence/device/fleet"
	"emergence/device/ingest"
)

// Strategies (those of package fleet).
const (
	Honest   = fleet.Honest
	Spoofer  = fleet.Spoofer
	Replayer = fleet.Replayer
	Cloner   = fleet.Cloner
)

// Coverage is the simulated city's coverage box.
var Coverage = fleet.Coverage

// Options size the run.
type Options struct {
	PerStrategy int // devices per strategy
	Readings    int // readings per device in the epoch
}

// Earning is one strategy's result.
type Earning struct {
	Strategy string `json:"strategy"`
	Devices  int    `json:"devices"`
	Accepted int    `json:"accepted"`
	Rejected int    `json:"rejected"`
	Earned   uint64 `json:"earned_uemg"`
}

// Report is a run's outcome.
type Report struct {
	Epoch    uint64    `json:"epoch"`
	Root     string    `json:"root"`
	Earnings []Earning `json:"earnings"`
	// Recomputed is true when device.Rewards over the posted evidence gave
	// the chain's payouts.
	Recomputed bool `json:"recomputed"`
}

type simDev struct {
	strategy string
	owner    string
	signer   *devkey.Signer
	id       string
}

// Run plays one epoch.
func Run(tb apptest.TB, o Options) Report {
	strategies := []string{Honest, Spoofer, Replayer, Cloner}
	bal := map[string]uint64{"maker": 1_000_000_000, "ingest": 1_000_000_000, "funder": 1_000_000_000}
	var devs []simDev
	for si, st := range strategies {
		for i := 0; i < o.PerStrategy; i++ {
			var seed [32]byte
			binary.BigEndian.PutUint64(seed[:], uint64(si*10_000+i+1))
			s := devkey.NewSecp256k1(seed)
			owner := fmt.Sprintf("%s-%d", st, i)
			bal[owner] = 1_000_000
			devs = append(devs, simDev{strategy: st, owner: owner, signer: s, id: device.DeviceID(s.Type, s.Pub())})
		}
	}
	c := apptest.Full(tb, apptest.Genesis{Balances: bal})
	c.MustOK(c.Deliver(c.Sign("maker", c.Msg(device.MsgRegisterMaker, device.RegisterMaker{Name: "sim", Stake: 1_000_000})))[0])
	var txs [][]byte
	for i, d := range devs {
		txs = append(txs, c.Sign("maker", c.Msg(device.MsgProvision, device.Provision{KeyType: d.signer.Type, PubKey: hex.EncodeToString(d.signer.Pub()), Model: "sim-obd", Serial: fmt.Sprint(i)})))
	}
	for _, r := range c.Deliver(txs...) {
		c.MustOK(r)
	}
	txs = txs[:0]
	for _, d := range devs {
		sig := d.signer.Sign(device.PairingMessage(apptest.ChainID, d.id, apptest.Addr(d.owner), 0))
		txs = append(txs, c.Sign(d.owner, c.Msg(device.MsgPair, device.Pair{Device: d.id, Signature: hex.EncodeToString(sig)})))
	}
	txs = append(txs, c.Sign("ingest", c.Msg(device.MsgRegisterIngest, device.RegisterIngest{Stake: device.IngestStake})),
		c.Sign("funder", c.Msg(device.MsgFundPool, device.FundPool{Amount: device.EpochBudget})))
	for _, r := range c.Deliver(txs...) {
		c.MustOK(r)
	}

	start := (c.Time.UnixMilli()/device.EpochMillis - 1) * device.EpochMillis
	epoch := uint64(start / device.EpochMillis)
	reg := registry{}
	for _, d := range devs {
		reg[d.id] = ingest.DeviceInfo{KeyType: d.signer.Type, PubKey: d.signer.Pub(), Owner: d.owner}
	}
	var batch [][]byte
	var honestData []event.VehicleStatus
	for k, d := range devs {
		lat0, lon0 := Coverage.MinLatE7+int64(k%50)*9_000*10, Coverage.MinLonE7+int64(k/50)*90_000
		for i := 0; i < o.Readings; i++ {
			ms := start + int64(i)*10_000
			// The grid route: a staircase of streets, 10 blocks east, 10
			// north, one 100 m block per reading.
			east, north := int64(0), int64(0)
			for j := 0; j < i; j++ {
				if (j/10)%2 == 0 {
					east++
				} else {
					north++
				}
			}
			v := event.VehicleStatus{LatE7: lat0 + north*9_000, LonE7: lon0 + east*14_800, SpeedMMS: 10_000, OdometerM: uint64(i * 100)}
			switch d.strategy {
			case Spoofer: // hops 3 km or more across the city at every reading to farm cells
				v.LatE7 = Coverage.MinLatE7 + int64(i*7%10)*300_000/3
				v.LonE7 = Coverage.MinLonE7 + int64(i*3%10)*300_000/3
			case Cloner:
				if len(honestData) > 0 {
					v = honestData[i%len(honestData)]
				}
			}
			id := fmt.Sprintf("%d", i)
			if d.strategy == Replayer && i > 0 {
				id = "0" // every reading re-sends its first event's id at a new time
			}
			e, err := event.New(d.signer, id, d.id, event.TypeVehicleStatus, ms, v)
			if err != nil {
				tb.Fatal(err)
			}
			if d.strategy == Honest && k == 0 {
				honestData = append(honestData, v)
			}
			batch = append(batch, e.Encode())
		}
	}
	n := ingest.New(reg, Coverage)
	n.Add(batch, start+device.EpochMillis)
	root := n.Root()
	var evid []device.Evidence
	for _, e := range n.Evidence(device.MaxRewardCells) {
		evid = append(evid, device.Evidence{Device: e.Device, Readings: e.Readings, Cells: uint64(len(e.Cells))})
	}
	slices.SortFunc(evid, func(a, b device.Evidence) int {
		if a.Device < b.Device {
			return -1
		}
		if a.Device > b.Device {
			return 1
		}
		return 0
	})
	if evid == nil {
		evid = []device.Evidence{}
	}
	post := device.PostEpoch{Epoch: epoch, Root: hex.EncodeToString(root[:]), Events: uint64(len(n.Accepted())), Evidence: device.PackEvidence(evid)}
	c.MustOK(c.Deliver(c.SignWith("ingest", device.GasPostEpoch+device.GasPerEvidence*uint64(len(evid))+2_000_000, c.Msg(device.MsgPostEpoch, post)))[0])

	var rec device.EpochRecord
	if err := c.Query(fmt.Sprintf("device/epoch/%d", epoch), nil, &rec); err != nil {
		tb.Fatal(err)
	}
	want := device.Rewards(rec.Budget, evid)
	rep := Report{Epoch: epoch, Root: post.Root, Recomputed: len(want) == len(rec.Payouts)}
	byDev := map[string]uint64{}
	for i, p := range rec.Payouts {
		byDev[p.Device] = p.Amount
		if p.Amount != want[i] {
			rep.Recomputed = false
		}
	}
	accepted := map[string]int{}
	for _, a := range n.Accepted() {
		accepted[a.Event.Source]++
	}
	for _, st := range strategies {
		e := Earning{Strategy: st}
		for _, d := range devs {
			if d.strategy != st {
				continue
			}
			e.Devices++
			e.Accepted += accepted[d.id]
			e.Rejected += o.Readings - accepted[d.id]
			e.Earned += byDev[d.id]
		}
		rep.Earnings = append(rep.Earnings, e)
	}
	return rep
}

type registry map[string]ingest.DeviceInfo

func (r registry) Device(id string) (ingest.DeviceInfo, bool, error) {
	d, ok := r[id]
	return d, ok, nil
}

// WriteJSON writes the report as JSON.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteTable writes the earnings as a table.
func (r Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "strategy\tdevices\taccepted\trejected\tearned (uemg)\n")
	for _, e := range r.Earnings {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\n", e.Strategy, e.Devices, e.Accepted, e.Rejected, e.Earned)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	verdict := "matches the chain"
	if !r.Recomputed {
		verdict = "DIFFERS from the chain"
	}
	_, err := fmt.Fprintf(w, "epoch %d root %s; offline recomputation %s\n", r.Epoch, r.Root, verdict)
	return err
}

// runner is the apptest.TB a command-line run uses: failures stop the run
// and come back from Play as errors.
type runner struct {
	dir      string
	cleanups []func()
}

type failure struct{ msg string }

func (r *runner) Helper()                           {}
func (r *runner) Logf(string, ...any)               {}
func (r *runner) Fatal(args ...any)                 { panic(failure{fmt.Sprint(args...)}) }
func (r *runner) Fatalf(format string, args ...any) { panic(failure{fmt.Sprintf(format, args...)}) }
func (r *runner) Cleanup(f func())                  { r.cleanups = append(r.cleanups, f) }
func (r *runner) TempDir() string                   { return r.dir }

// Play runs the simulation outside a test, in a chain under dir (which the
// caller creates and removes).
func Play(dir string, o Options) (rep Report, err error) {
	if o.PerStrategy < 1 || o.PerStrategy > 200 || o.Readings < 2 || o.Readings > 300 {
		return rep, fmt.Errorf("per-strategy must be 1 to 200 and readings 2 to 300")
	}
	r := &runner{dir: dir}
	defer func() {
		if p := recover(); p != nil {
			f, ok := p.(failure)
			if !ok {
				panic(p)
			}
			err = fmt.Errorf("device simulation: %s", f.msg)
		}
		for i := len(r.cleanups) - 1; i >= 0; i-- {
			r.cleanups[i]()
		}
	}()
	return Run(r, o), nil
}
