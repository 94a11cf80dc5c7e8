package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"emergence/fixed"
	"emergence/subnet/yuma"
)

const yumaCaseHint = "see docs/yuma-case.md for the case format; testdata/subnet/yuma-case.json is a working example"

// yumaCase is the JSON input of "emergence subnet yuma" (docs/yuma-case.md).
type yumaCase struct {
	Block          uint64       `json:"block"`
	LastEpochBlock uint64       `json:"last_epoch_block"`
	Emission       uint64       `json:"emission"`
	Owner          *uint16      `json:"owner"`
	CommitReveal   bool         `json:"commit_reveal"`
	Params         yumaParams   `json:"params"`
	Neurons        []yumaNeuron `json:"neurons"`
	Comment        string       `json:"comment"`
}

// yumaParams mirrors yuma.Params; absent fields keep their defaults.
type yumaParams struct {
	Kappa                 uint16 `json:"kappa"`
	BondsPenalty          uint16 `json:"bonds_penalty"`
	BondsMovingAverage    uint64 `json:"bonds_moving_average"`
	Yuma3                 bool   `json:"yuma3"`
	LiquidAlpha           bool   `json:"liquid_alpha"`
	AlphaLow              uint16 `json:"alpha_low"`
	AlphaHigh             uint16 `json:"alpha_high"`
	AlphaSigmoidSteepness int16  `json:"alpha_sigmoid_steepness"`
	MaxValidators         uint16 `json:"max_validators"`
	StakeThreshold        uint64 `json:"stake_threshold"`
	ActivityCutoff        uint64 `json:"activity_cutoff"`
	Tempo                 uint64 `json:"tempo"`
}

// yumaNeuron is one uid of the case; its uid is its index.
type yumaNeuron struct {
	Stake           uint64      `json:"stake"`
	LastUpdate      uint64      `json:"last_update"`
	RegisteredAt    uint64      `json:"registered_at"`
	ValidatorPermit bool        `json:"validator_permit"`
	Weights         [][2]uint64 `json:"weights"`
	Bonds           [][2]uint64 `json:"bonds"`
	CommitBlock     uint64      `json:"commit_block"`
}

// yumaOutput is the JSON result (--output json and --out).
type yumaOutput struct {
	Block    uint64           `json:"block"`
	Emission uint64           `json:"emission"`
	Fallback bool             `json:"fallback"`
	Neurons  []yumaNeuronOut  `json:"neurons"`
	Totals   yumaOutputTotals `json:"totals"`
}

type yumaOutputTotals struct {
	ServerEmission    uint64 `json:"server_emission"`
	ValidatorEmission uint64 `json:"validator_emission"`
}

// yumaNeuronOut holds one uid's outputs: shares as exact decimals of the
// I32F32 value (10 digits) and as stored u16, emissions in base units.
type yumaNeuronOut struct {
	UID               int         `json:"uid"`
	Stake             json.Number `json:"stake"`
	Active            bool        `json:"active"`
	ValidatorPermit   bool        `json:"validator_permit"`
	Consensus         json.Number `json:"consensus"`
	Incentive         json.Number `json:"incentive"`
	Dividends         json.Number `json:"dividends"`
	ValidatorTrust    json.Number `json:"validator_trust"`
	Trust             json.Number `json:"trust"`
	ConsensusU16      uint16      `json:"consensus_u16"`
	IncentiveU16      uint16      `json:"incentive_u16"`
	DividendsU16      uint16      `json:"dividends_u16"`
	ValidatorTrustU16 uint16      `json:"validator_trust_u16"`
	ServerEmission    uint64      `json:"server_emission"`
	ValidatorEmission uint64      `json:"validator_emission"`
	Emission          uint64      `json:"emission"`
	Bonds             [][2]uint64 `json:"bonds"`
}

