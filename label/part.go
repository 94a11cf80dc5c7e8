package label

import (
	"encoding/binary"
	"errors"
	"fmt"

	"emergence/app"
	"emergence/label/aggregate/fixedds"
	"emergence/store"
)

// Settling in parts. A job whose whole settlement (two Dawid–Skene runs of
// up to MaxIterations iterations each, bookkeeping and storage) does not fit
// in MaxSettleGas is created with Parts set. Each label/settle on it then
// does one part: it reads the job's answers, resumes from the state the
// previous part stored, runs Dawid–Skene iterations while the part's budget
// (PartGas) lasts, and stores the state again; the part that finds both runs
// done pays, slashes and refunds exactly as a one-transaction settlement
// would, and removes the state. Every part pays for its own work, any
// account may send one, and because the state is the runs' exact integer
// posteriors, the results equal those of settling the same job at once.
// While a job settles, labelers keep only its assignments' risk locked.

// Gas of settling in parts, in addition to the per-label, per-assignment and
// per-iteration gas a one-transaction settlement pays.
const (
	// GasPerAssignmentRead is charged by every part for each assignment it
	// reads back (the labels in it are charged GasPerLabel).
	GasPerAssignmentRead = 500
	// GasPerStateByte is charged for each byte of settlement state a part
	// reads or writes (decoding, encoding and hashing it into the block's
	// write set). The state lives only until the job settles or expires.
	GasPerStateByte = 4
)

// PartGas is the work one part may do: three quarters of MaxSettleGas, so
// that a part's simulated gas with the client's 30% margin stays within
// the default 50M max_tx_gas.
func PartGas(p Params) uint64 { return p.MaxSettleGas / 4 * 3 }

// Settlement phases of a job settling in parts.
const (
	phaseFree   = 1 // the gold-free run that checks the requester's gold
	phasePinned = 2 // the run with the surviving gold pinned
	phasePay    = 3 // both runs done: pay, slash, refund
)

// partState is what one part leaves for the next.
type partState struct {
	Phase byte
	// Overturned and GoldWrong are the gold check's outcome, set when the
	// gold-free run ends.
	Overturned []uint32
	GoldWrong  bool
	// Run is the current run's state; nil before it starts.
	Run *fixedds.State
}

const partStateVersion = 1

// maxStateBytes bounds the encoded partState of a job: a header, the
// overturned gold and one posterior (at most 5 bytes) per item and class.
func maxStateBytes(items, gold, classes uint64) uint64 {
	return 64 + 5*gold + 5*items*classes
}

