package demo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"emergence/compute"
	"emergence/data/shard"
)

// readRecords reads the built dataset's records in id order (item i of a
// label job over the dataset is record i) with each one's class, the
// manual its URL comes from.
func readRecords(dir string) ([]record, error) {
	files, _ := filepath.Glob(filepath.Join(dir, "shard-*.parquet"))
	var recs []shard.Record
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		rs, err := shard.ReadShard(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		recs = append(recs, rs...)
	}
	shard.Sort(recs)
	var out []record
	for _, rec := range recs {
		class := ""
		for _, c := range classes() {
			if strings.Contains(rec.URL, "/"+c+"/") {
				class = c
			}
		}
		if class == "" {
			return nil, fmt.Errorf("record %s: URL %s is from no document set", rec.ID, rec.URL)
		}
		out = append(out, record{id: rec.ID, class: class})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no records in %s", dir)
	}
	return out, nil
}

func (r *runner) capture(p *person) string { return filepath.Join(r.work, p.name+"-iris.bin") }

func (r *runner) writeCSV(name string, rows func(w *strings.Builder)) (string, error) {
	var b strings.Builder
	rows(&b)
	p := filepath.Join(r.work, name)
	return p, os.WriteFile(p, []byte(b.String()), 0o644)
}

var personNames = []string{"ann", "ben", "cat", "dan", "eve", "fay", "gus", "hal", "ivy", "jon", "kim", "lou", "max", "ned", "ora", "pat"}

