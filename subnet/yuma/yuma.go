package yuma

import (
	"errors"
	"fmt"
	"slices"

	"emergence/fixed"
)

// Entry is one cell of a sparse u16 row: a target uid and a u16 value
// (a weight or a bond as stored on chain).
type Entry struct {
	UID   uint16
	Value uint16
}

// Params are the subnet hyperparameters the epoch reads. Use
// [DefaultParams] for the defaults of yuma.md §3.1.
type Params struct {
	// Kappa is the consensus majority as u16 proportion (32767 ≈ 0.5).
	Kappa uint16
	// BondsPenalty β as u16 proportion: 0 bonds follow raw weights, 65535
	// bonds follow weights clipped at consensus.
	BondsPenalty uint16
	// BondsMovingAverage is in millionths; the EMA weight of new
	// observations is 1 − BondsMovingAverage/1e6 (900000 → 0.1).
	BondsMovingAverage uint64
	// Yuma3 selects Yuma 3 bonds (absolute per-pair bonds) instead of the
	// legacy column-normalised EMA.
	Yuma3 bool
	// LiquidAlpha enables the per-bond α sigmoid (Yuma 3 only).
	LiquidAlpha bool
	// AlphaLow and AlphaHigh bound the liquid α, as u16 proportions.
	AlphaLow, AlphaHigh uint16
	// AlphaSigmoidSteepness is the sigmoid steepness ×100 (1000 → slope 10).
	AlphaSigmoidSteepness int16
	// MaxValidators is the number of validator permits granted.
	MaxValidators uint16
	// StakeThreshold is the minimum stake (base units) counted at all.
	StakeThreshold uint64
	// ActivityCutoff is the number of blocks after its last weight update
	// for which a uid stays active.
	ActivityCutoff uint64
	// Tempo is the epoch length in blocks; it dates the previous epoch for
	// the "recently registered" bond mask when LastEpochBlock is 0.
	Tempo uint64
}

// DefaultParams returns the hyperparameters a new subnet starts with
// (yuma.md §3.1, values at subnet creation): κ ≈ 0.5, β = 1, moving average
// 0.9, Yuma 3 on, liquid alpha off with bounds (0.7, 0.9) and steepness 1000,
// 64 validators, no stake threshold, tempo 360, activity cutoff 5000.
func DefaultParams() Params {
	return Params{
		Kappa:                 32767,
		BondsPenalty:          65535,
		BondsMovingAverage:    900_000,
		Yuma3:                 true,
		LiquidAlpha:           false,
		AlphaLow:              45875,
		AlphaHigh:             58982,
		AlphaSigmoidSteepness: 1000,
		MaxValidators:         64,
		StakeThreshold:        0,
		ActivityCutoff:        5000,
		Tempo:                 360,
	}
}

// Input is the state one epoch reads. Every per-uid slice has length N
// (the number of uids); CommitBlock may be nil.
type Input struct {
	// Block is the current block height.
	Block uint64
	// LastEpochBlock is the block of the previous epoch; 0 means "unknown"
	// and Block − Tempo is used instead.
	LastEpochBlock uint64
	// Emission is the amount (base units) distributed by this epoch.
	Emission uint64
	// Owner is the subnet owner's uid when HasOwner is set: it keeps its
	// self-weight, always holds a permit and is exempt from the threshold.
	Owner    uint16
	HasOwner bool
	Params   Params

	// Stake per uid, base units.
	Stake []uint64
	// LastUpdate is the block of each uid's last weight update.
	LastUpdate []uint64
	// RegisteredAt is the block at which each uid's occupant registered.
	RegisteredAt []uint64
	// ValidatorPermit holds the permits granted by the previous epoch.
	ValidatorPermit []bool
	// Weights are the stored weight rows (u16, max-upscaled or not; rows
	// are normalised by the epoch).
	Weights [][]Entry
	// Bonds are the stored bond rows.
	Bonds [][]Entry
	// CommitBlock, if not nil, enables the commit–reveal mask: the block of
	// each uid's earliest unexpired weight commit, 0 for none.
	CommitBlock []uint64
}

