package scenario

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"emergence/sim/computesim"
	"emergence/sim/datasim"
	"emergence/sim/devicesim"
	"emergence/sim/labelsim"
	"emergence/sim/subnetsim"
)

// Report is what a scenario's run gave: a row per strategy of every market
// and role, measured against the honest strategy of the same role, and
// each market's own report.
type Report struct {
	Scenario string `json:"scenario"`
	Seed     uint64 `json:"seed"`
	// Height the shared network reached (0 without network markets).
	Height     int64 `json:"height,omitempty"`
	Strategies []Row `json:"strategies"`
	// Verdict is Check's answer in words.
	Verdict string         `json:"verdict"`
	Markets []MarketReport `json:"markets"`
}

// MarketReport is one market's part of a run.
type MarketReport struct {
	Market string `json:"market"`
	// Chain is "network" (the shared CometBFT network) or "apptest" (an
	// in-process chain of its own).
	Chain string `json:"chain"`
	// Accounting says what Net counts in this market.
	Accounting string `json:"accounting"`
	Rows       []Row  `json:"-"`
	// Detail is the market simulation's own report.
	Detail any `json:"detail"`
}

// Row is one strategy's outcome in a market and role. Amounts are uemg.
type Row struct {
	Market   string `json:"market"`
	Role     string `json:"role"`
	Strategy string `json:"strategy"`
	Accounts int    `json:"accounts"`
	// Operators are the distinct owners: a spamming operator may hold many
	// accounts, and colluders are one operator.
	Operators int `json:"operators"`
	// Earned is what the strategy was paid; Lost what it paid (slashes,
	// fees); Net = Earned − Lost, NetPerOperator = Net / Operators.
	Earned         int64 `json:"earned_uemg"`
	Lost           int64 `json:"lost_uemg"`
	Net            int64 `json:"net_uemg"`
	NetPerOperator int64 `json:"net_per_operator_uemg"`
	// Margin is the honest strategy's net per operator in the same role
	// minus this one's: how much less the strategy earned than honesty
	// (0 for the honest row). MarginPermille is Margin in permille of the
	// honest net per operator (0 when that is not positive).
	Margin         int64 `json:"margin_uemg"`
	MarginPermille int64 `json:"margin_permille"`
}

// Honest reports whether the row is its role's reference strategy.
func (r Row) Honest() bool { return r.Strategy == HonestStrategy }

// finish orders the markets, collects their rows and sets the margins.
func (r *Report) finish() {
	slices.SortFunc(r.Markets, func(a, b MarketReport) int {
		return slices.Index(marketOrder, a.Market) - slices.Index(marketOrder, b.Market)
	})
	r.Strategies = nil
	for _, m := range r.Markets {
		honest := map[string]int64{}
		for _, row := range m.Rows {
			if row.Honest() {
				honest[row.Role] = row.NetPerOperator
			}
		}
		for _, row := range m.Rows {
			h := honest[row.Role]
			row.Margin = h - row.NetPerOperator
			if h > 0 {
				row.MarginPermille = row.Margin * 1000 / h
			}
			r.Strategies = append(r.Strategies, row)
		}
	}
	r.Verdict = "in every market and role, no strategy netted more per operator than the honest one"
	if err := r.Check(); err != nil {
		r.Verdict = err.Error()
	}
	if l := r.HonestLosses(); len(l) > 0 {
		r.Verdict += "\nnote: " + strings.Join(l, "; ")
	}
}

// HonestLosses names each market and role whose honest strategy did not
// gain (net per operator ≤ 0).
func (r *Report) HonestLosses() []string {
	var out []string
	for _, row := range r.Strategies {
		if row.Honest() && row.NetPerOperator <= 0 {
			out = append(out, fmt.Sprintf("%s %s: honest agents netted %d uemg per operator, no gain", row.Market, row.Role, row.NetPerOperator))
		}
	}
	return out
}

// Check holds the scenario's claim: in every market and role no other
// strategy nets more per operator than the honest one. It returns every
// violation. Whether the honest strategy itself gained is reported by
// HonestLosses, not held here: honest labelers drawn from a real crowd
// include inaccurate ones that gold rightly slashes, and which items a
// labeler gets follows block hashes, so the honest group's net can fall
// below zero in one run while every cheater still loses far more.
func (r *Report) Check() error {
	var bad []string
	honest := map[string]int64{}
	for _, row := range r.Strategies {
		if row.Honest() {
			honest[row.Market+"/"+row.Role] = row.NetPerOperator
		}
	}
	for _, row := range r.Strategies {
		h, ok := honest[row.Market+"/"+row.Role]
		if !ok {
			bad = append(bad, fmt.Sprintf("%s %s: no honest row to measure %s against", row.Market, row.Role, row.Strategy))
			continue
		}
		if !row.Honest() && row.NetPerOperator > h {
			bad = append(bad, fmt.Sprintf("%s %s: %s netted %d uemg per operator, %d more than honest", row.Market, row.Role, row.Strategy, row.NetPerOperator, -row.Margin))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("cheating paid:\n  %s", strings.Join(bad, "\n  "))
	}
	return nil
}

// WriteTable prints the strategies table, then each market's own report.
func (r *Report) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "scenario %s (seed %d)", r.Scenario, r.Seed)
	if r.Height > 0 {
		fmt.Fprintf(w, ", network at height %d", r.Height)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "market\trole\tstrategy\taccounts\toperators\tearned\tlost\tnet\tnet/operator\tmargin\tmargin‰\t")
	for _, row := range r.Strategies {
		margin, permille := "-", "-"
		if !row.Honest() {
			margin, permille = fmt.Sprint(row.Margin), fmt.Sprint(row.MarginPermille)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t\n", row.Market, row.Role, row.Strategy, row.Accounts, row.Operators,
			row.Earned, row.Lost, row.Net, row.NetPerOperator, margin, permille)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "(uemg; margin: the honest net per operator of the same role minus this strategy's, > 0 when cheating earned less)")
	fmt.Fprintln(w, r.Verdict)
	for _, m := range r.Markets {
		fmt.Fprintf(w, "\n== %s (%s chain): %s\n", m.Market, m.Chain, m.Accounting)
		switch d := m.Detail.(type) {
		case *labelsim.Report:
			d.WriteTable(w)
		case *subnetsim.Report:
			d.WriteTable(w)
		case *datasim.Report:
			d.WriteTable(w)
		case computesim.Report:
			d.WriteTable(w)
		case devicesim.Report:
			d.WriteTable(w)
		}
	}
	return nil
}

