package label

import (
	"encoding/binary"
	"fmt"
	"math"

	"emergence/app"
	"emergence/label/aggregate/fixedds"
)

// Settling by sweeps. A job settling in parts stores its runs' posteriors
// between parts (part.go), and each part runs whole iterations. The
// issue-17 job, 249k labels over 64 classes, fits neither: one iteration
// is more work than a part holds and its posteriors (items × classes) more
// state than a part can write. Such a job is created with Sweep set, and
// its parts run fixedds.Sweeper passes over item ranges instead: between
// parts the state holds the model the current pass uses and the integer
// sums it has added so far (each workers × classes² + classes values), or
// in the final pass each item's label and posterior and the workers'
// statistics. A part reads them, sweeps as many items as its budget
// allows, and writes the sums back; the model is written once per
// iteration. Because the sums are exact integers, the results equal those
// of settling the same job at once, bit for bit.

// Gas of settling by sweeps, besides the label, assignment and storage gas
// every settlement pays.
const (
	// GasPerStateValueRead and GasPerStateValueWrite are charged for each
	// value (a varint of at most 10 bytes) of sweep state a part decodes
	// or encodes and writes (the block's write set hashes it). The state
	// lives only until the job settles or expires.
	GasPerStateValueRead  = 1
	GasPerStateValueWrite = 2
)

// Sweep passes.
const (
	passVote  = 0 // majority vote, summed into the first M-step's input
	passE     = 1 // an E-step under the stored model
	passFinal = 2 // the last model's posteriors: labels and statistics
)

// sweepState is the header one sweep part leaves for the next, at
// settleKey; the model and the sums are under their own keys.
type sweepState struct {
	Phase      byte // phaseFree or phasePinned
	Overturned []uint32
	GoldWrong  bool
	Pass       byte
	Iter       uint32 // E-step passes completed in this run
	Converged  bool
	PrevLL     int64  // the last completed E-step pass's log-likelihood
	Next       uint32 // next item of the pass; its sums cover items before it
	LL         int64  // the current E-step pass's log-likelihood so far
}

const sweepStateVersion = 2

func sweepModelKey(job uint64) []byte { return append(settleKey(job), "/m"...) }
func sweepSumsKey(job uint64) []byte  { return append(settleKey(job), "/s"...) }

func (s *sweepState) encode() []byte {
	b := []byte{sweepStateVersion, s.Phase, boolByte(s.GoldWrong), s.Pass, boolByte(s.Converged)}
	b = binary.AppendUvarint(b, uint64(len(s.Overturned)))
	for _, it := range s.Overturned {
		b = binary.AppendUvarint(b, uint64(it))
	}
	b = binary.AppendUvarint(b, uint64(s.Iter))
	b = binary.AppendVarint(b, s.PrevLL)
	b = binary.AppendUvarint(b, uint64(s.Next))
	return binary.AppendVarint(b, s.LL)
}

// maxSweepHeader bounds the encoded header of a job with gold gold items.
func maxSweepHeader(gold uint64) uint64 { return 64 + 5*gold }

func decodeSweepState(b []byte, items uint64, maxIter uint32) (*sweepState, error) {
	r := &byteReader{b: b}
	if r.byte() != sweepStateVersion {
		return nil, fmt.Errorf("%w: unknown sweep version", errBadState)
	}
	s := &sweepState{Phase: r.byte(), GoldWrong: r.flag(), Pass: r.byte(), Converged: r.flag()}
	n := r.uvarint()
	if n > items {
		return nil, fmt.Errorf("%w: %d overturned gold items in a %d-item job", errBadState, n, items)
	}
	for i := uint64(0); i < n && r.err == nil; i++ {
		it := r.uvarint()
		if it >= items {
			r.fail()
		}
		s.Overturned = append(s.Overturned, uint32(it))
	}
	iter, prev, next := r.uvarint(), r.varint(), r.uvarint()
	s.LL = r.varint()
	switch {
	case r.err != nil:
		return nil, r.err
	case len(r.b) != 0:
		return nil, fmt.Errorf("%w: %d trailing bytes", errBadState, len(r.b))
	case s.Phase != phaseFree && s.Phase != phasePinned, s.Pass > passFinal:
		return nil, fmt.Errorf("%w: phase %d, pass %d", errBadState, s.Phase, s.Pass)
	case iter > uint64(maxIter), next > items:
		return nil, fmt.Errorf("%w: iteration %d, next item %d", errBadState, iter, next)
	}
	s.Iter, s.PrevLL, s.Next = uint32(iter), prev, uint32(next)
	return s, nil
}

