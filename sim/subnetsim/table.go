package subnetsim

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"emergence/bank"
)

// WriteTable writes the report as the table "emergence sim subnet" prints:
// earnings per agent and epoch in EMG, the agents, and the weak miners' and
// the copying and stale validators' earnings as shares of the honest ones'.
func (r *Report) WriteTable(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := []string{"epoch"}
	for _, a := range r.Agents {
		head = append(head, a.Name)
	}
	fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
	emg := func(u uint64) string { return strings.TrimSuffix(bank.FormatAmount(u), "emg") }
	for _, e := range r.Epochs {
		row := []string{fmt.Sprint(e.Epoch)}
		for _, x := range e.Earnings {
			row = append(row, emg(x))
		}
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	row := []string{"total"}
	for _, x := range r.Totals {
		row = append(row, emg(x))
	}
	fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	tw.Flush()
	fmt.Fprintln(w, "\n(earnings in EMG per epoch)")
	for _, a := range r.Agents {
		fmt.Fprintf(w, "  %-13s %-9s uid %-2d %s\n", a.Name, a.Role, a.UID, a.Kind)
	}
	fmt.Fprintln(w)
	pct := func(a, b uint64) string {
		if b == 0 {
			return "n/a"
		}
		return fmt.Sprintf("%.1f%%", 100*float64(a)/float64(b))
	}
	has := func(names ...string) bool {
		for _, n := range names {
			if !slices.ContainsFunc(r.Agents, func(a Agent) bool { return a.Name == n }) {
				return false
			}
		}
		return true
	}
	// The default cast's comparisons (package sim/scenario compares any
	// cast by strategy).
	if has("miner-a", "miner-b", "miner-c", "miner-random") {
		honestMiner := (r.Total("miner-a") + r.Total("miner-b")) / 2
		fmt.Fprintf(w, "miner-c earned %s and miner-random %s of an honest miner's average\n",
			pct(r.Total("miner-c"), honestMiner), pct(r.Total("miner-random"), honestMiner))
	}
	if has("val-honest", "val-copier", "val-stale") {
		fmt.Fprintf(w, "val-copier earned %s and val-stale %s of val-honest (equal stakes; reveal delay %d epochs)\n",
			pct(r.Total("val-copier"), r.Total("val-honest")), pct(r.Total("val-stale"), r.Total("val-honest")), r.RevealPeriod)
	}
}
