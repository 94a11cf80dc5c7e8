package main

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"emergence/app/apptest"
	"emergence/data"
	"emergence/device"
	"emergence/device/devkey"
)

// TestWebDataJobsPaged holds the data page to one list query a page: with
// 51 crawl jobs it shows jobs 1 to 50 (against data/jobs) and a link to
// the rest, which shows job 51 alone.
func TestWebDataJobsPaged(t *testing.T) {
	l := startLinkedNet(t, "c1")
	l.do("c1", data.MsgRegisterCrawler, data.RegisterCrawler{Stake: 1_000_000})
	for i := 1; i <= 51; i++ {
		host := fmt.Sprintf("site%d.test", i)
		l.do("alice", data.MsgCreateCrawl, data.CreateCrawl{Seeds: []string{"http://" + host + "/"}, Hosts: []string{host},
			MaxDepth: 1, MaxPages: 1, K: 1, PricePerPage: 1_000, Budget: 10_000, DeadlineBlocks: 400, CommitBlocks: 100,
			RevealBlocks: 100, Licence: "CC-BY-4.0"})
	}
	var first data.Jobs
	if err := l.net.Client.Query(l.ctx, "data", "jobs", map[string][]string{"limit": {"50"}}, &first); err != nil {
		t.Fatal(err)
	}
	if len(first.Jobs) != 50 || first.Next != 50 {
		t.Fatalf("data/jobs?limit=50: %d jobs, next %d; want 50 and next 50", len(first.Jobs), first.Next)
	}
	b := newBrowser(t)
	b.run("open the data market", chromedp.Navigate(l.base+"/data"))
	b.waitText("#crawl-jobs", "site50.test")
	if n := eval[int](b, `document.querySelectorAll("#crawl-jobs tbody tr").length`); n != 50 {
		t.Errorf("the first page shows %d crawl jobs, want 50", n)
	}
	if got := b.text("#crawl-jobs"); strings.Contains(got, "site51.test") {
		t.Errorf("the first page shows job 51: %.200s", got)
	}
	b.shot("market-data-paged")
	b.follow("more crawl jobs", `a[href="/data?jobs_after=50"]`)
	b.waitText("#crawl-jobs", "site51.test")
	if n := eval[int](b, `document.querySelectorAll("#crawl-jobs tbody tr").length`); n != 1 {
		t.Errorf("the second page shows %d crawl jobs, want 1", n)
	}
	if n := eval[int](b, `document.querySelectorAll('a[href^="/data?jobs_after="]').length`); n != 0 {
		t.Errorf("the last page links to %d more pages", n)
	}
}

// TestWebDevicesEpochs: the devices page lists posted epochs from
// device/epochs (epochs are numbered by block time, so the page's old
// probe of epochs 0, 1, ... found none) and pages on with ?epochs_after=.
func TestWebDevicesEpochs(t *testing.T) {
	l := startLinkedNet(t)
	l.do("alice", device.MsgRegisterMaker, device.RegisterMaker{Name: "acme", Stake: 1_000_000})
	s := devkey.NewEd25519([32]byte{9})
	l.do("alice", device.MsgProvision, device.Provision{KeyType: s.Type, PubKey: hex.EncodeToString(s.Pub()), Model: "obd-1", Serial: "A-1"})
	id := device.DeviceID(s.Type, s.Pub())
	pairing := device.PairingMessage(apptest.ChainID, id, l.net.Addr("carol"), 0)
	l.do("carol", device.MsgPair, device.Pair{Device: id, Nonce: 0, Signature: hex.EncodeToString(s.Sign(pairing))})
	l.do("bob", device.MsgRegisterIngest, device.RegisterIngest{Stake: device.IngestStake})
	l.do("alice", device.MsgFundPool, device.FundPool{Amount: 4_000_000})
	now := uint64(time.Now().UnixMilli() / device.EpochMillis)
	for _, e := range []uint64{now - 2, now - 1} {
		l.do("bob", device.MsgPostEpoch, device.PostEpoch{Epoch: e, Root: strings.Repeat("ab", 32), Events: 10,
			Evidence: device.PackEvidence([]device.Evidence{{Device: id, Readings: 10, Cells: 1}})})
	}
	var page device.EpochPage
	getJSON(t, l.base+"/v1/query/device/epochs", &page)
	if len(page.Epochs) != 2 || page.Epochs[0].Epoch != now-2 || page.Epochs[1].Epoch != now-1 {
		t.Fatalf("device/epochs: %+v, want epochs %d and %d", page, now-2, now-1)
	}
	first, second := strconv.FormatUint(now-2, 10), strconv.FormatUint(now-1, 10)
	b := newBrowser(t)
	b.run("open devices", chromedp.Navigate(l.base+"/devices"))
	if got := b.waitText("#device-epochs", second); !strings.Contains(got, first) {
		t.Errorf("epochs table %q: want epochs %s and %s", got, first, second)
	}
	b.shot("devices-epochs")
	b.run("open the epochs after the first", chromedp.Navigate(l.base+"/devices?epochs_after="+first))
	if got := b.waitText("#device-epochs", second); strings.Contains(got, first) {
		t.Errorf("epochs after %s: %q still lists it", first, got)
	}
}