func labelReport(r *labelsim.Report) MarketReport {
	m := MarketReport{Market: "label", Chain: "network", Detail: r,
		Accounting: "payments − slashed stake − fees over the qualification and main jobs"}
	names := map[string]string{labelsim.GroupHonest: HonestStrategy, labelsim.GroupSpammer: "spammer", labelsim.GroupColluder: "colluder"}
	for _, g := range r.Groups {
		m.Rows = append(m.Rows, Row{Market: "label", Role: RoleLabeler, Strategy: names[g.Name], Accounts: g.Accounts, Operators: g.Operators,
			Earned: g.Paid, Lost: g.Slashed + g.Fees, Net: g.Net, NetPerOperator: g.NetPerOperator})
	}
	return m
}

func subnetReport(r *subnetsim.Report) MarketReport {
	m := MarketReport{Market: "subnet", Chain: "network", Detail: r,
		Accounting: "emission over the epochs after the first, minus every fee and the registration burn of the run"}
	idx := map[string]int{}
	for i, a := range r.Agents {
		// Names are role-strategy-n (subnetConfig).
		parts := strings.Split(a.Name, "-")
		st := strings.Join(parts[1:len(parts)-1], "-")
		k := a.Role + "/" + st
		j, ok := idx[k]
		if !ok {
			j = len(m.Rows)
			idx[k] = j
			m.Rows = append(m.Rows, Row{Market: "subnet", Role: a.Role, Strategy: st})
		}
		m.Rows[j].Accounts++
		m.Rows[j].Operators++
		m.Rows[j].Earned += int64(r.Totals[i])
		if r.Costs != nil {
			m.Rows[j].Lost += r.Costs[i]
		}
	}
	if r.Costs == nil {
		m.Accounting = "emission over the epochs after the first (the run outlasted the chain's epoch history, so fees are not counted)"
	}
	for j := range m.Rows {
		m.Rows[j].Net = m.Rows[j].Earned - m.Rows[j].Lost
		m.Rows[j].NetPerOperator = m.Rows[j].Net / int64(m.Rows[j].Operators)
	}
	return m
}

func dataReport(r *datasim.Report) MarketReport {
	m := MarketReport{Market: "data", Chain: "network", Detail: r,
		Accounting: "change of balance plus stake: pay − slashes − fees (colluders are one operator)"}
	for _, g := range r.Groups {
		ops := g.Crawlers
		if g.Strategy == datasim.Colluder {
			ops = 1
		}
		m.Rows = append(m.Rows, Row{Market: "data", Role: RoleCrawler, Strategy: g.Strategy, Accounts: g.Crawlers, Operators: ops,
			Earned: int64(g.Earned), Lost: int64(g.Earned) - g.Net, Net: g.Net, NetPerOperator: g.Net / int64(ops)})
	}
	return m
}

func computeReport(r computesim.Report) MarketReport {
	m := MarketReport{Market: "compute", Chain: "apptest", Detail: r,
		Accounting: "earned − slashed − fees (the colluding pair is one operator)"}
	for _, e := range r.Earnings {
		ops := e.Providers
		if e.Strategy == computesim.Colluder {
			ops = 1
		}
		if ops == 0 {
			continue
		}
		m.Rows = append(m.Rows, Row{Market: "compute", Role: RoleProvider, Strategy: e.Strategy, Accounts: e.Providers, Operators: ops,
			Earned: int64(e.Earned), Lost: int64(e.Slashed + e.Fees), Net: e.Net, NetPerOperator: e.Net / int64(ops)})
	}
	return m
}

func devicesReport(r devicesim.Report) MarketReport {
	m := MarketReport{Market: "devices", Chain: "apptest", Detail: r,
		Accounting: "the epoch's rewards (devices stake nothing; the ingest node pays the fees)"}
	for _, e := range r.Earnings {
		if e.Devices == 0 {
			continue
		}
		m.Rows = append(m.Rows, Row{Market: "devices", Role: RoleDevice, Strategy: e.Strategy, Accounts: e.Devices, Operators: e.Devices,
			Earned: int64(e.Earned), Net: int64(e.Earned), NetPerOperator: int64(e.Earned) / int64(e.Devices)})
	}
	return m
}
