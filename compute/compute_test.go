package compute_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"

	"emergence/app/apptest"
	"emergence/compute"
	"emergence/compute/kernel"
)

// testParams are small enough that a benchmark takes milliseconds.
func testParams() compute.Params {
	p := compute.DefaultParams()
	p.BenchSegments, p.BenchSteps, p.BenchSamples = 8, 2_000, 4
	p.RecheckPermille = 0
	return p
}

type net struct {
	*apptest.Chain
	t *testing.T
}

func newNet(t *testing.T, par compute.Params, names ...string) *net {
	t.Helper()
	bal := map[string]uint64{"alice": 1_000_000_000}
	for _, n := range names {
		bal[n] = 100_000_000
	}
	c := apptest.Full(t, apptest.Genesis{Balances: bal, Modules: map[string]any{"compute": compute.Genesis{Params: par}}})
	return &net{Chain: c, t: t}
}

func (n *net) provider(name string) compute.Provider {
	n.t.Helper()
	var p compute.Provider
	if err := n.Query("compute/provider/"+apptest.Addr(name).String(), nil, &p); err != nil {
		n.t.Fatal(err)
	}
	return p
}

func (n *net) job(id uint64) compute.Job {
	n.t.Helper()
	var j compute.Job
	if err := n.Query(fmt.Sprintf("compute/job/%d", id), nil, &j); err != nil {
		n.t.Fatal(err)
	}
	return j
}

// answer computes a provider's pending benchmark with the reference kernel.
func answer(t *testing.T, p compute.Provider) compute.BenchmarkAnswer {
	t.Helper()
	if p.Bench == nil {
		t.Fatalf("provider %s has no benchmark", p.Address)
	}
	seed, err := hex.DecodeString(p.Bench.Seed)
	if err != nil {
		t.Fatal(err)
	}
	return compute.BenchmarkAnswer{Lanes: kernel.Answer([32]byte(seed), p.Bench.Lanes, p.Bench.Segments, p.Bench.Steps)}
}

// ready registers providers and has them pass their benchmarks.
func (n *net) ready(cores uint32, names ...string) {
	n.t.Helper()
	var txs [][]byte
	for _, name := range names {
		txs = append(txs, n.Sign(name, n.Msg(compute.MsgRegisterProvider, compute.RegisterProvider{Cores: cores, MemMiB: 1024, Price: 10, Stake: 10_000_000})))
	}
	for _, r := range n.Deliver(txs...) {
		n.MustOK(r)
	}
	txs = txs[:0]
	for _, name := range names {
		txs = append(txs, n.Sign(name, n.Msg(compute.MsgBenchmarkAnswer, answer(n.t, n.provider(name)))))
	}
	for _, r := range n.Deliver(txs...) {
		n.MustOK(r)
	}
	for _, name := range names {
		if p := n.provider(name); p.Status != compute.ProviderReady || p.Speed == 0 {
			n.t.Fatalf("%s: status %s speed %d after its answer", name, p.Status, p.Speed)
		}
	}
}

