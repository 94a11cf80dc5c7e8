package zkml_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/consensys/gnark/logger"

	"emergence/app"
	"emergence/app/apptest"
	"emergence/compute"
	"emergence/compute/kernel"
	"emergence/data"
	"emergence/label"
	"emergence/zkml"
	"emergence/zkml/circuit"
	"emergence/zkml/model"
)

func sum(s string) [32]byte { return sha256.Sum256([]byte(s)) }

func hexSum(s string) string { h := sum(s); return hex.EncodeToString(h[:]) }

// links drives the whole chain (apptest.Full, the node's composition) to
// the records an attestation's provenance names.
type links struct {
	*apptest.Chain
	t *testing.T
}

func (l *links) deliver(who, kind string, v any) app.TxResult {
	l.t.Helper()
	return l.Deliver(l.SignWith(who, 10_000_000, l.Msg(kind, v)))[0]
}

// crawlDataset crawls one page with crawlers c1 and c2 (k = 2) and
// publishes it twice, as datasets 1 and 2 with roots "root 1" and "root 2".
func (l *links) crawlDataset() {
	l.t.Helper()
	for _, c := range []string{"c1", "c2"} {
		l.MustOK(l.deliver(c, data.MsgRegisterCrawler, data.RegisterCrawler{Stake: 1_000_000}))
	}
	url := "http://site.test/"
	l.MustOK(l.deliver("alice", data.MsgCreateCrawl, data.CreateCrawl{Seeds: []string{url}, Hosts: []string{"site.test"},
		MaxDepth: 1, MaxPages: 1, K: 2, PricePerPage: 1_000, Budget: 10_000, DeadlineBlocks: 100, CommitBlocks: 20,
		RevealBlocks: 20, Licence: "CC-BY-4.0"}))
	r := data.Receipt{Job: 1, URL: url, FinalURL: url, Status: 200, ContentType: "text/html",
		BodyHash: sum("body"), TextHash: sum("text"), WARC: sum("warc")}
	var reveals []data.RevealItem
	for _, c := range []string{"c1", "c2"} {
		ci, ri, err := data.Seal(r, 0, sum("salt "+c), apptest.Addr(c))
		if err != nil {
			l.t.Fatal(err)
		}
		reveals = append(reveals, ri)
		l.MustOK(l.deliver(c, data.MsgCommitReceipts, data.CommitReceipts{Job: 1, Items: []data.CommitItem{ci}}))
	}
	for i, c := range []string{"c1", "c2"} {
		l.MustOK(l.deliver(c, data.MsgRevealReceipts, data.RevealReceipts{Job: 1, Items: []data.RevealItem{reveals[i]}}))
	}
	for _, n := range []string{"1", "2"} {
		l.MustOK(l.deliver("alice", data.MsgPublish, data.Publish{Job: 1, Name: "site " + n, Root: hexSum("root " + n),
			Manifest: hexSum("manifest " + n), Shards: []string{hexSum("shard " + n)}, Records: 1, Licence: "CC-BY-4.0"}))
	}
}

// labelJob creates a one-item labeling job over dataset ds.
func (l *links) labelJob(ds uint64, items uint32) app.TxResult {
	l.t.Helper()
	gold := []label.GoldItem{{Item: 0, Class: 1}}
	m := hexSum(fmt.Sprintf("label manifest %d", ds))
	gc := label.GoldCommitment(m, gold, sum("gold salt"))
	return l.deliver("alice", "label/create-job", label.CreateJobMsg{Manifest: m, Items: items, Classes: []string{"no", "yes"},
		LabelsPerItem: 1, BatchSize: 1, RewardPerLabel: 1_000, MinStake: 1_000_000, GoldCommitment: hex.EncodeToString(gc[:]),
		GoldCount: 1, CommitBlocks: 3, RevealBlocks: 3, Dataset: ds})
}

