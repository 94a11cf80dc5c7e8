package aggregate_test

import (
	"testing"

	"emergence/label/aggregate"
)

// TestAccuracyAgainstPublished checks DS (100-iteration cap, default
// tolerance) against the crowd.md §2.3 DS-100 column on every shared dataset,
// and the best of our methods against the best figure of the row.
func TestAccuracyAgainstPublished(t *testing.T) {
	const half = 0.00005 // the published figures are rounded to 4 decimals
	for _, s := range crowdSets {
		t.Run(s.name, func(t *testing.T) {
			d, truth := loadCrowd(t, s)
			best, bestMethod := 0.0, aggregate.Method("")
			for _, m := range aggregate.Methods {
				o := aggregate.Options{}
				if m == aggregate.MethodDS {
					o.MaxIter = 100 // the §2.3 column: DS with 100 iterations at most
				}
				r, err := aggregate.Run(d, m, o)
				if err != nil {
					t.Fatal(err)
				}
				c, n := d.Accuracy(r.Labels, truth)
				if n != len(d.Items) && s.name != "web" {
					t.Errorf("%s: %d evaluable items, want %d", m, n, len(d.Items))
				}
				acc := float64(c) / float64(n)
				t.Logf("%-8s %.4f (%d/%d) iterations %d", m, acc, c, n, r.Iterations)
				if m == aggregate.MethodDS && acc < s.ds100-half {
					t.Errorf("ds accuracy %.4f < crowd.md §2.3 DS-100 %.4f", acc, s.ds100)
				}
				if acc > best {
					best, bestMethod = acc, m
				}
			}
			if best < s.best-half {
				t.Errorf("best method %s %.4f < best reference %.4f", bestMethod, best, s.best)
			}
		})
	}
}
