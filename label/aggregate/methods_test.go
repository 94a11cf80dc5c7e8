package aggregate_test

import (
	"math"
	"strings"
	"testing"

	"emergence/label/aggregate"
)

func mustDataset(t *testing.T, rows string) *aggregate.Dataset {
	t.Helper()
	r, err := aggregate.ReadCSV(strings.NewReader("worker,item,label\n" + rows))
	if err != nil {
		t.Fatal(err)
	}
	d, err := aggregate.NewDataset(r)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestTiesGoToLowestClass: a 1-1 vote goes to the lowest class in numeric
// order ("2" before "10"), for every method.
func TestTiesGoToLowestClass(t *testing.T) {
	d := mustDataset(t, "a,x,10\nb,x,2\n")
	if got := strings.Join(d.Classes, " "); got != "2 10" {
		t.Fatalf("classes = %s, want numeric order", got)
	}
	for _, m := range append(aggregate.Methods, aggregate.MethodDSFixed) {
		r, err := aggregate.Run(d, m, aggregate.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if r.Labels[0] != 0 {
			t.Errorf("%s: tie went to class %s", m, d.Classes[r.Labels[0]])
		}
	}
}

// TestGoldPinned: gold items keep their label with posterior 1 whatever the
// votes say, and gold moves the estimate of the workers.
func TestGoldPinned(t *testing.T) {
	d := mustDataset(t, "a,x,1\nb,x,1\nc,x,0\na,y,1\nb,y,1\nc,y,0\na,z,0\nc,z,1\n")
	x, _ := d.ItemIndex("x")
	gold, ignored, err := d.GoldVector([]aggregate.Truth{{Item: "x", Label: "0"}, {Item: "nope", Label: "1"}})
	if err != nil || ignored != 1 {
		t.Fatalf("GoldVector: %v, ignored %d", err, ignored)
	}
	for _, m := range append(aggregate.Methods, aggregate.MethodDSFixed) {
		r, err := aggregate.Run(d, m, aggregate.Options{Gold: gold})
		if err != nil {
			t.Fatal(err)
		}
		if r.Labels[x] != 0 || math.Abs(r.Confidence(x)-1) > 1e-9 {
			t.Errorf("%s: gold item x = class %d with confidence %v", m, r.Labels[x], r.Confidence(x))
		}
	}
	if _, _, err := d.GoldVector([]aggregate.Truth{{Item: "x", Label: "7"}}); err == nil {
		t.Error("unknown gold class accepted")
	}
	if _, err := aggregate.DawidSkene(d, aggregate.Options{Gold: []int{0}}); err == nil {
		t.Error("short gold vector accepted")
	}
}

// TestSpammerDetected: on synthetic data with random spammers, DS finds the
// truth far better than chance, gives spammers a skill near 0 and honest
// workers a clearly positive one.
func TestSpammerDetected(t *testing.T) {
	d, truth, err := aggregate.Synthetic(aggregate.SyntheticConfig{Items: 2000, Workers: 40, Classes: 4, LabelsPerItem: 5, SpammerShare: 0.3, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []aggregate.Method{aggregate.MethodDS, aggregate.MethodDSFixed, aggregate.MethodMACE, aggregate.MethodOneCoin, aggregate.MethodGLAD} {
		r, err := aggregate.Run(d, m, aggregate.Options{Smoothing: 0.1})
		if err != nil {
			t.Fatal(err)
		}
		c := 0
		for i, l := range r.Labels {
			if l == truth[i] {
				c++
			}
		}
		mv, _ := aggregate.MajorityVote(d, aggregate.Options{})
		cmv := 0
		for i, l := range mv.Labels {
			if l == truth[i] {
				cmv++
			}
		}
		if c < cmv {
			t.Errorf("%s: %d correct, below majority vote's %d", m, c, cmv)
		}
		// Spammers answer uniformly: their answers carry no information.
		var spam, honest []float64
		for w := range d.Workers {
			agree := 0
			n := 0
			for _, l := range d.Labels {
				if int(l.Worker) == w {
					n++
					if int(l.Class) == truth[l.Item] {
						agree++
					}
				}
			}
			if float64(agree)/float64(n) < 0.4 {
				spam = append(spam, r.WorkerSkill[w])
			} else {
				honest = append(honest, r.WorkerSkill[w])
			}
		}
		if len(spam) == 0 || len(honest) == 0 {
			t.Fatalf("synthetic data has %d spammers and %d honest workers", len(spam), len(honest))
		}
		for _, s := range spam {
			if math.Abs(s) > 0.15 {
				t.Errorf("%s: spammer skill %.3f, want near 0", m, s)
			}
		}
		for _, s := range honest {
			if s < 0.2 {
				t.Errorf("%s: honest skill %.3f, want > 0.2", m, s)
			}
		}
	}
}

func TestBadOptions(t *testing.T) {
	d := mustDataset(t, "a,x,1\nb,x,0\n")
	if _, err := aggregate.Run(d, "nope", aggregate.Options{}); err == nil {
		t.Error("unknown method accepted")
	}
	if _, err := aggregate.DawidSkene(d, aggregate.Options{Smoothing: -1}); err == nil {
		t.Error("negative smoothing accepted")
	}
	if _, err := aggregate.NewDataset(nil); err == nil {
		t.Error("empty dataset accepted")
	}
}

// TestDeterministic: two runs give the same bits.
func TestDeterministic(t *testing.T) {
	d, _ := loadCrowd(t, crowdSets[5])
	for _, m := range append(aggregate.Methods, aggregate.MethodDSFixed) {
		a, _ := aggregate.Run(d, m, aggregate.Options{})
		b, _ := aggregate.Run(d, m, aggregate.Options{})
		for n := range a.Post {
			if a.Post[n] != b.Post[n] {
				t.Fatalf("%s: posterior %d differs between runs", m, n)
			}
		}
	}
}

// TestRepeatsKeptOrDeduplicated: by default a worker's repeated label counts
// twice (crowd-kit); Dedup keeps only the last one.
func TestRepeatsKeptOrDeduplicated(t *testing.T) {
	rows, err := aggregate.ReadCSV(strings.NewReader("worker,item,label\na,x,0\na,x,1\na,x,1\nb,x,0\nc,x,0\nc,y,1\n"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := aggregate.NewDataset(rows)
	if err != nil {
		t.Fatal(err)
	}
	mv, _ := aggregate.MajorityVote(d, aggregate.Options{})
	if len(d.Labels) != 6 || mv.Labels[0] != 0 || math.Abs(mv.Confidence(0)-0.6) > 1e-12 {
		t.Fatalf("kept: %d labels, x = %d (%.2f), want 6 and class 0 with 3 of 5 votes", len(d.Labels), mv.Labels[0], mv.Confidence(0))
	}
	kept, dropped := aggregate.Dedup(rows)
	if dropped != 2 || len(kept) != 4 || kept[0].Label != "1" || kept[0].Line != 4 {
		t.Fatalf("dedup kept %+v, dropped %d", kept, dropped)
	}
	d, err = aggregate.NewDataset(kept)
	if err != nil {
		t.Fatal(err)
	}
	mv, _ = aggregate.MajorityVote(d, aggregate.Options{})
	if mv.Labels[0] != 0 || mv.Confidence(0) < 0.66 || mv.Confidence(0) > 0.67 {
		t.Fatalf("dedup: x = %d (%.2f), want class 0 with 2 of 3 votes", mv.Labels[0], mv.Confidence(0))
	}
}