// Result is the outcome of one epoch. Vectors have length N.
type Result struct {
	// Active reports uids that updated weights within the cutoff.
	Active []bool
	// Stake is the normalised stake S; ActiveStake is A.
	Stake, ActiveStake []fixed.I32F32
	// ValidatorPermit holds the permits for the next epoch.
	ValidatorPermit []bool
	// Consensus, Incentive, Dividends, ValidatorTrust, Trust and Rank are
	// the per-uid outputs (Rank equals Incentive, as in subtensor).
	Consensus, Incentive, Dividends, ValidatorTrust, Trust []fixed.I32F32
	// ServerEmission and ValidatorEmission are the amounts paid to each
	// uid as miner and as validator; Emission is floor(normalize(I+D)·E),
	// the stored pruning score.
	ServerEmission, ValidatorEmission, Emission []uint64
	// Bonds is the new stored bond state: rows of uids with a new permit
	// are rewritten (non-zero cells only), rows of uids that lost their
	// permit are emptied, other rows are copied from the input.
	Bonds [][]Entry
	// Fallback reports that no usable weights existed and emission went to
	// stake.
	Fallback bool
}

// Errors returned by Run for malformed input.
var (
	// ErrLength is returned when a per-uid slice does not have length N.
	ErrLength = errors.New("per-uid vectors differ in length")
	// ErrUID is returned when a row names a uid ≥ N.
	ErrUID = errors.New("uid out of range")
	// ErrDuplicate is returned when a row names the same uid twice.
	ErrDuplicate = errors.New("duplicate uid in row")
	// ErrTooMany is returned when N exceeds 65536 (uids are u16).
	ErrTooMany = errors.New("more than 65536 uids")
)

// Run computes one epoch with fresh buffers. See [Epoch.Run].
func Run(in *Input) (*Result, error) {
	var e Epoch
	out := new(Result)
	if err := e.Run(in, out); err != nil {
		return nil, err
	}
	return out, nil
}

// Epoch holds reusable work buffers. The zero value is ready to use; an
// Epoch must not be used by two goroutines at once.
type Epoch struct {
	rows    []int           // row r → uid, for uids with a previous permit
	rowOf   []int32         // uid → row or -1
	w       []fixed.I32F32  // V×N normalised weights
	b       []fixed.I32F32  // V×N bonds (old, then new)
	alpha   []fixed.I32F32  // N scratch
	colSum  []fixed.I32F32  // N scratch
	divs    []fixed.Divisor // N column divisors
	divs2   []fixed.Divisor // N more column divisors
	rank    []fixed.I32F32  // N
	prerank []fixed.I32F32  // N
	permPrv []bool
	seen    []uint32 // duplicate detection stamps
	stamp   uint32
	order   []int
	// weighted median scratch
	medStake []fixed.I32F32
	medScore []fixed.I32F32
	medBuf   [3]medList
	medRows  []int32
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	s = s[:n]
	clear(s)
	return s
}

