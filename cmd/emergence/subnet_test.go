package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"emergence/subnet/yuma/casefile"
)

var subnetTestdata = filepath.Join("..", "..", "testdata", "subnet")

type subnetRun struct {
	stdout, stderr string
	err            error
}

func runSubnetCLI(t *testing.T, stdin string, args ...string) subnetRun {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return subnetRun{stdout: out.String(), stderr: errb.String(), err: err}
}

// TestSubnetYumaExample runs the documented example (reference case E,
// epoch 2) and checks the numbers subtensor's test asserts.
func TestSubnetYumaExample(t *testing.T) {
	in := filepath.Join(subnetTestdata, "yuma-case.json")
	outFile := filepath.Join(t.TempDir(), "result.json")
	r := runSubnetCLI(t, "", "subnet", "yuma", "--in", in, "--out", outFile)
	if r.err != nil {
		t.Fatalf("err %v, stderr %s", r.err, r.stderr)
	}
	for _, want := range []string{"epoch at block 5002", "274999999", "224999999", "2=53619"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, r.stdout)
		}
	}
	data, err := os.ReadFile(outFile)
	if err != nil {
		t.Fatal(err)
	}
	var o casefile.Result
	if err := json.Unmarshal(data, &o); err != nil {
		t.Fatal(err)
	}
	if got := []uint16{o.Neurons[0].DividendsU16, o.Neurons[1].DividendsU16}; got[0] != 36044 || got[1] != 29490 {
		t.Errorf("dividends %v, want [36044 29490]", got)
	}
	wantE := []uint64{274_999_999, 224_999_999, 250_000_000, 250_000_000}
	for i, w := range wantE {
		if o.Neurons[i].Emission != w {
			t.Errorf("uid %d emission %d, want %d", i, o.Neurons[i].Emission, w)
		}
	}
	if o.Neurons[1].Bonds[0] != [2]uint64{2, 53619} {
		t.Errorf("bond row 1 = %v", o.Neurons[1].Bonds)
	}
	// --output json on stdout carries the same result as --out.
	j := runSubnetCLI(t, "", "subnet", "yuma", "--in", in, "--output", "json")
	if j.err != nil || strings.TrimSpace(j.stdout) != strings.TrimSpace(string(data)) {
		t.Errorf("--output json differs from --out file (err %v)", j.err)
	}
}

func TestSubnetYumaStdin(t *testing.T) {
	c := `{"block": 3, "emission": 100, "params": {"yuma3": false},
	  "neurons": [{"stake": 5, "validator_permit": true, "last_update": 2, "weights": [[1, 1]]}, {"last_update": 0}]}`
	r := runSubnetCLI(t, c, "subnet", "yuma", "--in", "-", "-o", "json")
	if r.err != nil {
		t.Fatalf("%v: %s", r.err, r.stderr)
	}
	var o casefile.Result
	if err := json.Unmarshal([]byte(r.stdout), &o); err != nil {
		t.Fatal(err)
	}
	// One validator weighting uid 1: the miner gets half, the validator half.
	if o.Neurons[1].ServerEmission != 50 || o.Neurons[0].ValidatorEmission != 50 {
		t.Errorf("emissions %+v", o.Neurons)
	}
}

func TestSubnetYumaBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, body, want string
	}{
		// The case format's errors are tested in subnet/yuma/casefile; here
		// the command's report of them.
		{"syntax", "{\n  \"block\": 1,\n  \"neurons\": [,]\n}", "invalid JSON at line 3"},
		{"unknown uid", `{"neurons": [{"weights": [[4, 1]]}]}`, "uid 4 does not exist"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runSubnetCLI(t, "", "subnet", "yuma", "--in", write(tc.name+".json", tc.body))
			if exitCode(r.err) != exitUsage {
				t.Fatalf("err %v is not a user error", r.err)
			}
			if !strings.Contains(r.stderr, tc.want) || !strings.Contains(r.stderr, "hint: see docs/yuma-case.md") {
				t.Fatalf("stderr %q lacks %q or the hint", r.stderr, tc.want)
			}
		})
	}
	r := runSubnetCLI(t, "", "subnet", "yuma")
	if r.err == nil || !strings.Contains(r.stderr, "no case file") {
		t.Fatalf("missing --in: %v %q", r.err, r.stderr)
	}
	r = runSubnetCLI(t, "", "subnet", "yuma", "--in", filepath.Join(dir, "missing.json"))
	if r.err == nil || !strings.Contains(r.stderr, "check the --in path") {
		t.Fatalf("missing file: %v %q", r.err, r.stderr)
	}
}

