// Package scenario reads adversarial scenarios and runs them: one YAML file
// names the markets to attack, the agents of each strategy with their
// counts and stakes, the rounds and the seed, and [Run] drives them on a
// real in-process network and reports what each strategy earned against
// the honest strategy of its role.
//
// The label, subnet and data markets of a scenario run at once on one
// network (package simnet: CometBFT, the chain on Pebble, the HTTP API and
// blob store on loopback), each agent a client of the node with its own
// key, as the workers are. The compute and devices markets are played by
// packages computesim and devicesim on apptest's in-process chain (the
// same composed chain without CometBFT, with every module's invariants
// checked after every block), each on a chain of its own.
//
// # Format
//
//	name: cross                 # a word; the report names it
//	description: ...            # free text
//	seed: 7                     # derives keys, items and answers
//	block_time: 100ms           # of the network (default 100ms)
//	markets:
//	  label: {items: 200, redundancy: 5, agents: [{strategy: honest, count: 14}, ...]}
//	  subnet: {epochs: 8, agents: [{role: validator, strategy: copier, count: 1, stake: 1000emg}, ...]}
//	  data: {pages: 40, k: 3, agents: [...]}
//	  compute: {jobs: 60, agents: [...]}
//	  devices: {readings: 30, agents: [...]}
//
// Decoding is strict: an unknown field, a repeated key or a second document
// is an error with its line. [Strategies] lists each market's roles and
// strategies; sim/README.md describes every field.
package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"emergence/bank"
	"emergence/sim/scenarios"
)

// Scenario is one parsed scenario file.
type Scenario struct {
	Name        string        `yaml:"name" json:"name"`
	Description string        `yaml:"description" json:"description,omitempty"`
	Seed        uint64        `yaml:"seed" json:"seed"`
	BlockTime   time.Duration `yaml:"block_time" json:"block_time_ns,omitempty"`
	Markets     Markets       `yaml:"markets" json:"markets"`

	// file names the source in errors; root is its node tree, for lines.
	file string
	root *yaml.Node
}

// Markets holds the sections of the markets a scenario runs; a nil
// section does not run.
type Markets struct {
	Label   *Label   `yaml:"label" json:"label,omitempty"`
	Subnet  *Subnet  `yaml:"subnet" json:"subnet,omitempty"`
	Data    *Data    `yaml:"data" json:"data,omitempty"`
	Compute *Compute `yaml:"compute" json:"compute,omitempty"`
	Devices *Devices `yaml:"devices" json:"devices,omitempty"`
}

// Agent is one strategy's agents in a market.
type Agent struct {
	// Role in the market; a market with one role does not need it.
	Role string `yaml:"role" json:"role,omitempty"`
	// Strategy the agents play (see Strategies).
	Strategy string `yaml:"strategy" json:"strategy"`
	// Count of accounts playing it.
	Count int `yaml:"count" json:"count"`
	// Stake of each account ("2emg", "1500000uemg" or a bare number of
	// uemg); empty takes the market's default.
	Stake Amount `yaml:"stake" json:"stake_uemg,omitempty"`
	// AccountsPerOperator groups a label spammer's accounts by owner (a
	// sybil farm): each operator runs that many.
	AccountsPerOperator int `yaml:"accounts_per_operator" json:"accounts_per_operator,omitempty"`
}

// Label attacks the labeling market (package labelsim): a qualification
// job gates the main job by reputation.
type Label struct {
	Items         int    `yaml:"items" json:"items"`
	Redundancy    int    `yaml:"redundancy" json:"redundancy"`
	GoldPermille  int    `yaml:"gold_permille" json:"gold_permille,omitempty"`
	QualifyItems  int    `yaml:"qualify_items" json:"qualify_items,omitempty"`
	MinReputation uint32 `yaml:"min_reputation" json:"min_reputation,omitempty"`
	Baseline      bool   `yaml:"baseline" json:"baseline,omitempty"`
	// RequirePersonhood gates the jobs by proof of personhood: one human
	// identity per operator, so each spamming operator and the colluders
	// bind one account and the chain refuses the rest of their accounts.
	RequirePersonhood bool    `yaml:"require_personhood" json:"require_personhood,omitempty"`
	Seed              *uint64 `yaml:"seed" json:"seed,omitempty"`
	Agents            []Agent `yaml:"agents" json:"agents"`
}

