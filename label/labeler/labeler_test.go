package labeler_test

import (
	"bufio"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"emergence/api"
	"emergence/client"
	"emergence/data/shard"
	"emergence/label"
	"emergence/label/labeler"
	"emergence/node/nodetest"
	"emergence/tx"
)

// TestDevnetJob is the devnet story on a real in-process node: a
// requester publishes items and posts a job with hidden gold, three labelers
// (one a spammer) label through the worker, the requester reveals gold,
// settlement pays the honest labelers and slashes the spammer.
func TestDevnetJob(t *testing.T) {
	net := nodetest.Start(t, nodetest.Options{
		ExtraKeys: []string{"dave"},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := net.Client
	classes := []string{"negative", "positive"}
	var items []labeler.Item
	truth := map[string]string{}
	for i := 0; i < 24; i++ {
		cls := classes[i%2]
		id := fmt.Sprintf("review-%02d", i)
		items = append(items, labeler.Item{ID: id, Kind: labeler.KindText, Data: []byte(fmt.Sprintf("review %d: this was %s", i, cls))})
		truth[id] = cls
	}
	manifest, man, err := labeler.Publish(ctx, c.SignBlobsWith(net.Key("alice")), items)
	if err != nil {
		t.Fatal(err)
	}
	var goldRows [][2]string
	for i := 0; i < 24; i += 3 {
		goldRows = append(goldRows, [2]string{items[i].ID, truth[items[i].ID]})
	}
	gold, err := labeler.GoldFromTruth(man, classes, goldRows)
	if err != nil {
		t.Fatal(err)
	}
	secret, err := labeler.NewGoldSecret(manifest, gold)
	if err != nil {
		t.Fatal(err)
	}
	send := func(name, kind string, v any) *api.TxResult {
		t.Helper()
		m, err := tx.NewMsg(kind, v)
		if err != nil {
			t.Fatal(err)
		}
		r, err := c.SignAndBroadcast(ctx, net.Key(name), client.TxOptions{GasLimit: 5_000_000}, m)
		if err != nil {
			t.Fatal(err)
		}
		if r.Code != 0 {
			t.Fatalf("%s by %s: %s", kind, name, r.Log)
		}
		return r
	}
	send("alice", "label/create-job", label.CreateJobMsg{
		Manifest: manifest, Items: 24, Classes: classes, LabelsPerItem: 3, BatchSize: 24, RewardPerLabel: 10_000,
		MinStake: 1_000_000, GoldCommitment: secret.Commitment(), GoldCount: uint32(len(gold)), CommitBlocks: 25, RevealBlocks: 15,
	})
	var job label.Job
	if err := c.Query(ctx, "label", "job/1", nil, &job); err != nil {
		t.Fatal(err)
	}
	answers := map[string]string{}
	for id, cls := range truth {
		answers[id] = cls
	}
	for _, name := range []string{"bob", "carol", "dave"} {
		send(name, "label/stake", label.StakeMsg{Amount: 2_000_000})
	}
	// Bob and carol answer truthfully; dave spams "positive".
	done := make(chan error, 3)
	for _, name := range []string{"bob", "carol", "dave"} {
		var src strings.Builder
		src.WriteString("item,label\n")
		for id, cls := range answers {
			if name == "dave" {
				cls = "positive"
			}
			fmt.Fprintf(&src, "%s,%s\n", id, cls)
		}
		auto, err := labeler.NewAutoAnswerer(strings.NewReader(src.String()))
		if err != nil {
			t.Fatal(err)
		}
		w := &labeler.Worker{Chain: c, Key: net.Key(name), Job: 1, Answer: auto, StateDir: t.TempDir()}
		go func() {
			rep, err := w.Run(ctx)
			if err == nil && (!rep.Committed || !rep.Revealed || len(rep.Items) != 24) {
				err = fmt.Errorf("report %+v", rep)
			}
			done <- err
		}()
	}
	for i := 0; i < 3; i++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if err := c.WaitHeight(ctx, job.RevealDeadline); err != nil {
		t.Fatal(err)
	}
	send("alice", "label/reveal-gold", label.RevealGoldMsg{Job: 1, Gold: secret.Gold, Salt: secret.Salt})
	send("bob", "label/settle", label.JobMsg{Job: 1})
	var res label.Results
	if err := c.Query(ctx, "label", "results/1", nil, &res); err != nil {
		t.Fatal(err)
	}
	for i, l := range res.Labels {
		if classes[l] != truth[man.Items[i].ID] {
			t.Errorf("item %s settled as %s", man.Items[i].ID, classes[l])
		}
	}
	for _, o := range res.Outcomes {
		switch o.Labeler {
		case net.Addr("dave"):
			if o.Paid != 0 || o.Slashed == 0 {
				t.Errorf("spammer outcome %+v", o)
			}
		default:
			if o.Paid == 0 || o.Slashed != 0 {
				t.Errorf("honest outcome %+v", o)
			}
		}
	}
	net.CheckInvariants()
}

func TestTerminalAnswerer(t *testing.T) {
	var out strings.Builder
	ta := &labeler.TerminalAnswerer{In: bufio.NewReader(strings.NewReader("maybe\n2\n")), Out: &out, ImageDir: t.TempDir()}
	k, err := ta.Answer(context.Background(), 0, 3, labeler.ManifestItem{ID: "r1", Kind: labeler.KindText}, []byte("great film"), []string{"neg", "pos"})
	if err != nil || k != 1 {
		t.Fatalf("answer %d, %v", k, err)
	}
	if s := out.String(); !strings.Contains(s, "[1/3] item r1") || !strings.Contains(s, "great film") || !strings.Contains(s, `"maybe" is not a class`) {
		t.Errorf("terminal output %q", s)
	}
	out.Reset()
	ta.In = bufio.NewReader(strings.NewReader("NEG\n"))
	k, err = ta.Answer(context.Background(), 1, 3, labeler.ManifestItem{ID: "p.png", Kind: labeler.KindImage, Name: "p.png"}, []byte("\x89PNG"), []string{"neg", "pos"})
	if err != nil || k != 0 || !strings.Contains(out.String(), "image saved to") {
		t.Fatalf("image answer %d, %v, %q", k, err, out.String())
	}
	ta.In = bufio.NewReader(strings.NewReader(""))
	if _, err := ta.Answer(context.Background(), 2, 3, labeler.ManifestItem{ID: "x"}, nil, []string{"neg", "pos"}); err == nil {
		t.Fatal("answer at end of input")
	}
}

func TestAutoAnswererAndGold(t *testing.T) {
	a, err := labeler.NewAutoAnswerer(strings.NewReader("item,label\nx,pos\ny,0\n"))
	if err != nil {
		t.Fatal(err)
	}
	classes := []string{"neg", "pos"}
	if k, err := a.Answer(context.Background(), 0, 2, labeler.ManifestItem{ID: "x"}, nil, classes); err != nil || k != 1 {
		t.Fatalf("x: %d %v", k, err)
	}
	if k, err := a.Answer(context.Background(), 0, 2, labeler.ManifestItem{ID: "y"}, nil, classes); err != nil || k != 0 {
		t.Fatalf("y by index: %d %v", k, err)
	}
	if _, err := a.Answer(context.Background(), 0, 2, labeler.ManifestItem{ID: "z"}, nil, classes); err == nil {
		t.Fatal("missing answer accepted")
	}
	man := labeler.Manifest{Items: []labeler.ManifestItem{{ID: "x"}, {ID: "y"}}}
	g, err := labeler.GoldFromTruth(man, classes, [][2]string{{"y", "pos"}, {"x", "neg"}})
	if err != nil || len(g) != 2 || g[0].Item != 0 || g[0].Class != 0 || g[1].Class != 1 {
		t.Fatalf("gold %+v %v", g, err)
	}
	if _, err := labeler.GoldFromTruth(man, classes, [][2]string{{"w", "pos"}}); err == nil {
		t.Fatal("unknown gold item accepted")
	}
	if _, err := labeler.GoldFromTruth(man, classes, [][2]string{{"x", "maybe"}}); err == nil {
		t.Fatal("unknown gold class accepted")
	}
}

func TestDatasetItems(t *testing.T) {
	recs := []shard.Record{{ID: "p/0", Text: "first page"}, {ID: "p/1", Text: "second page"}}
	items := labeler.DatasetItems(recs)
	if len(items) != len(recs) {
		t.Fatalf("%d items from %d records", len(items), len(recs))
	}
	for i, it := range items {
		if it.ID != recs[i].ID || it.Kind != labeler.KindText || string(it.Data) != recs[i].Text {
			t.Errorf("item %d = %+v, want record %+v as text", i, it, recs[i])
		}
	}
}