// settleLabelJob has labeler l1 label job id and settles it.
func (l *links) settleLabelJob(id uint64) {
	l.t.Helper()
	l.MustOK(l.deliver("l1", "label/stake", label.StakeMsg{Amount: 2_000_000}))
	l.MustOK(l.deliver("l1", "label/request", label.JobMsg{Job: id}))
	items, answers, s := []uint32{0}, []uint32{1}, sum("labeler salt")
	h := label.AnswerCommitment(id, apptest.Addr("l1"), items, answers, s)
	l.MustOK(l.deliver("l1", "label/commit", label.CommitMsg{Job: id, Commitment: hex.EncodeToString(h[:])}))
	var j label.Job
	if err := l.Query(fmt.Sprintf("label/job/%d", id), nil, &j); err != nil {
		l.t.Fatal(err)
	}
	for l.Height() < j.CommitDeadline {
		l.NextBlocks(1)
	}
	l.MustOK(l.deliver("l1", "label/reveal", label.RevealMsg{Job: id, Items: items, Answers: answers, Salt: hex.EncodeToString(s[:])}))
	for l.Height() < j.RevealDeadline {
		l.NextBlocks(1)
	}
	gs := sum("gold salt")
	l.MustOK(l.deliver("alice", "label/reveal-gold", label.RevealGoldMsg{Job: id, Gold: []label.GoldItem{{Item: 0, Class: 1}}, Salt: hex.EncodeToString(gs[:])}))
	l.MustOK(l.deliver("l1", "label/settle", label.JobMsg{Job: id}))
}

// trainJob has providers p1 and p2 run compute job 1 to an agreed output
// whose file model.json has blob hash modelBlob, and submits job 2, left
// bidding (unverified).
func (l *links) trainJob(modelBlob string) {
	l.t.Helper()
	for _, p := range []string{"p1", "p2"} {
		l.MustOK(l.deliver(p, compute.MsgRegisterProvider, compute.RegisterProvider{Cores: 2, MemMiB: 1024, Price: 10, Stake: 10_000_000}))
		var pr compute.Provider
		if err := l.Query("compute/provider/"+apptest.Addr(p).String(), nil, &pr); err != nil || pr.Bench == nil {
			l.t.Fatalf("provider %s: %+v %v", p, pr, err)
		}
		seed, _ := hex.DecodeString(pr.Bench.Seed)
		l.MustOK(l.deliver(p, compute.MsgBenchmarkAnswer, compute.BenchmarkAnswer{Lanes: kernel.Answer([32]byte(seed), pr.Bench.Lanes, pr.Bench.Segments, pr.Bench.Steps)}))
	}
	sj := compute.SubmitJob{Wasm: hexSum("trainer"), Inputs: []string{hexSum("data")}, Args: []string{"--seed", "7"},
		MemMiB: 64, WallMs: 2_000, R: 2, PriceCap: 100, Budget: 400}
	l.MustOK(l.deliver("alice", compute.MsgSubmitJob, sj))
	for _, p := range []string{"p1", "p2"} {
		l.MustOK(l.deliver(p, compute.MsgBid, compute.Bid{Job: 1, Price: 20}))
	}
	job := func(id uint64) compute.Job {
		var j compute.Job
		if err := l.Query(fmt.Sprintf("compute/job/%d", id), nil, &j); err != nil {
			l.t.Fatal(err)
		}
		return j
	}
	for job(1).Status == compute.JobBidding {
		l.NextBlocks(1)
	}
	files := []compute.File{{Name: "model.json", Blob: modelBlob}, {Name: "summary.json", Blob: hexSum("summary")}}
	out, err := compute.OutputHash(0, files)
	if err != nil {
		l.t.Fatal(err)
	}
	for _, p := range []string{"p1", "p2"} {
		c := compute.CommitHash(1, apptest.Addr(p), out, sum("out salt "+p))
		l.MustOK(l.deliver(p, compute.MsgCommitResult, compute.CommitResult{Job: 1, Commit: hex.EncodeToString(c[:])}))
	}
	for _, p := range []string{"p1", "p2"} {
		s := sum("out salt " + p)
		l.MustOK(l.deliver(p, compute.MsgRevealResult, compute.RevealResult{Job: 1, Output: hex.EncodeToString(out[:]), Files: files, Salt: hex.EncodeToString(s[:])}))
	}
	if j := job(1); j.Status != compute.JobDone {
		l.t.Fatalf("training job %+v, want done", j)
	}
	l.MustOK(l.deliver("alice", compute.MsgSubmitJob, sj))
}