// encodeValues appends vs as zigzag varints.
func encodeValues(b []byte, vs ...[]int64) []byte {
	for _, v := range vs {
		for _, x := range v {
			b = binary.AppendVarint(b, x)
		}
	}
	return b
}

// decodeValues fills vs from zigzag varints, all of b, each value within
// [lo, hi].
func decodeValues(b []byte, lo, hi int64, vs ...[]int64) error {
	r := &byteReader{b: b}
	for _, v := range vs {
		for i := range v {
			x := r.varint()
			if x < lo || x > hi {
				r.fail()
			}
			v[i] = x
		}
	}
	if r.err == nil && len(r.b) != 0 {
		return fmt.Errorf("%w: %d trailing bytes", errBadState, len(r.b))
	}
	return r.err
}

// sweepCosts are the gas bounds of a job settling by sweeps, at its
// largest shape.
type sweepCosts struct {
	read, setup, header, model, sums, final, mstep, item, pay uint64
}

func costsOfSweep(items, labels, assignments, classes, gold, perItem uint64) sweepCosts {
	cells := assignments*classes*classes + classes
	return sweepCosts{
		read:   labels*GasPerLabel + assignments*GasPerAssignmentRead,
		setup:  (labels + items) * GasPerWork,
		header: maxSweepHeader(gold) * GasPerStateByte,
		model:  cells,
		sums:   max(cells, 2*items+assignments*(classes+1)),
		final:  2*items + assignments*(classes+1),
		mstep:  (3*assignments*classes*classes + classes) * GasPerWork,
		item:   sweepItemWork(perItem, 1, classes, true) * GasPerWork,
		pay:    assignments*GasPerAssignment + items*GasPerResultItem + settleStorage(items, assignments, classes),
	}
}

// sweepItemWork is the work of sweeping items items with labels labels:
// the E-step's sums and the M-step's additions (classes per label), the
// normalisation (2 classes per item); the final pass adds the workers'
// statistics (classes per label).
func sweepItemWork(labels, items, classes uint64, final bool) uint64 {
	w := labels*classes + 2*items*classes
	if final {
		w += labels * classes
	}
	return w
}

// largestPart is the most gas one sweep part can need before its budget
// check lets it stop: input, state read and written back, a set-up for each
// of two runs, an M-step and one item; or, the part that pays, input, the
// final sums and the payments.
func (c sweepCosts) largestPart() uint64 {
	rw := uint64(GasPerStateValueRead + GasPerStateValueWrite)
	progress := c.read + 2*c.setup + 2*c.header + c.model*rw + c.sums*rw + c.mstep + c.item
	pay := c.read + c.setup + 2*c.header + c.final*GasPerStateValueRead + c.pay
	return max(progress, pay)
}

