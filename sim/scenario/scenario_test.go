package scenario_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"emergence/sim/labelsim"
	"emergence/sim/scenario"
)

// shrink cuts a shipped scenario to test sizes: the same markets, roles
// and strategies, fewer items, epochs, pages and jobs.
func shrink(s *scenario.Scenario) {
	m := s.Markets
	if l := m.Label; l != nil {
		l.Items, l.QualifyItems = min(l.Items, 100), min(l.QualifyItems, 40)
		l.Baseline = false
	}
	if sn := m.Subnet; sn != nil {
		sn.Epochs = min(sn.Epochs, 7)
	}
	if d := m.Data; d != nil {
		d.Pages, d.Jobs = min(d.Pages, 30), 1
	}
	if c := m.Compute; c != nil {
		c.Jobs = min(c.Jobs, 24)
	}
	if d := m.Devices; d != nil {
		d.Readings = min(d.Readings, 12)
		for i := range d.Agents {
			d.Agents[i].Count = min(d.Agents[i].Count, 3)
		}
	}
}

// TestShippedScenarios runs every shipped scenario at test size on a real
// network and holds its claim: in every market and role the honest
// strategy gains, and no other strategy nets more per operator; the
// report has a row, with its margin, for every strategy the scenario
// lists.
func TestShippedScenarios(t *testing.T) {
	names := scenario.Shipped()
	for _, want := range []string{"label", "subnet", "data", "compute", "devices", "cross", "sybil"} {
		if !strings.Contains(" "+strings.Join(names, " ")+" ", " "+want+" ") {
			t.Fatalf("shipped scenarios %v lack %s", names, want)
		}
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s, err := scenario.Load(name)
			if err != nil {
				t.Fatal(err)
			}
			shrink(s)
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			var log bytes.Buffer
			rep, err := scenario.Run(ctx, s, scenario.Options{Log: &log})
			if err != nil {
				t.Fatalf("%v\n%s", err, log.String())
			}
			var buf bytes.Buffer
			if err := rep.WriteTable(&buf); err != nil {
				t.Fatal(err)
			}
			t.Log("\n" + buf.String())
			if err := rep.Check(); err != nil {
				t.Error(err)
			}
			rows := map[string]scenario.Row{}
			for _, r := range rep.Strategies {
				rows[r.Market+"/"+r.Role+"/"+r.Strategy] = r
			}
			for market, agents := range map[string][]scenario.Agent{"label": agentsOf(s.Markets.Label), "subnet": agentsOfSubnet(s.Markets.Subnet),
				"data": agentsOfData(s.Markets.Data), "compute": agentsOfCompute(s.Markets.Compute), "devices": agentsOfDevices(s.Markets.Devices)} {
				for _, a := range agents {
					r, ok := rows[market+"/"+a.Role+"/"+a.Strategy]
					if !ok {
						t.Errorf("no row for %s %s %s", market, a.Role, a.Strategy)
						continue
					}
					if r.Accounts != a.Count {
						t.Errorf("%s %s: %d accounts in the report, %d in the scenario", market, a.Strategy, r.Accounts, a.Count)
					}
					if !r.Honest() && r.Margin < 0 {
						t.Errorf("%s %s: margin %d", market, a.Strategy, r.Margin)
					}
				}
			}
			// Under personhood each operator binds one account: the
			// chain refuses a sybil farm's others.
			if l := s.Markets.Label; l != nil && l.RequirePersonhood {
				for _, m := range rep.Markets {
					d, ok := m.Detail.(*labelsim.Report)
					if !ok {
						continue
					}
					var accounts, operators int
					for _, g := range d.Groups {
						accounts += g.Accounts
						operators += g.Operators
					}
					if d.Humans != operators || d.Refused != accounts-operators || d.Refused == 0 {
						t.Errorf("personhood: %d humans, %d refused; want %d and %d", d.Humans, d.Refused, operators, accounts-operators)
					}
				}
			}
			if rep.Verdict == "" || strings.Contains(rep.Verdict, "cheating paid") {
				t.Errorf("verdict %q", rep.Verdict)
			}
		})
	}
}

func agentsOf(l *scenario.Label) []scenario.Agent {
	if l == nil {
		return nil
	}
	return l.Agents
}

