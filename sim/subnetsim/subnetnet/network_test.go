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
	// Issue 17.12: with the chain's default reveal delay and its copy
	// check, copying revealed weights earns at most half of evaluating,
	// over the run and in its second half (past the copier's start-up).
	hon, cop := rep.Total("val-honest"), rep.Total("val-copier")
	if hon == 0 || 2*cop > hon {
		t.Fatalf("copier earned %d, more than half of the honest validator's %d (equal stake)", cop, hon)
	}
	var hon2, cop2 uint64
	hi, ci := agentIndex(rep, "val-honest"), agentIndex(rep, "val-copier")
	for _, e := range rep.Epochs[len(rep.Epochs)/2:] {
		hon2 += e.Earnings[hi]
		cop2 += e.Earnings[ci]
	}
	t.Logf("copier / honest: %d%% over %d epochs, %d%% over the last %d", 100*cop/hon, len(rep.Epochs), 100*cop2/max(hon2, 1), len(rep.Epochs)-len(rep.Epochs)/2)
	if hon2 == 0 || 2*cop2 > hon2 {
		t.Fatalf("in the second half the copier earned %d, more than half of the honest validator's %d", cop2, hon2)
	}
}

func agentIndex(rep *subnetsim.Report, name string) int {
	for i, a := range rep.Agents {
		if a.Name == name {
			return i
		}
	}
	return -1
}
