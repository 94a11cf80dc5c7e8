package label_test

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"

	"emergence/app"
	"emergence/app/apptest"
	"emergence/bank"
	"emergence/label"
)

// bigJob is a job shape for the settle-in-parts tests, run by labelers
// named w0, w1, … who each take one batch.
type bigJob struct {
	items, perItem, batch, classes int
}

func (s bigJob) labelers() int { return s.items * s.perItem / s.batch }

func mixHash(x uint64) uint64 {
	b := sha256.Sum256(binary.BigEndian.AppendUint64([]byte("parts test"), x))
	return binary.BigEndian.Uint64(b[:8])
}

func (s bigJob) truth(i uint32) uint32 { return uint32(mixHash(uint64(i)) % uint64(s.classes)) }

// answer: labeler w is right with a probability that depends on w (from
// about 40% to 95%), else answers a class derived from w and the item, so
// Dawid–Skene needs a good number of iterations to separate them.
func (s bigJob) answer(w int, items []uint32) []uint32 {
	out := make([]uint32, len(items))
	skill := 40 + uint64(w*37)%56
	for k, it := range items {
		h := mixHash(uint64(w)<<32 | uint64(it) | 1<<63)
		if h%100 < skill {
			out[k] = s.truth(it)
		} else {
			out[k] = uint32(h>>16) % uint32(s.classes)
		}
	}
	return out
}

func (s bigJob) gold() []label.GoldItem {
	var g []label.GoldItem
	for i := 0; i < s.items; i += 20 {
		g = append(g, label.GoldItem{Item: uint32(i), Class: s.truth(uint32(i))})
	}
	return g
}

func (s bigJob) createMsg() label.CreateJobMsg {
	var cls []string
	for k := 0; k < s.classes; k++ {
		cls = append(cls, fmt.Sprintf("class-%d", k))
	}
	gc := label.GoldCommitment(manifest, s.gold(), goldSalt)
	return label.CreateJobMsg{
		Manifest: manifest, Items: uint32(s.items), Classes: cls, LabelsPerItem: uint32(s.perItem), BatchSize: uint32(s.batch),
		RewardPerLabel: 10, MinStake: 1_000_000, GoldCommitment: hex.EncodeToString(gc[:]), GoldCount: uint32(len(s.gold())),
		CommitBlocks: 5, RevealBlocks: 5,
	}
}

func (s bigJob) chain(t testing.TB, p label.Params, ap *app.Params) *apptest.Chain {
	b := bank.New()
	bal := map[string]uint64{"alice": 1 << 40, "settler": 1 << 40}
	for w := 0; w < s.labelers(); w++ {
		bal[fmt.Sprintf("w%d", w)] = 10_000_000
	}
	return apptest.New(t, apptest.Genesis{Balances: bal, Params: ap, Modules: map[string]any{label.Name: label.Genesis{Params: p}}}, b, label.New(b))
}

// mustAll delivers txs in one block and fails on any error.
func mustAll(t testing.TB, c *apptest.Chain, txs [][]byte) {
	t.Helper()
	for i, r := range c.Deliver(txs...) {
		if r.Code != 0 {
			t.Fatalf("tx %d: %s/%d: %s", i, r.Codespace, r.Code, r.Log)
		}
	}
}

// run creates the job, has every labeler stake twice the job's min_stake,
// request, commit and reveal, reveals the gold and moves past the reveal
// deadline. It returns the job.
func (s bigJob) run(t testing.TB, c *apptest.Chain) label.Job {
	t.Helper()
	mustAll(t, c, [][]byte{c.SignWith("alice", 10_000_000, c.Msg("label/create-job", s.createMsg()))})
	j := getJob(t, c, 1)
	var txs [][]byte
	for w := 0; w < s.labelers(); w++ {
		n := fmt.Sprintf("w%d", w)
		txs = append(txs, c.SignWith(n, 5_000_000, c.Msg("label/stake", label.StakeMsg{Amount: 2 * j.MinStake}), c.Msg("label/request", label.JobMsg{Job: 1})))
	}
	mustAll(t, c, txs)
	txs = nil
	asgs := make([]label.Assignment, s.labelers())
	for w := range asgs {
		n := fmt.Sprintf("w%d", w)
		asgs[w] = assignment(t, c, 1, n)
		txs = append(txs, c.SignWith(n, 100_000, commitMsg(c, 1, n, asgs[w].Items, s.answer(w, asgs[w].Items))))
	}
	mustAll(t, c, txs)
	for c.Height() < j.CommitDeadline {
		c.NextBlocks(1)
	}
	txs = nil
	for w := range asgs {
		n := fmt.Sprintf("w%d", w)
		txs = append(txs, c.SignWith(n, 5_000_000, revealMsg(c, 1, n, asgs[w].Items, s.answer(w, asgs[w].Items))))
	}
	mustAll(t, c, txs)
	for c.Height() < j.RevealDeadline {
		c.NextBlocks(1)
	}
	mustAll(t, c, [][]byte{c.SignWith("alice", 10_000_000, c.Msg("label/reveal-gold", label.RevealGoldMsg{Job: 1, Gold: s.gold(), Salt: hex.EncodeToString(goldSalt[:])}))})
	return getJob(t, c, 1)
}

