package yuma_test

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"testing"

	"emergence/fixed"
	"emergence/subnet/yuma"
)

func TestRunRejectsMalformedInput(t *testing.T) {
	base := func() *yuma.Input {
		return &yuma.Input{
			Params: yuma.DefaultParams(), Block: 10,
			Stake: []uint64{1, 2}, LastUpdate: []uint64{1, 1}, RegisteredAt: []uint64{0, 0},
			ValidatorPermit: []bool{true, true},
			Weights:         [][]yuma.Entry{{{UID: 1, Value: 5}}, nil},
			Bonds:           [][]yuma.Entry{nil, nil},
		}
	}
	tests := []struct {
		name   string
		mutate func(*yuma.Input)
		want   error
	}{
		{"short last_update", func(in *yuma.Input) { in.LastUpdate = in.LastUpdate[:1] }, yuma.ErrLength},
		{"short commit blocks", func(in *yuma.Input) { in.CommitBlock = []uint64{1} }, yuma.ErrLength},
		{"weight to unknown uid", func(in *yuma.Input) { in.Weights[0] = []yuma.Entry{{UID: 7, Value: 1}} }, yuma.ErrUID},
		{"duplicate weight uid", func(in *yuma.Input) { in.Weights[0] = []yuma.Entry{{UID: 1}, {UID: 1}} }, yuma.ErrDuplicate},
		{"bond to unknown uid", func(in *yuma.Input) { in.Bonds[1] = []yuma.Entry{{UID: 2, Value: 1}} }, yuma.ErrUID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := base()
			tc.mutate(in)
			if _, err := yuma.Run(in); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := yuma.Run(base()); err != nil {
		t.Fatalf("valid input: %v", err)
	}
}

func TestEmptySubnet(t *testing.T) {
	r, err := yuma.Run(&yuma.Input{Params: yuma.DefaultParams(), Emission: 100})
	if err != nil || len(r.Incentive) != 0 {
		t.Fatalf("empty: %v %+v", err, r)
	}
}

// TestReuseIsDeterministic runs the same inputs through one reused Epoch
// and through fresh ones, in different orders, and requires identical
// results: buffers must not leak state between runs.
func TestReuseIsDeterministic(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	var inputs []*yuma.Input
	for k := 0; k < 6; k++ {
		inputs = append(inputs, randomInput(r, 10+r.IntN(30), 3+r.IntN(5), k%2 == 0, k%3 == 0))
	}
	fresh := make([]*yuma.Result, len(inputs))
	for k, in := range inputs {
		res, err := yuma.Run(in)
		if err != nil {
			t.Fatal(err)
		}
		fresh[k] = res
	}
	var e yuma.Epoch
	var out yuma.Result
	for pass := 0; pass < 2; pass++ {
		for k := len(inputs) - 1; k >= 0; k-- {
			if err := e.Run(inputs[k], &out); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(&out, fresh[k]) {
				t.Fatalf("pass %d input %d: reused epoch differs from a fresh one", pass, k)
			}
		}
	}
}

// TestEmissionConservation checks that the epoch never pays out more than
// the emission and loses at most one base unit per uid to flooring.
func TestEmissionConservation(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for k := 0; k < 40; k++ {
		in := randomInput(r, 5+r.IntN(40), 1+r.IntN(8), k%2 == 0, k%4 == 0)
		res, err := yuma.Run(in)
		if err != nil {
			t.Fatal(err)
		}
		var paid uint64
		for i := range res.ServerEmission {
			paid += res.ServerEmission[i] + res.ValidatorEmission[i]
		}
		n := uint64(len(in.Stake))
		if paid > in.Emission || in.Emission-paid > 2*n+2 && paid != 0 {
			t.Fatalf("case %d: paid %d of %d", k, paid, in.Emission)
		}
	}
}

// TestHugeStakes sums stakes beyond 2^64 (the 128-bit normalisation path)
// and still splits emission by stake.
func TestHugeStakes(t *testing.T) {
	const max = ^uint64(0)
	in := &yuma.Input{
		Params: yuma.DefaultParams(), Block: 10, Emission: 1_000_000,
		Stake: []uint64{max, max, max / 2, 0}, LastUpdate: []uint64{1, 1, 1, 1}, RegisteredAt: make([]uint64, 4),
		ValidatorPermit: make([]bool, 4), Weights: make([][]yuma.Entry, 4), Bonds: make([][]yuma.Entry, 4),
	}
	r, err := yuma.Run(in)
	if err != nil {
		t.Fatal(err)
	}
	// S = [0.4, 0.4, 0.2, 0] within rounding; fallback pays by stake.
	if got, want := r.Stake[0], fixed.Ratio(2, 5); got != want {
		t.Fatalf("S_0 = %s, want %s", got, want)
	}
	if !r.Fallback || r.ValidatorEmission[0] != 399_999 && r.ValidatorEmission[0] != 400_000 || r.ValidatorEmission[3] != 0 {
		t.Fatalf("emission %v", r.ValidatorEmission)
	}
	if !r.ValidatorPermit[0] || !r.ValidatorPermit[2] || r.ValidatorPermit[3] {
		t.Fatalf("permits %v", r.ValidatorPermit)
	}
}
