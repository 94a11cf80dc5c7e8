//go:build unix

package main

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"emergence/app/apptest"
	"emergence/bank"
	"emergence/compute"
	"emergence/data"
	"emergence/device"
	"emergence/label"
	"emergence/node"
	"emergence/node/nodetest"
	"emergence/personhood"
	"emergence/subnet"
	"emergence/tx"
	"emergence/web"
)

// BenchmarkWeb measures issue 14's speed target: the explorer's pages on a
// devnet of 10,000 blocks and 100,000 transactions. It builds that chain
// for real (an in-process node, blocks every millisecond, every tx signed
// and submitted through CheckTx, about ten a block with bursts of 250 and
// empty blocks between, mostly transfers and some messages of every
// market but zkML, whose messages are all checked in CheckTx so a failing
// one never reaches a block; a share of them fail on chain with their
// result codes),
// restarts the node with 1 s blocks, then times:
//
//   - server/PAGE: every request a page makes (its HTML, whose status the
//     server decides by asking the API, and each API call of its script)
//     over HTTP on loopback, one after the other; one op is the whole page,
//     reported as page-ms-p50 and page-ms-p95 over b.N runs, and each
//     request's own median and p95 are printed in a table at the end. An
//     unexpected status fails the benchmark, so unknown heights, hashes and
//     addresses stay 404s.
//   - browser/PAGE: headless Chromium (chromedp) loads the page and waits
//     until its content replaced "loading…"; ttc-ms-p50/p95 is the page's
//     own performance.now() at that moment (time since navigation start,
//     read by a poll on animation frames), html-ms-p50 when its HTML had
//     arrived, assets-ms-p50 its last script or stylesheet, api-ms-p50 its
//     last API answer (medians).
//
// Run it with a fixed count of runs, for example
//
//	go test ./cmd/emergence -run '^$' -bench BenchmarkWeb -benchtime 20x -timeout 60m
//
// With EMERGENCE_WEBBENCH_HOME set the chain is built there once and reused
// by later runs (its webbench.json records how it was built); otherwise it
// is built in a temp dir and removed. A missing Chromium fails it.
func BenchmarkWeb(b *testing.B) {
	home := os.Getenv("EMERGENCE_WEBBENCH_HOME")
	if home == "" {
		home = filepath.Join(b.TempDir(), "node")
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		b.Fatalf("the browser half needs Debian's chromium at %s (%v): run .ci/test, which installs it", chromiumPath, err)
	}
	info, err := readWebBenchInfo(home)
	if err != nil {
		info = buildWebBenchChain(b, home)
	} else {
		fmt.Printf("webbench: reusing the chain in %s (built in %s: %d blocks, %d txs)\n", home, info.BuildTime, info.Height, info.Committed)
	}
	if err := node.SetBlockTime(home, time.Second); err != nil {
		b.Fatal(err)
	}
	net := nodetest.Start(b, nodetest.Options{Home: home})
	net.API.Mount(web.Handler(net.API.Handler()))
	srv := httptest.NewServer(net.API.Handler())
	b.Cleanup(srv.Close)
	fmt.Printf("webbench: %s\n", loadAvg())

	var rows []reqFigures
	for _, p := range webBenchPages(info) {
		b.Run("server/"+p.name, func(b *testing.B) {
			rows = append(rows[:len(rows):len(rows)], benchServerPage(b, srv.URL, p)...)
		})
	}
	printReqTable(dedupeLast(rows))
	fmt.Printf("webbench: %s\n", loadAvg())

	br := newBenchBrowser(b)
	for _, p := range webBenchBrowserPages(info) {
		b.Run("browser/"+p.name, func(b *testing.B) { benchBrowserPage(b, br, srv.URL+p.path) })
	}
	fmt.Printf("webbench: %s\n", loadAvg())
}

// Shape of the benchmark chain.
const (
	webBenchBlocks     = 10_000
	webBenchTxs        = 100_000
	webBenchSenders    = 100 // u0..u99 send transfers; u0 signs a fifth of them
	webBenchMarketers  = 20  // m0..m19 send market messages
	webBenchRecipients = 5_000
)

