package fixedds

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"testing"
)

// synth builds a small deterministic job: 300 items, 12 workers (3 random
// spammers), 3 classes, 5 labels per item.
func synth() (Input, []int32) {
	const I, W, K, R = 300, 12, 3, 5
	g := uint64(42)
	next := func() uint64 {
		g = g*6364136223846793005 + 1442695040888963407
		return g >> 33
	}
	in := Input{Workers: W, Items: I, Classes: K}
	truth := make([]int32, I)
	for i := 0; i < I; i++ {
		truth[i] = int32(next() % K)
		for r := 0; r < R; r++ {
			w := int32((i + r*3) % W)
			c := truth[i]
			switch {
			case w < 3: // spammer
				c = int32(next() % K)
			case next()%100 >= 80: // 80% accurate
				c = (c + 1 + int32(next()%2)) % K
			}
			in.Labels = append(in.Labels, Label{Worker: w, Item: int32(i), Class: c})
		}
	}
	return in, truth
}

func TestDawidSkeneSynthetic(t *testing.T) {
	in, truth := synth()
	r, err := DawidSkene(in, Params{Smoothing: One / 10})
	if err != nil {
		t.Fatal(err)
	}
	correct := 0
	for i, l := range r.Labels {
		if l == truth[i] {
			correct++
		}
	}
	if correct < 280 {
		t.Errorf("%d/300 correct", correct)
	}
	for w := 0; w < 3; w++ {
		if s := r.WorkerSkill[w]; s > One/8 || s < -One/8 {
			t.Errorf("spammer %d skill %d/2^32, want near 0", w, s)
		}
	}
	for w := 3; w < 12; w++ {
		if s := r.WorkerSkill[w]; s < One/2 {
			t.Errorf("honest worker %d skill %d/2^32, want > 0.5", w, s)
		}
	}
	for i := 0; i < in.Items; i++ {
		var sum int64
		for _, v := range r.Post[i*3 : i*3+3] {
			sum += v
		}
		if sum > One || sum < One-8 {
			t.Fatalf("item %d posteriors sum to %d, want One-8..One", i, sum)
		}
	}
}

// TestDawidSkeneGolden pins the exact output bits, so a change of arithmetic
// (or an architecture that computes differently) fails here before it forks
// a chain.
func TestDawidSkeneGolden(t *testing.T) {
	in, truth := synth()
	in.Gold = make([]int32, in.Items)
	for i := range in.Gold {
		in.Gold[i] = NoGold
		if i%10 == 0 {
			in.Gold[i] = truth[i]
		}
	}
	r, err := DawidSkene(in, Params{Smoothing: One / 10})
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	for _, xs := range [][]int64{r.Post, r.Priors, r.Confusion, r.WorkerQuality, r.WorkerSkill, {r.LogLikelihood, int64(r.Iterations)}} {
		for _, x := range xs {
			_ = binary.Write(h, binary.BigEndian, x)
		}
	}
	got := hex.EncodeToString(h.Sum(nil))
	const want = "4d09e116a32fe6bac5280350437acccd77c2c09852df3aeb846282e69bb7c39b"
	if got != want {
		t.Fatalf("output digest %s, want %s", got, want)
	}
}

func TestDawidSkeneBadInput(t *testing.T) {
	good, _ := synth()
	cases := []struct {
		name string
		mod  func(*Input)
	}{
		{"no labels", func(in *Input) { in.Labels = nil }},
		{"one class", func(in *Input) { in.Classes = 1 }},
		{"class out of range", func(in *Input) { in.Labels[3].Class = 3 }},
		{"worker out of range", func(in *Input) { in.Labels[0].Worker = -1 }},
		{"item out of range", func(in *Input) { in.Labels[0].Item = 300 }},
		{"short gold", func(in *Input) { in.Gold = []int32{0} }},
		{"gold out of range", func(in *Input) { in.Gold = make([]int32, in.Items); in.Gold[5] = 9 }},
		{"no items", func(in *Input) { in.Items = 0 }},
	}
	for _, c := range cases {
		in := good
		in.Labels = append([]Label(nil), good.Labels...)
		c.mod(&in)
		if _, err := DawidSkene(in, Params{}); !errors.Is(err, ErrInput) {
			t.Errorf("%s: err = %v, want ErrInput", c.name, err)
		}
	}
	if _, err := DawidSkene(good, Params{Smoothing: -1}); !errors.Is(err, ErrInput) {
		t.Errorf("negative smoothing: err = %v", err)
	}
}
