package aggregate_test

import (
	"bytes"
	"testing"

	"emergence/label/aggregate"
)

// FuzzReadLabels feeds arbitrary bytes to every loader: none may panic, and
// whatever a loader accepts must build a dataset that DS can aggregate.
func FuzzReadLabels(f *testing.F) {
	for _, s := range []string{
		"worker,item,label\nw1,i1,a\nw2,i1,b\n",
		"question\tworker\tanswer\nq\tw\t1\n",
		"1,,2\n,2,2\n",
		"39: {11573: true, 11574: false}\n",
		"{1: true, 2: false}\n",
		"w1\thttp://a\tG\n",
		"worker,item,label\n\"w1,i1,a\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		f, err := aggregate.DetectFormat("in", data)
		formats := aggregate.Formats
		if err == nil {
			formats = []aggregate.Format{f}
		}
		for _, f := range formats {
			rows, err := aggregate.ReadLabels(bytes.NewReader(data), f)
			if err != nil {
				continue
			}
			d, err := aggregate.NewDataset(rows)
			if err != nil {
				continue
			}
			if _, err := aggregate.DawidSkene(d, aggregate.Options{MaxIter: 3}); err != nil {
				t.Fatalf("%s: DS on accepted input: %v", f, err)
			}
			_, _ = aggregate.ReadTruthFormat(bytes.NewReader(data), f)
		}
	})
}