// webBenchInfo is what the build recorded, in webbench.json in the home.
type webBenchInfo struct {
	Height    int64             `json:"height"`
	Committed int               `json:"committed"`
	Failed    int               `json:"failed"`
	Kinds     map[string]int    `json:"kinds"`   // committed txs per message type
	Codes     map[string]int    `json:"codes"`   // committed txs per codespace/code
	Refused   map[string]int    `json:"refused"` // CheckTx refusals per message type
	BuildTime string            `json:"build_time"`
	CPU       string            `json:"build_cpu"`
	Heaviest  int64             `json:"heaviest_block"` // the block with most txs
	HeavyTxs  int               `json:"heaviest_block_txs"`
	TxHashes  map[string]string `json:"tx_hashes"` // one committed tx per message type, "failed" for a failed one
}

func readWebBenchInfo(home string) (webBenchInfo, error) {
	var info webBenchInfo
	raw, err := os.ReadFile(filepath.Join(home, "webbench.json"))
	if err != nil {
		return info, err
	}
	if err := json.Unmarshal(raw, &info); err != nil {
		return info, err
	}
	if !node.Initialized(home) || info.Height < webBenchBlocks || info.Committed < webBenchTxs {
		return info, errors.New("incomplete chain")
	}
	return info, nil
}

func webBenchNames() []string {
	var names []string
	for i := 0; i < webBenchSenders; i++ {
		names = append(names, fmt.Sprint("u", i))
	}
	for i := 0; i < webBenchMarketers; i++ {
		names = append(names, fmt.Sprint("m", i))
	}
	return append(names, "poor", "sink")
}

// webBenchRecipient is the n-th of the transfers' recipients: fresh
// accounts that only ever appear named in an event.
func webBenchRecipient(n int) tx.Address {
	h := sha256.Sum256([]byte(fmt.Sprint("emergence/webbench/recipient/", n)))
	var a tx.Address
	copy(a[:], h[:])
	return a
}

// webBenchSchedule is how many txs to submit after block h commits: a
// burst of 250 every 100 blocks, none on every tenth, 9 otherwise (about
// 10.5 a block on average).
func webBenchSchedule(h int64) int {
	switch {
	case h%100 == 0:
		return 250
	case h%10 == 3:
		return 0
	}
	return 9
}

// webBenchMarketMsg is the n-th market message, by marketer m: every
// market's messages, some succeeding (registrations, stakes, a crawl job,
// a subnet), some failing on chain (a second registration, a request for a
// job that does not exist, an enrolment with a bad signature).
func webBenchMarketMsg(n, m int) (string, any) {
	switch n % 9 {
	case 0:
		return data.MsgRegisterCrawler, data.RegisterCrawler{Stake: 1_000_000} // the second time: refused on chain
	case 1:
		return device.MsgRegisterMaker, device.RegisterMaker{Name: fmt.Sprintf("maker %d <b>bold?</b>", m), Stake: 10 * bank.UnitsPerEMG}
	case 2:
		return "label/stake", label.StakeMsg{Amount: 2_000_000}
	case 3:
		return "label/request", label.JobMsg{Job: 999_999}
	case 4:
		if m == 0 && n < 9 {
			return "subnet/create", subnet.CreateMsg{Name: "webbench"}
		}
		return "subnet/register", subnet.RegisterMsg{NetUID: 0}
	case 5:
		return compute.MsgBid, compute.Bid{Job: 999_999, Price: 1}
	case 6:
		seed := sha(fmt.Sprint("webbench device ", m, n))
		pub := ed25519.NewKeyFromSeed(seed[:]).Public().(ed25519.PublicKey)
		return personhood.Name + "/register-operator", personhood.RegisterMsg{DeviceKey: hex.EncodeToString(pub), Stake: 100 * bank.UnitsPerEMG}
	case 7:
		return personhood.Name + "/enrol", personhood.EnrolMsg{Operator: apptest.Addr("m0"), Commitment: fmt.Sprint(n + 1), Signature: strings.Repeat("00", 64)}
	}
	url := fmt.Sprintf("http://site%d.test/", n)
	return data.MsgCreateCrawl, data.CreateCrawl{Seeds: []string{url}, Hosts: []string{fmt.Sprintf("site%d.test", n)},
		MaxDepth: 1, MaxPages: 10, K: 2, PricePerPage: 1_000, Budget: 100_000, DeadlineBlocks: 400, CommitBlocks: 100,
		RevealBlocks: 100, Licence: "CC-BY-4.0"}
}

// webBenchSigner signs each tx when it is submitted, with the account's
// next nonce, which only moves when CheckTx accepts the tx.
type webBenchSigner struct {
	nonces map[tx.Address]uint64
	minFee func(uint64) uint64
}