func (r *runner) label(ctx context.Context) (string, error) {
	// An enrolment operator (alice, with the device key orb) enrols the people.
	if err := r.keys(ctx, "orb"); err != nil {
		return "", err
	}
	if _, err := r.tx(ctx, "personhood", "register-operator", "--device", "orb", "--stake", "100emg", "--from", "alice"); err != nil {
		return "", err
	}
	var names []string
	for i := 0; i < r.cfg.Honest+r.cfg.Spammers; i++ {
		p := &person{name: personNames[i], labeler: personNames[i], spammer: i >= r.cfg.Honest}
		r.people = append(r.people, p)
		names = append(names, p.labeler)
		if p.spammer {
			r.track(p.labeler, "labeler (enrolled person, spams one class)")
		} else {
			r.track(p.labeler, "labeler (enrolled person, honest)")
		}
	}
	var sybils []string
	for i := 1; i <= r.cfg.Sybils; i++ {
		s := fmt.Sprintf("sybil%d", i)
		sybils = append(sybils, s)
		r.track(s, "labeler (sybil farm account, no personhood)")
	}
	if err := r.keys(ctx, append(append([]string(nil), names...), sybils...)...); err != nil {
		return "", err
	}
	if err := r.fund(ctx, "10emg", append(append([]string(nil), names...), sybils...)...); err != nil {
		return "", err
	}
	gallery := filepath.Join(r.work, "gallery.enc")
	commitments := make([]string, len(r.people))
	err := parallel(len(r.people), func(i int) error {
		p := r.people[i]
		if _, err := r.cli(ctx, "id", "create", p.name); err != nil {
			return err
		}
		out, err := r.cli(ctx, "id", "show", p.name)
		if err != nil {
			return err
		}
		commitments[i] = strings.TrimSpace(out)
		_, err = r.cli(ctx, "personhood", "synth-capture", "--person", p.name, "--capture", "1", "--out", r.capture(p))
		return err
	})
	if err != nil {
		return "", err
	}
	// One operator enrols one person at a time: each capture is checked
	// against the gallery of everyone enrolled before.
	for i, p := range r.people {
		if _, err := r.tx(ctx, "personhood", "enrol", commitments[i], "--device", "orb", "--from", "alice", "--capture", r.capture(p), "--gallery", gallery); err != nil {
			return "", err
		}
	}
	r.say("%d people enrolled by operator alice (synthetic iris captures, uniqueness checked)", len(r.people))
	err = parallel(len(r.people), func(i int) error {
		p := r.people[i]
		_, err := r.tx(ctx, "personhood", "prove-human", "label", "--name", p.name, "--from", p.labeler)
		return err
	})
	if err != nil {
		return "", err
	}
	r.say("each person bound one labeling account to their identity (zero-knowledge, unlinkable)")

	// The job: every record of the dataset is an item; its class is the
	// manual the page comes from. Gold: two items of each class.
	cls := classes()
	goldN := map[string]int{}
	gold, err := r.writeCSV("gold.csv", func(w *strings.Builder) {
		for _, rec := range r.records {
			if goldN[rec.class] < 2 {
				goldN[rec.class]++
				fmt.Fprintf(w, "%s,%s\n", rec.id, rec.class)
			}
		}
	})
	if err != nil {
		return "", err
	}
	honest, err := r.writeCSV("honest.csv", func(w *strings.Builder) {
		for _, rec := range r.records {
			fmt.Fprintf(w, "%s,%s\n", rec.id, rec.class)
		}
	})
	if err != nil {
		return "", err
	}
	spam, err := r.writeCSV("spam.csv", func(w *strings.Builder) {
		for _, rec := range r.records {
			fmt.Fprintf(w, "%s,%s\n", rec.id, cls[0])
		}
	})
	if err != nil {
		return "", err
	}
	perItem := len(r.people)
	res, err := r.tx(ctx, "label", "create-job", "--from", "lab", "--dataset", fmt.Sprint(r.dataset), "--classes", strings.Join(cls, ","),
		"--gold", gold, "--labels-per-item", strconv.Itoa(perItem), "--batch", strconv.Itoa(len(r.records)),
		"--reward", "10000uemg", "--min-stake", "1emg", "--commit-blocks", "100", "--reveal-blocks", "40", "--personhood")
	if err != nil {
		return "", err
	}
	r.labelJob, _ = strconv.ParseUint(attr(res, "label_job", "id"), 10, 64)
	if r.labelJob == 0 {
		return "", fmt.Errorf("create-job printed no job id")
	}
	r.say("label job %d over dataset %d: %d items, classes %s, %d labels per item, personhood required", r.labelJob, r.dataset, len(r.records), strings.Join(cls, "/"), perItem)

	// Every labeler is its own process: people and sybils at once.
	type outcome struct {
		name string
		err  error
		p    *proc
	}
	var wg sync.WaitGroup
	results := make(chan outcome, len(r.people)+len(sybils))
	all := append(append([]string(nil), names...), sybils...)
	for i, n := range all {
		answers := honest
		if i >= r.cfg.Honest {
			answers = spam
		}
		p, err := start(r.cfg.Bin, r.logs, "labeler-"+n, append([]string{"labeler", "--from", n, "--job", fmt.Sprint(r.labelJob), "--auto", answers, "--stake", "2emg"}, r.common()...)...)
		if err != nil {
			return "", err
		}
		r.demo.procs = append(r.demo.procs, p)
		wg.Add(1)
		go func() {
			defer wg.Done()
			wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
			defer cancel()
			results <- outcome{n, p.wait(wctx), p}
		}()
	}
	wg.Wait()
	close(results)
	refused := regexp.MustCompile(`label/20|personhood`)
	isSybil := map[string]bool{}
	for _, s := range sybils {
		isSybil[s] = true
	}
	r.rep.Sybils.Tried = len(sybils)
	for o := range results {
		switch {
		case isSybil[o.name] && o.err != nil && refused.MatchString(o.p.tail()):
			r.rep.Sybils.Refused++
			r.notes[o.name] = "refused: job requires proof of personhood (label/20)"
			r.rep.Sybils.Reason = "label/20: job requires proof of personhood"
		case isSybil[o.name]:
			return "", fmt.Errorf("sybil %s was not refused for lack of personhood: %v\n%s", o.name, o.err, o.p.tail())
		case o.err != nil:
			return "", o.err
		}
	}
	r.say("%d labelers committed and revealed; %d of %d sybil accounts refused (no personhood)", len(r.people), r.rep.Sybils.Refused, len(sybils))
	var j struct {
		RevealDeadline int64  `json:"reveal_deadline"`
		Status         string `json:"status"`
	}
	if err := r.query(ctx, "label", fmt.Sprintf("job/%d", r.labelJob), &j); err != nil {
		return "", err
	}
	wctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	r.say("waiting for the reveal window to close at height %d", j.RevealDeadline)
	if err := r.c.WaitHeight(wctx, j.RevealDeadline+1); err != nil {
		return "", fmt.Errorf("waiting for the reveal window to close: %w", err)
	}
	if _, err := r.tx(ctx, "label", "reveal-gold", "--job", fmt.Sprint(r.labelJob), "--from", "lab"); err != nil {
		return "", err
	}
	if _, err := r.tx(ctx, "label", "settle", "--job", fmt.Sprint(r.labelJob), "--from", "lab"); err != nil {
		return "", err
	}
	if err := r.query(ctx, "label", fmt.Sprintf("job/%d", r.labelJob), &j); err != nil {
		return "", err
	}
	if j.Status != "settled" {
		return "", fmt.Errorf("label job %d is %s after settle", r.labelJob, j.Status)
	}
	var earned, slashed uint64
	for _, p := range r.people {
		var lb struct{ Earned, Slashed uint64 }
		if err := r.query(ctx, "label", "labeler/"+r.addr[p.labeler], &lb); err != nil {
			return "", err
		}
		if p.spammer {
			slashed += lb.Slashed
			r.notes[p.labeler] = fmt.Sprintf("label job: earned %d, slashed %d uemg", lb.Earned, lb.Slashed)
		} else {
			earned += lb.Earned
			r.notes[p.labeler] = fmt.Sprintf("label job: earned %d uemg", lb.Earned)
		}
	}
	r.say("settled by integer Dawid-Skene with gold: honest labelers earned %d uemg, spammers slashed %d uemg", earned, slashed)
	return fmt.Sprintf("job %d settled: honest earned %d uemg, spammers slashed %d uemg, %d/%d sybils refused",
		r.labelJob, earned, slashed, r.rep.Sybils.Refused, len(sybils)), nil
}

