// Package casefile is the case file format of 'emergence subnet yuma'
// (docs/yuma-case.md): one epoch of Yuma Consensus written as JSON (stakes,
// weights, bonds, last-update and registration blocks, validator permits,
// hyperparameters), turned into a yuma.Input, and its yuma.Result written
// back with shares as exact decimals and as stored u16.
//
// It is offline tooling: validators run package yuma, never this one.
package casefile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"emergence/fixed"
	"emergence/subnet/yuma"
)

// Case is one case file: the state of a subnet at an epoch.
type Case struct {
	Block          uint64   `json:"block"`
	LastEpochBlock uint64   `json:"last_epoch_block"`
	Emission       uint64   `json:"emission"`
	Owner          *uint16  `json:"owner"`
	CommitReveal   bool     `json:"commit_reveal"`
	Params         Params   `json:"params"`
	Neurons        []Neuron `json:"neurons"`
	Comment        string   `json:"comment"`
}

// Params mirrors yuma.Params; fields absent from the file keep the
// values of yuma.DefaultParams.
type Params struct {
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

// Neuron is one uid of the case; its uid is its index.
type Neuron struct {
	Stake           uint64      `json:"stake"`
	LastUpdate      uint64      `json:"last_update"`
	RegisteredAt    uint64      `json:"registered_at"`
	ValidatorPermit bool        `json:"validator_permit"`
	Weights         [][2]uint64 `json:"weights"`
	Bonds           [][2]uint64 `json:"bonds"`
	CommitBlock     uint64      `json:"commit_block"`
}

// Result is the outcome of running a case, in the JSON form of
// docs/yuma-case.md.
type Result struct {
	Block    uint64         `json:"block"`
	Emission uint64         `json:"emission"`
	Fallback bool           `json:"fallback"`
	Neurons  []NeuronResult `json:"neurons"`
	Totals   Totals         `json:"totals"`
}

// Totals sums the emissions over every uid.
type Totals struct {
	ServerEmission    uint64 `json:"server_emission"`
	ValidatorEmission uint64 `json:"validator_emission"`
}

// NeuronResult holds one uid's outputs: shares as exact decimals of the
// I32F32 value (10 digits) and as stored u16, emissions in base units.
type NeuronResult struct {
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

// Parse decodes a case file strictly (unknown fields are errors), with
// JSON syntax and type errors at their line and column.
func Parse(data []byte) (*Case, error) {
	c := &Case{}
	d := yuma.DefaultParams()
	c.Params = Params{
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

// Input checks the case (uids in range, u16 values, parameter bounds) and
// returns it as the input of yuma.Run.
func (c *Case) Input() (*yuma.Input, error) {
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
		if in.Weights[i], err = entries(nr.Weights, n, i, "weights"); err != nil {
			return nil, err
		}
		if in.Bonds[i], err = entries(nr.Bonds, n, i, "bonds"); err != nil {
			return nil, err
		}
	}
	return in, nil
}

func entries(pairs [][2]uint64, n, i int, what string) ([]yuma.Entry, error) {
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

// NewResult writes yuma.Run's result r on input in in the file form.
func NewResult(in *yuma.Input, r *yuma.Result) *Result {
	o := &Result{Block: in.Block, Emission: in.Emission, Fallback: r.Fallback}
	num := func(x fixed.I32F32) json.Number { return json.Number(x.String()) }
	for i := range in.Stake {
		bonds := make([][2]uint64, 0, len(r.Bonds[i]))
		for _, e := range r.Bonds[i] {
			bonds = append(bonds, [2]uint64{uint64(e.UID), uint64(e.Value)})
		}
		o.Neurons = append(o.Neurons, NeuronResult{
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

// Run runs the case's epoch, exactly as the chain does, and returns its
// result in the file form.
func (c *Case) Run() (*Result, error) {
	in, err := c.Input()
	if err != nil {
		return nil, err
	}
	r, err := yuma.Run(in)
	if err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	return NewResult(in, r), nil
}