// settleSweep does one part of settling job j by sweeps (see Job.Sweep).
func (m *Module) settleSweep(ctx *app.Context, j *Job, p Params) error {
	items, classes := uint64(j.Items), uint64(len(j.Classes))
	pm, st, si, err := beginPart(m, ctx, j, p, &sweepState{Phase: phaseFree}, func(b []byte) (*sweepState, error) {
		return decodeSweepState(b, items, j.Iterations)
	})
	if err != nil {
		return err
	}
	charge := pm.charge
	key, modelKey, sumsKey := settleKey(j.ID), sweepModelKey(j.ID), sweepSumsKey(j.ID)
	if si.in.Workers == 0 {
		// Nobody revealed: nothing to aggregate, the gold stands unchecked.
		if err := charge(uint64(j.Assignments)*GasPerAssignment+items*GasPerResultItem, "settlement"); err != nil {
			return err
		}
		m.dropSweep(ctx, j.ID)
		return m.finishSettle(ctx, j, p, si, nil, si.goldOnly(int(items)), nil, false)
	}
	if st.Phase == phaseFree && len(si.gold) == 0 {
		st.Phase = phasePinned
	}
	dsp := fixedds.Params{MaxIter: int(j.Iterations), Smoothing: int64(p.SmoothingMilli) * fixedds.One / 1000}
	var sw *fixedds.Sweeper
	start := func() error {
		in := si.in
		if st.Phase == phasePinned && len(si.gold) > 0 {
			in.Gold = si.survivingGold(int(items), st.Overturned)
		}
		if err := charge((uint64(len(in.Labels))+items)*GasPerWork, "dawid-skene set-up"); err != nil {
			return err
		}
		var err error
		if sw, err = fixedds.NewSweeper(in, dsp); err != nil {
			return fmt.Errorf("settle job %d: %w", j.ID, err)
		}
		return nil
	}
	if err := start(); err != nil {
		return err
	}
	W, K := uint64(si.in.Workers), classes
	modelValues := W*K*K + K
	sumsValues := modelValues
	finalValues := 2*items + W*(K+1)
	corrupt := func(err error) error { return fmt.Errorf("label: corrupt state: job %d: %w", j.ID, err) }

	// Read the state: the model of an E-step or final pass, the sums of a
	// pass under way.
	var model *fixedds.Model
	if st.Pass != passVote {
		b := ctx.KV.Get(modelKey)
		if err := charge(modelValues*GasPerStateValueRead, "settlement model"); err != nil {
			return err
		}
		model = &fixedds.Model{LogE: make([]int64, W*K*K), LogPrior: make([]int64, K)}
		if err := decodeValues(b, -1<<50, 1<<50, model.LogE, model.LogPrior); err != nil {
			return corrupt(err)
		}
	}
	sums, final := sw.NewSums(), (*fixedds.Final)(nil)
	if st.Pass == passFinal {
		final = sw.NewFinal()
	}
	if st.Next > 0 {
		b := ctx.KV.Get(sumsKey)
		if st.Pass == passFinal {
			if err := charge(finalValues*GasPerStateValueRead, "settlement sums"); err != nil {
				return err
			}
			labels := make([]int64, items)
			if err := decodeValues(b, 0, math.MaxInt64, labels, final.Best, final.Quality, final.Mass); err != nil {
				return corrupt(err)
			}
			for i, l := range labels {
				if l >= int64(K) {
					return corrupt(errBadState)
				}
				final.Labels[i] = int32(l)
			}
		} else {
			if err := charge(sumsValues*GasPerStateValueRead, "settlement sums"); err != nil {
				return err
			}
			if err := decodeValues(b, 0, math.MaxInt64, sums.Cnt, sums.Prior); err != nil {
				return corrupt(err)
			}
			sums.LL = st.LL
		}
	}

	modelDirty := false
	save := func() error {
		if modelDirty {
			if err := charge(modelValues*GasPerStateValueWrite, "settlement model"); err != nil {
				return err
			}
			ctx.KV.Set(modelKey, encodeValues(nil, model.LogE, model.LogPrior))
		}
		if st.Pass == passVote {
			ctx.KV.Delete(modelKey)
		}
		switch {
		case st.Next == 0:
			ctx.KV.Delete(sumsKey)
		case st.Pass == passFinal:
			if err := charge(finalValues*GasPerStateValueWrite, "settlement sums"); err != nil {
				return err
			}
			labels := make([]int64, items)
			for i, l := range final.Labels {
				labels[i] = int64(l)
			}
			ctx.KV.Set(sumsKey, encodeValues(nil, labels, final.Best, final.Quality, final.Mass))
		default:
			if err := charge(sumsValues*GasPerStateValueWrite, "settlement sums"); err != nil {
				return err
			}
			st.LL = sums.LL
			ctx.KV.Set(sumsKey, encodeValues(nil, sums.Cnt, sums.Prior))
		}
		b := st.encode()
		if err := charge(uint64(len(b))*GasPerStateByte, "settlement state"); err != nil {
			return err
		}
		ctx.KV.Set(key, b)
		ctx.Emit("label_settle_part", "job", fmt.Sprint(j.ID), "phase", fmt.Sprint(st.Phase), "pass", fmt.Sprint(st.Pass),
			"iterations", fmt.Sprint(st.Iter), "next_item", fmt.Sprint(st.Next))
		return nil
	}
	// saveGas is what save may charge from here: the sums (or final sums)
	// and the model when dirty, and the header.
	saveGas := func() uint64 {
		n := maxSweepHeader(uint64(len(si.gold))) * GasPerStateByte
		if modelDirty {
			n += modelValues * GasPerStateValueWrite
		}
		if st.Pass == passFinal {
			return n + finalValues*GasPerStateValueWrite
		}
		return n + sumsValues*GasPerStateValueWrite
	}
	mstepGas := (3*W*K*K + K) * GasPerWork
	progressed := false
	for {
		// Sweep items of the current pass while the budget lasts.
		to := int(st.Next)
		var work uint64
		for to < int(items) {
			w := sweepItemWork(uint64(sw.ItemLabels(to, to+1)), 1, K, st.Pass == passFinal) * GasPerWork
			if (progressed || to > int(st.Next)) && pm.over(work+w+saveGas()) {
				break
			}
			work += w
			to++
		}
		if to > int(st.Next) {
			if err := charge(work, "dawid-skene sweep"); err != nil {
				return err
			}
			switch st.Pass {
			case passVote:
				sw.Vote(int(st.Next), to, sums)
			case passE:
				sw.EStep(model, int(st.Next), to, sums)
			case passFinal:
				sw.Finish(model, int(st.Next), to, final)
			}
			st.Next, progressed = uint32(to), true
		}
		if st.Next < uint32(items) {
			return save()
		}
		// The pass is complete.
		switch st.Pass {
		case passVote, passE:
			done, converged := false, false
			if st.Pass == passE {
				done, converged = sw.Converged(int(st.Iter)+1, sums.LL, st.PrevLL)
			}
			if done {
				st.Iter, st.Converged, st.PrevLL = st.Iter+1, converged, sums.LL
				st.Pass, st.Next, final = passFinal, 0, sw.NewFinal()
				progressed = true
				continue
			}
			// The next E-step pass needs the M-step of these sums.
			if progressed && pm.over(mstepGas+modelValues*GasPerStateValueWrite+saveGas()) {
				return save()
			}
			if err := charge(mstepGas, "dawid-skene m-step"); err != nil {
				return err
			}
			if st.Pass == passE {
				st.Iter, st.PrevLL = st.Iter+1, sums.LL
			}
			model, modelDirty = sw.MStep(sums), true
			st.Pass, st.Next, sums = passE, 0, sw.NewSums()
			progressed = true
		case passFinal:
			res := sw.Result(final, int(st.Iter), st.Converged, st.PrevLL)
			if st.Phase == phaseFree {
				_, st.Overturned, st.GoldWrong = si.checkGold(res, p, int(items))
				st.Phase, st.Pass, st.Next, st.Iter, st.Converged, st.PrevLL = phasePinned, passVote, 0, 0, false, 0
				model, modelDirty, sums = nil, false, nil
				if err := start(); err != nil {
					return err
				}
				sums = sw.NewSums()
				progressed = true
				continue
			}
			payGas := uint64(j.Assignments)*GasPerAssignment + items*GasPerResultItem
			if progressed && pm.over(payGas+settleStorage(items, uint64(j.Assignments), K)) {
				return save()
			}
			if err := charge(payGas, "settlement"); err != nil {
				return err
			}
			m.dropSweep(ctx, j.ID)
			return m.finishSettle(ctx, j, p, si, res, si.survivingGold(int(items), st.Overturned), st.Overturned, st.GoldWrong)
		}
	}
}

// dropSweep removes a job's sweep state.
func (m *Module) dropSweep(ctx *app.Context, job uint64) {
	ctx.KV.Delete(settleKey(job))
	ctx.KV.Delete(sweepModelKey(job))
	ctx.KV.Delete(sweepSumsKey(job))
}