func (s *partState) encode() []byte {
	b := []byte{partStateVersion, s.Phase, boolByte(s.GoldWrong)}
	b = binary.AppendUvarint(b, uint64(len(s.Overturned)))
	for _, it := range s.Overturned {
		b = binary.AppendUvarint(b, uint64(it))
	}
	if s.Run == nil {
		return append(b, 0)
	}
	b = append(b, 1)
	b = binary.AppendUvarint(b, uint64(s.Run.Iterations))
	b = append(b, boolByte(s.Run.Converged))
	b = binary.AppendVarint(b, s.Run.LogLikelihood)
	b = binary.AppendUvarint(b, uint64(len(s.Run.Post)))
	for _, v := range s.Run.Post {
		b = binary.AppendUvarint(b, uint64(v))
	}
	return b
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

var errBadState = errors.New("malformed settlement state")

// decodePartState decodes strictly: known version and phase, flags 0 or 1,
// counts within what the job can hold, no trailing bytes.
func decodePartState(b []byte, items, classes uint64) (*partState, error) {
	r := &byteReader{b: b}
	if r.byte() != partStateVersion {
		return nil, fmt.Errorf("%w: unknown version", errBadState)
	}
	s := &partState{Phase: r.byte()}
	s.GoldWrong = r.flag()
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
	if r.flag() {
		st := &fixedds.State{Iterations: int(min(r.uvarint(), 1<<20)), Converged: r.flag(), LogLikelihood: r.varint()}
		np := r.uvarint()
		if np != items*classes {
			return nil, fmt.Errorf("%w: %d posteriors, want %d", errBadState, np, items*classes)
		}
		st.Post = make([]int64, 0, np)
		for i := uint64(0); i < np && r.err == nil; i++ {
			v := r.uvarint()
			if v > uint64(fixedds.One) {
				r.fail()
			}
			st.Post = append(st.Post, int64(v))
		}
		s.Run = st
	}
	switch {
	case r.err != nil:
		return nil, r.err
	case len(r.b) != 0:
		return nil, fmt.Errorf("%w: %d trailing bytes", errBadState, len(r.b))
	case s.Phase < phaseFree || s.Phase > phasePay, s.Phase == phasePay && s.Run == nil:
		return nil, fmt.Errorf("%w: phase %d", errBadState, s.Phase)
	}
	return s, nil
}

// byteReader reads the state encoding, remembering the first error.
type byteReader struct {
	b   []byte
	err error
}

func (r *byteReader) fail() {
	if r.err == nil {
		r.err = errBadState
	}
	r.b = nil
}

func (r *byteReader) byte() byte {
	if len(r.b) == 0 {
		r.fail()
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *byteReader) flag() bool {
	switch r.byte() {
	case 0:
		return false
	case 1:
		return true
	}
	r.fail()
	return false
}

func (r *byteReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *byteReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func settleKey(job uint64) []byte { return store.Key(prefixSettle, store.BE64(job)) }

// partCosts are the gas bounds of a job settling in parts.
type partCosts struct {
	read, perIter, save, final uint64
}

func costsOfParts(items, labels, assignments, classes, gold uint64) partCosts {
	return partCosts{
		read:    labels*GasPerLabel + assignments*GasPerAssignmentRead,
		perIter: fixedds.IterationWork(labels, assignments, items, classes) * GasPerWork,
		save:    maxStateBytes(items, gold, classes) * GasPerStateByte,
		final:   assignments*GasPerAssignment + items*GasPerResultItem + settleStorage(items, assignments, classes),
	}
}

// largestPart is the most gas one part can need before the budget check
// lets it stop: reading input and state, then either a run's set-up and
// first iteration and the state written back, or a finished run's set-up
// and the payments.
func (c partCosts) largestPart() uint64 {
	progress := c.read + c.save + 2*c.perIter + c.save
	final := c.read + c.save + c.perIter + c.final
	return max(progress, final)
}

// partMeter charges a settlement part's gas and counts it against the
// part's budget (PartGas), so that a part stops before it would exceed it.
type partMeter struct {
	ctx           *app.Context
	budget, spent uint64
}

func (pm *partMeter) charge(n uint64, what string) error {
	if err := pm.ctx.ConsumeGas(n, what); err != nil {
		return err
	}
	pm.spent += n
	return nil
}

// over reports whether n more gas would take the part past its budget.
func (pm *partMeter) over(n uint64) bool { return pm.spent+n > pm.budget }

// beginPart is the preamble of a settlement part, by whole iterations or
// by sweeps alike: it charges the input read (every assigned label and
// assignment), reads the part state at settleKey and charges its bytes,
// decodes it with decode (fresh when none is stored) and reads the
// settlement input.
func beginPart[S any](m *Module, ctx *app.Context, j *Job, p Params, fresh S, decode func([]byte) (S, error)) (*partMeter, S, *settleInput, error) {
	pm := &partMeter{ctx: ctx, budget: PartGas(p)}
	st := fresh
	if err := pm.charge(j.AssignedLabels*GasPerLabel+uint64(j.Assignments)*GasPerAssignmentRead, "settlement input"); err != nil {
		return nil, st, nil, err
	}
	raw := ctx.KV.Get(settleKey(j.ID))
	if err := pm.charge(uint64(len(raw))*GasPerStateByte, "settlement state"); err != nil {
		return nil, st, nil, err
	}
	if raw != nil {
		var err error
		if st, err = decode(raw); err != nil {
			return nil, st, nil, fmt.Errorf("label: corrupt state: job %d: %w", j.ID, err)
		}
	}
	si, err := m.settleInput(ctx, j)
	if err != nil {
		return nil, st, nil, err
	}
	return pm, st, si, nil
}

// settlePart does one part of settling job j (see Job.Parts).
func (m *Module) settlePart(ctx *app.Context, j *Job, p Params) error {
	items, classes := uint64(j.Items), uint64(len(j.Classes))
	c := costsOfParts(items, j.AssignedLabels, uint64(j.Assignments), classes, uint64(j.GoldCount))
	pm, st, si, err := beginPart(m, ctx, j, p, &partState{Phase: phaseFree}, func(b []byte) (*partState, error) {
		return decodePartState(b, items, classes)
	})
	if err != nil {
		return err
	}
	charge, key := pm.charge, settleKey(j.ID)
	perIter := fixedds.IterationWork(uint64(len(si.in.Labels)), uint64(si.in.Workers), items, classes) * GasPerWork
	if si.in.Workers == 0 {
		st.Phase, st.Run = phasePay, nil
	} else if st.Phase == phaseFree && len(si.gold) == 0 {
		st.Phase = phasePinned
	}
	dsp := fixedds.Params{MaxIter: int(j.Iterations), Smoothing: int64(p.SmoothingMilli) * fixedds.One / 1000}
	pinned := func() fixedds.Input {
		in := si.in
		if len(si.gold) > 0 {
			in.Gold = si.survivingGold(int(items), st.Overturned)
		}
		return in
	}
	save := func() error {
		b := st.encode()
		if err := charge(uint64(len(b))*GasPerStateByte, "settlement state"); err != nil {
			return err
		}
		ctx.KV.Set(key, b)
		iters := 0
		if st.Run != nil {
			iters = st.Run.Iterations
		}
		ctx.Emit("label_settle_part", "job", fmt.Sprint(j.ID), "phase", fmt.Sprint(st.Phase), "iterations", fmt.Sprint(iters))
		return nil
	}
	var dr *fixedds.Result
	progressed := false
	for {
		switch st.Phase {
		case phaseFree, phasePinned:
			if progressed && pm.over(2*perIter+c.save) {
				return save()
			}
			in := si.in
			if st.Phase == phasePinned {
				in = pinned()
			}
			// Set-up (grouping the labels, and the statistics when the run
			// ends) costs one iteration's work.
			if err := charge(perIter, "dawid-skene set-up"); err != nil {
				return err
			}
			var run *fixedds.Run
			if st.Run != nil {
				run, err = fixedds.ResumeRun(in, dsp, *st.Run)
			} else {
				run, err = fixedds.NewRun(in, dsp)
			}
			if err != nil {
				return fmt.Errorf("label: corrupt state: settle job %d: %w", j.ID, err)
			}
			for !run.Done() {
				if progressed && pm.over(perIter+c.save) {
					s := run.State()
					st.Run = &s
					return save()
				}
				if err := charge(perIter, "dawid-skene iteration"); err != nil {
					return err
				}
				if err := run.Step(); err != nil {
					return fmt.Errorf("settle job %d: %w", j.ID, err)
				}
				progressed = true
			}
			progressed = true
			if st.Phase == phaseFree {
				_, st.Overturned, st.GoldWrong = si.checkGold(run.Result(), p, int(items))
				st.Phase, st.Run = phasePinned, nil
				continue
			}
			s := run.State()
			st.Phase, st.Run = phasePay, &s
			dr = run.Result()
		case phasePay:
			if progressed && pm.over(c.final) {
				return save()
			}
			isGold := si.survivingGold(int(items), st.Overturned)
			if si.in.Workers > 0 {
				if dr == nil {
					if err := charge(perIter, "dawid-skene set-up"); err != nil {
						return err
					}
					run, err := fixedds.ResumeRun(pinned(), dsp, *st.Run)
					if err != nil {
						return fmt.Errorf("label: corrupt state: settle job %d: %w", j.ID, err)
					}
					dr = run.Result()
				}
			}
			if err := charge(uint64(j.Assignments)*GasPerAssignment+items*GasPerResultItem, "settlement"); err != nil {
				return err
			}
			ctx.KV.Delete(key)
			return m.finishSettle(ctx, j, p, si, dr, isGold, st.Overturned, st.GoldWrong)
		default:
			return fmt.Errorf("label: corrupt state: job %d settlement phase %d", j.ID, st.Phase)
		}
	}
}
