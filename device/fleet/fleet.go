// Package fleet plays simulated vehicles for the device market: signed
// vehicle-status readings along random routes on a grid road network, and
// the cheaters the ingest rules must stop (a GPS spoofer, a replayer, a
// cloner). It is what 'emergence device sim' posts to ingest endpoints and
// what the ingest end-to-end tests feed; it links no node code.
package fleet

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"

	"emergence/device"
	"emergence/device/devkey"
	"emergence/device/event"
	"emergence/device/ingest"
)

// Strategies.
const (
	Honest   = "honest"
	Spoofer  = "gps-spoofer"
	Replayer = "replayer"
	Cloner   = "cloner"
)

// Coverage is the simulated city's coverage box.
var Coverage = ingest.Box{MinLatE7: 525_000_000, MaxLatE7: 526_000_000, MinLonE7: 134_000_000, MaxLonE7: 135_000_000}

// The road network of the simulated city: a grid of streets inside
// Coverage with an intersection every BlockLatE7 of latitude and
// BlockLonE7 of longitude (both about 100 m at 52.5° N), GridRows by
// GridCols intersections.
const (
	BlockLatE7 = 9_000
	BlockLonE7 = 14_800
	GridRows   = 100
	GridCols   = 60
	// ReadingMillis is the time between two readings of a vehicle: one
	// block at SpeedMMS.
	ReadingMillis = 10_000
	SpeedMMS      = 10_000
)

// Vehicle is one simulated device.
type Vehicle struct {
	Strategy string
	Signer   *devkey.Signer
	ID       string
}

// Fleet is a set of simulated vehicles with their strategies.
type Fleet struct {
	Seed     uint64
	Vehicles []Vehicle
}

// NewFleet makes honest vehicles and the given numbers of spoofers,
// replayers and cloners, with secp256k1 keys derived from seed (the same
// seed gives the same devices).
func NewFleet(seed uint64, honest, spoofers, replayers, cloners int) *Fleet {
	f := &Fleet{Seed: seed}
	for si, c := range []struct {
		s string
		n int
	}{{Honest, honest}, {Spoofer, spoofers}, {Replayer, replayers}, {Cloner, cloners}} {
		for i := 0; i < c.n; i++ {
			var k [32]byte
			binary.BigEndian.PutUint64(k[:8], seed)
			binary.BigEndian.PutUint64(k[8:16], uint64(si))
			binary.BigEndian.PutUint64(k[16:24], uint64(i)+1)
			s := devkey.NewSecp256k1(k)
			f.Vehicles = append(f.Vehicles, Vehicle{Strategy: c.s, Signer: s, ID: device.DeviceID(s.Type, s.Pub())})
		}
	}
	return f
}

// position of grid intersection (row, col).
func position(row, col int) (int64, int64) {
	return Coverage.MinLatE7 + BlockLatE7*int64(row+1), Coverage.MinLonE7 + BlockLonE7*int64(col+1)
}

// Route drives a random walk along the grid's streets from a start
// intersection picked from the seed: one intersection per reading, never
// turning back, staying inside the grid.
func Route(seed uint64, readings int) [][2]int64 {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	row, col := 5+r.IntN(GridRows-10), 5+r.IntN(GridCols-10)
	dirs := [4][2]int{{1, 0}, {0, 1}, {-1, 0}, {0, -1}}
	d := r.IntN(4)
	out := make([][2]int64, readings)
	for i := range out {
		lat, lon := position(row, col)
		out[i] = [2]int64{lat, lon}
		// Go straight, left or right (not back), inside the grid.
		for {
			nd := (d + []int{0, 0, 1, 3}[r.IntN(4)]) % 4
			nr, nc := row+dirs[nd][0], col+dirs[nd][1]
			if nr >= 0 && nr < GridRows && nc >= 0 && nc < GridCols {
				d, row, col = nd, nr, nc
				break
			}
			d = (d + 1) % 4
		}
	}
	return out
}

// Events returns every vehicle's signed readings of one epoch starting at
// startMs, readings per vehicle, by vehicle: honest vehicles drive their
// route; spoofers report positions kilometres apart; replayers re-send
// their first reading's id at every later time; cloners sign the first
// honest vehicle's payloads as their own. Each vehicle uploads its epoch's
// readings as one batch under one signature (event.SignBatch), as DIMO's
// devices upload in batches; every reading still verifies on its own.
func (f *Fleet) Events(startMs int64, readings int) ([][]byte, error) {
	var out [][]byte
	var honest []event.VehicleStatus
	for k, v := range f.Vehicles {
		var batch []event.Event
		route := Route(f.Seed*1_000_003+uint64(k), readings)
		for i := 0; i < readings; i++ {
			st := event.VehicleStatus{LatE7: route[i][0], LonE7: route[i][1], SpeedMMS: SpeedMMS, OdometerM: uint64(i) * 100}
			id := fmt.Sprintf("r%d", i)
			switch v.Strategy {
			case Spoofer: // hops 3 km or more at every reading to farm cells
				st.LatE7, st.LonE7 = position(int(i*37%GridRows), int(i*23%GridCols))
			case Replayer:
				if i > 0 {
					id = "r0"
				}
			case Cloner:
				if len(honest) > 0 {
					st = honest[i%len(honest)]
				}
			}
			if v.Strategy == Honest && len(honest) < readings {
				honest = append(honest, st)
			}
			e, err := event.Build(id, v.ID, event.TypeVehicleStatus, startMs+int64(i)*ReadingMillis, st)
			if err != nil {
				return nil, err
			}
			batch = append(batch, e)
		}
		if len(batch) == 0 {
			continue
		}
		if err := event.SignBatch(v.Signer, batch); err != nil {
			return nil, err
		}
		for _, e := range batch {
			out = append(out, e.Encode())
		}
	}
	return out, nil
}