// TestProvenanceLinks: an attestation's dataset, labeling job and training
// job are each checked against the module that records them, through the
// node's composition of the chain with invariants after every block. Each
// tampered link is refused with its code and changes nothing; the honest
// chain of evidence is recorded whole.
func TestProvenanceLinks(t *testing.T) {
	logger.Disable()
	par := compute.DefaultParams()
	par.BenchSegments, par.BenchSteps, par.BenchSamples = 8, 2_000, 4
	par.RecheckPermille = 0
	bal := map[string]uint64{"alice": 1_000_000_000}
	for _, n := range []string{"bob", "carol", "c1", "c2", "l1", "p1", "p2"} {
		bal[n] = 100_000_000
	}
	l := &links{Chain: apptest.Full(t, apptest.Genesis{Balances: bal, Modules: map[string]any{"compute": compute.Genesis{Params: par}}}), t: t}
	l.crawlDataset()

	// A labeling job over a dataset: unknown dataset, items that are not
	// its records, then one over dataset 1 (settled) and one left open.
	l.MustFail(l.labelJob(99, 1), label.CodeDatasetNotFound)
	l.MustFail(l.labelJob(1, 2), label.CodeNotDatasetItems)
	l.MustOK(l.labelJob(1, 1))
	l.settleLabelJob(1)
	l.MustOK(l.labelJob(1, 1))
	var lj label.Job
	if err := l.Query("label/job/1", nil, &lj); err != nil || lj.Dataset != 1 || lj.DatasetRoot != hexSum("root 1") || lj.Status != label.StatusSettled {
		t.Fatalf("label job 1: %+v %v", lj, err)
	}

	m := tinyModel(t, "links")
	modelBlob := hexSum("model.json bytes")
	l.trainJob(modelBlob)

	exam := tinyExam(t, []int{0, 1, 2, 0, 1, 1})
	score, _ := exam.Score(m)
	ek := setup(t, circuit.Spec{Kind: circuit.KindExam, Shape: m.Shape(), Exam: exam})
	shape := model.HexElement(model.ShapeDigest(m.Shape()))
	l.MustOK(l.deliver("alice", "zkml/register-exam", zkml.MsgRegisterExam{Name: "tiny", ExamDigest: model.HexElement(exam.Digest()),
		N: uint64(exam.N()), ShapeDigest: shape, VK: ek.vk}))
	proof := proveExam(t, ek, m, exam, score, "bob")
	honest := zkml.MsgAttest{Exam: 1, Commitment: m.Commitment, Claim: uint64(score), Proof: proof,
		Dataset: 1, LabelJob: 1, TrainJob: 1, Model: modelBlob}
	attest := func(edit func(*zkml.MsgAttest)) app.TxResult {
		msg := honest
		edit(&msg)
		return l.deliver("bob", "zkml/attest", msg)
	}
	for _, c := range []struct {
		name string
		edit func(*zkml.MsgAttest)
		want app.Code
	}{
		{"unregistered dataset", func(a *zkml.MsgAttest) { a.Dataset = 99 }, zkml.CodeDatasetNotFound},
		{"unregistered root", func(a *zkml.MsgAttest) { a.Dataset, a.DatasetRoot = 0, hexSum("root 9") }, zkml.CodeDatasetNotFound},
		{"dataset with another's root", func(a *zkml.MsgAttest) { a.DatasetRoot = hexSum("root 2") }, zkml.CodeDatasetNotFound},
		{"label job over a different dataset", func(a *zkml.MsgAttest) { a.Dataset = 2 }, zkml.CodeLabelJobDataset},
		{"label job over a different root", func(a *zkml.MsgAttest) { a.Dataset, a.DatasetRoot = 0, hexSum("root 2") }, zkml.CodeLabelJobDataset},
		{"unknown label job", func(a *zkml.MsgAttest) { a.LabelJob = 99 }, zkml.CodeLabelJobNotFound},
		{"unsettled label job", func(a *zkml.MsgAttest) { a.LabelJob = 2 }, zkml.CodeLabelJobUnsettled},
		{"model that is not the job's output", func(a *zkml.MsgAttest) { a.Model = hexSum("another model") }, zkml.CodeNotJobOutput},
		{"another output file of the job", func(a *zkml.MsgAttest) { a.Model = hexSum("summary") }, zkml.CodeNotJobOutput},
		{"unverified training job", func(a *zkml.MsgAttest) { a.TrainJob = 2 }, zkml.CodeTrainJobUnverified},
		{"unknown training job", func(a *zkml.MsgAttest) { a.TrainJob = 99 }, zkml.CodeTrainJobUnverified},
		{"training job without its model", func(a *zkml.MsgAttest) { a.Model = "" }, zkml.CodeBadField},
		{"model not a hash", func(a *zkml.MsgAttest) { a.Model = "zz" }, zkml.CodeBadField},
	} {
		t.Run(c.name, func(t *testing.T) {
			l.Use(t)
			defer l.Use(l.t)
			res := attest(c.edit)
			l.MustFail(res, c.want)
			if res.GasUsed > 10_000_000 {
				t.Fatalf("gas %d", res.GasUsed)
			}
		})
	}
	var none zkml.ModelRecords
	if err := l.Query("zkml/model/"+m.Commitment, nil, &none); err != nil || len(none.Attestations) != 0 {
		t.Fatalf("refused attestations were recorded: %+v %v", none, err)
	}

	// The honest chain of evidence is recorded whole; an attestation that
	// names only the labeling job gets the job's dataset.
	l.MustOK(attest(func(*zkml.MsgAttest) {}))
	var a zkml.Attestation
	if err := l.Query("zkml/attestation/1", nil, &a); err != nil || a.Dataset != 1 || a.DatasetRoot != hexSum("root 1") ||
		a.LabelJob != 1 || a.TrainJob != 1 || a.Model != modelBlob {
		t.Fatalf("attestation 1: %+v %v", a, err)
	}
	l.MustOK(l.deliver("carol", "zkml/attest", zkml.MsgAttest{Exam: 1, Commitment: m.Commitment, Claim: uint64(score),
		Proof: proveExam(t, ek, m, exam, score, "carol"), LabelJob: 1}))
	a = zkml.Attestation{}
	if err := l.Query("zkml/attestation/2", nil, &a); err != nil || a.Dataset != 1 || a.DatasetRoot != hexSum("root 1") || a.TrainJob != 0 {
		t.Fatalf("attestation 2: %+v %v", a, err)
	}
	// The data side of the provenance lists what was built on each
	// dataset: dataset 1 has both labeling jobs (settled and open) and both
	// attestations; dataset 2, which the refused attestations named, has
	// none: no refused attestation left a back-link.
	for _, c := range []struct {
		ds           uint64
		jobs, attest []uint64
	}{{1, []uint64{1, 2}, []uint64{1, 2}}, {2, []uint64{}, []uint64{}}} {
		var p data.Provenance
		if err := l.Query(fmt.Sprintf("data/provenance/%d", c.ds), nil, &p); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(p.LabelJobs) != fmt.Sprint(c.jobs) || fmt.Sprint(p.Attestations) != fmt.Sprint(c.attest) {
			t.Errorf("dataset %d provenance: label jobs %v, attestations %v; want %v and %v", c.ds, p.LabelJobs, p.Attestations, c.jobs, c.attest)
		}
	}
}