// Run computes one epoch on in and writes the outcome to out, reusing
// out's slices when they are large enough. It returns an error (wrapping
// one of the Err values) for malformed input and never panics on it.
func (e *Epoch) Run(in *Input, out *Result) error {
	n := len(in.Stake)
	if err := e.validate(in, n); err != nil {
		return err
	}
	p := &in.Params
	hasOwner := in.HasOwner && int(in.Owner) < n
	owner := int(in.Owner)

	// Outputs.
	out.Active = grow(out.Active, n)
	out.Stake = grow(out.Stake, n)
	out.ActiveStake = grow(out.ActiveStake, n)
	out.ValidatorPermit = grow(out.ValidatorPermit, n)
	out.Consensus = grow(out.Consensus, n)
	out.Incentive = grow(out.Incentive, n)
	out.Dividends = grow(out.Dividends, n)
	out.ValidatorTrust = grow(out.ValidatorTrust, n)
	out.Trust = grow(out.Trust, n)
	out.ServerEmission = grow(out.ServerEmission, n)
	out.ValidatorEmission = grow(out.ValidatorEmission, n)
	out.Emission = grow(out.Emission, n)
	out.Fallback = false

	// 1. Activity.
	for i := 0; i < n; i++ {
		out.Active[i] = !(satAdd(in.LastUpdate[i], p.ActivityCutoff) < in.Block)
	}

	// 2. Stake, normalised exactly (I64F64 normalisation cast to I32F32).
	var total fixed.U128
	for i, s := range in.Stake {
		if s < p.StakeThreshold && !(hasOwner && i == owner) {
			continue
		}
		total = total.Add64(s)
	}
	S := out.Stake
	if !total.IsZero() {
		for i, s := range in.Stake {
			if s < p.StakeThreshold && !(hasOwner && i == owner) {
				continue
			}
			S[i] = fixed.Ratio128(fixed.U128From64(s), total)
		}
	}

	// 3. Permits: previous (input) and next (top-k non-zero stake).
	e.permPrv = grow(e.permPrv, n)
	copy(e.permPrv, in.ValidatorPermit)
	if hasOwner {
		e.permPrv[owner] = true
	}
	e.topKNonzero(S, int(p.MaxValidators), out.ValidatorPermit)
	if hasOwner {
		out.ValidatorPermit[owner] = true
	}

	// 4. Active stake.
	A := out.ActiveStake
	for i := 0; i < n; i++ {
		if out.Active[i] && e.permPrv[i] {
			A[i] = S[i]
		}
	}
	normalize(A)

	// Rows: uids with a previous permit, in uid order.
	e.rows = e.rows[:0]
	e.rowOf = grow(e.rowOf, n)
	for i := 0; i < n; i++ {
		e.rowOf[i] = -1
		if e.permPrv[i] {
			e.rowOf[i] = int32(len(e.rows))
			e.rows = append(e.rows, i)
		}
	}
	V := len(e.rows)

	// 5. Weights with masks, row-normalised.
	e.w = grow(e.w, V*n)
	for r, i := range e.rows {
		row := e.w[r*n : (r+1)*n]
		var sum uint64
		for _, c := range in.Weights[i] {
			j := int(c.UID)
			if j == i && !(hasOwner && i == owner) {
				continue
			}
			if in.LastUpdate[i] <= in.RegisteredAt[j] {
				continue
			}
			if in.CommitBlock != nil && in.CommitBlock[i] != 0 && in.CommitBlock[i] < in.RegisteredAt[j] {
				continue
			}
			row[j] = fixed.I32F32(c.Value) // raw integer for now
			sum += uint64(c.Value)
		}
		if sum == 0 {
			continue
		}
		// Ratio(v, sum) = floor(v·2^32/sum), by multiplication.
		dv := fixed.NewDivisor(fixed.I32F32(sum))
		for j, v := range row {
			if v != 0 {
				row[j] = dv.Div(v)
			}
		}
	}

	// 6. Consensus.
	e.consensus(A, n, fixed.FromU16Proportion(p.Kappa), out.Consensus)
	C := out.Consensus

	// 7. Clip, validator trust, ranks, trust, incentive; for Yuma 3 the
	// bond EMA (which needs W̃ and C but not I) runs in the same pass.
	beta := fixed.FromU16Proportion(p.BondsPenalty)
	lastTempo := satSub(in.Block, p.Tempo)
	if in.LastEpochBlock != 0 {
		lastTempo = in.LastEpochBlock + 1
	}
	e.b = grow(e.b, V*n)
	e.rank = grow(e.rank, n)
	e.prerank = grow(e.prerank, n)
	var ema yuma3EMA
	if p.Yuma3 {
		ema = e.newYuma3EMA(in, C)
	} else {
		e.colSum = grow(e.colSum, n) // old bonds' column sums
		e.alpha = grow(e.alpha, n)   // ΔB column sums
	}
	for r, i := range e.rows {
		row := e.w[r*n : (r+1)*n]
		a := A[i]
		var vt fixed.I32F32
		for j, wv := range row {
			if wv == 0 {
				continue
			}
			cl := fixed.Min(wv, C[j])
			vt = vt.Add(cl)
			if a != 0 {
				e.prerank[j] = e.prerank[j].Add(a.Mul(wv))
				e.rank[j] = e.rank[j].Add(a.Mul(cl))
			}
		}
		out.ValidatorTrust[i] = vt
		if p.Yuma3 {
			e.yuma3Row(in, r, i, C, beta, lastTempo, &ema)
		} else {
			e.legacyRow(in, r, i, A, C, beta, lastTempo)
		}
	}
	for j := 0; j < n; j++ {
		out.Trust[j] = e.rank[j].Div(e.prerank[j])
	}
	I := out.Incentive
	copy(I, e.rank)
	normalize(I)

	// 8.–9. Bonds and dividends.
	D := out.Dividends
	if p.Yuma3 {
		e.yuma3Dividends(A, I, D)
	} else {
		e.legacy(in, A, C, I, beta, D)
	}

	// 10. Emission.
	var sum fixed.I32F32
	for j := 0; j < n; j++ {
		sum = sum.Add(I[j].Add(D[j]))
	}
	E := in.Emission
	if sum == 0 {
		out.Fallback = true
		share := A
		if fixed.Sum(A) == 0 {
			share = S
		}
		for i := 0; i < n; i++ {
			out.ValidatorEmission[i] = share[i].MulU64(E)
			out.Emission[i] = out.ValidatorEmission[i]
		}
	} else {
		for i := 0; i < n; i++ {
			out.ServerEmission[i] = I[i].Div(sum).MulU64(E)
			out.ValidatorEmission[i] = D[i].Div(sum).MulU64(E)
			out.Emission[i] = I[i].Add(D[i]).Div(sum).MulU64(E)
		}
	}

	// Bond storage.
	e.storeBonds(in, out)
	return nil
}