// settle sends label/settle from "settler" with the job's settle_gas until
// the job settles, one part per block, and returns the number of parts.
func settle(t testing.TB, c *apptest.Chain, j label.Job, between func(part int)) int {
	t.Helper()
	n, _ := settleWatch(t, c, j, between)
	return n
}

// settleWatch is settle returning, too, how many parts ended inside an
// E-step pass of a sweep (neither at its first item nor past its last).
func settleWatch(t testing.TB, c *apptest.Chain, j label.Job, between func(part int)) (parts, midPass int) {
	t.Helper()
	for part := 1; part < 1000; part++ {
		r := c.Deliver(c.SignWith("settler", j.SettleGas, c.Msg("label/settle", label.JobMsg{Job: j.ID})))[0]
		c.MustOK(r)
		if r.GasUsed > j.SettleGas {
			t.Fatalf("part %d used %d gas above settle_gas %d", part, r.GasUsed, j.SettleGas)
		}
		for _, e := range r.Events {
			attr := map[string]string{}
			for _, a := range e.Attrs {
				attr[a.Key] = a.Value
			}
			if e.Type == "label_settle_part" && attr["pass"] == "1" && attr["next_item"] != "0" && attr["next_item"] != itoa(uint64(j.Items)) {
				midPass++
			}
		}
		if getJob(t, c, j.ID).Status == label.StatusSettled {
			return part, midPass
		}
		if between != nil {
			between(part)
		}
	}
	t.Fatal("job did not settle in 1,000 parts")
	return 0, 0
}

func results(t testing.TB, c *apptest.Chain, job uint64) label.Results {
	t.Helper()
	var res label.Results
	if err := c.Query("label/results/"+itoa(job), nil, &res); err != nil {
		t.Fatal(err)
	}
	return res
}

// TestSettleInPartsEqualsOneShot settles one job in many small parts and,
// on a second chain whose gas caps let the whole settlement run in one
// transaction, at once: the results, every labeler's record and every
// balance but the settler's are the same. It does so for a job whose parts
// run whole iterations and for one settling by sweeps, 64 classes, whose
// single E-step pass is cut across parts.
func TestSettleInPartsEqualsOneShot(t *testing.T) {
	for _, c := range []struct {
		name         string
		s            bigJob
		maxSettleGas uint64
		sweep        bool
	}{
		{"whole iterations", bigJob{items: 3_000, perItem: 3, batch: 100, classes: 16}, 6_000_000, false},
		{"sweeps", bigJob{items: 3_000, perItem: 3, batch: 1_000, classes: 64}, 1_340_000, true},
	} {
		t.Run(c.name, func(t *testing.T) { equalsOneShot(t, c.s, c.maxSettleGas, c.sweep) })
	}
}

