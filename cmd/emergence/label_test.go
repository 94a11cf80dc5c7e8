package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"emergence/label/aggregate"
)

var crowdTestdata = filepath.Join("..", "..", "testdata", "crowd")

func runLabel(t *testing.T, stdin string, args ...string) keysRun {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return keysRun{stdout: out.String(), stderr: errb.String(), err: err}
}

// TestLabelAggregateEvalShared runs aggregate then eval on shared datasets in
// each format and checks the accuracy reaches crowd.md §2.3's DS-100 figure.
func TestLabelAggregateEvalShared(t *testing.T) {
	cases := []struct {
		in, truth, method string
		want              string
	}{
		{"rte/label.csv", "rte/truth.csv", "ds", "accuracy 0.9275 (742/800"},
		{"temp/temporal.csv", "temp/temporal.key", "ds", "accuracy 0.9416 (435/462"},
		{"bluebirds/labels.yaml", "bluebirds/gt.yaml", "ds", "accuracy 0.8981 (97/108"},
		{"dog/answer.csv", "dog/truth.csv", "ds", "accuracy 0.8426 (680/807"},
		{"web/label.csv", "web/truth.csv", "mace", "accuracy 0.8319 (2207/2653"},
		{"wsd/wsd.csv", "wsd/wsd.key", "mv", "accuracy 0.9944 (176/177"},
	}
	dir := t.TempDir()
	for _, c := range cases {
		out := filepath.Join(dir, strings.ReplaceAll(c.in, "/", "_")+".out.csv")
		workers := out + ".workers.csv"
		r := runLabel(t, "", "label", "aggregate", "--in", filepath.Join(crowdTestdata, c.in), "--method", c.method, "--out", out, "--workers-out", workers).ok(t)
		if !strings.Contains(r.stdout, "labels written to") {
			t.Errorf("%s: summary %q", c.in, r.stdout)
		}
		r = runLabel(t, "", "label", "eval", "--pred", out, "--truth", filepath.Join(crowdTestdata, c.truth)).ok(t)
		if !strings.HasPrefix(r.stdout, c.want) {
			t.Errorf("%s: eval printed %q, want prefix %q", c.in, r.stdout, c.want)
		}
		w, err := os.ReadFile(workers)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(w), "worker,quality,labels\n") {
			t.Errorf("%s: workers file starts %q", c.in, string(w)[:30])
		}
	}
}

func TestLabelAggregateStdinStdoutGold(t *testing.T) {
	in := "question\tworker\tanswer\nq1\ta\tcat\nq1\tb\tcat\nq1\tc\tdog\nq2\ta\tdog\nq2\tb\tcat\nq2\tc\tdog\n"
	gold := filepath.Join(t.TempDir(), "gold.csv")
	if err := os.WriteFile(gold, []byte("item,truth\nq2,cat\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runLabel(t, in, "label", "aggregate", "--in", "-", "--method", "mv", "--gold", gold).ok(t)
	want := "item,label,confidence\nq1,cat,0.666667\nq2,cat,1.000000\n"
	if r.stdout != want {
		t.Errorf("stdout %q, want %q", r.stdout, want)
	}
	if !strings.Contains(r.stderr, "1 gold items") {
		t.Errorf("stderr summary %q", r.stderr)
	}
}

func TestLabelAggregateJSONSummary(t *testing.T) {
	out := filepath.Join(t.TempDir(), "o.csv")
	r := runLabel(t, "", "label", "aggregate", "--in", filepath.Join(crowdTestdata, "wsd/wsd.csv"), "--format", "mace", "--method", "ds-fixed", "--smoothing", "0.1", "--out", out, "-o", "json").ok(t)
	var s labelAggregateSummary
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatalf("%v: %s", err, r.stdout)
	}
	if s.Method != "ds-fixed" || s.Labels != 1770 || s.Items != 177 || s.Workers != 34 || s.Classes != 3 {
		t.Errorf("summary %+v", s)
	}
	r = runLabel(t, "", "label", "eval", "--pred", out, "--truth", filepath.Join(crowdTestdata, "wsd/wsd.key"), "-o", "json").ok(t)
	var e aggregate.Eval
	if err := json.Unmarshal([]byte(r.stdout), &e); err != nil {
		t.Fatal(err)
	}
	if e.Evaluated != 177 || e.Correct < 176 {
		t.Errorf("eval %+v", e)
	}
}

func TestLabelAggregateErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("worker,item,label\nw1,i1,a\nw2,i1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	amb := filepath.Join(dir, "amb.csv")
	if err := os.WriteFile(amb, []byte("foo,bar,baz\n1,2,3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	runLabel(t, "", "label", "aggregate", "--in", bad).userErr(t, "line 3: 2 fields, want 3")
	runLabel(t, "", "label", "aggregate", "--in", amb).userErr(t, "cannot detect the file format")
	runLabel(t, "", "label", "aggregate").userErr(t, "no input file")
	runLabel(t, "", "label", "aggregate", "--in", bad, "--method", "vote").userErr(t, `unknown method "vote"`)
	runLabel(t, "", "label", "aggregate", "--in", filepath.Join(dir, "missing.csv")).userErr(t, "read in")
	runLabel(t, "", "label", "aggregate", "--in", bad, "--format", "xml").userErr(t, "unknown format")
	runLabel(t, "", "label", "eval", "--pred", bad).userErr(t, "missing input file")
}

func TestSimLabelBadFlags(t *testing.T) {
	runLabel(t, "", "sim", "label", "--items", "5").userErr(t, "items 5, want 10 to 20000")
	runLabel(t, "", "sim", "label", "--honest", "0", "--spammers", "0", "--colluders", "0").userErr(t, "need at least one agent")
}

func TestLabelAggregateDedup(t *testing.T) {
	in := "worker,item,label\na,x,1\na,x,1\nb,x,0\n"
	r := runLabel(t, in, "label", "aggregate", "--in", "-", "--method", "mv").ok(t)
	if !strings.Contains(r.stdout, "x,1,0.666667") {
		t.Errorf("repeats kept: %q", r.stdout)
	}
	r = runLabel(t, in, "label", "aggregate", "--in", "-", "--method", "mv", "--dedup").ok(t)
	if !strings.Contains(r.stdout, "x,0,0.5") || !strings.Contains(r.stderr, "1 repeated (worker, item) labels dropped") {
		t.Errorf("dedup: stdout %q stderr %q", r.stdout, r.stderr)
	}
}