func agentsOfSubnet(m *scenario.Subnet) []scenario.Agent {
	if m == nil {
		return nil
	}
	return m.Agents
}

func agentsOfData(m *scenario.Data) []scenario.Agent {
	if m == nil {
		return nil
	}
	return m.Agents
}

func agentsOfCompute(m *scenario.Compute) []scenario.Agent {
	if m == nil {
		return nil
	}
	return m.Agents
}

func agentsOfDevices(m *scenario.Devices) []scenario.Agent {
	if m == nil {
		return nil
	}
	return m.Agents
}

const goodLabel = `name: t
seed: 1
markets:
  label:
    items: 50
    redundancy: 3
    agents:
      - {strategy: honest, count: 5}
      - {strategy: spammer, count: 2}
`

// TestBadScenarios: every kind of bad file is refused with its line and
// what to fix.
func TestBadScenarios(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []string
	}{
		{"empty", "", []string{"bad.yaml: empty scenario"}},
		{"unknown top field", "nmae: t\n", []string{`bad.yaml:1: unknown field "nmae" in the top level (known: name,`}},
		{"unknown market", "name: t\nmarkets:\n  labels: {}\n", []string{`bad.yaml:3: unknown field "labels" in markets (known: label, subnet, data, compute, devices)`}},
		{"unknown market field", strings.Replace(goodLabel, "items:", "itmes:", 1), []string{`bad.yaml:5: unknown field "itmes" in markets.label (known: items, redundancy,`}},
		{"unknown agent field", strings.Replace(goodLabel, "count: 2}", "cuont: 2}", 1), []string{`bad.yaml:9: unknown field "cuont" in an agent`}},
		{"wrong type", strings.Replace(goodLabel, "items: 50", "items: lots", 1), []string{"bad.yaml:5: cannot unmarshal", "`lots` into a field of type int"}},
		{"repeated key", strings.Replace(goodLabel, "seed: 1", "seed: 1\nseed: 2", 1), []string{"bad.yaml:3:", `"seed" already defined at line 2`}},
		{"two documents", goodLabel + "---\nname: u\n", []string{"bad.yaml:10: a scenario file holds one YAML document"}},
		{"no market", "name: t\nseed: 1\n", []string{"bad.yaml:1: no market: name at least one of label, subnet, data, compute, devices"}},
		{"bad name", strings.Replace(goodLabel, "name: t", "name: My Scenario", 1), []string{`bad.yaml:1: name "My Scenario": want a word`}},
		{"block time", "block_time: 1ms\n" + goodLabel, []string{"bad.yaml:1: block_time 1ms: want 20ms to 10s"}},
		{"unknown strategy", strings.Replace(goodLabel, "spammer,", "spamer,", 1), []string{`bad.yaml:9: label: unknown labeler strategy "spamer" (want one of honest, spammer, colluder)`}},
		{"strategy twice", goodLabel + "      - {strategy: spammer, count: 1}\n", []string{`bad.yaml:10: label: labeler strategy "spammer" listed twice`}},
		{"count 0", strings.Replace(goodLabel, "count: 2", "count: 0", 1), []string{"bad.yaml:9: label: count 0: want 1 to 1000"}},
		{"no honest", strings.Replace(goodLabel, "{strategy: honest, count: 5}", "{strategy: colluder, count: 5}", 1), []string{"bad.yaml:7: label: no honest labeler"}},
		{"no agents", "name: t\nmarkets:\n  data: {pages: 10}\n", []string{"bad.yaml:3: data: no agents"}},
		{"bad amount", strings.Replace(goodLabel, "count: 5}", "count: 5, stake: 2 emgs}", 1), []string{`bad.yaml:8: amount "2 emgs": want e.g. 2emg`}},
		{"stake out of range", strings.Replace(goodLabel, "count: 5}", "count: 5, stake: 500emg}", 1), []string{"bad.yaml:8: label: stake 500emg: want 1emg to 50emg"}},
		{"operators outside label spammers", strings.Replace(goodLabel, "count: 5}", "count: 5, accounts_per_operator: 2}", 1), []string{"bad.yaml:8: label: accounts_per_operator applies to label spammers only"}},
		{"subnet role missing", "name: t\nmarkets:\n  subnet:\n    epochs: 3\n    agents:\n      - {strategy: honest, count: 2}\n", []string{"bad.yaml:6: subnet: agent needs a role (miner or validator)"}},
		{"subnet unknown role", "name: t\nmarkets:\n  subnet:\n    epochs: 3\n    agents:\n      - {role: owner, strategy: honest, count: 2}\n", []string{`bad.yaml:6: subnet: unknown role "owner"`}},
		{"subnet epochs", "name: t\nmarkets:\n  subnet:\n    epochs: 0\n    agents:\n      - {role: miner, strategy: honest, count: 2}\n      - {role: validator, strategy: copier, count: 1}\n",
			[]string{"bad.yaml:4: epochs 0: want 1 to 60", "bad.yaml:5: subnet: no honest validator"}},
		{"data k above crawlers", "name: t\nmarkets:\n  data:\n    pages: 10\n    k: 4\n    agents: [{strategy: honest, count: 3}]\n", []string{"bad.yaml:5: k 4: more crawlers per URL than the 3 crawlers"}},
		{"compute fixed cast", "name: t\nmarkets:\n  compute:\n    jobs: 5\n    agents:\n      - {strategy: honest, count: 2}\n      - {strategy: lazy, count: 3}\n",
			[]string{"bad.yaml:7: compute: lazy plays 1 provider(s) in computesim's fixed cast, not 3", "compute: computesim's cast has 2 colluding-pair provider(s): list it"}},
		{"devices unequal", "name: t\nmarkets:\n  devices:\n    readings: 5\n    agents:\n      - {strategy: honest, count: 2}\n      - {strategy: cloner, count: 3}\n",
			[]string{"bad.yaml:7: devices: every strategy runs the same number of devices (3 here, 2 for honest)", "devicesim plays every strategy"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := scenario.Parse("bad.yaml", []byte(tc.src))
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nlacks %q", err, w)
				}
			}
			var se *scenario.Error
			if !errors.As(err, &se) {
				t.Errorf("%v is not a *scenario.Error", err)
			}
		})
	}
}