// TestProvenanceQuery: the provenance query shows a model's chain of
// evidence from the records the links name: the dataset's crawl job and
// crawlers, the labeling job's labeler with its outcome, the training
// job's verified output and its providers.
func TestProvenanceQuery(t *testing.T) {
	logger.Disable()
	par := compute.DefaultParams()
	par.BenchSegments, par.BenchSteps, par.BenchSamples = 8, 2_000, 4
	par.RecheckPermille = 0
	bal := map[string]uint64{"alice": 1_000_000_000}
	for _, n := range []string{"bob", "c1", "c2", "l1", "p1", "p2"} {
		bal[n] = 100_000_000
	}
	l := &links{Chain: apptest.Full(t, apptest.Genesis{Balances: bal, Modules: map[string]any{"compute": compute.Genesis{Params: par}}}), t: t}
	l.crawlDataset()
	l.MustOK(l.labelJob(1, 1))
	l.settleLabelJob(1)
	modelBlob := hexSum("model.json bytes")
	l.trainJob(modelBlob)
	m := tinyModel(t, "links")
	exam := tinyExam(t, []int{0, 1, 2, 0, 1, 1})
	score, _ := exam.Score(m)
	ek := setup(t, circuit.Spec{Kind: circuit.KindExam, Shape: m.Shape(), Exam: exam})
	l.MustOK(l.deliver("alice", "zkml/register-exam", zkml.MsgRegisterExam{Name: "tiny", ExamDigest: model.HexElement(exam.Digest()),
		N: uint64(exam.N()), ShapeDigest: model.HexElement(model.ShapeDigest(m.Shape())), VK: ek.vk}))

	if err := l.Query("zkml/provenance/"+m.Commitment, nil, &zkml.Provenance{}); app.CodeOf(err) != zkml.CodeModelNotFound {
		t.Fatalf("provenance of an unattested model: %v", err)
	}
	l.MustOK(l.deliver("bob", "zkml/attest", zkml.MsgAttest{Exam: 1, Commitment: m.Commitment, Claim: uint64(score),
		Proof: proveExam(t, ek, m, exam, score, "bob"), LabelJob: 1, TrainJob: 1, Model: modelBlob}))
	var got struct {
		Commitment   string
		Attestations []struct {
			Attestation zkml.Attestation
			Exam        string
			Dataset     data.Provenance
			LabelJob    label.Evidence   `json:"label_job"`
			TrainJob    compute.Evidence `json:"train_job"`
		}
	}
	if err := l.Query("zkml/provenance/"+m.Commitment, nil, &got); err != nil || len(got.Attestations) != 1 {
		t.Fatalf("provenance: %+v %v", got, err)
	}
	e := got.Attestations[0]
	if e.Exam != "tiny" || e.Attestation.Claim != uint64(score) || e.Attestation.Dataset != 1 {
		t.Errorf("attestation %+v on exam %q", e.Attestation, e.Exam)
	}
	if e.Dataset.Dataset.Root != hexSum("root 1") || e.Dataset.Job.ID != 1 || len(e.Dataset.Crawlers) != 2 {
		t.Errorf("dataset evidence %+v", e.Dataset)
	}
	if e.LabelJob.Dataset != 1 || e.LabelJob.Status != label.StatusSettled || len(e.LabelJob.Labelers) != 1 ||
		e.LabelJob.Labelers[0].Labeler != apptest.Addr("l1") || !e.LabelJob.Labelers[0].Revealed || e.LabelJob.ResultsRoot == "" {
		t.Errorf("label evidence %+v", e.LabelJob)
	}
	if e.TrainJob.Status != compute.JobDone || e.TrainJob.Result == nil || e.TrainJob.Result.Files[0].Blob != modelBlob || len(e.TrainJob.Providers) != 2 {
		t.Errorf("training evidence %+v", e.TrainJob)
	}
	if err := l.Query("zkml/provenance/not-a-commitment", nil, &got); app.CodeOf(err) != app.CodeBadQuery {
		t.Errorf("malformed commitment: %v", err)
	}
}