func equalsOneShot(t *testing.T, s bigJob, maxSettleGas uint64, sweep bool) {
	small := label.DefaultParams()
	small.MaxSettleGas = maxSettleGas
	cp := s.chain(t, small, nil)
	jp := s.run(t, cp)
	if !jp.Parts || jp.Sweep != sweep || jp.Iterations != small.MaxIterations {
		t.Fatalf("job settles in parts: %v, sweep %v, %d iterations; want parts (sweep %v) with %d", jp.Parts, jp.Sweep, jp.Iterations, sweep, small.MaxIterations)
	}
	parts, midPass := settleWatch(t, cp, jp, nil)
	if parts < 3 {
		t.Fatalf("settled in %d parts; the test wants at least 3", parts)
	}
	if sweep && midPass < 2 {
		t.Fatalf("%d parts ended inside an E-step pass; the test wants iterations cut across parts", midPass)
	}

	large := label.DefaultParams()
	large.MaxSettleGas = 400_000_000
	ap := app.DefaultParams()
	ap.MaxTxGas = 500_000_000
	co := s.chain(t, large, &ap)
	jo := s.run(t, co)
	if jo.Parts || jo.Iterations != large.MaxIterations {
		t.Fatalf("second chain: parts %v, %d iterations; want one transaction with %d", jo.Parts, jo.Iterations, large.MaxIterations)
	}
	if n := settle(t, co, jo, nil); n != 1 {
		t.Fatalf("one-shot chain settled in %d transactions", n)
	}

	rp, ro := results(t, cp, 1), results(t, co, 1)
	t.Logf("%d parts (%d inside an E-step pass); %d Dawid–Skene iterations, %d gold overturned, paid %d, slashed %d", parts, midPass, rp.Iterations, len(rp.GoldOverturned), rp.Paid, rp.Slashed)
	if rp.Iterations < 5 || rp.Paid == 0 {
		t.Fatalf("a job that tests nothing: %d iterations, %d paid", rp.Iterations, rp.Paid)
	}
	rp.Height, ro.Height = 0, 0
	if a, b := mustJSON(t, rp), mustJSON(t, ro); a != b {
		t.Fatalf("results differ:\nparts:    %.600s\none shot: %.600s", a, b)
	}
	for w := 0; w < s.labelers(); w++ {
		n := fmt.Sprintf("w%d", w)
		var lp, lo label.Labeler
		if err := cp.Query("label/labeler/"+apptest.Addr(n).String(), nil, &lp); err != nil {
			t.Fatal(err)
		}
		if err := co.Query("label/labeler/"+apptest.Addr(n).String(), nil, &lo); err != nil {
			t.Fatal(err)
		}
		if lp != lo {
			t.Fatalf("%s: parts %+v, one shot %+v", n, lp, lo)
		}
		if a, b := balance(t, cp, n), balance(t, co, n); a != b {
			t.Fatalf("%s: balance %d after parts, %d after one shot", n, a, b)
		}
	}
	if a, b := balance(t, cp, "alice"), balance(t, co, "alice"); a != b {
		t.Fatalf("requester: balance %d after parts, %d after one shot", a, b)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestBigJobSettles replays issue 17.3 with the chain's own parameters: a
// job whose settlement bound is far above the per-transaction gas cap is
// created, settles in parts across blocks (each within its advertised
// settle_gas), labelers withdraw their free stake while it settles and not
// the stake at risk, and after it every labeler can unstake everything.
func TestBigJobSettles(t *testing.T) {
	s := bigJob{items: 40_000, perItem: 3, batch: 1_000, classes: 8}
	p := label.DefaultParams()
	c := s.chain(t, p, nil)
	j := s.run(t, c)
	if !j.Parts {
		t.Fatal("job does not settle in parts")
	}
	// What one transaction would need at the job's largest shape.
	labels := uint64(s.items * s.perItem)
	oneShot := 2 * uint64(p.MaxIterations+1) * (labels*uint64(s.classes) + 3*uint64(j.MaxAssignments)*uint64(s.classes*s.classes) + 2*uint64(s.items*s.classes))
	if max := app.DefaultParams().MaxTxGas; oneShot < 5*max {
		t.Fatalf("the job's one-transaction bound %d is not far above the %d tx gas cap", oneShot, max)
	}
	const w0 = "w0"
	parts := settle(t, c, j, func(part int) {
		if part != 1 {
			return
		}
		// Mid-settlement: the free half of w0's stake comes out, the
		// half at risk in the job does not.
		var lb label.Labeler
		if err := c.Query("label/labeler/"+apptest.Addr(w0).String(), nil, &lb); err != nil || lb.Locked != j.MinStake || lb.Open != 1 {
			t.Fatalf("w0 while the job settles: %+v, %v", lb, err)
		}
		c.MustOK(c.Deliver(c.Sign(w0, c.Msg("label/unstake", label.StakeMsg{Amount: lb.Stake - lb.Locked})))[0])
		c.MustFail(c.Deliver(c.Sign(w0, c.Msg("label/unstake", label.StakeMsg{Amount: 1})))[0], label.CodeOpenAssignment)
	})
	res := results(t, c, 1)
	t.Logf("%d parts of at most %d gas; %d iterations; one-transaction bound %d gas", parts, j.SettleGas, res.Iterations, oneShot)
	if parts < 2 {
		t.Fatalf("settled in %d part", parts)
	}
	labeled := 0
	for _, l := range res.Labels {
		if l >= 0 && uint32(l) < uint32(s.classes) {
			labeled++
		}
	}
	if labeled != s.items || res.Paid == 0 {
		t.Fatalf("%d of %d items labeled, %d paid", labeled, s.items, res.Paid)
	}
	var txs [][]byte
	for w := 0; w < s.labelers(); w++ {
		n := fmt.Sprintf("w%d", w)
		var lb label.Labeler
		if err := c.Query("label/labeler/"+apptest.Addr(n).String(), nil, &lb); err != nil {
			t.Fatal(err)
		}
		if lb.Open != 0 || lb.Locked != 0 {
			t.Fatalf("%s after settlement: %+v", n, lb)
		}
		if lb.Stake > 0 {
			txs = append(txs, c.Sign(n, c.Msg("label/unstake", label.StakeMsg{Amount: lb.Stake})))
		}
	}
	mustAll(t, c, txs)
}

// TestExpireWhileSettling: a job whose parts stop coming still expires,
// refunds its requester, releases every stake and drops its settlement
// state (the invariants, checked after every block, refuse state left
// behind).
func TestExpireWhileSettling(t *testing.T) {
	for _, c := range []struct {
		name         string
		s            bigJob
		maxSettleGas uint64
		parts        int
	}{
		{"whole iterations", bigJob{items: 3_000, perItem: 3, batch: 100, classes: 16}, 6_000_000, 1},
		// Three sweep parts leave a model and mid-pass sums in state.
		{"sweeps", bigJob{items: 3_000, perItem: 3, batch: 1_000, classes: 64}, 1_340_000, 3},
	} {
		t.Run(c.name, func(t *testing.T) { expireWhileSettling(t, c.s, c.maxSettleGas, c.parts) })
	}
}

func expireWhileSettling(t *testing.T, s bigJob, maxSettleGas uint64, parts int) {
	p := label.DefaultParams()
	p.MaxSettleGas, p.ExpiryBlocks = maxSettleGas, 5
	c := s.chain(t, p, nil)
	j := s.run(t, c)
	for i := 0; i < parts; i++ {
		c.MustOK(c.Deliver(c.SignWith("settler", j.SettleGas, c.Msg("label/settle", label.JobMsg{Job: 1})))[0])
	}
	if getJob(t, c, 1).Status != label.StatusOpen {
		t.Fatal("the parts settled the job; the test wants it mid-settlement")
	}
	// The invariants, checked after every block, refuse settlement state
	// left for a job that is no longer open.
	for c.Height() <= j.ExpiryHeight {
		c.NextBlocks(1)
	}
	c.MustFail(c.Deliver(c.SignWith("settler", j.SettleGas, c.Msg("label/settle", label.JobMsg{Job: 1})))[0], label.CodeWindowClosed)
	before := balance(t, c, "alice")
	c.MustOK(c.Deliver(c.Sign("settler", c.Msg("label/expire", label.JobMsg{Job: 1})))[0])
	if got := balance(t, c, "alice") - before; got != j.Budget+j.Bond {
		t.Fatalf("requester got %d back, want %d", got, j.Budget+j.Bond)
	}
	var txs [][]byte
	for w := 0; w < s.labelers(); w++ {
		txs = append(txs, c.Sign(fmt.Sprintf("w%d", w), c.Msg("label/unstake", label.StakeMsg{Amount: 2 * j.MinStake})))
	}
	mustAll(t, c, txs)
}

// BenchmarkIssueJobSettles settles the issue-17 job, 83,000 items × 3
// labels over 64 classes by 249 labelers, with the chain's own parameters:
// it is accepted, settles by sweeps in parts each within its settle_gas
// (30M), and pays. It is a benchmark because it takes minutes; run it
// with -benchtime 1x. It reports the parts, the largest part's gas and
// the Dawid–Skene iterations.
func BenchmarkIssueJobSettles(b *testing.B) {
	s := bigJob{items: 83_000, perItem: 3, batch: 1_000, classes: 64}
	for n := 0; n < b.N; n++ {
		b.StopTimer()
		c := s.chain(b, label.DefaultParams(), nil)
		j := s.run(b, c)
		if !j.Parts || !j.Sweep {
			b.Fatalf("the issue's job: parts %v, sweep %v", j.Parts, j.Sweep)
		}
		b.StartTimer()
		var most uint64
		parts := 0
		for ; parts < 5_000; parts++ {
			r := c.Deliver(c.SignWith("settler", j.SettleGas, c.Msg("label/settle", label.JobMsg{Job: j.ID})))[0]
			c.MustOK(r)
			if r.GasUsed > j.SettleGas {
				b.Fatalf("part %d used %d gas above settle_gas %d", parts+1, r.GasUsed, j.SettleGas)
			}
			most = max(most, r.GasUsed)
			if getJob(b, c, j.ID).Status == label.StatusSettled {
				parts++
				break
			}
		}
		b.StopTimer()
		res := results(b, c, 1)
		if getJob(b, c, j.ID).Status != label.StatusSettled || res.Paid == 0 {
			b.Fatalf("after %d parts: job %s, paid %d", parts, getJob(b, c, j.ID).Status, res.Paid)
		}
		b.ReportMetric(float64(parts), "parts")
		b.ReportMetric(float64(most), "max-part-gas")
		b.ReportMetric(float64(res.Iterations), "iterations")
		b.Logf("%d parts of at most %d gas (settle_gas %d); %d iterations, %d gold overturned, paid %d", parts, most, j.SettleGas, res.Iterations, len(res.GoldOverturned), res.Paid)
		b.StartTimer()
	}
}
