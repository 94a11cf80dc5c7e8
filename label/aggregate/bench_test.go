package aggregate_test

import (
	"sync"
	"testing"

	"emergence/label/aggregate"
	"emergence/label/aggregate/fixedds"
)

// The speed target: DS on 1,000,000 labels (100,000 items, 2,000
// workers, 5 classes) in at most 1 s on one core.
var (
	bigOnce  sync.Once
	bigData  *aggregate.Dataset
	bigTruth []int
)

func bigSet(b *testing.B) (*aggregate.Dataset, []int) {
	bigOnce.Do(func() {
		var err error
		bigData, bigTruth, err = aggregate.Synthetic(aggregate.SyntheticConfig{
			Items: 100_000, Workers: 2_000, Classes: 5, LabelsPerItem: 10,
			SpammerShare: 0.2, Seed: 1,
		})
		if err != nil {
			b.Fatal(err)
		}
	})
	return bigData, bigTruth
}

func accuracyOf(labels []int, truth []int) float64 {
	c := 0
	for i, l := range labels {
		if l == truth[i] {
			c++
		}
	}
	return float64(c) / float64(len(truth))
}

func BenchmarkDawidSkene1M(b *testing.B) {
	d, truth := bigSet(b)
	b.ResetTimer()
	var r *aggregate.Result
	for i := 0; i < b.N; i++ {
		var err error
		if r, err = aggregate.DawidSkene(d, aggregate.Options{MaxIter: 100}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(d.Labels)), "labels")
	b.ReportMetric(float64(r.Iterations), "iterations")
	b.ReportMetric(accuracyOf(r.Labels, truth), "accuracy")
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/run")
}

func BenchmarkDawidSkeneFixed1M(b *testing.B) {
	d, truth := bigSet(b)
	in := d.FixedInput(nil)
	b.ResetTimer()
	var r *fixedds.Result
	for i := 0; i < b.N; i++ {
		var err error
		if r, err = fixedds.DawidSkene(in, fixedds.Params{MaxIter: 100}); err != nil {
			b.Fatal(err)
		}
	}
	labels := make([]int, len(r.Labels))
	for i, l := range r.Labels {
		labels[i] = int(l)
	}
	b.ReportMetric(float64(len(in.Labels)), "labels")
	b.ReportMetric(float64(r.Iterations), "iterations")
	b.ReportMetric(accuracyOf(labels, truth), "accuracy")
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/run")
}

// BenchmarkSettlementFixed is a settlement-sized job: 10,000 items × 5 labels,
// with 5% gold, smoothing 0.1, integer DS (the target is 500 ms per block).
func BenchmarkSettlementFixed(b *testing.B) {
	d, truth, err := aggregate.Synthetic(aggregate.SyntheticConfig{
		Items: 10_000, Workers: 200, Classes: 5, LabelsPerItem: 5, SpammerShare: 0.3, Seed: 2,
	})
	if err != nil {
		b.Fatal(err)
	}
	gold := make([]int, len(truth))
	for i := range gold {
		gold[i] = aggregate.NoGold
		if i%20 == 0 {
			gold[i] = truth[i]
		}
	}
	in := d.FixedInput(gold)
	p := aggregate.Options{Smoothing: 0.1, MaxIter: 100}.FixedParams()
	b.ResetTimer()
	var r *fixedds.Result
	for i := 0; i < b.N; i++ {
		if r, err = fixedds.DawidSkene(in, p); err != nil {
			b.Fatal(err)
		}
	}
	labels := make([]int, len(r.Labels))
	for i, l := range r.Labels {
		labels[i] = int(l)
	}
	b.ReportMetric(float64(r.Iterations), "iterations")
	b.ReportMetric(accuracyOf(labels, truth), "accuracy")
	b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/run")
}

// BenchmarkMethodsWeb runs every method on the largest shared set.
func BenchmarkMethodsWeb(b *testing.B) {
	d, truth := loadCrowd(b, crowdSets[6])
	for _, m := range aggregate.Methods {
		b.Run(string(m), func(b *testing.B) {
			var r *aggregate.Result
			for i := 0; i < b.N; i++ {
				var err error
				if r, err = aggregate.Run(d, m, aggregate.Options{}); err != nil {
					b.Fatal(err)
				}
			}
			c, n := d.Accuracy(r.Labels, truth)
			b.ReportMetric(float64(c)/float64(n), "accuracy")
		})
	}
}