func TestSubnetWorkerCommandsRejectBadInput(t *testing.T) {
	home := t.TempDir()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"subnet", "miner", "--netuid", "0"}, "no --model given"},
		{[]string{"subnet", "miner", "--model", filepath.Join(home, "none.json")}, "load model"},
		{[]string{"subnet", "miner", "--model", "x.json", "--noise", "2"}, "noise 2 out of range"},
		{[]string{"subnet", "validator", "--data", filepath.Join(home, "none.csv")}, "load "},
		{[]string{"tx", "subnet", "commit-weights", "0", "--weights", "2-5", "--from", "x"}, "has no ':'"},
		{[]string{"tx", "subnet", "register", "abc", "--from", "x"}, "netuid \"abc\""},
		{[]string{"tx", "subnet", "stake", "0", "bob", "1emg", "--from", "x"}, "neither an address nor a key name"},
	}
	for _, tc := range tests {
		r := runSubnetCLI(t, "", append(tc.args, "--home", home, "--keyring-backend", "test")...)
		if exitCode(r.err) != exitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: err %v, stderr %q, want %q", tc.args, r.err, r.stderr, tc.want)
		}
	}
}

func TestParseWeights(t *testing.T) {
	u, v, err := parseWeights("2:65535, 3:10,")
	if err != nil || len(u) != 2 || u[1] != 3 || v[0] != 65535 || v[1] != 10 {
		t.Fatalf("parseWeights = %v %v %v", u, v, err)
	}
	for _, bad := range []string{"", "2:70000", "x:1", "1:2:3"} {
		if _, _, err := parseWeights(bad); err == nil {
			t.Errorf("parseWeights(%q) accepted", bad)
		}
	}
}

// TestSimSubnet runs "emergence sim subnet" briefly on its own in-process
// network and checks the JSON report's shape and the random miner's ~0.
func TestSimSubnet(t *testing.T) {
	digits := filepath.Join("..", "..", "dataset", "digits.csv.gz")
	r := runSubnetCLI(t, "", "sim", "subnet", "--epochs", "4", "--reveal-period", "1", "--block-time", "50ms", "--data", digits, "-o", "json")
	if r.err != nil {
		t.Fatalf("%v: %s", r.err, r.stderr)
	}
	// The shipped subnet scenario's report: a row per role and strategy,
	// and the subnet simulation's own report as the market's detail.
	var out struct {
		Strategies []struct {
			Role, Strategy string
			Margin         int64 `json:"margin_uemg"`
		}
		Markets []struct {
			Detail struct {
				Agents []struct{ Name string }
				Epochs []struct{ Earnings []uint64 }
				Totals []uint64
			}
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Markets) != 1 || len(out.Strategies) != 6 {
		t.Fatalf("report: %d markets, %d strategy rows", len(out.Markets), len(out.Strategies))
	}
	rep := out.Markets[0].Detail
	if len(rep.Agents) != 8 || len(rep.Epochs) < 4 || len(rep.Totals) != 8 {
		t.Fatalf("report: %d agents, %d epochs", len(rep.Agents), len(rep.Epochs))
	}
	if rep.Agents[3].Name != "miner-random-0" || rep.Totals[3]*50 > rep.Totals[0] {
		t.Fatalf("random miner %s earned %d vs %d", rep.Agents[3].Name, rep.Totals[3], rep.Totals[0])
	}
	for _, row := range out.Strategies {
		if row.Strategy == "random" && row.Margin <= 0 {
			t.Fatalf("random miner's margin %d, want positive", row.Margin)
		}
	}
	r = runSubnetCLI(t, "", "sim", "subnet", "--epochs", "0")
	if r.err == nil || !strings.Contains(r.stderr, "out of range") {
		t.Fatalf("--epochs 0: %v %q", r.err, r.stderr)
	}
}