// Subnet runs one classify subnet (package subnetsim) for some epochs.
type Subnet struct {
	Epochs int `yaml:"epochs" json:"epochs"`
	// Tempo in blocks (default 10); Rotate swaps the honest miners'
	// qualities in pairs every Rotate epochs (0: never); RevealPeriod is
	// the weights' reveal delay in epochs (0: the chain's default).
	Tempo        uint64 `yaml:"tempo" json:"tempo,omitempty"`
	Rotate       int    `yaml:"rotate" json:"rotate,omitempty"`
	RevealPeriod uint64 `yaml:"reveal_period" json:"reveal_period,omitempty"`
	// Data is the validators' labelled items: "digits" (built in) or a CSV
	// file; Model is the miners' zkml model file (empty: one trained on
	// Data).
	Data   string  `yaml:"data" json:"data,omitempty"`
	Model  string  `yaml:"model" json:"model,omitempty"`
	Agents []Agent `yaml:"agents" json:"agents"`
}

// Data plays crawlers against the data market (package datasim).
type Data struct {
	Pages        int     `yaml:"pages" json:"pages"`
	K            int     `yaml:"k" json:"k,omitempty"`
	Jobs         int     `yaml:"jobs" json:"jobs,omitempty"`
	PricePerPage Amount  `yaml:"price_per_page" json:"price_per_page_uemg,omitempty"`
	Seed         *uint64 `yaml:"seed" json:"seed,omitempty"`
	Agents       []Agent `yaml:"agents" json:"agents"`
}

// Compute plays providers against the compute market (package
// computesim); its cast of cheaters is fixed (one lazy, one colluding
// pair, one over-claimer, one offline provider), the honest count is free.
type Compute struct {
	Jobs            int     `yaml:"jobs" json:"jobs"`
	PerBlock        int     `yaml:"per_block" json:"per_block,omitempty"`
	RecheckPermille *uint32 `yaml:"recheck_permille" json:"recheck_permille,omitempty"`
	SlashPermille   uint32  `yaml:"slash_permille" json:"slash_permille,omitempty"`
	// PairOnly lets only the colluding pair bid, with the honest
	// providers as referees, to measure the re-check alone.
	PairOnly bool    `yaml:"pair_only" json:"pair_only,omitempty"`
	Agents   []Agent `yaml:"agents" json:"agents"`
}

// Devices plays one epoch of device data (package devicesim): every
// strategy runs the same number of devices.
type Devices struct {
	Readings int     `yaml:"readings" json:"readings"`
	Agents   []Agent `yaml:"agents" json:"agents"`
}

// Amount is a number of uemg that a scenario may write as "2emg",
// "1500uemg" or a bare integer.
type Amount uint64

// UnmarshalYAML reads a scalar amount.
func (a *Amount) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: an amount is a scalar such as 2emg or 1500uemg", n.Line)
	}
	v, err := bank.ParseAmount(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: amount %q: want e.g. 2emg, 1500uemg or a number of uemg", n.Line, n.Value)
	}
	*a = Amount(v)
	return nil
}

// Role names.
const (
	RoleLabeler   = "labeler"
	RoleMiner     = "miner"
	RoleValidator = "validator"
	RoleCrawler   = "crawler"
	RoleProvider  = "provider"
	RoleDevice    = "device"
)

// HonestStrategy is the reference strategy of every role.
const HonestStrategy = "honest"

// Strategies lists each market's roles and, for each role, its strategies
// (the honest one first).
var Strategies = map[string]map[string][]string{
	"label":   {RoleLabeler: {HonestStrategy, "spammer", "colluder"}},
	"subnet":  {RoleMiner: {HonestStrategy, "weak", "random"}, RoleValidator: {HonestStrategy, "copier", "stale"}},
	"data":    {RoleCrawler: {HonestStrategy, "liar", "free-rider", "colluder"}},
	"compute": {RoleProvider: {HonestStrategy, "lazy", "colluding-pair", "over-claimer", "offline"}},
	"devices": {RoleDevice: {HonestStrategy, "gps-spoofer", "replayer", "cloner"}},
}

