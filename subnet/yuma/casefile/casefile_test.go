package casefile_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"emergence/subnet/yuma/casefile"
)

// TestExampleCase runs the documented example (reference case E, epoch 2)
// and checks the numbers subtensor's test asserts.
func TestExampleCase(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", "subnet", "yuma-case.json"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := casefile.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	o, err := c.Run()
	if err != nil {
		t.Fatal(err)
	}
	if o.Block != 5002 {
		t.Errorf("block %d, want 5002", o.Block)
	}
	if got := []uint16{o.Neurons[0].DividendsU16, o.Neurons[1].DividendsU16}; got[0] != 36044 || got[1] != 29490 {
		t.Errorf("dividends %v, want [36044 29490]", got)
	}
	var sum uint64
	for i, w := range []uint64{274_999_999, 224_999_999, 250_000_000, 250_000_000} {
		if o.Neurons[i].Emission != w {
			t.Errorf("uid %d emission %d, want %d", i, o.Neurons[i].Emission, w)
		}
		sum += o.Neurons[i].Emission
	}
	if got := o.Totals.ServerEmission + o.Totals.ValidatorEmission; got != sum {
		t.Errorf("totals %+v sum to %d, neurons to %d", o.Totals, got, sum)
	}
	if o.Neurons[1].Bonds[0] != [2]uint64{2, 53619} {
		t.Errorf("bond row 1 = %v", o.Neurons[1].Bonds)
	}
}

// TestDefaults checks that absent params keep yuma's defaults and that a
// one-validator case splits the emission between miner and validator.
func TestDefaults(t *testing.T) {
	c, err := casefile.Parse([]byte(`{"block": 3, "emission": 100, "params": {"yuma3": false},
	  "neurons": [{"stake": 5, "validator_permit": true, "last_update": 2, "weights": [[1, 1]]}, {"last_update": 0}]}`))
	if err != nil {
		t.Fatal(err)
	}
	in, err := c.Input()
	if err != nil {
		t.Fatal(err)
	}
	if in.Params.Yuma3 || in.Params.Kappa == 0 || in.Params.Tempo == 0 {
		t.Errorf("params %+v: yuma3 not overridden or defaults lost", in.Params)
	}
	o, err := c.Run()
	if err != nil {
		t.Fatal(err)
	}
	if o.Neurons[1].ServerEmission != 50 || o.Neurons[0].ValidatorEmission != 50 {
		t.Errorf("emissions %+v", o.Neurons)
	}
}

// TestBadCases checks that each malformed case is refused with a message
// that says where and what.
func TestBadCases(t *testing.T) {
	for _, tc := range []struct {
		name, body, want string
	}{
		{"syntax", "{\n  \"block\": 1,\n  \"neurons\": [,]\n}", "invalid JSON at line 3"},
		{"unknown field", `{"neurons": [{"stake": 1, "stak": 2}]}`, `unknown field "stak"`},
		{"wrong type", `{"neurons": [{"stake": "lots"}]}`, `expected uint64`},
		{"no neurons", `{"block": 1}`, "no neurons"},
		{"unknown uid", `{"neurons": [{"weights": [[4, 1]]}]}`, "uid 4 does not exist"},
		{"duplicate uid", `{"neurons": [{"weights": [[0, 1], [0, 2]]}]}`, "twice"},
		{"value too big", `{"neurons": [{"bonds": [[0, 70000]]}]}`, "exceeds 65535"},
		{"empty", ``, "empty file"},
		{"trailing data", `{"neurons": [{}]} {}`, "trailing data"},
		{"bad moving average", `{"params": {"bonds_moving_average": 2000000}, "neurons": [{}]}`, "at most 1000000"},
		{"alpha bounds", `{"params": {"alpha_low": 9, "alpha_high": 3}, "neurons": [{}]}`, "above alpha_high"},
		{"owner out of range", `{"owner": 2, "neurons": [{}]}`, "owner uid 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := casefile.Parse([]byte(tc.body))
			if err == nil {
				_, err = c.Run()
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
