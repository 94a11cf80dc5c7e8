package gasbench

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"

	"emergence/app/apptest"
	"emergence/label"
)

// job is the shape of a labeling job a case builds.
type job struct {
	items, perItem, batch, classes, labelers int
	// gold items, every gold-th item (0: the minimum 5%).
	goldEvery int
	// last: measure only the last transactions of the measured stage
	// (0: all), so that the measured block stays within the block gas
	// limit.
	last int
	// dataset the job takes its items from (0: none); items must be its
	// record count.
	dataset uint64
}

func (s job) labels() int { return s.items * s.perItem }

// classNames returns n distinct 64-byte class names (the longest allowed).
func classNames(n int) []string {
	var out []string
	for k := 0; k < n; k++ {
		out = append(out, fmt.Sprintf("%064d", k))
	}
	return out
}

// truth is item i's true class; answerOf a labeler's answer: right four
// times in five, else a class derived from the labeler and the item.
func truth(i uint32, classes int) uint32 { return uint32(mix(uint64(i))) % uint32(classes) }

func answerOf(w int, i uint32, classes int) uint32 {
	h := mix(uint64(w)<<32 | uint64(i))
	if h%5 != 0 {
		return truth(i, classes)
	}
	return uint32(h>>8) % uint32(classes)
}

func mix(x uint64) uint64 {
	b := sha256.Sum256(binary.BigEndian.AppendUint64(nil, x))
	return binary.BigEndian.Uint64(b[:8])
}

var benchSalt = sha256.Sum256([]byte("emergence/gasbench"))

func (s job) gold() []label.GoldItem {
	every := s.goldEvery
	if every == 0 {
		every = 20
	}
	var g []label.GoldItem
	for i := 0; i < s.items; i += every {
		g = append(g, label.GoldItem{Item: uint32(i), Class: truth(uint32(i), s.classes)})
	}
	return g
}

func (s job) createMsg() label.CreateJobMsg {
	man := hex.EncodeToString(benchSalt[:])
	g := s.gold()
	gc := label.GoldCommitment(man, g, benchSalt)
	return label.CreateJobMsg{
		Manifest: man, Items: uint32(s.items), Classes: classNames(s.classes), LabelsPerItem: uint32(s.perItem),
		BatchSize: uint32(s.batch), RewardPerLabel: 1, MinStake: 1_000_000, GoldCommitment: hex.EncodeToString(gc[:]),
		GoldCount: uint32(len(g)), CommitBlocks: 20, RevealBlocks: 10, Dataset: s.dataset,
	}
}

func (s job) genesis(p *label.Params) apptest.Genesis {
	b := funded("l", s.labelers, 100_000_000)
	b["req"] = 1 << 50
	g := apptest.Genesis{Balances: b}
	if p != nil {
		g.Modules = map[string]any{label.Name: label.Genesis{Params: *p}}
	}
	return g
}

func labelerName(i int) string { return fmt.Sprintf("l%d", i) }

// deliverAll delivers txs in blocks of at most 500 and fails on any error.
func deliverAll(c *apptest.Chain, txs [][]byte) {
	for len(txs) > 0 {
		n := min(len(txs), 500)
		for i, r := range c.Deliver(txs[:n]...) {
			if r.Code != 0 {
				fail("set-up tx %d failed: %s/%d: %s", i, r.Codespace, r.Code, r.Log)
			}
		}
		txs = txs[n:]
	}
}

// stage is how far run takes a job.
type stage int

const (
	created stage = iota
	staked
	assigned
	committed
	revealed
	goldRevealed
)