// jobView is what 'job train -o json' prints.
type jobView struct {
	Job         compute.Job          `json:"job"`
	Assignments []compute.Assignment `json:"assignments"`
}

func (r *runner) train(ctx context.Context) (string, error) {
	// Two providers run the job; a third, dearer one stands by as the
	// referee the chain draws when it re-checks a result (with
	// probability recheck_permille) or the replicas disagree.
	providers := []string{"provider1", "provider2", "referee"}
	price := map[string]string{"provider1": "500", "provider2": "500", "referee": "800"}
	if err := r.keys(ctx, providers...); err != nil {
		return "", err
	}
	for _, p := range providers[:2] {
		r.track(p, "compute provider")
	}
	r.track("referee", "compute provider on standby as referee")
	if err := r.fund(ctx, "10emg", providers...); err != nil {
		return "", err
	}
	var procs []*proc
	for _, p := range providers {
		pr, err := start(r.cfg.Bin, r.logs, p, append([]string{"provider", "--from", p, "--mem-mib", "512", "--stake", "2emg",
			"--work-dir", filepath.Join(r.work, p), "--cores", "2", "--price", price[p]}, r.common()...)...)
		if err != nil {
			return "", err
		}
		r.demo.procs = append(r.demo.procs, pr)
		procs = append(procs, pr)
	}
	err := r.await(ctx, 5*time.Minute, "the providers' benchmarks", func() (bool, error) {
		for _, p := range providers {
			var pv compute.Provider
			if err := r.query(ctx, compute.Name, "provider/"+r.addr[p], &pv); err != nil || pv.Status != compute.ProviderReady {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		return "", err
	}
	r.say("3 providers registered and passed the chain's seeded benchmark (2 at 500 uemg per CPU-second, a referee at 800)")
	r.say("submitting the training job; the first run builds its trainer for wasip1 with go build (half a minute or more on a cold Go build cache) ...")
	out, err := r.cli(ctx, "job", "train", "--dataset", "digits", "--arch", "64-16-10", "--seed", "7", "--epochs", strconv.Itoa(r.cfg.TrainEpochs),
		"--price-cap", "500", "--from", "lab", "--wait", "10m", "-o", "json")
	if err != nil {
		return "", err
	}
	var v jobView
	if err := json.Unmarshal([]byte(lastJSON(out)), &v); err != nil {
		return "", fmt.Errorf("job train printed %q: %w", out, err)
	}
	if v.Job.Status != compute.JobDone || v.Job.Result == nil {
		return "", fmt.Errorf("training job %d ended %s without a result", v.Job.ID, v.Job.Status)
	}
	r.trainJob = v.Job.ID
	paid := 0
	for _, a := range v.Assignments {
		if a.State == compute.AsgPaid {
			paid++
		}
	}
	for _, p := range procs {
		p.stop()
	}
	dir := filepath.Join(r.work, "train")
	if _, err := r.cli(ctx, "job", "result", fmt.Sprint(r.trainJob), "--out", dir); err != nil {
		return "", err
	}
	for _, f := range v.Job.Result.Files {
		if f.Name == "model.json" {
			r.rep.Model.Blob = f.Blob
		}
	}
	if r.rep.Model.Blob == "" {
		return "", fmt.Errorf("training job %d output no model.json", r.trainJob)
	}
	var m struct {
		Commitment string `json:"commitment"`
	}
	raw, err := os.ReadFile(filepath.Join(dir, "model.json"))
	if err != nil {
		return "", err
	}
	if err := json.Unmarshal(raw, &m); err != nil || m.Commitment == "" {
		return "", fmt.Errorf("model.json of job %d has no commitment: %v", r.trainJob, err)
	}
	r.rep.Model.Commitment, r.rep.Model.Arch, r.rep.Model.TrainJob = m.Commitment, "64-16-10", r.trainJob
	r.say("job %d verified by %s: %d replicas paid, model %s (commitment %s)", r.trainJob, v.Job.Result.By, paid, short(r.rep.Model.Blob), short(m.Commitment))
	for _, a := range v.Assignments {
		for _, p := range providers {
			if a.Provider.String() == r.addr[p] {
				r.notes[p] = fmt.Sprintf("training job %d replica: %s %d uemg", v.Job.ID, a.State, a.Paid)
			}
		}
	}
	if paid < 2 {
		return "", fmt.Errorf("training job %d: %d replicas paid (result by %s); want 2 that agree", r.trainJob, paid, v.Job.Result.By)
	}
	return fmt.Sprintf("job %d: MLP 64-16-10 on digits, 2 providers agreed on model %s (verified by %s)", r.trainJob, short(r.rep.Model.Blob), v.Job.Result.By), nil
}

func (r *runner) attest(ctx context.Context) (string, error) {
	modelPath := filepath.Join(r.work, "train", "model.json")
	exam := filepath.Join(r.work, "exam.json")
	keys := filepath.Join(r.work, "exam-keys")
	proof := filepath.Join(r.work, "proof.json")
	if _, err := r.cli(ctx, "zkml", "exam", "--data", "digits", "--split", "test", "--limit", strconv.Itoa(r.cfg.ExamSize), "--out", exam); err != nil {
		return "", err
	}
	r.say("held-out exam: the first %d digits of the test split (never trained on)", r.cfg.ExamSize)
	if _, err := r.cli(ctx, "zkml", "setup", "--circuit", "exam", "--model", modelPath, "--exam", exam, "--keys", keys); err != nil {
		return "", err
	}
	r.say("one-party Groth16 setup of the exam circuit done (devnet keys)")
	if _, err := r.cli(ctx, "zkml", "prove", "--model", modelPath, "--keys", keys, "--out", proof, "--submitter", "lab"); err != nil {
		return "", err
	}
	var pf struct {
		Exam struct {
			Commitment string
			Claim, N   uint64
		}
	}
	raw, err := os.ReadFile(proof)
	if err != nil {
		return "", err
	}
	if err := json.Unmarshal(raw, &pf); err != nil {
		return "", fmt.Errorf("proof file: %w", err)
	}
	r.say("proved in zero knowledge: the committed model classifies %d/%d exam samples", pf.Exam.Claim, pf.Exam.N)
	res, err := r.tx(ctx, "zkml", "register", "--keys", keys, "--from", "lab")
	if err != nil {
		return "", err
	}
	r.rep.Model.Exam, _ = strconv.ParseUint(attr(res, "zkml/register", "id"), 10, 64)
	// A tampered link first: the same proof naming as the model a file the
	// training job did not output (the exam file). The chain refuses it; the
	// node's simulation says so and nothing is sent or charged.
	eb, err := os.ReadFile(exam)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(eb)
	other := hex.EncodeToString(sum[:])
	_, terr := r.tx(ctx, "zkml", "attest", "--exam", fmt.Sprint(r.rep.Model.Exam), "--proof", proof, "--dataset", fmt.Sprint(r.dataset),
		"--label-job", fmt.Sprint(r.labelJob), "--train-job", fmt.Sprint(r.trainJob), "--model", other, "--from", "lab")
	if terr == nil || !strings.Contains(terr.Error(), "zkml/20") {
		return "", fmt.Errorf("an attestation naming a file that is not the training job's model was not refused with zkml/20: %v", terr)
	}
	r.rep.Model.TamperedRefused = "zkml/20: model is not the training job's output"
	r.say("a tampered link (a model file the training job did not output) is refused: zkml/20")
	if _, err := r.tx(ctx, "zkml", "attest", "--exam", fmt.Sprint(r.rep.Model.Exam), "--proof", proof, "--dataset", fmt.Sprint(r.dataset),
		"--label-job", fmt.Sprint(r.labelJob), "--train-job", fmt.Sprint(r.trainJob), "--model", r.rep.Model.Blob, "--from", "lab"); err != nil {
		return "", err
	}
	var prov json.RawMessage
	if err := r.query(ctx, "zkml", "provenance/"+pf.Exam.Commitment, &prov); err != nil {
		return "", err
	}
	r.rep.Provenance = prov
	var pv struct {
		Attestations []struct {
			Attestation struct {
				ID, Claim, N, Exam          uint64
				Dataset, LabelJob, TrainJob uint64
			} `json:"attestation"`
			Exam     string `json:"exam"`
			Dataset  any    `json:"dataset"`
			LabelJob any    `json:"label_job"`
			TrainJob any    `json:"train_job"`
		} `json:"attestations"`
	}
	if err := json.Unmarshal(prov, &pv); err != nil || len(pv.Attestations) != 1 {
		return "", fmt.Errorf("provenance of %s: %v %s", pf.Exam.Commitment, err, prov)
	}
	a := pv.Attestations[0]
	m := &r.rep.Model
	m.Attestation, m.Claim, m.N, m.ExamName = a.Attestation.ID, a.Attestation.Claim, a.Attestation.N, a.Exam
	m.Dataset, m.LabelJob = r.dataset, r.labelJob
	if a.Dataset == nil || a.LabelJob == nil || a.TrainJob == nil {
		return "", fmt.Errorf("provenance misses a link: %s", prov)
	}
	r.say("attestation %d: %d/%d on exam %d, linked to dataset %d, label job %d and training job %d (checked by the chain)",
		m.Attestation, m.Claim, m.N, m.Exam, r.dataset, r.labelJob, r.trainJob)
	return fmt.Sprintf("attestation %d: %d/%d proven on exam %q; provenance: dataset %d, label job %d, training job %d",
		m.Attestation, m.Claim, m.N, m.ExamName, r.dataset, r.labelJob, r.trainJob), nil
}

func (r *runner) subnetStep(ctx context.Context) (string, error) {
	res, err := r.tx(ctx, "subnet", "create", "classify", "--tempo", "20", "--from", "lab")
	if err != nil {
		return "", err
	}
	r.netuid, err = strconv.ParseUint(attr(res, "subnet-created", "netuid"), 10, 64)
	if err != nil {
		return "", fmt.Errorf("subnet create printed no netuid")
	}
	r.rep.Model.NetUID, r.hasSubnet = r.netuid, true
	weak := filepath.Join(r.work, "weak-model.json")
	if _, err := r.cli(ctx, "zkml", "train", "--data", "digits", "--arch", "64-4-10", "--epochs", "1", "--out", weak); err != nil {
		return "", err
	}
	trained := filepath.Join(r.work, "train", "model.json")
	miners := []struct {
		name, model, noise, role string
	}{
		{"miner1", trained, "0", "subnet miner (serves the attested model)"},
		{"miner2", weak, "0", "subnet miner (serves a weaker 64-4-10 model)"},
		{"miner3", trained, "0.6", "subnet miner (claims the attested model, answers 60% at random)"},
	}
	validators := []string{"validator1", "validator2"}
	var names []string
	for _, m := range miners {
		names = append(names, m.name)
		r.track(m.name, m.role)
	}
	for _, v := range validators {
		r.track(v, "subnet validator (scores on held-out digits)")
	}
	names = append(names, validators...)
	if err := r.keys(ctx, names...); err != nil {
		return "", err
	}
	if err := r.fund(ctx, "50emg", names...); err != nil {
		return "", err
	}
	net := fmt.Sprint(r.netuid)
	err = parallel(len(names), func(i int) error {
		_, err := r.tx(ctx, "subnet", "register", net, "--from", names[i])
		return err
	})
	if err != nil {
		return "", err
	}
	err = parallel(len(validators), func(i int) error {
		_, err := r.tx(ctx, "subnet", "stake", net, r.addr[validators[i]], "20emg", "--from", validators[i])
		return err
	})
	if err != nil {
		return "", err
	}
	// The two miners that serve the attested model say so on chain, so the
	// model's provenance names the subnet, their uids and their earnings.
	err = parallel(2, func(i int) error {
		_, err := r.tx(ctx, "subnet", "serve-model", net, r.rep.Model.Commitment, "--from", []string{"miner1", "miner3"}[i])
		return err
	})
	if err != nil {
		return "", err
	}
	var procs []*proc
	for _, m := range miners {
		p, err := start(r.cfg.Bin, r.logs, m.name, append([]string{"subnet", "miner", "--netuid", net, "--model", m.model,
			"--listen", "127.0.0.1:0", "--noise", m.noise, "--from", m.name}, r.common()...)...)
		if err != nil {
			return "", err
		}
		r.demo.procs = append(r.demo.procs, p)
		procs = append(procs, p)
		wctx, cancel := context.WithTimeout(ctx, time.Minute)
		_, err = p.waitLine(wctx, regexp.MustCompile(`miner serving subnet`))
		cancel()
		if err != nil {
			return "", err
		}
	}
	for _, v := range validators {
		p, err := start(r.cfg.Bin, r.logs, v, append([]string{"subnet", "validator", "--netuid", net, "--data", "digits", "--from", v, "--poll", "200ms"}, r.common()...)...)
		if err != nil {
			return "", err
		}
		r.demo.procs = append(r.demo.procs, p)
		procs = append(procs, p)
	}
	r.say("subnet %d: 3 miner and 2 validator processes (validators stake 20 EMG, commit-reveal weights); miners 1 and 3 declared they serve the attested model", r.netuid)
	var mg metagraph
	if err := r.query(ctx, "subnet", "metagraph/"+net, &mg); err != nil {
		return "", err
	}
	first := mg.Epochs
	scored := uint64(0)
	err = r.await(ctx, 5*time.Minute, "scored subnet epochs", func() (bool, error) {
		if err := r.query(ctx, "subnet", "metagraph/"+net, &mg); err != nil {
			return false, err
		}
		var inc uint64
		for _, n := range mg.Neurons {
			inc += uint64(n.Incentive)
		}
		if inc > 0 && scored == 0 {
			scored = mg.Epochs
			r.say("epoch %d: the first epoch whose weights pay incentive", mg.Epochs)
		}
		return scored > 0 && mg.Epochs >= scored+uint64(r.cfg.Epochs)-1, nil
	})
	if err != nil {
		return "", err
	}
	for _, p := range procs {
		p.stop()
	}
	var parts []string
	for _, m := range miners {
		if n := mg.neuron(r.addr[m.name]); n != nil {
			parts = append(parts, fmt.Sprintf("%s %.3f", m.name, float64(n.Incentive)/65535))
			r.notes[m.name] = fmt.Sprintf("incentive %.3f", float64(n.Incentive)/65535)
		}
	}
	for _, v := range validators {
		if n := mg.neuron(r.addr[v]); n != nil {
			r.notes[v] = fmt.Sprintf("dividends %.3f", float64(n.Dividends)/65535)
		}
	}
	r.notes["lab"] = "pays every job; as subnet owner takes the owner cut of its emission"
	r.say("incentive after %d epochs: %s", mg.Epochs-first, strings.Join(parts, ", "))
	var prov json.RawMessage
	if err := r.query(ctx, "zkml", "provenance/"+r.rep.Model.Commitment, &prov); err != nil {
		return "", err
	}
	r.rep.Provenance = prov
	return fmt.Sprintf("subnet %d, %d epochs scored; incentive %s", r.netuid, r.cfg.Epochs, strings.Join(parts, ", ")), nil
}

type metagraph struct {
	Epochs  uint64 `json:"epochs"`
	Neurons []struct {
		Hotkey    string `json:"hotkey"`
		Stake     uint64 `json:"stake"`
		Incentive uint16 `json:"incentive"`
		Dividends uint16 `json:"dividends"`
		Emission  uint64 `json:"emission"`
	} `json:"neurons"`
}

func (m *metagraph) neuron(hotkey string) *struct {
	Hotkey    string `json:"hotkey"`
	Stake     uint64 `json:"stake"`
	Incentive uint16 `json:"incentive"`
	Dividends uint16 `json:"dividends"`
	Emission  uint64 `json:"emission"`
} {
	for i := range m.Neurons {
		if m.Neurons[i].Hotkey == hotkey {
			return &m.Neurons[i]
		}
	}
	return nil
}

func (r *runner) ubi(ctx context.Context) (string, error) {
	var paid int64
	for _, p := range r.people {
		to := "ubi-" + p.name
		if err := r.keys(ctx, to); err != nil {
			return "", err
		}
		r.track(to, "fresh address of "+p.name+"'s UBI claim")
		r.before[to] = 0
	}
	err := parallel(len(r.people), func(i int) error {
		p := r.people[i]
		_, err := r.send(ctx, "id", "claim", "--to", "ubi-"+p.name, "--name", p.name)
		return err
	})
	if err != nil {
		return "", err
	}
	for _, p := range r.people {
		b, err := r.balance(ctx, "ubi-"+p.name)
		if err != nil {
			return "", err
		}
		paid += b
		r.rep.UBIClaims++
	}
	r.say("%d people claimed this epoch's grant, each to a fresh address, unlinkable to their identity: %d uemg in all", r.rep.UBIClaims, paid)
	return fmt.Sprintf("%d claims, %d uemg paid from the UBI pool", r.rep.UBIClaims, paid), nil
}
