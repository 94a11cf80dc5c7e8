package gasbench

import (
	"encoding/hex"
	"fmt"
	"strings"

	"emergence/app/apptest"
	"emergence/compute"
	"emergence/data"
	"emergence/label"
	"emergence/zkml"
	"emergence/zkml/model"
)

// linkedDataset is a dataset published through the data module's real
// messages: a crawl job over pages seeds, agreed by k = 2 of the
// registered crawlers, then published copies times with the same Merkle
// root, each record at its largest (MaxShards shard hashes, the longest
// name and licence). Its datasets are 1 to copies, each of pages records.
type linkedDataset struct {
	pages, copies int
}

// root is the Merkle root every copy registers.
func (linkedDataset) root() string {
	h := dataHash("gasbench linked dataset root")
	return hex.EncodeToString(h[:])
}

// publish brings the chain to the published datasets: crawlers dc0…dc7,
// job 1 from dr0, its pages agreed by the two crawlers assigned each, and
// the copies published by dr0 (in blocks within the block gas limit).
func (d linkedDataset) publish(c *apptest.Chain) {
	names := dataCrawlers(c, 8)
	dataJob(c, "dr0", 2, dataSeeds("d", d.pages), uint32(d.pages), 8)
	w := agreedWork(c, names, 1, d.pages)
	deliverOK(c, w.commitTxs(c, 1))
	deliverOK(c, w.revealTxs(c, 1, w.names, 8))
	var j data.Job
	if err := c.Query("data/job/1", nil, &j); err != nil || j.Accepted != uint64(d.pages) {
		fail("crawl job 1 accepted %d of %d pages (%v)", j.Accepted, d.pages, err)
	}
	shards := make([]string, data.MaxShards)
	for i := range shards {
		h := dataHash(fmt.Sprint("linked shard ", i))
		shards[i] = hex.EncodeToString(h[:])
	}
	gas := data.GasPublish + uint64(len(shards))*data.GasPerShard + 1_500_000
	var txs [][]byte
	for i := 0; i < d.copies; i++ {
		txs = append(txs, c.SignWith("dr0", gas, c.Msg(data.MsgPublish, data.Publish{
			Job: 1, Name: strings.Repeat("n", data.MaxNameLen), Root: d.root(), Manifest: d.root(), Shards: shards,
			Records: uint64(d.pages), Price: 1_000_000, Licence: strings.Repeat("l", data.MaxLicenceLen)})))
	}
	for len(txs) > 0 {
		n := min(len(txs), 16)
		deliverOK(c, txs[:n])
		txs = txs[n:]
	}
}

// trainedModel is the blob hash of the model file of every verified
// training job trainJobs makes.
var trainedModel = hashOf("gasbench trained model")

// trainJobs runs n training jobs at every list bound to a verified result
// whose MaxFiles files (the longest names) include compute.ModelFile, by
// compute.MaxR providers that all reveal it; it returns the job ids.
func trainJobs(c *apptest.Chain, n int) []uint64 {
	provs := computeProviders(c, "p", compute.MaxR, compute.MaxCores)
	files, _ := worstFiles("trained")
	files[len(files)-1] = compute.File{Name: compute.ModelFile, Blob: trainedModel}
	h, err := compute.OutputHash(0, files)
	if err != nil {
		fail("output hash: %v", err)
	}
	out := hex.EncodeToString(h[:])
	ids := runToReveal(c, n, provs, func(uint64, int) string { return out })
	var txs [][]byte
	for _, id := range ids {
		for _, p := range provs {
			txs = append(txs, c.Sign(p, c.Msg(compute.MsgRevealResult, compute.RevealResult{Job: id, Output: out, Files: files, Salt: hex.EncodeToString([]byte{31: 0, 0: 1})})))
		}
	}
	deliverOK(c, txs)
	for _, id := range ids {
		var j compute.Job
		if err := c.Query(fmt.Sprintf("compute/job/%d", id), nil, &j); err != nil || j.Status != compute.JobDone {
			fail("training job %d is %s (%v), want done", id, j.Status, err)
		}
	}
	return ids
}

