package gasbench

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"emergence/app/apptest"
	"emergence/data"
	"emergence/tx"
)

// dataCrawlers registers n crawlers "dc<i>" in one block and returns their
// names by address.
func dataCrawlers(c *apptest.Chain, n int) map[tx.Address]string {
	names := map[tx.Address]string{}
	var txs [][]byte
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("dc%d", i)
		names[apptest.Addr(name)] = name
		txs = append(txs, c.Sign(name, c.Msg(data.MsgRegisterCrawler, data.RegisterCrawler{Stake: 1_000_000})))
	}
	for _, r := range c.Deliver(txs...) {
		c.MustOK(r)
	}
	return names
}

func dataHash(s string) [32]byte { return sha256.Sum256([]byte(s)) }

// dataJob creates job 1 (or the next) from requester with the seeds and
// returns nothing; the job takes up to maxPages URLs at price 1,000.
func dataJob(c *apptest.Chain, requester string, k uint32, seeds []string, maxPages uint32, crawlers int) {
	gas := data.GasCreateCrawl + uint64(len(seeds))*(data.GasPerURL+uint64(crawlers)*data.GasPerAssignHash) + 2_000_000
	c.MustOK(c.Deliver(c.SignWith(requester, gas, c.Msg(data.MsgCreateCrawl, data.CreateCrawl{
		Seeds: seeds, Hosts: []string{"bench.test"}, MaxDepth: 4, MaxPages: maxPages, K: k, PricePerPage: 1_000,
		Budget: uint64(maxPages) * 1_000, DeadlineBlocks: 10_000, CommitBlocks: 500, RevealBlocks: 500, Licence: "CC-BY-4.0"})))[0])
}

func dataSeeds(prefix string, n int) []string {
	var s []string
	for i := 0; i < n; i++ {
		s = append(s, fmt.Sprintf("http://bench.test/%s/%04d", prefix, i))
	}
	return s
}

// dataPage reads URL idx of job.
func dataPage(c *apptest.Chain, job, idx uint64) data.Page {
	var p data.Page
	if err := c.Query(fmt.Sprintf("data/job/%d/url/%d", job, idx), nil, &p); err != nil {
		fail("url %d: %v", idx, err)
	}
	return p
}

// dataReceipt is the honest receipt of url with the given links.
func dataReceipt(job uint64, url string, links []string) data.Receipt {
	return data.Receipt{Job: job, URL: url, FinalURL: url, Status: 200, ContentType: "text/html; charset=utf-8",
		BodyHash: dataHash("body " + url), TextHash: dataHash("text " + url), WARC: dataHash("warc " + url), Links: links}
}

func dataSeal(name string, idx uint64, r data.Receipt) (data.CommitItem, data.RevealItem) {
	ci, ri, err := data.Seal(r, idx, dataHash(fmt.Sprintf("salt %s %d", name, idx)), apptest.Addr(name))
	if err != nil {
		fail("seal: %v", err)
	}
	return ci, ri
}

// dataWork is every crawler's commits and reveals for pages of job, batched
// by crawler in at most data.MaxBatch items.
type dataWork struct {
	names   []string
	commits map[string][]data.CommitItem
	reveals map[string][]data.RevealItem
}

func (w *dataWork) add(name string, ci data.CommitItem, ri data.RevealItem) {
	if _, ok := w.commits[name]; !ok {
		w.names = append(w.names, name)
	}
	w.commits[name] = append(w.commits[name], ci)
	w.reveals[name] = append(w.reveals[name], ri)
}

func newDataWork() *dataWork {
	return &dataWork{commits: map[string][]data.CommitItem{}, reveals: map[string][]data.RevealItem{}}
}

func (w *dataWork) commitTxs(c *apptest.Chain, job uint64) [][]byte {
	var txs [][]byte
	for _, n := range w.names {
		items := w.commits[n]
		txs = append(txs, c.SignWith(n, data.GasCommitReceipts+uint64(len(items))*data.GasPerCommit+1_000_000,
			c.Msg(data.MsgCommitReceipts, data.CommitReceipts{Job: job, Items: items})))
	}
	return txs
}