// TestLoad reads a file by path and a shipped scenario by name from any
// directory, and refuses a name that is neither.
func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mine.yaml")
	if err := os.WriteFile(path, []byte(goodLabel), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := scenario.Load(path)
	if err != nil || s.Name != "t" || s.Markets.Label.Agents[1].Role != scenario.RoleLabeler {
		t.Fatalf("by path: %+v, %v", s, err)
	}
	// A directory named like a shipped scenario (the repository's label/)
	// is not a scenario file.
	if err := os.Mkdir(filepath.Join(dir, "label"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	for _, name := range scenario.Shipped() {
		s, err := scenario.Load(name)
		if err != nil || s.Name != name || s.Description == "" {
			t.Fatalf("shipped %s: %+v, %v", name, s, err)
		}
	}
	for _, ref := range []string{"nosuch", "../label", "label.yaml"} {
		if _, err := scenario.Load(ref); !errors.Is(err, scenario.ErrNotFound) || !strings.Contains(err.Error(), "cross") {
			t.Errorf("%s: %v, want not found listing the shipped scenarios", ref, err)
		}
	}
}

// TestCheckCatchesAProfitableAttack runs an attack that pays, a colluding
// majority in the data market at k = 2, and checks that the report says
// so: the colluders out-earn the honest crawlers, their margin is
// negative, and Check names them.
func TestCheckCatchesAProfitableAttack(t *testing.T) {
	s, err := scenario.Load(filepath.Join("testdata", "colluding-majority.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := scenario.Run(ctx, s, scenario.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	rep.WriteTable(&buf)
	t.Log("\n" + buf.String())
	var colluder scenario.Row
	for _, r := range rep.Strategies {
		if r.Strategy == "colluder" {
			colluder = r
		}
	}
	if colluder.Margin >= 0 || colluder.Net <= 0 {
		t.Fatalf("colluding majority: net %d, margin %d; want a gain above honest", colluder.Net, colluder.Margin)
	}
	err = rep.Check()
	if err == nil || !strings.Contains(err.Error(), "data crawler: colluder netted") || !strings.Contains(rep.Verdict, "cheating paid") {
		t.Fatalf("check: %v, verdict %q", err, rep.Verdict)
	}
}
