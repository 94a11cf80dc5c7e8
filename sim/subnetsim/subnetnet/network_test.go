package subnetnet_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"emergence/sim/subnetsim"
	"emergence/sim/subnetsim/subnetnet"
	"emergence/zkml/model"
)

func trained(t *testing.T) (*model.Model, *model.Dataset) {
	t.Helper()
	d, err := model.ReadCSVFile(filepath.Join("..", "..", "..", "dataset", "digits.csv.gz"), 16)
	if err != nil {
		t.Fatal(err)
	}
	train, test := d.Split(0.8, 1)
	f, err := model.Train(train, []int{d.Features, 16, d.Classes}, model.TrainConfig{Epochs: 8, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	salt, err := model.NewSalt()
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.Quantize(f, model.QuantConfig{}, salt)
	if err != nil {
		t.Fatal(err)
	}
	return m, test
}

// TestAttacks runs the full cast on a real node and checks the issue's
// expectations: miners rank by quality, the random miner earns about
// nothing, and the weight copier earns at most half of what an honest
// validator of equal stake earns.
func TestAttacks(t *testing.T) {
	m, test := trained(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := subnetnet.RunNetwork(ctx, subnetsim.Config{
		Model: m, Data: test, Epochs: 12, Tempo: 10, Rotate: 4,
	}, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range rep.Agents {
		t.Logf("%-13s %-9s total %d", a.Name, a.Role, rep.Totals[i])
	}
	if len(rep.Epochs) < 12 {
		t.Fatalf("%d epochs reported", len(rep.Epochs))
	}
	a, b, c, r := rep.Total("miner-a"), rep.Total("miner-b"), rep.Total("miner-c"), rep.Total("miner-random")
	if !(min(a, b) > c && c > r) {
		t.Fatalf("miners do not rank by quality: a %d b %d c %d random %d", a, b, c, r)
	}
	if r*50 > (a+b)/2 {
		t.Fatalf("random miner earned %d, more than 2%% of an honest miner's %d", r, (a+b)/2)
	}
	// Issue 17.12: with the reveal delay of DefaultRevealPeriod epochs,
	// copying revealed weights earns at most half of evaluating.
	if hon, cop := rep.Total("val-honest"), rep.Total("val-copier"); hon == 0 || 2*cop > hon {
		t.Fatalf("copier earned %d, more than half of the honest validator's %d (equal stake)", cop, hon)
	}
}