func (e *Epoch) validate(in *Input, n int) error {
	if n > 65536 {
		return fmt.Errorf("%d uids: %w", n, ErrTooMany)
	}
	check := func(name string, l int) error {
		if l != n {
			return fmt.Errorf("%s has %d entries, stake has %d: %w", name, l, n, ErrLength)
		}
		return nil
	}
	if err := errors.Join(
		check("last_update", len(in.LastUpdate)),
		check("registered_at", len(in.RegisteredAt)),
		check("validator_permit", len(in.ValidatorPermit)),
		check("weights", len(in.Weights)),
		check("bonds", len(in.Bonds)),
	); err != nil {
		return err
	}
	if in.CommitBlock != nil {
		if err := check("commit_block", len(in.CommitBlock)); err != nil {
			return err
		}
	}
	e.seen = grow(e.seen, n)
	e.stamp = 0
	rowCheck := func(kind string, i int, row []Entry) error {
		e.stamp++
		for _, c := range row {
			if int(c.UID) >= n {
				return fmt.Errorf("%s of uid %d name uid %d of %d: %w", kind, i, c.UID, n, ErrUID)
			}
			if e.seen[c.UID] == e.stamp {
				return fmt.Errorf("%s of uid %d name uid %d twice: %w", kind, i, c.UID, ErrDuplicate)
			}
			e.seen[c.UID] = e.stamp
		}
		return nil
	}
	for i := 0; i < n; i++ {
		if err := rowCheck("weights", i, in.Weights[i]); err != nil {
			return err
		}
		if err := rowCheck("bonds", i, in.Bonds[i]); err != nil {
			return err
		}
	}
	return nil
}

// topKNonzero marks the k largest non-zero entries of s (subtensor's
// is_topk_nonzero: an ascending stable sort drops the first n−k, so among
// equal values the lower uids lose).
func (e *Epoch) topKNonzero(s []fixed.I32F32, k int, out []bool) {
	n := len(s)
	for i := range s {
		out[i] = s[i] != 0
	}
	if n < k {
		return
	}
	e.order = e.order[:0]
	for i := 0; i < n; i++ {
		e.order = append(e.order, i)
	}
	slices.SortStableFunc(e.order, func(a, b int) int {
		switch {
		case s[a] < s[b]:
			return -1
		case s[a] > s[b]:
			return 1
		}
		return 0
	})
	for _, i := range e.order[:n-k] {
		out[i] = false
	}
}

