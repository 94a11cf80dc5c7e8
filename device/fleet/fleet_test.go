package fleet_test

import (
	"testing"

	"emergence/device/fleet"
	"emergence/device/ingest"
)

type reg map[string]ingest.DeviceInfo

func (r reg) Device(id string) (ingest.DeviceInfo, bool, error) { d, ok := r[id]; return d, ok, nil }

// TestRoutesFollowStreets: every step of a route is one 100 m block along
// a street (one coordinate changes by one block), inside the coverage box.
func TestRoutesFollowStreets(t *testing.T) {
	for seed := uint64(0); seed < 20; seed++ {
		r := fleet.Route(seed, 360)
		for i, p := range r {
			if !fleet.Coverage.Contains(p[0], p[1]) {
				t.Fatalf("seed %d step %d outside coverage: %v", seed, i, p)
			}
			if i == 0 {
				continue
			}
			dl, dn := abs(p[0]-r[i-1][0]), abs(p[1]-r[i-1][1])
			if !(dl == fleet.BlockLatE7 && dn == 0) && !(dl == 0 && dn == fleet.BlockLonE7) {
				t.Fatalf("seed %d step %d: moved %d, %d (not one block along a street)", seed, i, dl, dn)
			}
		}
	}
}

// TestHonestPassCheatersFail runs a fleet's epoch through the ingest
// rules: every honest reading is accepted, and the cheaters keep at most
// their first reading (the cloner none: its payloads are an honest
// vehicle's, and every copy of a cloned payload is rejected).
func TestHonestPassCheatersFail(t *testing.T) {
	f := fleet.NewFleet(3, 10, 2, 2, 2)
	r := reg{}
	for _, v := range f.Vehicles {
		r[v.ID] = ingest.DeviceInfo{KeyType: v.Signer.Type, PubKey: v.Signer.Pub(), Owner: "emg1owner"}
	}
	const readings, start = 40, 1_700_000_000_000
	evs, err := f.Events(start, readings)
	if err != nil {
		t.Fatal(err)
	}
	n := ingest.New(r, fleet.Coverage)
	n.Add(evs, start+3_600_000)
	acc := map[string]int{}
	for _, a := range n.Accepted() {
		acc[a.Event.Source]++
	}
	for i, v := range f.Vehicles {
		got := acc[v.ID]
		switch {
		case v.Strategy == fleet.Honest && i > 0 && got != readings:
			t.Errorf("honest vehicle %d: %d of %d accepted", i, got, readings)
		case v.Strategy == fleet.Honest && i == 0 && got != 0: // the cloners copied it
			t.Errorf("cloned honest vehicle: %d accepted", got)
		case v.Strategy != fleet.Honest && got > 1:
			t.Errorf("%s %d: %d readings accepted", v.Strategy, i, got)
		}
	}
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