// run creates job 1 and takes it to stage; with measure set it returns the
// transactions of stage instead of delivering them.
func (s job) run(c *apptest.Chain, upTo stage, measure bool) [][]byte {
	step := func(st stage, txs [][]byte) [][]byte {
		if st == upTo && measure {
			if s.last > 0 && s.last < len(txs) {
				deliverAll(c, txs[:len(txs)-s.last])
				txs = txs[len(txs)-s.last:]
			}
			return txs
		}
		deliverAll(c, txs)
		return nil
	}
	if t := step(created, [][]byte{c.SignWith("req", 40_000_000, c.Msg("label/create-job", s.createMsg()))}); t != nil || upTo == created {
		return t
	}
	var j label.Job
	if err := c.Query("label/job/1", nil, &j); err != nil {
		fail("job: %v", err)
	}
	var txs [][]byte
	for i := 0; i < s.labelers; i++ {
		txs = append(txs, c.SignWith(labelerName(i), 100_000, c.Msg("label/stake", label.StakeMsg{Amount: 2_000_000})))
	}
	if t := step(staked, txs); t != nil || upTo == staked {
		return t
	}
	txs = nil
	for i := 0; i < s.labelers; i++ {
		txs = append(txs, c.SignWith(labelerName(i), 5_000_000, c.Msg("label/request", label.JobMsg{Job: 1})))
	}
	if t := step(assigned, txs); t != nil || upTo == assigned {
		return t
	}
	asgs := make([]label.Assignment, s.labelers)
	answers := make([][]uint32, s.labelers)
	txs = nil
	for i := range asgs {
		a := apptest.Addr(labelerName(i))
		if err := c.Query(fmt.Sprintf("label/assignment/1/%s", a), nil, &asgs[i]); err != nil {
			fail("assignment: %v", err)
		}
		for _, it := range asgs[i].Items {
			answers[i] = append(answers[i], answerOf(i, it, s.classes))
		}
		h := label.AnswerCommitment(1, a, asgs[i].Items, answers[i], benchSalt)
		txs = append(txs, c.SignWith(labelerName(i), 200_000, c.Msg("label/commit", label.CommitMsg{Job: 1, Commitment: hex.EncodeToString(h[:])})))
	}
	if t := step(committed, txs); t != nil || upTo == committed {
		return t
	}
	for c.Height() < j.CommitDeadline {
		c.Deliver()
	}
	txs = nil
	for i := range asgs {
		txs = append(txs, c.SignWith(labelerName(i), 2_000_000, c.Msg("label/reveal", label.RevealMsg{Job: 1, Items: asgs[i].Items, Answers: answers[i], Salt: hex.EncodeToString(benchSalt[:])})))
	}
	if t := step(revealed, txs); t != nil || upTo == revealed {
		return t
	}
	for c.Height() < j.RevealDeadline {
		c.Deliver()
	}
	g := label.RevealGoldMsg{Job: 1, Gold: s.gold(), Salt: hex.EncodeToString(benchSalt[:])}
	return step(goldRevealed, [][]byte{c.SignWith("req", 10_000_000, c.Msg("label/reveal-gold", g))})
}

// settleTx is the settle (or expire) transaction of job 1 with the job's
// advertised settlement gas as its limit: the bound must suffice.
func settleTx(c *apptest.Chain, kind string) [][]byte {
	var j label.Job
	if err := c.Query("label/job/1", nil, &j); err != nil {
		fail("job: %v", err)
	}
	return [][]byte{c.SignWith(labelerName(0), j.SettleGas, c.Msg(kind, label.JobMsg{Job: 1}))}
}

