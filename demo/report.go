package demo

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// finish fills the report's participants and chain figures.
func (r *runner) finish(ctx context.Context) {
	r.rep.Seconds = time.Since(r.start).Seconds()
	if r.c == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var mg metagraph
	if r.hasSubnet {
		r.query(ctx, "subnet", fmt.Sprintf("metagraph/%d", r.netuid), &mg)
	}
	for _, name := range r.order {
		a := r.addr[name]
		bal, err := r.balance(ctx, name)
		if err != nil {
			continue
		}
		held := int64(0)
		var st struct {
			Stake uint64 `json:"stake"`
		}
		for _, q := range []struct{ module, path string }{{"data", "crawler/"}, {"label", "labeler/"}, {"compute", "provider/"}} {
			st.Stake = 0
			if r.query(ctx, q.module, q.path+a, &st) == nil {
				held += int64(st.Stake)
			}
		}
		if n := mg.neuron(a); n != nil {
			held += int64(n.Stake)
		}
		p := Participant{Name: name, Role: r.roles[name], Address: a, Before: r.before[name], After: bal + held, Note: r.notes[name]}
		p.Net = p.After - p.Before
		r.rep.Participants = append(r.rep.Participants, p)
	}
	h := r.height(ctx)
	r.rep.Height = h
	txs := make([]int, h+1)
	for i := int64(1); i <= h; i++ {
		b, err := r.c.Block(ctx, i)
		if err != nil {
			break
		}
		txs[i] = b.NumTxs
		r.rep.Txs += b.NumTxs
	}
	for i := range r.rep.Steps {
		s := &r.rep.Steps[i]
		for k := s.From + 1; k <= s.To && k <= h; k++ {
			s.Txs += txs[k]
		}
	}
}

// emg formats uemg as EMG with six decimals and a sign.
func emg(u int64) string {
	sign := "+"
	if u < 0 {
		sign, u = "-", -u
	}
	return fmt.Sprintf("%s%d.%06d", sign, u/1_000_000, u%1_000_000)
}

// Print writes the report as text.
func (rep *Report) Print(w io.Writer) {
	fmt.Fprintf(w, "\nsteps\n")
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  step\tdone\tseconds\tblocks\ttxs\n")
	for _, s := range rep.Steps {
		fmt.Fprintf(tw, "  %s\t%v\t%.1f\t%d-%d\t%d\n", s.Name, s.Done, s.Seconds, s.From, s.To, s.Txs)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nparticipants (EMG; net = balance and stake at the end - balance once funded)\n")
	tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  name\trole\tnet EMG\tnote\n")
	for _, p := range rep.Participants {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", p.Name, p.Role, emg(p.Net), p.Note)
	}
	tw.Flush()
	m := rep.Model
	if m.Attestation != 0 {
		fmt.Fprintf(w, "\nmodel %s (%s, trained by compute job %d)\n", m.Commitment, m.Arch, m.TrainJob)
		fmt.Fprintf(w, "  proven accuracy %d/%d on held-out exam %d %q (attestation %d)\n", m.Claim, m.N, m.Exam, m.ExamName, m.Attestation)
		fmt.Fprintf(w, "  provenance: dataset %d <- crawl; label job %d over it; training job %d; served on subnet %d\n", m.Dataset, m.LabelJob, m.TrainJob, m.NetUID)
		if m.TamperedRefused != "" {
			fmt.Fprintf(w, "  a tampered link was refused: %s\n", m.TamperedRefused)
		}
		fmt.Fprintf(w, "  emergence query provenance model %s --node %s\n", m.Commitment, rep.API)
	}
	if rep.Sybils.Tried > 0 {
		fmt.Fprintf(w, "\nsybil farm: %d of %d accounts refused (%s)\n", rep.Sybils.Refused, rep.Sybils.Tried, rep.Sybils.Reason)
	}
	if rep.UBIClaims > 0 {
		fmt.Fprintf(w, "UBI: %d claims\n", rep.UBIClaims)
	}
	fmt.Fprintf(w, "\nchain: height %d, %d txs, %.1f s in all\n", rep.Height, rep.Txs, rep.Seconds)
}