// consensus computes the stake-weighted median of every column over rows
// with positive active stake (subtensor's weighted_median_col_sparse).
func (e *Epoch) consensus(A []fixed.I32F32, n int, kappa fixed.I32F32, C []fixed.I32F32) {
	e.medStake = e.medStake[:0]
	e.medRows = e.medRows[:0]
	for r, i := range e.rows {
		if A[i] > 0 {
			e.medStake = append(e.medStake, A[i])
			e.medRows = append(e.medRows, int32(r))
		}
	}
	k := len(e.medStake)
	if k == 0 {
		return
	}
	normalize(e.medStake)
	stakeSum := fixed.Sum(e.medStake)
	minority := stakeSum.Sub(kappa)
	// Gather the weight columns medBlock at a time: each row then yields
	// medBlock adjacent cells (one cache line) instead of one cell per
	// row per column, which at n = 4096 missed the cache on every read.
	e.medScore = grow(e.medScore, medBlock*k)
	for j0 := 0; j0 < n; j0 += medBlock {
		b := min(medBlock, n-j0)
		for q, r := range e.medRows {
			row := e.w[int(r)*n+j0 : int(r)*n+j0+b]
			for t, v := range row {
				e.medScore[t*k+q] = v
			}
		}
		for t := 0; t < b; t++ {
			C[j0+t] = e.weightedMedian(e.medScore[t*k:(t+1)*k], minority, stakeSum)
		}
	}
}

// medBlock is how many weight columns consensus gathers at once.
const medBlock = 16

// weightedMedian is subtensor's weighted_median over e.medStake and
// scores: quickselect with the middle element as pivot, returning the
// smallest score whose cumulative stake exceeds minority.
func (e *Epoch) weightedMedian(scores []fixed.I32F32, minority, hi fixed.I32F32) fixed.I32F32 {
	k := len(e.medStake)
	// Three (score, stake) buffers rotate between "current", "lower" and
	// "upper": the partition is stable, so the middle element of the
	// current list is the same pivot subtensor picks from its index list.
	for b := range e.medBuf {
		if cap(e.medBuf[b].sc) < k {
			e.medBuf[b] = medList{make([]fixed.I32F32, k), make([]fixed.I32F32, k)}
		}
	}
	cur, lower, upper := e.medBuf[0], e.medBuf[1], e.medBuf[2]
	cur.sc, cur.st = cur.sc[:k], cur.st[:k]
	copy(cur.sc, scores)
	copy(cur.st, e.medStake)
	var lo fixed.I32F32
	for iter := 0; ; iter++ {
		m := len(cur.sc)
		if m == 0 {
			return 0
		}
		if m == 1 {
			return cur.sc[0]
		}
		pivot := cur.sc[m/2]
		// Branch-free three-way partition. Scores lie in [0, 1] and stakes
		// are normalised (sum ≤ 1), so neither the differences nor the
		// partial sums can overflow: plain arithmetic equals saturating.
		lsc, lst := lower.sc[:m], lower.st[:m]
		usc, ust := upper.sc[:m], upper.st[:m]
		csc, cst := cur.sc[:m], cur.st[:m]
		nl, nu := 0, 0
		var loStake, hiStake fixed.I32F32
		for q, v := range csc {
			st := cst[q]
			lt := int64(v-pivot) >> 63 // -1 if v < pivot
			gt := int64(pivot-v) >> 63 // -1 if v > pivot
			loStake += fixed.I32F32(int64(st) & lt)
			hiStake += fixed.I32F32(int64(st) & gt)
			lsc[nl], lst[nl] = v, st
			nl -= int(lt)
			usc[nu], ust[nu] = v, st
			nu -= int(gt)
		}
		switch {
		case minority < lo.Add(loStake) && nl > 0:
			cur, lower = medList{lsc[:nl], lst[:nl]}, medList{cur.sc[:cap(cur.sc)], cur.st[:cap(cur.st)]}
			hi = lo.Add(loStake)
		case hi.Sub(hiStake) <= minority && nu > 0:
			cur, upper = medList{usc[:nu], ust[:nu]}, medList{cur.sc[:cap(cur.sc)], cur.st[:cap(cur.st)]}
			lo = hi.Sub(hiStake)
		default:
			return pivot
		}
		if iter+1 > k {
			return 0
		}
	}
}