func newSubnetYumaCmd(g *globals) *cobra.Command {
	var in, out string
	cmd := &cobra.Command{
		Use:   "yuma --in case.json [--out result.json]",
		Short: "Run one Yuma Consensus epoch offline on a JSON case",
		Long: `Runs one epoch of Yuma Consensus, exactly as the chain does (deterministic
fixed point), on a case file: stakes, weights, bonds, last-update and
registration blocks, validator permits and hyperparameters. Prints per uid the
consensus, incentive, dividends, validator trust, trust, emissions and new
bonds; --output json prints the same as JSON, --out also writes it to a file.

The case format is described in docs/yuma-case.md. Read the case from stdin
with --in -.

Examples:
  emergence subnet yuma --in testdata/subnet/yuma-case.json
  emergence subnet yuma --in case.json --out result.json --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if in == "" {
				return errorf("pass --in case.json (or --in - for stdin); "+yumaCaseHint, "no case file given")
			}
			return runSubnetYuma(g, in, out)
		},
	}
	cmd.Flags().StringVar(&in, "in", "", "case file (JSON), - for stdin")
	cmd.Flags().StringVar(&out, "out", "", "also write the result as JSON to this file")
	return cmd
}

func runSubnetYuma(g *globals, inPath, outPath string) error {
	var data []byte
	var err error
	if inPath == "-" {
		data, err = io.ReadAll(g.stdin)
	} else {
		data, err = os.ReadFile(inPath)
	}
	if err != nil {
		return errorf("check the --in path", "read case: %w", err)
	}
	c, err := parseYumaCase(data)
	if err != nil {
		return errorf(yumaCaseHint, "case %s: %w", inPath, err)
	}
	input, err := c.input()
	if err != nil {
		return errorf(yumaCaseHint, "case %s: %w", inPath, err)
	}
	res, err := yuma.Run(input)
	if err != nil {
		return errorf(yumaCaseHint, "case %s: %w", inPath, err)
	}
	o := newYumaOutput(input, res)
	if outPath != "" {
		b, err := json.MarshalIndent(o, "", "  ")
		if err != nil {
			return fmt.Errorf("encode result: %w", err)
		}
		if err := os.WriteFile(outPath, append(b, '\n'), 0o644); err != nil {
			return errorf("check that the --out directory exists and is writable", "write result: %w", err)
		}
	}
	return g.print(o, func(w io.Writer) { printYumaTable(w, o) })
}

// parseYumaCase decodes a case strictly (unknown fields are errors) and
// turns JSON syntax errors into line:column positions.
func parseYumaCase(data []byte) (*yumaCase, error) {
	c := &yumaCase{}
	d := yuma.DefaultParams()
	c.Params = yumaParams{
		Kappa: d.Kappa, BondsPenalty: d.BondsPenalty, BondsMovingAverage: d.BondsMovingAverage,
		Yuma3: d.Yuma3, LiquidAlpha: d.LiquidAlpha, AlphaLow: d.AlphaLow, AlphaHigh: d.AlphaHigh,
		AlphaSigmoidSteepness: d.AlphaSigmoidSteepness, MaxValidators: d.MaxValidators,
		StakeThreshold: d.StakeThreshold, ActivityCutoff: d.ActivityCutoff, Tempo: d.Tempo,
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(c); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			l, col := lineCol(data, se.Offset)
			return nil, fmt.Errorf("invalid JSON at line %d, column %d: %w", l, col, err)
		case errors.As(err, &te):
			l, col := lineCol(data, te.Offset)
			return nil, fmt.Errorf("field %q at line %d, column %d: expected %s, got JSON %s", te.Field, l, col, te.Type, te.Value)
		case errors.Is(err, io.EOF):
			return nil, errors.New("empty file")
		}
		return nil, fmt.Errorf("decode: %w", err)
	}
	if dec.More() {
		return nil, errors.New("trailing data after the case object")
	}
	if len(c.Neurons) == 0 {
		return nil, errors.New("no neurons")
	}
	return c, nil
}

func lineCol(data []byte, off int64) (line, col int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line = 1 + bytes.Count(data[:off], []byte("\n"))
	col = int(off) - bytes.LastIndexByte(data[:off], '\n')
	return line, col
}

func (c *yumaCase) input() (*yuma.Input, error) {
	n := len(c.Neurons)
	if n > 65536 {
		return nil, fmt.Errorf("%d neurons: at most 65536", n)
	}
	p := c.Params
	in := &yuma.Input{
		Block: c.Block, LastEpochBlock: c.LastEpochBlock, Emission: c.Emission,
		Params: yuma.Params{
			Kappa: p.Kappa, BondsPenalty: p.BondsPenalty, BondsMovingAverage: p.BondsMovingAverage,
			Yuma3: p.Yuma3, LiquidAlpha: p.LiquidAlpha, AlphaLow: p.AlphaLow, AlphaHigh: p.AlphaHigh,
			AlphaSigmoidSteepness: p.AlphaSigmoidSteepness, MaxValidators: p.MaxValidators,
			StakeThreshold: p.StakeThreshold, ActivityCutoff: p.ActivityCutoff, Tempo: p.Tempo,
		},
		Stake: make([]uint64, n), LastUpdate: make([]uint64, n), RegisteredAt: make([]uint64, n),
		ValidatorPermit: make([]bool, n), Weights: make([][]yuma.Entry, n), Bonds: make([][]yuma.Entry, n),
	}
	if p.BondsMovingAverage > 1_000_000 {
		return nil, fmt.Errorf("params.bonds_moving_average %d: must be at most 1000000 (millionths)", p.BondsMovingAverage)
	}
	if p.AlphaLow > p.AlphaHigh {
		return nil, fmt.Errorf("params.alpha_low %d above alpha_high %d", p.AlphaLow, p.AlphaHigh)
	}
	if c.Owner != nil {
		if int(*c.Owner) >= n {
			return nil, fmt.Errorf("owner uid %d: only %d neurons", *c.Owner, n)
		}
		in.HasOwner, in.Owner = true, *c.Owner
	}
	if c.CommitReveal {
		in.CommitBlock = make([]uint64, n)
	}
	for i, nr := range c.Neurons {
		in.Stake[i] = nr.Stake
		in.LastUpdate[i] = nr.LastUpdate
		in.RegisteredAt[i] = nr.RegisteredAt
		in.ValidatorPermit[i] = nr.ValidatorPermit
		if c.CommitReveal {
			in.CommitBlock[i] = nr.CommitBlock
		}
		var err error
		if in.Weights[i], err = yumaEntries(nr.Weights, n, i, "weights"); err != nil {
			return nil, err
		}
		if in.Bonds[i], err = yumaEntries(nr.Bonds, n, i, "bonds"); err != nil {
			return nil, err
		}
	}
	return in, nil
}

func yumaEntries(pairs [][2]uint64, n, i int, what string) ([]yuma.Entry, error) {
	out := make([]yuma.Entry, 0, len(pairs))
	for _, p := range pairs {
		if p[0] >= uint64(n) {
			return nil, fmt.Errorf("neurons[%d].%s: uid %d does not exist (%d neurons)", i, what, p[0], n)
		}
		if p[1] > 65535 {
			return nil, fmt.Errorf("neurons[%d].%s: value %d for uid %d exceeds 65535 (values are u16)", i, what, p[1], p[0])
		}
		out = append(out, yuma.Entry{UID: uint16(p[0]), Value: uint16(p[1])})
	}
	return out, nil
}

func newYumaOutput(in *yuma.Input, r *yuma.Result) *yumaOutput {
	o := &yumaOutput{Block: in.Block, Emission: in.Emission, Fallback: r.Fallback}
	num := func(x fixed.I32F32) json.Number { return json.Number(x.String()) }
	for i := range in.Stake {
		bonds := make([][2]uint64, 0, len(r.Bonds[i]))
		for _, e := range r.Bonds[i] {
			bonds = append(bonds, [2]uint64{uint64(e.UID), uint64(e.Value)})
		}
		o.Neurons = append(o.Neurons, yumaNeuronOut{
			UID: i, Stake: num(r.Stake[i]), Active: r.Active[i], ValidatorPermit: r.ValidatorPermit[i],
			Consensus: num(r.Consensus[i]), Incentive: num(r.Incentive[i]), Dividends: num(r.Dividends[i]),
			ValidatorTrust: num(r.ValidatorTrust[i]), Trust: num(r.Trust[i]),
			ConsensusU16: r.Consensus[i].ToU16Proportion(), IncentiveU16: r.Incentive[i].ToU16Proportion(),
			DividendsU16: r.Dividends[i].ToU16Proportion(), ValidatorTrustU16: r.ValidatorTrust[i].ToU16Proportion(),
			ServerEmission: r.ServerEmission[i], ValidatorEmission: r.ValidatorEmission[i], Emission: r.Emission[i],
			Bonds: bonds,
		})
		o.Totals.ServerEmission += r.ServerEmission[i]
		o.Totals.ValidatorEmission += r.ValidatorEmission[i]
	}
	return o
}

func printYumaTable(w io.Writer, o *yumaOutput) {
	fmt.Fprintf(w, "epoch at block %d, emission %d", o.Block, o.Emission)
	if o.Fallback {
		fmt.Fprint(w, " (no usable weights: emission follows stake)")
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "uid\tstake\tactive\tpermit\tconsensus\tincentive\tdividends\tvtrust\ttrust\tminer emission\tvalidator emission\t")
	yn := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	for _, n := range o.Neurons {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t\n", n.UID, n.Stake, yn(n.Active), yn(n.ValidatorPermit),
			n.Consensus, n.Incentive, n.Dividends, n.ValidatorTrust, n.Trust, n.ServerEmission, n.ValidatorEmission)
	}
	fmt.Fprintf(tw, "total\t\t\t\t\t\t\t\t\t%d\t%d\t\n", o.Totals.ServerEmission, o.Totals.ValidatorEmission)
	tw.Flush()
	var any bool
	for _, n := range o.Neurons {
		if len(n.Bonds) == 0 {
			continue
		}
		if !any {
			fmt.Fprintln(w, "\nnew bonds (uid: target=u16 ...)")
			any = true
		}
		parts := make([]string, len(n.Bonds))
		for k, b := range n.Bonds {
			parts[k] = fmt.Sprintf("%d=%d", b[0], b[1])
		}
		fmt.Fprintf(w, "  %d: %s\n", n.UID, strings.Join(parts, " "))
	}
}
