package subnetsim

import (
	"strings"
	"testing"
)

func TestWriteTable(t *testing.T) {
	names := []string{"miner-a", "miner-b", "miner-c", "miner-random", "val-honest", "val-copier", "val-stale"}
	r := &Report{RevealPeriod: 2, Epochs: []Epoch{{Epoch: 1, Earnings: make([]uint64, len(names))}}}
	totals := []uint64{4_000_000, 2_000_000, 1_500_000, 0, 10_000_000, 5_000_000, 0}
	for i, n := range names {
		r.Agents = append(r.Agents, Agent{Name: n, Role: "miner", UID: uint16(i)})
		r.Epochs[0].Earnings[i] = totals[i]
	}
	r.Totals = totals
	var b strings.Builder
	r.WriteTable(&b)
	out := b.String()
	for _, want := range []string{
		"miner-c earned 50.0% and miner-random 0.0% of an honest miner's average\n",
		"val-copier earned 50.0% and val-stale 0.0% of val-honest (equal stakes; reveal delay 2 epochs)\n",
		"(earnings in EMG per epoch)",
		"  miner-a       miner     uid 0  \n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if lines := strings.Split(out, "\n"); !strings.HasPrefix(strings.TrimSpace(lines[2]), "total") || !strings.Contains(lines[2], "4") {
		t.Errorf("third line %q, want the totals", lines[2])
	}
}