// medList is a list of (score, stake) pairs for the weighted median.
type medList struct{ sc, st []fixed.I32F32 }

// forBonds returns W̃_ij = W + β(W̄ − W) for one cell.
func forBonds(w, c, beta fixed.I32F32) fixed.I32F32 {
	switch beta {
	case 0:
		return w
	case fixed.One:
		return fixed.Min(w, c)
	}
	v := w.Add(beta.Mul(fixed.Min(w, c).Sub(w)))
	if v < 0 {
		return 0
	}
	return v
}

// recentlyRegistered reports whether column j's bonds are masked.
func recentlyRegistered(in *Input, lastTempo uint64, j int) bool {
	return lastTempo <= in.RegisteredAt[j]
}

// legacyRow runs in the clip pass for row r (uid i) of legacy (Yuma 2)
// bonds: it loads the stored bonds as integers (recently registered
// columns dropped) and accumulates their column sums and the column sums
// of ΔB = A∘W̃.
func (e *Epoch) legacyRow(in *Input, r, i int, A, C []fixed.I32F32, beta fixed.I32F32, lastTempo uint64) {
	n := len(C)
	brow := e.b[r*n : (r+1)*n]
	for _, c := range in.Bonds[i] {
		j := int(c.UID)
		if recentlyRegistered(in, lastTempo, j) {
			continue
		}
		// Stored bonds are integers (u16) and their column sums integers
		// below 2^31, so B⁰_ij = u_ij/Σu_j in I32F32 equals Ratio(u_ij, Σu_j):
		// keep the raw integers for now.
		brow[j] = fixed.I32F32(c.Value)
		e.colSum[j] += fixed.I32F32(c.Value)
	}
	a := A[i]
	if a == 0 {
		return
	}
	dsum := e.alpha
	for j, wv := range e.w[r*n : (r+1)*n] {
		if wv != 0 {
			dsum[j] = dsum[j].Add(forBonds(wv, C[j], beta).Mul(a))
		}
	}
}

// legacy completes Yuma 2 bonds (column-normalised EMA) and computes the
// dividends, after legacyRow ran for every row.
func (e *Epoch) legacy(in *Input, A, C, I []fixed.I32F32, beta fixed.I32F32, D []fixed.I32F32) {
	n := len(A)
	p := &in.Params
	alpha := fixed.One.Sub(fixed.Ratio(p.BondsMovingAverage, 1_000_000))
	oneMinus := fixed.One.Sub(alpha)
	e.setDivisors(e.colSum) // old bonds' column sums
	if cap(e.divs2) < n {
		e.divs2 = make([]fixed.Divisor, n)
	}
	e.divs2 = e.divs2[:n]
	for j, s := range e.alpha { // ΔB column sums
		e.divs2[j] = fixed.NewDivisor(s)
	}
	// EMA of the column-normalised ΔB and old bonds, then column sums.
	clear(e.colSum)
	for r, i := range e.rows {
		a := A[i]
		wrow := e.w[r*n : (r+1)*n]
		brow := e.b[r*n : (r+1)*n]
		for j := range brow {
			var v fixed.I32F32
			if a != 0 && wrow[j] != 0 {
				d := forBonds(wrow[j], C[j], beta).Mul(a)
				v = alpha.Mul(e.divs2[j].Div(d))
			}
			if old := brow[j]; old != 0 {
				v = v.Add(oneMinus.Mul(e.divs[j].Div(old)))
			}
			if v < 0 {
				v = 0
			}
			brow[j] = v
			e.colSum[j] = e.colSum[j].Add(v)
		}
	}
	// Normalise columns, dividends D_i = Σ_j B_ij I_j, column maxima.
	e.setDivisors(e.colSum)
	colMax := e.alpha
	clear(colMax)
	for r, i := range e.rows {
		brow := e.b[r*n : (r+1)*n]
		var d fixed.I32F32
		for j, v := range brow {
			if v == 0 {
				continue
			}
			v = e.divs[j].Div(v)
			brow[j] = v
			d = d.Add(I[j].Mul(v))
			if v > colMax[j] {
				colMax[j] = v
			}
		}
		D[i] = d
	}
	normalize(D)
	// Column max-upscale for storage.
	e.setDivisors(colMax)
	for r := range e.rows {
		brow := e.b[r*n : (r+1)*n]
		for j, v := range brow {
			if v != 0 {
				brow[j] = e.divs[j].Div(v)
			}
		}
	}
}

