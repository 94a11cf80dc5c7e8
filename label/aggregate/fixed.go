package aggregate

import (
	"math"

	"emergence/label/aggregate/fixedds"
)

// MethodDSFixed is the chain's integer Dawid–Skene (package fixedds), run on
// the same data so the offline tool can show what settlement will compute.
const MethodDSFixed Method = "ds-fixed"

// FixedInput converts the dataset and a gold vector (nil for none) to the
// integer DS input.
func (d *Dataset) FixedInput(gold []int) fixedds.Input {
	in := fixedds.Input{Workers: len(d.Workers), Items: len(d.Items), Classes: len(d.Classes)}
	in.Labels = make([]fixedds.Label, len(d.Labels))
	for n, l := range d.Labels {
		in.Labels[n] = fixedds.Label{Worker: l.Worker, Item: l.Item, Class: l.Class}
	}
	if gold != nil {
		in.Gold = make([]int32, len(gold))
		for i, g := range gold {
			in.Gold[i] = int32(g)
		}
	}
	return in
}

// FixedParams converts float options to the integer DS parameters: Tol from
// nats per label to Q32 bits per label, Smoothing to Q32.
func (o Options) FixedParams() fixedds.Params {
	p := fixedds.Params{MaxIter: o.MaxIter}
	if o.Tol > 0 {
		p.Tol = int64(math.Round(o.Tol * math.Log2E * float64(fixedds.One)))
		if p.Tol < 1 {
			p.Tol = 1
		}
	}
	p.Smoothing = int64(math.Round(o.Smoothing * float64(fixedds.One)))
	return p
}

// DawidSkeneFixed runs the integer DS and converts its result to a Result.
func DawidSkeneFixed(d *Dataset, o Options) (*Result, error) {
	if err := o.check(d); err != nil {
		return nil, err
	}
	fr, err := fixedds.DawidSkene(d.FixedInput(o.Gold), o.FixedParams())
	if err != nil {
		return nil, err
	}
	one := float64(fixedds.One)
	r := &Result{Method: MethodDSFixed, K: fr.K, Iterations: fr.Iterations, Converged: fr.Converged,
		LogLikelihood: float64(fr.LogLikelihood) / one * math.Ln2}
	r.Post = toFloat(fr.Post)
	r.Priors = toFloat(fr.Priors)
	r.Confusion = toFloat(fr.Confusion)
	r.WorkerQuality = toFloat(fr.WorkerQuality)
	r.WorkerSkill = toFloat(fr.WorkerSkill)
	r.Labels = make([]int, len(fr.Labels))
	for i, l := range fr.Labels {
		r.Labels[i] = int(l)
	}
	return r, nil
}

func toFloat(q []int64) []float64 {
	out := make([]float64, len(q))
	for i, v := range q {
		out[i] = float64(v) / float64(fixedds.One)
	}
	return out
}