func (s *webBenchSigner) sign(b *testing.B, who string, gas uint64, kind string, v any) ([]byte, tx.Address) {
	key, addr := apptest.Key(who)
	m, err := tx.NewMsg(kind, v)
	if err != nil {
		b.Fatal(err)
	}
	raw, err := tx.Sign(tx.Body{ChainID: apptest.ChainID, Signer: addr, Nonce: s.nonces[addr], Fee: s.minFee(gas), GasLimit: gas, Msgs: []tx.Msg{m}}, key)
	if err != nil {
		b.Fatal(err)
	}
	return raw, addr
}

// buildWebBenchChain makes the benchmark's chain in home and records it.
func buildWebBenchChain(b *testing.B, home string) webBenchInfo {
	os.RemoveAll(home)
	start, cpu0 := time.Now(), cpuTime()
	net := nodetest.Start(b, nodetest.Options{Home: home, BlockTime: time.Millisecond, ExtraKeys: webBenchNames()})
	defer net.Stop()
	nd := net.Node
	blocks, cancel := nd.Subscribe(1 << 16)
	defer cancel()
	s := &webBenchSigner{nonces: map[tx.Address]uint64{}, minFee: nd.App().Params().MinFee}
	info := webBenchInfo{Kinds: map[string]int{}, Codes: map[string]int{}, Refused: map[string]int{}, TxHashes: map[string]string{}}
	kindOf := map[string]string{} // tx hash -> message type, until committed
	accepted, transfers, market := 0, 0, 0
	submit := func(who string, gas uint64, kind string, v any) {
		raw, addr := s.sign(b, who, gas, kind, v)
		res, err := nd.Submit(raw)
		if err != nil || res.Code != 0 {
			info.Refused[kind]++
			return
		}
		s.nonces[addr]++
		kindOf[res.Hash] = kind
		accepted++
	}
	sink := apptest.Addr("sink")
	ctx, stop := context.WithTimeout(context.Background(), 2*time.Hour)
	defer stop()
	lastProgress := int64(0)
	for info.Height < webBenchBlocks || info.Committed < accepted || accepted < webBenchTxs {
		var blk, ok = api0(ctx, blocks)
		if !ok {
			b.Fatalf("block stream ended at height %d (%d of %d txs committed)", info.Height, info.Committed, accepted)
		}
		if blk.Height != info.Height+1 && info.Height != 0 {
			b.Fatalf("block stream skipped from %d to %d: the subscriber fell behind", info.Height, blk.Height)
		}
		info.Height = blk.Height
		for _, r := range blk.Txs {
			kind := kindOf[r.Hash]
			delete(kindOf, r.Hash)
			info.Committed++
			info.Kinds[kind]++
			info.Codes[fmt.Sprintf("%s/%d", r.Codespace, r.Code)]++
			if r.Code != 0 {
				info.Failed++
				if info.TxHashes["failed"] == "" {
					info.TxHashes["failed"] = r.Hash
				}
			}
			if info.TxHashes[kind] == "" && r.Code == 0 {
				info.TxHashes[kind] = r.Hash
			}
		}
		if len(blk.Txs) > info.HeavyTxs {
			info.Heaviest, info.HeavyTxs = blk.Height, len(blk.Txs)
		}
		if blk.Height-lastProgress >= 1000 {
			lastProgress = blk.Height
			fmt.Printf("webbench: built height %d, %d txs committed of %d accepted, %s, %s\n", blk.Height, info.Committed, accepted, time.Since(start).Round(time.Second), loadAvg())
		}
		if blk.Height > 3*webBenchBlocks {
			b.Fatalf("no end at height %d: %d of %d txs committed", blk.Height, info.Committed, accepted)
		}
		for k := webBenchSchedule(blk.Height); k > 0 && accepted < webBenchTxs; k-- {
			n := transfers + market
			switch {
			case n%50 == 25:
				kind, v := webBenchMarketMsg(market/webBenchMarketers, market%webBenchMarketers)
				submit(fmt.Sprint("m", market%webBenchMarketers), 2_000_000, kind, v)
				market++
			case n%100 == 7:
				// More than the account has: the fee is paid, the send fails.
				submit("poor", bench0Gas, webBenchSend, bank.SendMsg{To: sink, Amount: 2 * nodetest.Funds})
				transfers++
			default:
				from := fmt.Sprint("u", transfers%webBenchSenders)
				if transfers%5 == 0 {
					from = "u0"
				}
				to := webBenchRecipient(transfers % webBenchRecipients)
				if transfers%5 < 2 {
					to = sink
				}
				submit(from, bench0Gas, webBenchSend, bank.SendMsg{To: to, Amount: uint64(1 + transfers%1000)})
				transfers++
			}
		}
	}
	info.BuildTime = time.Since(start).Round(time.Second).String()
	info.CPU = (cpuTime() - cpu0).Round(time.Second).String()
	raw, _ := json.MarshalIndent(info, "", "  ")
	fmt.Printf("webbench: built the chain in %s (process CPU %s): %s\n", info.BuildTime, info.CPU, raw)
	if err := os.WriteFile(filepath.Join(home, "webbench.json"), raw, 0o644); err != nil {
		b.Fatal(err)
	}
	return info
}

