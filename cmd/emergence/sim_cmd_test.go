package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSimRun runs a scenario file through "emergence sim run" (the two
// apptest markets, so it is quick) with --check and -o json, lists the
// shipped scenarios, and refuses a missing scenario and a bad file with
// the line and a hint.
func TestSimRun(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "small.yaml")
	src := `name: small
seed: 2
markets:
  compute:
    jobs: 12
    agents:
      - {strategy: honest, count: 3}
      - {strategy: lazy, count: 1}
      - {strategy: colluding-pair, count: 2}
      - {strategy: over-claimer, count: 1}
      - {strategy: offline, count: 1}
  devices:
    readings: 8
    agents:
      - {strategy: honest, count: 2}
      - {strategy: gps-spoofer, count: 2}
      - {strategy: replayer, count: 2}
      - {strategy: cloner, count: 2}
`
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runLabel(t, "", "sim", "run", path, "--check", "--quiet", "-o", "json").ok(t)
	var rep struct {
		Scenario   string
		Verdict    string
		Strategies []struct {
			Market, Strategy string
			Margin           int64 `json:"margin_uemg"`
		}
		Markets []struct{ Market, Chain string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if rep.Scenario != "small" || len(rep.Strategies) != 9 || len(rep.Markets) != 2 || rep.Markets[0].Chain != "apptest" {
		t.Fatalf("report: %+v", rep)
	}
	for _, s := range rep.Strategies {
		if s.Strategy != "honest" && s.Margin <= 0 {
			t.Errorf("%s %s: margin %d, want positive", s.Market, s.Strategy, s.Margin)
		}
	}
	r = runLabel(t, "", "sim", "run", path, "--quiet").ok(t)
	if !strings.Contains(r.stdout, "margin") || !strings.Contains(r.stdout, "over-claimer") || !strings.Contains(r.stdout, "no strategy netted more") {
		t.Errorf("table:\n%s", r.stdout)
	}
	r = runLabel(t, "", "sim", "run", "--list").ok(t)
	for _, name := range []string{"label", "subnet", "data", "compute", "devices", "cross"} {
		if !strings.Contains(r.stdout, name+" ") {
			t.Errorf("--list lacks %s:\n%s", name, r.stdout)
		}
	}
	runLabel(t, "", "sim", "run", "nosuch").userErr(t, `no such scenario "nosuch"`)
	runLabel(t, "", "sim", "run").userErr(t, "sim run takes one SCENARIO")
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte(strings.Replace(src, "readings: 8", "readngs: 8", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	runLabel(t, "", "sim", "run", bad).userErr(t, `bad.yaml:13: unknown field "readngs" in markets.devices`)
}