// setDivisors prepares e.divs[j] for division by sums[j].
func (e *Epoch) setDivisors(sums []fixed.I32F32) {
	if cap(e.divs) < len(sums) {
		e.divs = make([]fixed.Divisor, len(sums))
	}
	e.divs = e.divs[:len(sums)]
	for j, s := range sums {
		e.divs[j] = fixed.NewDivisor(s)
	}
}

// yuma3EMA holds the per-epoch constants of the Yuma 3 bond EMA.
type yuma3EMA struct {
	liquid               bool
	alpha, oneMinus      fixed.I32F32 // fixed α (liquid alpha off)
	low, high, slope, a0 fixed.I32F32 // liquid alpha
}

func (e *Epoch) newYuma3EMA(in *Input, C []fixed.I32F32) yuma3EMA {
	p := &in.Params
	var m yuma3EMA
	if p.LiquidAlpha {
		for _, c := range C {
			if c != 0 {
				m.liquid = true
				break
			}
		}
	}
	m.alpha = fixed.One.Sub(fixed.Ratio(p.BondsMovingAverage, 1_000_000))
	m.oneMinus = fixed.One.Sub(m.alpha)
	m.low, m.high = fixed.FromU16Proportion(p.AlphaLow), fixed.FromU16Proportion(p.AlphaHigh)
	m.slope = fixed.FromInt(int64(p.AlphaSigmoidSteepness)).Div(fixed.FromInt(-100))
	m.a0 = liquidAlpha(0, m.low, m.high, m.slope)
	e.colSum = grow(e.colSum, len(C))
	return m
}

// yuma3Row computes row r (uid i) of the Yuma 3 bonds: the old bonds
// (u16/65535, recently registered columns dropped) move toward W̃ by α,
// fixed or per pair by the liquid-alpha sigmoid; column sums accumulate
// for the dividends.
func (e *Epoch) yuma3Row(in *Input, r, i int, C []fixed.I32F32, beta fixed.I32F32, lastTempo uint64, m *yuma3EMA) {
	n := len(C)
	wrow := e.w[r*n : (r+1)*n]
	brow := e.b[r*n : (r+1)*n]
	for _, c := range in.Bonds[i] {
		if j := int(c.UID); !recentlyRegistered(in, lastTempo, j) {
			brow[j] = fixed.FromU16Proportion(c.Value)
		}
	}
	for j := range brow {
		wt := fixed.Zero
		if wrow[j] != 0 {
			wt = forBonds(wrow[j], C[j], beta)
		}
		old := brow[j]
		if wt == 0 && old == 0 {
			continue // no weight and no bond: the new bond is 0 for any α
		}
		var v fixed.I32F32
		if m.liquid {
			x := liquidX(C[j], wt, old)
			a := m.a0 // x = 0 is by far the most common case
			if x != 0 {
				a = liquidAlpha(x, m.low, m.high, m.slope)
			}
			v = emaAlpha(wt, old, a)
		} else {
			v = m.alpha.Mul(wt).Add(m.oneMinus.Mul(old))
		}
		if v < 0 {
			v = 0
		}
		brow[j] = v
		e.colSum[j] = e.colSum[j].Add(v)
	}
}