// revealTxs reveals the named crawlers' receipts, with gas for their links
// hashed against active crawlers.
func (w *dataWork) revealTxs(c *apptest.Chain, job uint64, names []string, active int) [][]byte {
	var txs [][]byte
	for _, n := range names {
		items := w.reveals[n]
		gas := uint64(data.GasRevealReceipts + 2_000_000)
		for _, it := range items {
			gas += data.GasPerReveal + uint64(len(it.Receipt.Links))*(data.GasPerLink+data.GasPerURL+uint64(active)*data.GasPerAssignHash)
		}
		txs = append(txs, c.SignWith(n, gas,
			c.Msg(data.MsgRevealReceipts, data.RevealReceipts{Job: job, Items: items})))
	}
	return txs
}

// agreedWork seals the honest receipt of each of job's first pages for
// every crawler assigned it.
func agreedWork(c *apptest.Chain, names map[tx.Address]string, job uint64, pages int) *dataWork {
	w := newDataWork()
	for i := 0; i < pages; i++ {
		p := dataPage(c, job, uint64(i))
		for _, a := range p.Crawlers {
			ci, ri := dataSeal(names[a], uint64(i), dataReceipt(job, p.URL, nil))
			w.add(names[a], ci, ri)
		}
	}
	return w
}

// fullSet is g with the data module's active set capped at n crawlers
// and 32 funded newcomers "dn<i>".
func fullSet(g apptest.Genesis, n int) apptest.Genesis {
	prm := data.DefaultParams()
	prm.MaxCrawlers = uint32(n)
	bal := map[string]uint64{}
	for k, v := range g.Balances {
		bal[k] = v
	}
	for k, v := range funded("dn", 32, 100_000_000) {
		bal[k] = v
	}
	return apptest.Genesis{Balances: bal, Modules: map[string]any{"data": data.Genesis{Params: prm}}}
}

func deliverOK(c *apptest.Chain, txs [][]byte) {
	for _, r := range c.Deliver(txs...) {
		c.MustOK(r)
	}
}