// linkCases: the kinds that name a dataset, at the largest dataset record
// (label/create-job with a dataset; zkml/attest naming a dataset, a
// labeling job and a training job, or the dataset by its root alone).
func linkCases(div int) []Case {
	ds := linkedDataset{pages: max(4, 64/div), copies: max(2, 64/div)}
	jobs := max(2, 20/div)
	bal := funded("dc", 8, 10_000_000)
	bal["dr0"] = 1 << 40
	for k, v := range funded("l", 2, 100_000_000) {
		bal[k] = v
	}
	for k, v := range funded("p", compute.MaxR, 100_000_000) {
		bal[k] = v
	}
	bal["req"], bal["requester"] = 1<<50, 100_000_000_000
	bal["alice"], bal["bob"] = 100_000_000, 100_000_000
	// No random re-check of agreed results, so that every training job is
	// verified by its replicas' agreement.
	g := computeGenesis(bal, false)
	cp := g.Modules["compute"].(compute.Genesis)
	cp.Params.RecheckPermille = 0
	g.Modules["compute"] = cp
	over := job{items: ds.pages, perItem: 2, batch: ds.pages, classes: 2, labelers: 2, dataset: 1}
	return []Case{
		{
			Kind: "label/create-job", Shape: fmt.Sprintf("%d jobs of %d items over dataset 1, a record of %d shard hashes, each noting its back-link", jobs, ds.pages, data.MaxShards),
			Genesis: g,
			Prepare: func(c *apptest.Chain) [][]byte {
				ds.publish(c)
				var txs [][]byte
				for i := 0; i < jobs; i++ {
					txs = append(txs, c.SignWith("req", 5_000_000, c.Msg("label/create-job", over.createMsg())))
				}
				return txs
			},
		},
		{
			Kind: "zkml/attest", Shape: fmt.Sprintf("a 4-commitment proof, key cache cold, naming dataset 1 (%d shard hashes), a settled labeling job over it and a verified training job (%d files)", data.MaxShards, compute.MaxFiles),
			Genesis: g,
			Prepare: func(c *apptest.Chain) [][]byte {
				ds.publish(c)
				over.run(c, goldRevealed, false)
				deliverAll(c, settleTx(c, "label/settle"))
				var lj label.Job
				if err := c.Query("label/job/1", nil, &lj); err != nil || lj.Status != label.StatusSettled {
					fail("labeling job 1 is %s (%v), want settled", lj.Status, err)
				}
				train := trainJobs(c, 1)[0]
				return attestTxs(c, zkml.MsgAttest{Dataset: 1, LabelJob: 1, TrainJob: train, Model: trainedModel})
			},
		},
		{
			Kind: "zkml/attest", Shape: fmt.Sprintf("a 4-commitment proof, key cache cold, naming a dataset by its root alone (%d datasets share it: a root-index scan for the link and one for the back-link) and a verified training job", ds.copies),
			Genesis: g,
			Prepare: func(c *apptest.Chain) [][]byte {
				ds.publish(c)
				train := trainJobs(c, 1)[0]
				return attestTxs(c, zkml.MsgAttest{DatasetRoot: ds.root(), TrainJob: train, Model: trainedModel})
			},
		},
	}
}

// attestTxs registers the worst-case exam and returns bob's attestation
// against it with links (its proof's publics do not depend on them).
func attestTxs(c *apptest.Chain, links zkml.MsgAttest) [][]byte {
	f := zkmlFixture()
	deliverAll(c, [][]byte{f.register(c)})
	links.Exam, links.Commitment, links.Claim, links.Proof = 1, model.HexElement(f.commitment), f.claim, f.proof
	return [][]byte{c.SignWith("bob", 20_000_000, c.Msg("zkml/attest", links))}
}