func blob(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

func job() compute.SubmitJob {
	return compute.SubmitJob{Wasm: blob("module"), Inputs: []string{blob("input")}, Args: []string{"--n", "3"},
		MemMiB: 64, WallMs: 2_000, R: 2, PriceCap: 100, Budget: 400}
}

// output is a run's result as a provider reveals it.
type output struct {
	files []compute.File
	hash  [32]byte
	salt  [32]byte
}

func runOutput(t *testing.T, content string, salt byte) output {
	t.Helper()
	files := []compute.File{{Name: "stdout", Blob: blob(content)}}
	h, err := compute.OutputHash(0, files)
	if err != nil {
		t.Fatal(err)
	}
	return output{files: files, hash: h, salt: [32]byte{salt}}
}

func (n *net) commit(name string, id uint64, o output) []byte {
	c := compute.CommitHash(id, apptest.Addr(name), o.hash, o.salt)
	return n.Sign(name, n.Msg(compute.MsgCommitResult, compute.CommitResult{Job: id, Commit: hex.EncodeToString(c[:])}))
}

func (n *net) reveal(name string, id uint64, o output) []byte {
	return n.Sign(name, n.Msg(compute.MsgRevealResult, compute.RevealResult{Job: id, Output: hex.EncodeToString(o.hash[:]),
		Files: o.files, Salt: hex.EncodeToString(o.salt[:])}))
}

// assignedTo returns the providers (by test name) a job is assigned to.
func (n *net) assignedTo(id uint64, names ...string) []string {
	n.t.Helper()
	var page compute.AssignmentPage
	if err := n.Query(fmt.Sprintf("compute/job/%d/assignments", id), nil, &page); err != nil {
		n.t.Fatal(err)
	}
	var out []string
	for _, a := range page.Assignments {
		if a.State != compute.AsgAssigned {
			continue
		}
		for _, name := range names {
			if apptest.Addr(name) == a.Provider {
				out = append(out, name)
			}
		}
	}
	return out
}

// submitAndAssign submits a job, has bidders bid at their prices and
// closes the bid window.
func (n *net) submitAndAssign(j compute.SubmitJob, prices map[string]uint64, names ...string) uint64 {
	n.t.Helper()
	n.MustOK(n.Deliver(n.Sign("alice", n.Msg(compute.MsgSubmitJob, j)))[0])
	var page compute.JobPage
	if err := n.Query("compute/open-jobs", nil, &page); err != nil || len(page.Jobs) == 0 {
		n.t.Fatalf("open jobs: %v %v", page, err)
	}
	id := page.Jobs[len(page.Jobs)-1].ID
	var txs [][]byte
	for _, name := range names {
		txs = append(txs, n.Sign(name, n.Msg(compute.MsgBid, compute.Bid{Job: id, Price: prices[name]})))
	}
	for _, r := range n.Deliver(txs...) {
		n.MustOK(r)
	}
	for n.job(id).Status == compute.JobBidding {
		n.Deliver()
	}
	return id
}

func TestAgreementPays(t *testing.T) {
	n := newNet(t, testParams(), "p1", "p2", "p3")
	n.ready(2, "p1", "p2", "p3")
	id := n.submitAndAssign(job(), map[string]uint64{"p1": 30, "p2": 20, "p3": 50}, "p1", "p2", "p3")
	got := n.assignedTo(id, "p1", "p2", "p3")
	if len(got) != 2 || got[0] == "p3" || got[1] == "p3" {
		t.Fatalf("assigned %v, want the two cheapest (p1, p2)", got)
	}
	before := n.provider("p2").Earned
	o := runOutput(t, "42", 1)
	for _, r := range n.Deliver(n.commit("p1", id, o), n.commit("p2", id, o)) {
		n.MustOK(r)
	}
	if s := n.job(id).Status; s != compute.JobRevealing {
		t.Fatalf("status %s after both commits", s)
	}
	for _, r := range n.Deliver(n.reveal("p1", id, o), n.reveal("p2", id, o)) {
		n.MustOK(r)
	}
	j := n.job(id)
	if j.Status != compute.JobDone || j.Result == nil || j.Result.By != "agreement" {
		t.Fatalf("job %+v, want done by agreement", j)
	}
	if got, want := n.provider("p2").Earned-before, uint64(20*2); got != want {
		t.Fatalf("p2 earned %d, want %d (its bid for 2 s)", got, want)
	}
	if j.Paid != 30*2+20*2 || j.Refund != 400-j.Paid {
		t.Fatalf("paid %d refunded %d", j.Paid, j.Refund)
	}
	if p := n.provider("p1"); p.Active != 0 || p.Reputation != 1 {
		t.Fatalf("p1 active %d reputation %d", p.Active, p.Reputation)
	}
}

func TestDisagreementRefereeSlashes(t *testing.T) {
	n := newNet(t, testParams(), "p1", "p2", "p3")
	n.ready(2, "p1", "p2", "p3")
	id := n.submitAndAssign(job(), map[string]uint64{"p1": 30, "p2": 20}, "p1", "p2")
	good, bad := runOutput(t, "42", 1), runOutput(t, "garbage", 2)
	for _, r := range n.Deliver(n.commit("p1", id, good), n.commit("p2", id, bad)) {
		n.MustOK(r)
	}
	for _, r := range n.Deliver(n.reveal("p1", id, good), n.reveal("p2", id, bad)) {
		n.MustOK(r)
	}
	j := n.job(id)
	if j.Status != compute.JobRefereeing || j.Referee != apptest.Addr("p3") {
		t.Fatalf("job %s referee %s, want refereeing by p3", j.Status, j.Referee)
	}
	stake := n.provider("p2").Stake
	n.MustOK(n.Deliver(n.Sign("p3", n.Msg(compute.MsgRefereeResult, compute.RefereeResult{Job: id,
		Output: hex.EncodeToString(good.hash[:]), Files: good.files})))[0])
	j = n.job(id)
	if j.Status != compute.JobDone || j.Result.By != "referee" || j.Result.Output != hex.EncodeToString(good.hash[:]) {
		t.Fatalf("job %+v", j)
	}
	if p := n.provider("p2"); p.Stake != stake/2 || p.Earned != 0 || p.Reputation != 0 {
		t.Fatalf("cheater p2: stake %d (was %d) earned %d", p.Stake, stake, p.Earned)
	}
	if p := n.provider("p1"); p.Earned != 60 {
		t.Fatalf("honest p1 earned %d, want 60", p.Earned)
	}
	if p := n.provider("p3"); p.Earned == 0 {
		t.Fatalf("referee p3 was not paid")
	}
}

// TestBidWindowClosesOnceRBidsAreIn pins the early close: the window
// ends at the end of the block that brings the job's r-th bid, the bids of
// that block compete on price, and later bids find the window closed.
func TestBidWindowClosesOnceRBidsAreIn(t *testing.T) {
	n := newNet(t, testParams(), "p1", "p2", "p3", "p4")
	n.ready(2, "p1", "p2", "p3", "p4")
	n.MustOK(n.Deliver(n.Sign("alice", n.Msg(compute.MsgSubmitJob, job())))[0])
	submitted := n.Height()
	const id = 1
	bid := func(name string, price uint64) []byte {
		return n.Sign(name, n.Msg(compute.MsgBid, compute.Bid{Job: id, Price: price}))
	}
	// One bid: r = 2 is not reached, the window stays open.
	n.MustOK(n.Deliver(bid("p3", 50))[0])
	if j := n.job(id); j.Status != compute.JobBidding || j.Deadline != submitted+testParams().BidBlocks {
		t.Fatalf("after one bid: %s until %d, want bidding until %d", j.Status, j.Deadline, submitted+testParams().BidBlocks)
	}
	// Two more in one block: the second bid is the r-th, and the window
	// closes at this block's end with both of its bids and the earlier
	// one in the auction: the two cheapest win.
	for _, r := range n.Deliver(bid("p1", 30), bid("p2", 20)) {
		n.MustOK(r)
	}
	closed := n.Height()
	j := n.job(id)
	if j.Status != compute.JobRunning || closed >= submitted+testParams().BidBlocks {
		t.Fatalf("after the r-th bid at %d: %s (submitted %d), want running before the window's end", closed, j.Status, submitted)
	}
	if got := n.assignedTo(id, "p1", "p2", "p3"); len(got) != 2 || got[0] == "p3" || got[1] == "p3" {
		t.Fatalf("assigned %v, want the two cheapest (p1, p2)", got)
	}
	if want := closed + testParams().ExecBlocks + int64(j.Seconds()); j.Deadline != want {
		t.Fatalf("commit deadline %d, want %d (exec window from the close)", j.Deadline, want)
	}
	n.MustFail(n.Deliver(bid("p4", 10))[0], compute.CodeWindowClosed)
}

// TestFailedEarlyCloseRebids: when the r-th bid lands but a bidder has no
// free core by the block's end (another job took it), the job is not
// assigned short and does not expire: it gets another window, and its
// bids are assigned once the bidders are free.
func TestFailedEarlyCloseRebids(t *testing.T) {
	par := testParams()
	n := newNet(t, par, "p1", "p2")
	n.ready(1, "p1", "p2")
	var txs [][]byte
	for i := 0; i < 2; i++ {
		txs = append(txs, n.Sign("alice", n.Msg(compute.MsgSubmitJob, job())))
	}
	for _, r := range n.Deliver(txs...) {
		n.MustOK(r)
	}
	txs = txs[:0]
	for _, id := range []uint64{1, 2} {
		for _, p := range []string{"p1", "p2"} {
			txs = append(txs, n.Sign(p, n.Msg(compute.MsgBid, compute.Bid{Job: id, Price: 10})))
		}
	}
	for _, r := range n.Deliver(txs...) {
		n.MustOK(r)
	}
	if j := n.job(1); j.Status != compute.JobRunning {
		t.Fatalf("job 1 is %s, want running", j.Status)
	}
	j2 := n.job(2)
	if j2.Status != compute.JobBidding || j2.Rounds != 2 {
		t.Fatalf("job 2 is %s in round %d, want bidding in round 2 (both bidders busy with job 1)", j2.Status, j2.Rounds)
	}
	o := runOutput(t, "42", 1)
	for _, r := range n.Deliver(n.commit("p1", 1, o), n.commit("p2", 1, o)) {
		n.MustOK(r)
	}
	for _, r := range n.Deliver(n.reveal("p1", 1, o), n.reveal("p2", 1, o)) {
		n.MustOK(r)
	}
	if j := n.job(1); j.Status != compute.JobDone {
		t.Fatalf("job 1 is %s, want done", j.Status)
	}
	for n.job(2).Status == compute.JobBidding {
		n.Deliver()
	}
	if j := n.job(2); j.Status != compute.JobRunning || len(n.assignedTo(2, "p1", "p2")) != 2 {
		t.Fatalf("job 2 is %s, want running on p1 and p2", j.Status)
	}
}

// TestEqualBidsSpreadOverFreeCores: jobs whose windows close in one block
// with equal bids from the same providers are spread by free cores, so no
// provider's cores are stranded: three 2-core providers take three r = 2
// jobs, each provider two replicas (a random tie-break could give one
// provider three jobs' worth of demand and leave a job unassigned).
func TestEqualBidsSpreadOverFreeCores(t *testing.T) {
	n := newNet(t, testParams(), "p1", "p2", "p3")
	n.ready(2, "p1", "p2", "p3")
	var txs [][]byte
	for i := 0; i < 3; i++ {
		txs = append(txs, n.Sign("alice", n.Msg(compute.MsgSubmitJob, job())))
	}
	for _, r := range n.Deliver(txs...) {
		n.MustOK(r)
	}
	txs = txs[:0]
	for id := uint64(1); id <= 3; id++ {
		for _, p := range []string{"p1", "p2", "p3"} {
			txs = append(txs, n.Sign(p, n.Msg(compute.MsgBid, compute.Bid{Job: id, Price: 10})))
		}
	}
	for _, r := range n.Deliver(txs...) {
		n.MustOK(r)
	}
	for id := uint64(1); id <= 3; id++ {
		if j := n.job(id); j.Status != compute.JobRunning {
			t.Fatalf("job %d is %s, want running", id, j.Status)
		}
	}
	for _, p := range []string{"p1", "p2", "p3"} {
		if a := n.provider(p).Active; a != 2 {
			t.Fatalf("%s holds %d replicas, want 2", p, a)
		}
	}
}

// TestBusyProviderReferees: when every provider that could referee is
// busy, the best of them is drawn (it runs the referee job when a core
// frees) rather than the requester, who may run nothing: on a small
// network every re-check would otherwise leave the job unresolved.
func TestBusyProviderReferees(t *testing.T) {
	n := newNet(t, testParams(), "p1", "p2", "p3")
	n.ready(1, "p1", "p2", "p3")
	solo := job()
	solo.R, solo.Budget = 1, 200
	other := n.submitAndAssign(solo, map[string]uint64{"p3": 10}, "p3")
	if got := n.assignedTo(other, "p3"); len(got) != 1 {
		t.Fatalf("job %d assigned %v, want p3", other, got)
	}
	id := n.submitAndAssign(job(), map[string]uint64{"p1": 10, "p2": 10}, "p1", "p2")
	good, bad := runOutput(t, "42", 1), runOutput(t, "garbage", 2)
	for _, r := range n.Deliver(n.commit("p1", id, good), n.commit("p2", id, bad)) {
		n.MustOK(r)
	}
	for _, r := range n.Deliver(n.reveal("p1", id, good), n.reveal("p2", id, bad)) {
		n.MustOK(r)
	}
	j := n.job(id)
	if j.Status != compute.JobRefereeing || j.RefereeRequester || j.Referee != apptest.Addr("p3") {
		t.Fatalf("job %s referee %s (requester %v), want p3 though its one core is busy", j.Status, j.Referee, j.RefereeRequester)
	}
	if p := n.provider("p3"); p.Active != 2 {
		t.Fatalf("p3 holds %d duties, want its job and the referee duty", p.Active)
	}
	n.MustOK(n.Deliver(n.Sign("p3", n.Msg(compute.MsgRefereeResult, compute.RefereeResult{Job: id,
		Output: hex.EncodeToString(good.hash[:]), Files: good.files})))[0])
	if j := n.job(id); j.Status != compute.JobDone || j.Result.By != "referee" {
		t.Fatalf("job %+v, want done by the referee", j)
	}
}