// yuma3Dividends computes D_i = A_i · Σ_j (B_ij / colsum_j) · I_j,
// normalised.
func (e *Epoch) yuma3Dividends(A, I, D []fixed.I32F32) {
	n := len(I)
	e.setDivisors(e.colSum)
	for r, i := range e.rows {
		brow := e.b[r*n : (r+1)*n]
		var t fixed.I32F32
		for j, v := range brow {
			if v == 0 || I[j] == 0 {
				continue
			}
			t = t.Add(e.divs[j].Div(v).Mul(I[j]))
		}
		D[i] = t.Mul(A[i])
	}
	normalize(D)
}

// emaAlpha is one cell of subtensor's mat_ema_alpha: the old bond decays by
// (1 − a) and buys a·new, capped at 1.
func emaAlpha(newV, old, a fixed.I32F32) fixed.I32F32 {
	decayed := fixed.One.Sub(a).Mul(old)
	return fixed.Min(decayed.Add(fixed.Max(a.Mul(newV), 0)), fixed.One)
}

// liquidX is the distance the liquid-alpha sigmoid reads (subtensor's
// alpha_sigmoid): how far a validator buys above consensus (w ≥ b) or sells
// below its bond (w < b), clamped to [0, 1].
func liquidX(c, w, b fixed.I32F32) fixed.I32F32 {
	if w >= b {
		return fixed.Clamp(w.Sub(c), 0, fixed.One)
	}
	return fixed.Clamp(b.Sub(w), 0, fixed.One)
}

// liquidAlpha maps x to the EMA weight of one bond:
// α = low + (high − low) / (1 + e^(−steepness/100 · (x − ½))), clamped.
func liquidAlpha(x, low, high, slope fixed.I32F32) fixed.I32F32 {
	sig := fixed.One.Div(fixed.One.Add(fixed.Exp(slope.Mul(x.Sub(fixed.Half)))))
	a := low.Add(sig.Mul(high.Sub(low)))
	return fixed.Clamp(a, low, high)
}

// storeBonds writes the new bond state: rewritten rows for new permits,
// emptied rows for lost permits, copies otherwise.
func (e *Epoch) storeBonds(in *Input, out *Result) {
	n := len(in.Stake)
	if cap(out.Bonds) < n {
		out.Bonds = make([][]Entry, n)
	}
	out.Bonds = out.Bonds[:n]
	// One backing array holds every row: at most n cells per rewritten row.
	// A cell is stored when floor(v·65535) > 0, i.e. v ≥ ceil(2^32/65535) raw.
	const minStored = fixed.I32F32((1<<32 + 65534) / 65535)
	cells := 0
	for i := 0; i < n; i++ {
		switch {
		case out.ValidatorPermit[i]:
			if e.rowOf[i] >= 0 {
				cells += n
			}
		case e.permPrv[i]:
		default:
			cells += len(in.Bonds[i])
		}
	}
	buf := make([]Entry, cells)
	k := 0
	for i := 0; i < n; i++ {
		start := k
		switch {
		case out.ValidatorPermit[i]:
			if r := e.rowOf[i]; r >= 0 {
				for j, v := range e.b[int(r)*n : (int(r)+1)*n] {
					if v >= minStored {
						buf[k] = Entry{UID: uint16(j), Value: v.ToU16Proportion()}
						k++
					}
				}
			}
		case e.permPrv[i]:
		default:
			k += copy(buf[k:], in.Bonds[i])
		}
		out.Bonds[i] = buf[start:k:k]
	}
}

// normalize divides v by its sum in place (left unchanged if the sum is 0).
func normalize(v []fixed.I32F32) {
	s := fixed.Sum(v)
	if s == 0 {
		return
	}
	for i, x := range v {
		v[i] = x.Div(s)
	}
}

func satAdd(a, b uint64) uint64 {
	if s := a + b; s >= a {
		return s
	}
	return ^uint64(0)
}

func satSub(a, b uint64) uint64 {
	if a < b {
		return 0
	}
	return a - b
}

// U16 returns floor(x·65535) for every element, the on-chain encoding of
// incentive, dividends, consensus, trust and validator trust.
func U16(v []fixed.I32F32) []uint16 {
	out := make([]uint16, len(v))
	for i, x := range v {
		out[i] = x.ToU16Proportion()
	}
	return out
}