// marketOrder is the order markets run and report in.
var marketOrder = []string{"label", "subnet", "data", "compute", "devices"}

// Error is a problem with a scenario file, at a line when known.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// ErrNotFound is returned by Load for a name that is neither a file nor a
// shipped scenario.
var ErrNotFound = errors.New("no such scenario")

// Shipped returns the names of the scenarios built into the binary.
func Shipped() []string { return scenarios.Names() }

// Load reads a scenario: ref is a file path, or the name of a shipped
// scenario (Shipped) when no such file exists (a directory of that name,
// such as the repository's label/, is not a scenario file).
func Load(ref string) (*Scenario, error) {
	if fi, err := os.Stat(ref); err == nil && !fi.IsDir() {
		src, err := os.ReadFile(ref)
		if err != nil {
			return nil, fmt.Errorf("read scenario: %w", err)
		}
		return Parse(ref, src)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read scenario: %w", err)
	}
	if s, err := LoadShipped(ref); !errors.Is(err, ErrNotFound) {
		return s, err
	}
	return nil, fmt.Errorf("%w %q: not a file, nor a shipped scenario (%s)", ErrNotFound, ref, strings.Join(Shipped(), ", "))
}

// LoadShipped reads the shipped scenario name, whatever the directory
// holds.
func LoadShipped(name string) (*Scenario, error) {
	src, ok := scenarios.Read(name)
	if !ok {
		return nil, fmt.Errorf("%w %q: the shipped scenarios are %s", ErrNotFound, name, strings.Join(Shipped(), ", "))
	}
	return Parse(name+".yaml (shipped)", src)
}

// unknownField matches yaml's error for a field the target type lacks.
var unknownField = regexp.MustCompile(`^line (\d+): field (\S+) not found in type scenario\.(\w+)$`)

// yamlLine matches the line yaml puts at the front of its errors.
var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// fieldsOf names each section type's fields, for unknown-field errors.
var fieldsOf = map[string]struct{ section, fields string }{
	"Scenario": {"the top level", "name, description, seed, block_time, markets"},
	"Markets":  {"markets", "label, subnet, data, compute, devices"},
	"Agent":    {"an agent", "role, strategy, count, stake, accounts_per_operator"},
	"Label":    {"markets.label", "items, redundancy, gold_permille, qualify_items, min_reputation, baseline, require_personhood, seed, agents"},
	"Subnet":   {"markets.subnet", "epochs, tempo, rotate, reveal_period, data, model, agents"},
	"Data":     {"markets.data", "pages, k, jobs, price_per_page, seed, agents"},
	"Compute":  {"markets.compute", "jobs, per_block, recheck_permille, slash_permille, pair_only, agents"},
	"Devices":  {"markets.devices", "readings, agents"},
}

// Parse decodes and validates a scenario; file names it in errors. Every
// problem found is reported, each with its line.
func Parse(file string, src []byte) (*Scenario, error) {
	s := &Scenario{file: file}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(s); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{File: file, Msg: "empty scenario: it needs at least a name and one market"}
		}
		return nil, decodeError(file, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, &Error{File: file, Line: extra.Line, Msg: "a scenario file holds one YAML document; remove the second"}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(src, &root); err != nil {
		return nil, decodeError(file, err)
	}
	s.root = &root
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

func decodeError(file string, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		var errs []error
		for _, m := range te.Errors {
			errs = append(errs, lineError(file, m))
		}
		return errors.Join(errs...)
	}
	return lineError(file, err.Error())
}

func lineError(file, m string) *Error {
	if g := unknownField.FindStringSubmatch(m); g != nil {
		line, _ := strconv.Atoi(g[1])
		f := fieldsOf[g[3]]
		return &Error{File: file, Line: line, Msg: fmt.Sprintf("unknown field %q in %s (known: %s)", g[2], f.section, f.fields)}
	}
	if g := yamlLine.FindStringSubmatch(m); g != nil {
		line, _ := strconv.Atoi(g[1])
		msg := strings.ReplaceAll(g[2], "!!", "")
		msg = regexp.MustCompile(` into (\S+)`).ReplaceAllString(msg, " into a field of type $1")
		return &Error{File: file, Line: line, Msg: msg}
	}
	return &Error{File: file, Msg: strings.TrimPrefix(m, "yaml: ")}
}