func dataCases(div int) []Case {
	crawlers := max(8, 256/div)
	seeds := max(4, data.MaxSeeds/div)
	batch := max(4, data.MaxBatch/div)
	bal := funded("dc", crawlers, 10_000_000)
	for k, v := range funded("dr", 8, 1_000_000_000) {
		bal[k] = v
	}
	for k, v := range funded("db", 50, 100_000_000) {
		bal[k] = v
	}
	g := apptest.Genesis{Balances: bal}
	return []Case{
		{
			Kind: data.MsgCreateCrawl, Shape: fmt.Sprintf("%d seeds each, %d active crawlers, k=8", seeds, crawlers),
			Genesis: g,
			Prepare: func(c *apptest.Chain) [][]byte {
				dataCrawlers(c, crawlers)
				var txs [][]byte
				for r := 0; r < 4; r++ {
					gas := data.GasCreateCrawl + uint64(seeds)*(data.GasPerURL+uint64(crawlers)*data.GasPerAssignHash) + 2_000_000
					txs = append(txs, c.SignWith(fmt.Sprintf("dr%d", r), gas, c.Msg(data.MsgCreateCrawl, data.CreateCrawl{
						Seeds: dataSeeds(fmt.Sprintf("r%d", r), seeds), Hosts: []string{"bench.test"}, PathPrefixes: []string{"/"},
						MaxDepth: 4, MaxPages: 100_000, K: 8, PricePerPage: 1_000, Budget: 100_000_000, DeadlineBlocks: 10_000,
						Licence: strings.Repeat("l", data.MaxLicenceLen)})))
				}
				return txs
			},
		},
		{
			Kind: data.MsgRegisterCrawler, Shape: fmt.Sprintf("the last %d of %d crawlers, each rewriting the active set", min(32, crawlers/2), crawlers),
			Genesis: g,
			Prepare: func(c *apptest.Chain) [][]byte {
				last := min(32, crawlers/2)
				dataCrawlers(c, crawlers-last)
				var txs [][]byte
				for i := crawlers - last; i < crawlers; i++ {
					txs = append(txs, c.Sign(fmt.Sprintf("dc%d", i), c.Msg(data.MsgRegisterCrawler, data.RegisterCrawler{Stake: 1_000_000})))
				}
				return txs
			},
		},
		{
			Kind: data.MsgRegisterCrawler, Shape: fmt.Sprintf("%d newcomers into a full set of %d, each scanning it for the least stake and displacing it", min(32, crawlers/2), crawlers),
			Genesis: fullSet(g, crawlers),
			Prepare: func(c *apptest.Chain) [][]byte {
				dataCrawlers(c, crawlers)
				var txs [][]byte
				for i := 0; i < min(32, crawlers/2); i++ {
					gas := data.GasRegisterCrawler + data.GasPerDisplaceScan*uint64(crawlers) + 1_000_000
					txs = append(txs, c.SignWith(fmt.Sprintf("dn%d", i), gas, c.Msg(data.MsgRegisterCrawler, data.RegisterCrawler{Stake: 2_000_000 + uint64(i)})))
				}
				return txs
			},
		},
		{
			Kind: data.MsgUnregister, Shape: fmt.Sprintf("%d of %d crawlers leave, each rewriting the active set", min(32, crawlers/2), crawlers),
			Genesis: g,
			Prepare: func(c *apptest.Chain) [][]byte {
				dataCrawlers(c, crawlers)
				var txs [][]byte
				for i := 0; i < min(32, crawlers/2); i++ {
					txs = append(txs, c.Sign(fmt.Sprintf("dc%d", i), c.Msg(data.MsgUnregister, data.Unregister{})))
				}
				return txs
			},
		},
		{
			Kind: data.MsgWithdraw, Shape: fmt.Sprintf("%d active crawlers withdraw stake above the minimum", min(32, crawlers)),
			Genesis: g,
			Prepare: func(c *apptest.Chain) [][]byte {
				dataCrawlers(c, crawlers)
				var txs [][]byte
				for i := 0; i < min(32, crawlers); i++ {
					txs = append(txs, c.Sign(fmt.Sprintf("dc%d", i), c.Msg(data.MsgRegisterCrawler, data.RegisterCrawler{Stake: 1_000})))
				}
				deliverOK(c, txs)
				txs = nil
				for i := 0; i < min(32, crawlers); i++ {
					txs = append(txs, c.Sign(fmt.Sprintf("dc%d", i), c.Msg(data.MsgWithdraw, data.Withdraw{Amount: 1_000})))
				}
				return txs
			},
		},
		{
			Kind: data.MsgCommitReceipts, Shape: fmt.Sprintf("8 crawlers x %d commitments, k=8", batch),
			Genesis: g,
			Prepare: func(c *apptest.Chain) [][]byte {
				names := dataCrawlers(c, 8)
				dataJob(c, "dr0", 8, dataSeeds("c", batch), 100_000, 8)
				w := agreedWork(c, names, 1, batch)
				return w.commitTxs(c, 1)
			},
		},
		{
			Kind: data.MsgRevealReceipts, Shape: fmt.Sprintf("the 8th of k=8 reveals %d receipts, each settling and paying its url", batch),
			Genesis: g,
			Prepare: func(c *apptest.Chain) [][]byte {
				names := dataCrawlers(c, 8)
				dataJob(c, "dr0", 8, dataSeeds("c", batch), 100_000, 8)
				w := agreedWork(c, names, 1, batch)
				deliverOK(c, w.commitTxs(c, 1))
				deliverOK(c, w.revealTxs(c, 1, w.names[:7], 8))
				return w.revealTxs(c, 1, w.names[7:], 8)
			},
		},
		{
			Kind: data.MsgRevealReceipts, Shape: fmt.Sprintf("settling reveals, each adding %d new links hashed against %d crawlers", data.MaxLinksPerReceipt, crawlers),
			Genesis: g,
			Prepare: func(c *apptest.Chain) [][]byte {
				names := dataCrawlers(c, crawlers)
				pages := 6
				dataJob(c, "dr0", 2, dataSeeds("l", pages), 100_000, crawlers)
				first, second := newDataWork(), newDataWork()
				for i := 0; i < pages; i++ {
					p := dataPage(c, 1, uint64(i))
					links := dataSeeds(fmt.Sprintf("l%d", i), data.MaxLinksPerReceipt)
					r := dataReceipt(1, p.URL, links)
					a, b := names[p.Crawlers[0]], names[p.Crawlers[1]]
					ci, ri := dataSeal(a, uint64(i), r)
					first.add(a, ci, ri)
					ci, ri = dataSeal(b, uint64(i), r)
					second.add(b, ci, ri)
				}
				deliverOK(c, first.commitTxs(c, 1))
				deliverOK(c, second.commitTxs(c, 1))
				deliverOK(c, first.revealTxs(c, 1, first.names, crawlers))
				return second.revealTxs(c, 1, second.names, crawlers)
			},
		},
		{
			Kind: data.MsgPublish, Shape: fmt.Sprintf("%d shard hashes each", max(8, data.MaxShards/div)),
			Genesis: g,
			Prepare: func(c *apptest.Chain) [][]byte {
				dataCrawlers(c, 2)
				dataJob(c, "dr0", 2, dataSeeds("p", 1), 10, 2)
				w := newDataWork()
				for k := 0; k < 2; k++ {
					name := fmt.Sprintf("dc%d", k)
					ci, ri := dataSeal(name, 0, dataReceipt(1, dataPage(c, 1, 0).URL, nil))
					w.add(name, ci, ri)
				}
				deliverOK(c, w.commitTxs(c, 1))
				deliverOK(c, w.revealTxs(c, 1, w.names, crawlers))
				shards := make([]string, max(8, data.MaxShards/div))
				for i := range shards {
					h := dataHash(fmt.Sprint("shard ", i))
					shards[i] = hex.EncodeToString(h[:])
				}
				root := hex.EncodeToString(make([]byte, 32))
				var txs [][]byte
				for i := 0; i < 20; i++ {
					txs = append(txs, c.SignWith("dr0", data.GasPublish+uint64(len(shards))*data.GasPerShard+1_000_000, c.Msg(data.MsgPublish, data.Publish{
						Job: 1, Name: strings.Repeat("n", data.MaxNameLen), Root: root, Manifest: root, Shards: shards, Records: 1,
						Price: 1_000_000, Licence: "CC-BY-4.0"})))
				}
				return txs
			},
		},
		{
			Kind: data.MsgBuy, Shape: fmt.Sprintf("50 buyers, the job's pages by %d crawlers (k=8), each paid a share", crawlers),
			Genesis: g,
			Prepare: func(c *apptest.Chain) [][]byte {
				names := dataCrawlers(c, crawlers)
				pages := crawlers / 4
				dataJob(c, "dr0", 8, dataSeeds("b", pages), 100_000, crawlers)
				w := agreedWork(c, names, 1, pages)
				deliverOK(c, w.commitTxs(c, 1))
				deliverOK(c, w.revealTxs(c, 1, w.names, crawlers))
				var j data.Job
				if err := c.Query("data/job/1", nil, &j); err != nil {
					fail("job: %v", err)
				}
				root := hex.EncodeToString(make([]byte, 32))
				c.MustOK(c.Deliver(c.Sign("dr0", c.Msg(data.MsgPublish, data.Publish{Job: 1, Name: "bench", Root: root, Manifest: root,
					Shards: []string{root}, Records: j.Accepted, Price: 1_000_000, Licence: "CC-BY-4.0"})))[0])
				var txs [][]byte
				for i := 0; i < 50; i++ {
					txs = append(txs, c.SignWith(fmt.Sprintf("db%d", i), data.GasBuy+j.Crawlers*data.GasPerShare+1_000_000,
						c.Msg(data.MsgBuy, data.Buy{Dataset: 1})))
				}
				return txs
			},
		},
	}
}