func labelCases(div int) []Case {
	n := func(x int) int { return max(1, x/div) }
	// Large jobs for the kinds before settlement: 60,000 items, 1,000-item
	// batches, 64 classes where settlement allows it.
	wide := job{items: n(60_000), perItem: 1, batch: n(1_000), classes: 2, labelers: 60}
	crowd := job{items: n(60_000), perItem: 1, batch: n(1_000), classes: 2, labelers: n(2_000)}
	lastRequests := wide
	lastRequests.last = 40
	var cases []Case
	cases = append(cases, Case{
		Kind: "label/create-job", Shape: fmt.Sprintf("10 jobs of %d items, 2 classes of 64 bytes", wide.items),
		Genesis: wide.genesis(nil),
		Prepare: func(c *apptest.Chain) [][]byte {
			var txs [][]byte
			for i := 0; i < 10; i++ {
				txs = append(txs, c.SignWith("req", 40_000_000, c.Msg("label/create-job", wide.createMsg())))
			}
			return txs
		},
	})
	stages := []struct {
		kind  string
		stage stage
		shape string
	}{
		{"label/request", assigned, fmt.Sprintf("the last 40 of %d labelers filling a %d-item job, %d items each (the last scan nearly every item)", wide.labelers, wide.items, wide.batch)},
		{"label/commit", committed, fmt.Sprintf("%d commitments to %d-item assignments", wide.labelers, wide.batch)},
		{"label/reveal", revealed, fmt.Sprintf("%d reveals of %d answers", wide.labelers, wide.batch)},
		{"label/reveal-gold", goldRevealed, fmt.Sprintf("%d gold answers of a %d-item job", len(wide.gold()), wide.items)},
	}
	for _, st := range stages {
		j := wide
		if st.stage == assigned {
			j = lastRequests
		}
		cases = append(cases, Case{Kind: st.kind, Shape: st.shape, Genesis: wide.genesis(nil),
			Prepare: func(c *apptest.Chain) [][]byte { return j.run(c, st.stage, true) }})
	}
	cases = append(cases, Case{Kind: "label/stake", Shape: fmt.Sprintf("%d new labelers", crowd.labelers), Genesis: crowd.genesis(nil),
		Prepare: func(c *apptest.Chain) [][]byte { return crowd.run(c, staked, true) }})
	cases = append(cases, Case{Kind: "label/unstake", Shape: fmt.Sprintf("%d labelers, all their stake", crowd.labelers),
		Genesis: crowd.genesis(nil),
		Prepare: func(c *apptest.Chain) [][]byte {
			crowd.run(c, staked, false)
			var txs [][]byte
			for i := 0; i < crowd.labelers; i++ {
				txs = append(txs, c.SignWith(labelerName(i), 100_000, c.Msg("label/unstake", label.StakeMsg{Amount: 2_000_000})))
			}
			return txs
		}})
	settles := []job{
		{items: n(1_000), perItem: 5, batch: n(500), classes: 64, labelers: 10},
		{items: n(20_000), perItem: 10, batch: n(1_000), classes: 2, labelers: 200},
		{items: n(500), perItem: 4, batch: 1, classes: 8, labelers: n(500) * 4, goldEvery: 4},
	}
	for _, sj := range settles {
		shape := fmt.Sprintf("%d classes: %d items × %d labels, %d labelers", sj.classes, sj.items, sj.perItem, sj.labelers)
		if sj.batch == 1 {
			shape = fmt.Sprintf("%d classes, one item per assignment: %d items × %d labels, %d labelers", sj.classes, sj.items, sj.perItem, sj.labelers)
		}
		cases = append(cases, Case{Kind: "label/settle", Shape: shape, Genesis: sj.genesis(nil),
			Prepare: func(c *apptest.Chain) [][]byte {
				sj.run(c, goldRevealed, false)
				return settleTx(c, "label/settle")
			}})
	}
	// Jobs too large for one transaction settle in parts: the first part
	// (set-up, iterations, state written) and the second (state read, then
	// iterations or payments), on the largest 64-class shape a part admits
	// and on an 80,000-item job (100,000 items × 2 labels do not fit the
	// part that pays).
	// Scaled-down runs (tests) scale the settlement cap with the jobs, so
	// that they still settle in parts.
	type partJob struct {
		job
		maxSettleGas uint64
		firstToo     bool // measure the first part too, not only the second
	}
	// The issue-17 job (83,000 items × 3 labels, 64 classes) settles by
	// sweeps: its second part (model and sums read, E-step sweep, sums
	// written) at full size, its first too (vote pass, M-step, model
	// written, sweep, sums written) in tests. The first part measured 6.46
	// CPU ns/gas, the second 10.87, in one full-size run at load 18.
	partJobs := []partJob{
		{job{items: 9_000, perItem: 1, batch: 1_000, classes: 64, labelers: 9}, 40_000_000, true},
		{job{items: 80_000, perItem: 2, batch: 1_000, classes: 2, labelers: 160}, 40_000_000, false},
		{job{items: 83_000, perItem: 3, batch: 1_000, classes: 64, labelers: 249}, 40_000_000, false},
	}
	if div > 1 {
		partJobs = []partJob{
			{job{items: 900, perItem: 1, batch: 100, classes: 64, labelers: 9}, 8_000_000, true},
			{job{items: 8_000, perItem: 2, batch: 1_000, classes: 2, labelers: 16}, 4_000_000, false},
			{job{items: 3_000, perItem: 3, batch: 1_000, classes: 64, labelers: 9}, 1_340_000, true},
		}
	}
	for _, pj := range partJobs {
		partParams := label.DefaultParams()
		partParams.MaxSettleGas = pj.maxSettleGas
		// The 80,000-item job is measured at its second part only (the
		// one that pays), to keep the doc test's full-size run short.
		stages := []bool{false, true}
		if !pj.firstToo {
			stages = stages[1:]
		}
		for _, later := range stages {
			which := "first part"
			if later {
				which = "second part"
			}
			cases = append(cases, Case{Kind: "label/settle",
				Shape:   fmt.Sprintf("%s of a job in parts, %d classes: %d items × %d labels, %d labelers", which, pj.classes, pj.items, pj.perItem, pj.labelers),
				Genesis: pj.genesis(&partParams),
				Prepare: func(c *apptest.Chain) [][]byte {
					pj.run(c, goldRevealed, false)
					if later {
						deliverAll(c, settleTx(c, "label/settle"))
						var j label.Job
						if err := c.Query("label/job/1", nil, &j); err != nil || j.Status != label.StatusOpen {
							fail("job settled in its first part (%v): no second part to measure", err)
						}
					}
					return settleTx(c, "label/settle")
				}})
		}
	}
	many := settles[2]
	cases = append(cases, Case{Kind: "label/expire", Shape: fmt.Sprintf("%d assignments of one item", many.labelers), Genesis: many.genesis(shortExpiry()),
		Prepare: func(c *apptest.Chain) [][]byte {
			many.run(c, revealed, false)
			toExpiry(c)
			return settleTx(c, "label/expire")
		}})
	return cases
}

// shortExpiry are label params under which a job expires soon after its
// reveal window.
func shortExpiry() *label.Params {
	p := label.DefaultParams()
	p.GoldBlocks, p.ExpiryBlocks = 1, 1
	return &p
}

func toExpiry(c *apptest.Chain) {
	var j label.Job
	if err := c.Query("label/job/1", nil, &j); err != nil {
		fail("job: %v", err)
	}
	for c.Height() <= j.ExpiryHeight {
		c.Deliver()
	}
}