// bench0Gas is a transfer's gas limit (its use is about 8,400).
const bench0Gas = 12_000

func api0[T any](ctx context.Context, ch <-chan T) (T, bool) {
	select {
	case v, ok := <-ch:
		return v, ok
	case <-ctx.Done():
		var zero T
		return zero, false
	}
}

// webBenchReq is one request of a page and the status it must get.
type webBenchReq struct {
	path   string
	status int
}

type webBenchPage struct {
	name string
	path string // the page, for the browser
	reqs []webBenchReq
}

// webBenchPages lists every page with the requests it makes (the HTML,
// then the API calls of its script, as web/static/app.js and markets.js
// make them), on the chain's heaviest objects.
func webBenchPages(info webBenchInfo) []webBenchPage {
	ok := func(paths ...string) []webBenchReq {
		out := make([]webBenchReq, len(paths))
		for i, p := range paths {
			out[i] = webBenchReq{p, http.StatusOK}
		}
		return out
	}
	hot, sink := apptest.Addr("u0").String(), apptest.Addr("sink").String()
	fresh := webBenchRecipient(1).String()
	heavy := fmt.Sprint(info.Heaviest)
	mid := fmt.Sprint(info.Height / 2)
	txh := info.TxHashes[webBenchSend]
	account := func(a string) []webBenchReq {
		return ok("/account/"+a, "/v1/accounts/"+a, "/v1/accounts/"+a+"/txs?limit=25", "/v1/query/label/labeler/"+a)
	}
	labelerMissing := func(rs []webBenchReq) []webBenchReq { rs[3].status = http.StatusNotFound; return rs }
	pages := []webBenchPage{
		{"home", "/", ok("/", "/v1/status", "/v1/blocks?limit=20", "/v1/query/bank/params")},
		{"blocks", "/blocks", ok("/blocks", "/v1/blocks?limit=25")},
		{"blocks-old", "/blocks?to=" + mid, ok("/blocks?to="+mid, "/v1/blocks?limit=25&to="+mid)},
		{"block-heaviest", "/block/" + heavy, ok("/block/"+heavy, "/v1/blocks/"+heavy, "/v1/blocks/"+heavy+"/txs?limit=100&offset=0")},
		{"block-heaviest-page2", "/block/" + heavy + "?offset=100", ok("/block/"+heavy, "/v1/blocks/"+heavy, "/v1/blocks/"+heavy+"/txs?limit=100&offset=100")},
		{"tx-transfer", "/tx/" + txh, ok("/tx/"+txh, "/v1/txs/"+txh, "/v1/codes")},
		{"tx-failed", "/tx/" + info.TxHashes["failed"], ok("/tx/"+info.TxHashes["failed"], "/v1/txs/"+info.TxHashes["failed"], "/v1/codes")},
		{"account-hot-signer", "/account/" + hot, labelerMissing(account(hot))},
		{"account-sink", "/account/" + sink, labelerMissing(account(sink))},
		{"account-fresh", "/account/" + fresh, labelerMissing(account(fresh))},
		{"account-oldest-page", "", ok("/v1/accounts/" + sink + "/txs?limit=25&before=2.0")},
		{"search-height", "", []webBenchReq{{"/search?q=" + mid, http.StatusFound}}},
		{"search-tx", "", []webBenchReq{{"/search?q=" + txh, http.StatusFound}}},
		{"search-block-hash", "", nil}, // filled in by benchServerPage from the block's hash
		{"search-address", "", []webBenchReq{{"/search?q=" + sink, http.StatusFound}}},
		{"not-found", "", []webBenchReq{
			{"/block/99999999", http.StatusNotFound}, {"/v1/blocks/99999999", http.StatusNotFound},
			{"/tx/" + strings.Repeat("AB", 32), http.StatusNotFound}, {"/v1/txs/" + strings.Repeat("AB", 32), http.StatusNotFound},
			{"/search?q=" + strings.Repeat("ab", 32), http.StatusNotFound}, {"/search?q=99999999", http.StatusNotFound},
			{"/account/emg1notanaddress", http.StatusNotFound}, {"/v1/accounts/emg1notanaddress", http.StatusBadRequest},
			{"/search?q=%3Cscript%3E", http.StatusBadRequest},
		}},
		{"label", "/label", ok("/label", "/v1/query/label/jobs?limit=50")},
		{"subnets", "/subnets", ok("/subnets", "/v1/query/subnet/subnets")},
		{"subnet", "/subnet/0", ok("/subnet/0", "/v1/query/subnet/subnet/0", "/v1/query/subnet/metagraph/0", "/v1/query/subnet/epochs/0?limit=64")},
		{"zkml", "/zkml", ok("/zkml", "/v1/query/zkml/circuits?limit=100", "/v1/query/zkml/inferences?limit=25")},
		{"personhood", "/personhood", nil}, // filled in by benchServerPage: the epochs page depends on the current epoch
		{"devices", "/devices", ok("/devices", "/v1/query/device/params", "/v1/query/device/epochs?limit=50", "/v1/query/device/makers?limit=50")},
		{"data", "/data", dataReqs()},
		{"compute", "/compute", ok("/compute", "/v1/query/compute/providers", "/v1/query/compute/jobs")},
	}
	return pages
}