// line returns the line of the node at path (mapping keys, or sequence
// indexes as numbers), or of its nearest ancestor; 0 without a tree.
func (s *Scenario) line(path ...string) int {
	if s.root == nil || len(s.root.Content) == 0 {
		return 0
	}
	n := s.root.Content[0]
	line := n.Line
	for _, p := range path {
		var next *yaml.Node
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == p {
					next, line = n.Content[i+1], n.Content[i].Line
				}
			}
		case yaml.SequenceNode:
			if i, err := strconv.Atoi(p); err == nil && i >= 0 && i < len(n.Content) {
				next = n.Content[i]
				line = next.Line
			}
		}
		if next == nil {
			return line
		}
		n = next
	}
	return line
}

// problems collects validation errors.
type problems struct {
	s    *Scenario
	errs []error
}

func (p *problems) add(path []string, format string, args ...any) {
	p.errs = append(p.errs, &Error{File: p.s.file, Line: p.s.line(path...), Msg: fmt.Sprintf(format, args...)})
}

// Validate checks every field's range and the agents of every market, and
// reports each problem with its line (when the scenario came from a file).
// A caller that changes a parsed scenario validates it again.
func (s *Scenario) Validate() error {
	p := &problems{s: s}
	if !regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`).MatchString(s.Name) {
		p.add([]string{"name"}, "name %q: want a word of lowercase letters, digits and dashes (at most 40)", s.Name)
	}
	if s.BlockTime != 0 && (s.BlockTime < 20*time.Millisecond || s.BlockTime > 10*time.Second) {
		p.add([]string{"block_time"}, "block_time %s: want 20ms to 10s", s.BlockTime)
	}
	m := s.Markets
	if m.Label == nil && m.Subnet == nil && m.Data == nil && m.Compute == nil && m.Devices == nil {
		p.add([]string{"markets"}, "no market: name at least one of %s under markets", strings.Join(marketOrder, ", "))
	}
	if l := m.Label; l != nil {
		at := []string{"markets", "label"}
		rangeCheck(p, at, "items", l.Items, 10, 20_000)
		rangeCheck(p, at, "redundancy", l.Redundancy, 1, 20)
		optionalRange(p, at, "gold_permille", l.GoldPermille, 1, 1000)
		optionalRange(p, at, "qualify_items", l.QualifyItems, 10, 2_000)
		if l.MinReputation > 1000 {
			p.add(append(at, "min_reputation"), "min_reputation %d: want 0 to 1000 permille", l.MinReputation)
		}
		p.agents("label", at, l.Agents, 1_000, stakeRange{1 * bank.UnitsPerEMG, 50 * bank.UnitsPerEMG})
	}
	if sn := m.Subnet; sn != nil {
		at := []string{"markets", "subnet"}
		rangeCheck(p, at, "epochs", sn.Epochs, 1, 60)
		if sn.Tempo != 0 && (sn.Tempo < 5 || sn.Tempo > 100) {
			p.add(append(at, "tempo"), "tempo %d: want 5 to 100 blocks", sn.Tempo)
		}
		if sn.Rotate < 0 || sn.Rotate > 60 {
			p.add(append(at, "rotate"), "rotate %d: want 0 (never) to 60 epochs", sn.Rotate)
		}
		if sn.RevealPeriod > 100 {
			p.add(append(at, "reveal_period"), "reveal_period %d: want 1 to 100 epochs (0: the chain's default)", sn.RevealPeriod)
		}
		p.agents("subnet", at, sn.Agents, 64, stakeRange{1 * bank.UnitsPerEMG, 100_000 * bank.UnitsPerEMG})
	}
	if d := m.Data; d != nil {
		at := []string{"markets", "data"}
		rangeCheck(p, at, "pages", d.Pages, 1, 256)
		optionalRange(p, at, "k", d.K, 1, 8)
		optionalRange(p, at, "jobs", d.Jobs, 1, 10)
		if d.PricePerPage > 10*bank.UnitsPerEMG {
			p.add(append(at, "price_per_page"), "price_per_page %s: at most 10emg", bank.FormatAmount(uint64(d.PricePerPage)))
		}
		n := p.agents("data", at, d.Agents, 128, stakeRange{1 * bank.UnitsPerEMG, 50 * bank.UnitsPerEMG})
		if k := max(d.K, 2); n > 0 && k > n {
			p.add(append(at, "k"), "k %d: more crawlers per URL than the %d crawlers", k, n)
		}
	}
	if c := m.Compute; c != nil {
		at := []string{"markets", "compute"}
		rangeCheck(p, at, "jobs", c.Jobs, 1, 1_000)
		optionalRange(p, at, "per_block", c.PerBlock, 1, 64)
		if c.RecheckPermille != nil && *c.RecheckPermille > 1000 {
			p.add(append(at, "recheck_permille"), "recheck_permille %d: want 0 to 1000", *c.RecheckPermille)
		}
		if c.SlashPermille > 1000 {
			p.add(append(at, "slash_permille"), "slash_permille %d: want 0 (the module's) to 1000", c.SlashPermille)
		}
		p.agents("compute", at, c.Agents, 40, stakeRange{1 * bank.UnitsPerEMG, 1_000 * bank.UnitsPerEMG})
		fixed := map[string]int{"lazy": 1, "colluding-pair": 2, "over-claimer": 1, "offline": 1}
		var stake *Amount
		for i, a := range c.Agents {
			if want, ok := fixed[a.Strategy]; ok && a.Count != want {
				p.add(agentField(at, i, "count"), "compute: %s plays %d provider(s) in computesim's fixed cast, not %d", a.Strategy, want, a.Count)
			}
			if a.Strategy == HonestStrategy && a.Count > 32 {
				p.add(agentField(at, i, "count"), "compute: %d honest providers, at most 32", a.Count)
			}
			if stake != nil && a.Stake != *stake {
				p.add(agentField(at, i, "stake"), "compute: every provider stakes the same (%s here, %s above)", bank.FormatAmount(uint64(a.Stake)), bank.FormatAmount(uint64(*stake)))
			}
			stake = &a.Stake
		}
		for st, want := range fixed {
			if !slices.ContainsFunc(c.Agents, func(a Agent) bool { return a.Strategy == st }) {
				p.add(append(at, "agents"), "compute: computesim's cast has %d %s provider(s): list it", want, st)
			}
		}
	}
	if d := m.Devices; d != nil {
		at := []string{"markets", "devices"}
		rangeCheck(p, at, "readings", d.Readings, 2, 300)
		p.agents("devices", at, d.Agents, 800, stakeRange{})
		for i, a := range d.Agents {
			if i > 0 && a.Count != d.Agents[0].Count {
				p.add(agentField(at, i, "count"), "devices: every strategy runs the same number of devices (%d here, %d for %s)", a.Count, d.Agents[0].Count, d.Agents[0].Strategy)
			}
			if a.Count > 200 {
				p.add(agentField(at, i, "count"), "devices: %d devices per strategy, at most 200", a.Count)
			}
		}
		if len(d.Agents) > 0 && len(d.Agents) != len(Strategies["devices"][RoleDevice]) {
			p.add(append(at, "agents"), "devices: devicesim plays every strategy (%s): list each with the same count", strings.Join(Strategies["devices"][RoleDevice], ", "))
		}
	}
	if len(p.errs) > 0 {
		return errors.Join(p.errs...)
	}
	return nil
}

func rangeCheck(p *problems, at []string, field string, v, lo, hi int) {
	if v < lo || v > hi {
		p.add(append(slices.Clone(at), field), "%s %d: want %d to %d", field, v, lo, hi)
	}
}

// optionalRange is rangeCheck for a field whose 0 takes the default.
func optionalRange(p *problems, at []string, field string, v, lo, hi int) {
	if v != 0 {
		rangeCheck(p, at, field, v, lo, hi)
	}
}

// agentField is the path of field of the i-th agent under at.
func agentField(at []string, i int, field string) []string {
	return append(slices.Clone(at), "agents", strconv.Itoa(i), field)
}

type stakeRange struct{ lo, hi uint64 }

// agents checks a market's agent list: known roles and strategies, each
// (role, strategy) once, counts and stakes in range, an honest strategy in
// every role that has others. It returns the total count.
func (p *problems) agents(market string, at []string, agents []Agent, maxTotal int, stakes stakeRange) int {
	roles := Strategies[market]
	if len(agents) == 0 {
		p.add(at, "%s: no agents: list them under agents, e.g. {strategy: honest, count: 4}", market)
		return 0
	}
	seen := map[string]bool{}
	total := 0
	for i, a := range agents {
		here := append(slices.Clone(at), "agents", strconv.Itoa(i))
		role := a.Role
		if role == "" && len(roles) == 1 {
			for r := range roles {
				role = r
			}
		}
		sts, ok := roles[role]
		if ok {
			agents[i].Role = role // a one-role market's agents get it named
		}
		if !ok {
			var names []string
			for r := range roles {
				names = append(names, r)
			}
			slices.Sort(names)
			if a.Role == "" {
				p.add(here, "%s: agent needs a role (%s)", market, strings.Join(names, " or "))
			} else {
				p.add(append(here, "role"), "%s: unknown role %q (want %s)", market, a.Role, strings.Join(names, " or "))
			}
			continue
		}
		if !slices.Contains(sts, a.Strategy) {
			p.add(append(here, "strategy"), "%s: unknown %s strategy %q (want one of %s)", market, role, a.Strategy, strings.Join(sts, ", "))
			continue
		}
		if seen[role+"/"+a.Strategy] {
			p.add(append(here, "strategy"), "%s: %s strategy %q listed twice: give it one entry with the total count", market, role, a.Strategy)
		}
		seen[role+"/"+a.Strategy] = true
		if a.Count < 1 || a.Count > maxTotal {
			p.add(append(here, "count"), "%s: count %d: want 1 to %d", market, a.Count, maxTotal)
		}
		total += a.Count
		if a.Stake != 0 {
			if stakes.hi == 0 {
				p.add(append(here, "stake"), "%s: %s agents stake nothing here; remove stake", market, role)
			} else if uint64(a.Stake) < stakes.lo || uint64(a.Stake) > stakes.hi {
				p.add(append(here, "stake"), "%s: stake %s: want %s to %s", market, bank.FormatAmount(uint64(a.Stake)), bank.FormatAmount(stakes.lo), bank.FormatAmount(stakes.hi))
			}
		}
		if a.AccountsPerOperator != 0 && !(market == "label" && a.Strategy == "spammer") {
			p.add(append(here, "accounts_per_operator"), "%s: accounts_per_operator applies to label spammers only", market)
		} else if a.AccountsPerOperator < 0 || a.AccountsPerOperator > 100 {
			p.add(append(here, "accounts_per_operator"), "accounts_per_operator %d: want 1 to 100", a.AccountsPerOperator)
		}
	}
	if total > maxTotal {
		p.add(append(slices.Clone(at), "agents"), "%s: %d agents in all, at most %d", market, total, maxTotal)
	}
	p.needHonest(market, at, agents)
	return total
}

// needHonest requires an honest strategy in every role a market's agents
// play: it is what the others are measured against.
func (p *problems) needHonest(market string, at []string, agents []Agent) {
	played := map[string]bool{}
	honest := map[string]bool{}
	for _, a := range agents {
		role := a.Role
		if role == "" && len(Strategies[market]) == 1 {
			for r := range Strategies[market] {
				role = r
			}
		}
		played[role] = true
		if a.Strategy == HonestStrategy {
			honest[role] = true
		}
	}
	for _, r := range sortedKeys(played) {
		if _, ok := Strategies[market][r]; ok && !honest[r] {
			p.add(append(slices.Clone(at), "agents"), "%s: no honest %s: every role needs honest agents to measure the others against", market, r)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// count returns the agents of a strategy in a role (Validate names the
// role of a one-role market's agents).
func count(agents []Agent, role, strategy string) (n int, stake uint64, perOperator int) {
	for _, a := range agents {
		if a.Strategy == strategy && a.Role == role {
			return a.Count, uint64(a.Stake), a.AccountsPerOperator
		}
	}
	return 0, 0, 0
}