// dataReqs are the data page's requests: the first 50 crawl jobs and
// datasets, and the active crawlers.
func dataReqs() []webBenchReq {
	return []webBenchReq{{"/data", http.StatusOK}, {"/v1/query/data/jobs?limit=50", http.StatusOK},
		{"/v1/query/data/datasets?limit=50", http.StatusOK}, {"/v1/query/data/crawlers", http.StatusOK}}
}

// webBenchBrowserPages are the pages loaded in the browser: the heaviest.
func webBenchBrowserPages(info webBenchInfo) []webBenchPage {
	var out []webBenchPage
	for _, p := range webBenchPages(info) {
		if p.path != "" {
			out = append(out, p)
		}
	}
	return out
}

// reqFigures is one request's timing over a benchmark's runs.
type reqFigures struct {
	page, path    string
	p50, p95, max time.Duration
	bytes         int
}

func dedupeLast(rows []reqFigures) []reqFigures {
	last := map[string]int{}
	for i, r := range rows {
		last[r.page+" "+r.path] = i
	}
	var out []reqFigures
	for i, r := range rows {
		if last[r.page+" "+r.path] == i {
			out = append(out, r)
		}
	}
	return out
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// benchServerPage times one page's requests b.N times.
func benchServerPage(b *testing.B, base string, p webBenchPage) []reqFigures {
	if p.name == "personhood" {
		var pool struct {
			Current int64 `json:"current_epoch"`
		}
		benchGetJSON(b, base+"/v1/query/personhood/pool", &pool)
		epochs := "/v1/query/personhood/epochs?limit=100"
		if pool.Current >= 100 {
			epochs += fmt.Sprint("&after=", pool.Current-100)
		}
		p.reqs = []webBenchReq{{"/personhood", http.StatusOK}, {"/v1/query/personhood/pool", http.StatusOK},
			{"/v1/query/personhood/operators", http.StatusOK}, {"/v1/query/personhood/tree", http.StatusOK}, {epochs, http.StatusOK}}
	}
	if p.name == "search-block-hash" {
		var blk struct {
			Hash string `json:"hash"`
		}
		benchGetJSON(b, base+"/v1/blocks/1", &blk)
		p.reqs = []webBenchReq{{"/search?q=" + blk.Hash, http.StatusFound}}
	}
	per := make([][]time.Duration, len(p.reqs))
	sizes := make([]int, len(p.reqs))
	pages := make([]time.Duration, 0, b.N)
	cpu0 := cpuTime()
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		var total time.Duration
		for i, r := range p.reqs {
			t0 := time.Now()
			resp, err := noRedirect.Get(base + r.path)
			if err != nil {
				b.Fatalf("GET %s: %v", r.path, err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			d := time.Since(t0)
			if err != nil {
				b.Fatalf("GET %s: %v", r.path, err)
			}
			if resp.StatusCode != r.status {
				b.Fatalf("GET %s: status %d, want %d: %.300s", r.path, resp.StatusCode, r.status, body)
			}
			total += d
			per[i] = append(per[i], d)
			sizes[i] = len(body)
		}
		pages = append(pages, total)
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/1e6, "cpu-ms/op")
	b.ReportMetric(ms(quantile(pages, 0.5)), "page-ms-p50")
	b.ReportMetric(ms(quantile(pages, 0.95)), "page-ms-p95")
	out := make([]reqFigures, len(p.reqs))
	for i, r := range p.reqs {
		out[i] = reqFigures{page: p.name, path: r.path, p50: quantile(per[i], 0.5), p95: quantile(per[i], 0.95), max: quantile(per[i], 1), bytes: sizes[i]}
	}
	return out
}

func benchGetJSON(b *testing.B, url string, v any) {
	resp, err := http.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		b.Fatal(err)
	}
}

func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(q*float64(len(s))+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

func printReqTable(rows []reqFigures) {
	fmt.Printf("webbench: server side, per request (HTTP on loopback, one at a time)\n")
	fmt.Printf("| page | request | median ms | p95 ms | max ms | bytes |\n|---|---|---:|---:|---:|---:|\n")
	for _, r := range rows {
		fmt.Printf("| %s | `%s` | %.2f | %.2f | %.2f | %d |\n", r.page, r.path, ms(r.p50), ms(r.p95), ms(r.max), r.bytes)
	}
}

// benchBrowser is a headless Chromium for the benchmark.
type benchBrowser struct{ ctx context.Context }

func newBenchBrowser(b *testing.B) *benchBrowser {
	ctx := startChromium(b, 30*time.Minute)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		b.Fatalf("start chromium: %v", err)
	}
	return &benchBrowser{ctx: ctx}
}

// contentJS is true once the page's content replaced "loading…" (the
// router swaps it in when every request of the page has answered): the
// page's performance.now(), its time since navigation start, or the
// error page's text.
const contentJS = `(() => {
  const m = document.getElementById("main");
  if (!m || m.querySelector(".loading") || !m.querySelector("h1")) return false;
  const bad = m.querySelector(".notfound");
  if (bad) return "error: " + bad.textContent;
  const nav = performance.getEntriesByType("navigation")[0];
  const last = (part) => performance.getEntriesByType("resource").filter((r) => r.name.includes(part)).reduce((t, r) => Math.max(t, r.responseEnd), 0);
  return [performance.now(), nav ? nav.responseEnd : 0, last("/assets/"), last("/v1/")].join(" ");
})()`

func benchBrowserPage(b *testing.B, br *benchBrowser, url string) {
	// Per load: time to content, the page's HTML received, its last
	// script or stylesheet received, its last API answer received (all
	// since navigation start).
	var ttc, docs, scripts, apis []time.Duration
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		if err := chromedp.Do(br.ctx, chromedp.Navigate("about:blank"), chromedp.Navigate(url)); err != nil {
			b.Fatalf("open %s: %v", url, err)
		}
		// A poll that starts while the previous document's context goes
		// away fails with "Cannot find context"; poll the new one.
		var s string
		var err error
		for try := 0; try < 5; try++ {
			s, err = chromedp.Run(br.ctx, chromedp.Poll[string](contentJS, chromedp.WithPollingTimeout(60*time.Second)))
			if err == nil || !strings.Contains(err.Error(), "Cannot find context") {
				break
			}
		}
		if err != nil {
			b.Fatalf("wait for the content of %s: %v", url, err)
		}
		if strings.HasPrefix(s, "error: ") {
			b.Fatalf("%s shows an error page: %s", url, s)
		}
		var v, doc, assets, api float64
		fmt.Sscan(s, &v, &doc, &assets, &api)
		ttc = append(ttc, time.Duration(v*1e6))
		docs = append(docs, time.Duration(doc*1e6))
		scripts = append(scripts, time.Duration(assets*1e6))
		apis = append(apis, time.Duration(api*1e6))
	}
	b.StopTimer()
	b.ReportMetric(ms(quantile(ttc, 0.5)), "ttc-ms-p50")
	b.ReportMetric(ms(quantile(ttc, 0.95)), "ttc-ms-p95")
	b.ReportMetric(ms(quantile(docs, 0.5)), "html-ms-p50")
	b.ReportMetric(ms(quantile(scripts, 0.5)), "assets-ms-p50")
	b.ReportMetric(ms(quantile(apis, 0.5)), "api-ms-p50")
}

// cpuTime is this process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func loadAvg() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "load average unknown"
	}
	f := strings.Fields(string(raw))
	return "load average " + strings.Join(f[:3], " ")
}

const webBenchSend = "bank/send"
