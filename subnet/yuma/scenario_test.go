package yuma_test

import (
	"testing"

	"emergence/fixed"
	"emergence/subnet/yuma"
)

// chain is a tiny in-memory stand-in for the subnet state the epoch reads
// and writes, so that the multi-epoch reference scenarios can be replayed:
// set weights (max-upscaled, LastUpdate = block), advance blocks, run an
// epoch (permits and bonds fed back).
type chain struct {
	t     *testing.T
	in    yuma.Input
	last  *yuma.Result
	epoch yuma.Epoch
}

func newChain(t *testing.T, stakes []uint64, registeredAt uint64, p yuma.Params) *chain {
	t.Helper()
	n := len(stakes)
	c := &chain{t: t}
	c.in = yuma.Input{
		Block:           registeredAt,
		Emission:        1_000_000_000,
		Params:          p,
		Stake:           append([]uint64(nil), stakes...),
		LastUpdate:      make([]uint64, n),
		RegisteredAt:    make([]uint64, n),
		ValidatorPermit: make([]bool, n),
		Weights:         make([][]yuma.Entry, n),
		Bonds:           make([][]yuma.Entry, n),
	}
	for i := range n {
		c.in.LastUpdate[i] = registeredAt
		c.in.RegisteredAt[i] = registeredAt
	}
	return c
}

// setWeights stores uid's weights as set_weights does (max-upscaled u16).
func (c *chain) setWeights(uid int, uids []uint16, vals []uint16) {
	v := append([]uint16(nil), vals...)
	fixed.MaxUpscaleU16(v)
	row := make([]yuma.Entry, len(uids))
	for k := range uids {
		row[k] = yuma.Entry{UID: uids[k], Value: v[k]}
	}
	c.in.Weights[uid] = row
	c.in.LastUpdate[uid] = c.in.Block
}

func (c *chain) nextBlock() { c.in.Block++ }

// run executes one epoch at the current block and feeds back permits and bonds.
func (c *chain) run() *yuma.Result {
	c.t.Helper()
	if c.in.Block > 0 {
		c.in.LastEpochBlock = c.in.Block - 1
	}
	out := new(yuma.Result)
	if err := c.epoch.Run(&c.in, out); err != nil {
		c.t.Fatal(err)
	}
	c.in.ValidatorPermit = append([]bool(nil), out.ValidatorPermit...)
	c.in.Bonds = out.Bonds
	c.last = out
	return out
}

// bond returns the stored bond of (i, j).
func (c *chain) bond(i, j int) uint16 {
	for _, e := range c.in.Bonds[i] {
		if int(e.UID) == j {
			return e.Value
		}
	}
	return 0
}

func legacyParams() yuma.Params {
	p := yuma.DefaultParams()
	p.Yuma3 = false
	return p
}

func wantU16(t *testing.T, what string, got []uint16, want []uint16) {
	t.Helper()
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s = %v, want %v", what, got, want)
		}
	}
}

func wantU64(t *testing.T, what string, got, want []uint64) {
	t.Helper()
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s = %v, want %v", what, got, want)
		}
	}
}

// Case C (test_10_graph): only self-weights, no prior permits: every
// output is zero and emission falls back to stake, 99_999_999 each.
func TestCaseC_NoUsableWeightsFallsBackToStake(t *testing.T) {
	stakes := make([]uint64, 10)
	for i := range stakes {
		stakes[i] = 1
	}
	c := newChain(t, stakes, 0, legacyParams())
	c.nextBlock()
	for i := range 10 {
		c.setWeights(i, []uint16{uint16(i)}, []uint16{65535})
	}
	c.nextBlock()
	r := c.run()
	if !r.Fallback {
		t.Fatal("expected the stake fallback")
	}
	for i := range 10 {
		if r.Consensus[i] != 0 || r.Incentive[i] != 0 || r.Dividends[i] != 0 || r.ServerEmission[i] != 0 {
			t.Fatalf("uid %d: non-zero output %+v", i, r)
		}
		if r.Emission[i] != 99_999_999 || r.ValidatorEmission[i] != 99_999_999 {
			t.Fatalf("uid %d emission %d/%d, want 99_999_999", i, r.Emission[i], r.ValidatorEmission[i])
		}
		if !r.ValidatorPermit[i] {
			t.Fatalf("uid %d should get a permit", i)
		}
	}
	// test_1_graph: one uid with a self-weight gets zeros too.
	c1 := newChain(t, []uint64{1}, 0, legacyParams())
	c1.nextBlock()
	c1.setWeights(0, []uint16{0}, []uint16{65535})
	c1.nextBlock()
	r1 := c1.run()
	if r1.Incentive[0] != 0 || r1.Dividends[0] != 0 || r1.Consensus[0] != 0 {
		t.Fatalf("single uid outputs: %+v", r1)
	}
}

// Case D (test_512_graph): 64 validators weight 448 servers equally.
func TestCaseD_512Graph(t *testing.T) {
	const n, v = 512, 64
	for _, layout := range []string{"validators first", "servers first", "interleaved"} {
		t.Run(layout, func(t *testing.T) {
			isVal := make([]bool, n)
			for k := 0; k < v; k++ {
				switch layout {
				case "validators first":
					isVal[k] = true
				case "servers first":
					isVal[n-v+k] = true
				default:
					isVal[k*(n/v)] = true
				}
			}
			stakes := make([]uint64, n)
			var servers []uint16
			for i := range n {
				if isVal[i] {
					stakes[i] = 328_125_000_000_000
				} else {
					servers = append(servers, uint16(i))
				}
			}
			p := legacyParams()
			p.MaxValidators = v
			c := newChain(t, stakes, 0, p)
			c.nextBlock()
			c.run() // grant permits
			vals := make([]uint16, len(servers))
			for k := range vals {
				vals[k] = 65535 / 512
			}
			for epoch := 0; epoch < 3; epoch++ {
				c.nextBlock()
				for i := range n {
					if isVal[i] {
						// set_weights max-upscales, as the chain does.
						c.setWeights(i, servers, vals)
					}
				}
				c.nextBlock()
				c.run()
			}
			r := c.last
			cons, inc, div := yuma.U16(r.Consensus), yuma.U16(r.Incentive), yuma.U16(r.Dividends)
			for i := range n {
				if isVal[i] {
					if cons[i] != 0 || inc[i] != 0 || div[i] != 1023 || r.Emission[i] != 7_812_500 {
						t.Fatalf("validator %d: C=%d I=%d D=%d E=%d", i, cons[i], inc[i], div[i], r.Emission[i])
					}
					for _, s := range servers[:5] {
						if b := c.bond(i, int(s)); b != 65535 {
							t.Fatalf("bond %d→%d = %d", i, s, b)
						}
					}
				} else if cons[i] != 146 || inc[i] != 146 || div[i] != 0 || r.Emission[i] != 1_116_071 {
					t.Fatalf("server %d: C=%d I=%d D=%d E=%d", i, cons[i], inc[i], div[i], r.Emission[i])
				}
			}
		})
	}
}

// Case E (test_active_stake): an inactive validator loses dividends.
func TestCaseE_ActiveStake(t *testing.T) {
	p := legacyParams()
	const cutoff = 5000
	p.ActivityCutoff = cutoff
	c := newChain(t, []uint64{1, 1, 1, 1}, 0, p)
	r := c.run() // permits
	c.nextBlock()
	// E1 at block 1.
	c.setWeights(0, []uint16{2, 3}, []uint16{32767, 32767})
	c.setWeights(1, []uint16{2, 3}, []uint16{32767, 32767})
	r = c.run()
	wantU16(t, "E1 dividends", yuma.U16(r.Dividends), []uint16{32767, 32767, 0, 0})
	wantU64(t, "E1 emission", r.Emission, []uint64{250_000_000, 250_000_000, 250_000_000, 250_000_000})
	for i := 0; i < 2; i++ {
		if c.bond(i, 2) != 65535 || c.bond(i, 3) != 65535 || c.bond(i, 0) != 0 {
			t.Fatalf("E1 bonds row %d: %v", i, c.in.Bonds[i])
		}
	}
	// E2 at block cutoff+2: only uid 0 refreshes.
	c.in.Block = cutoff + 2
	c.setWeights(0, []uint16{2, 3}, []uint16{32767, 32767})
	r = c.run()
	wantU16(t, "E2 dividends", yuma.U16(r.Dividends)[:2], []uint16{36044, 29490})
	wantU64(t, "E2 emission", r.Emission, []uint64{274_999_999, 224_999_999, 250_000_000, 250_000_000})
	if c.bond(0, 2) != 65535 || c.bond(1, 2) != 53619 {
		t.Fatalf("E2 bonds %d %d, want 65535 53619", c.bond(0, 2), c.bond(1, 2))
	}
	// E3 at block cutoff+3: uid 1 refreshes.
	c.nextBlock()
	c.setWeights(1, []uint16{2, 3}, []uint16{32767, 32767})
	r = c.run()
	wantU16(t, "E3 dividends", yuma.U16(r.Dividends)[:2], []uint16{35716, 29818})
	wantU64(t, "E3 emission", r.Emission[:2], []uint64{272_501_132, 227_498_866})
	if c.bond(1, 2) != 54712 || c.bond(0, 2) != 65535 {
		t.Fatalf("E3 bonds %d %d, want 65535 54712", c.bond(0, 2), c.bond(1, 2))
	}
}

// Case F (test_bonds): legacy bond dynamics over seven epochs.
func TestCaseF_LegacyBonds(t *testing.T) {
	p := legacyParams()
	p.MaxValidators = 8
	c := newChain(t, []uint64{1, 2, 3, 4, 0, 0, 0, 0}, 1, p)
	c.run() // permits
	c.nextBlock()
	srv := []uint16{4, 5, 6, 7}
	for uid := 0; uid < 4; uid++ {
		c.setWeights(uid, srv, []uint16{65535 / 4, 65535 / 2, (65535 / 4) * 3, 65535})
	}
	col := func(j int) []uint16 {
		return []uint16{c.bond(0, j), c.bond(1, j), c.bond(2, j), c.bond(3, j)}
	}
	r := c.run()
	wantU16(t, "epoch 1 bonds col4", col(4), []uint16{16383, 32767, 49151, 65535})
	wantStrings(t, "epoch 1 consensus", r.Consensus[4:], []string{"0.0999975584", "0.2000012207", "0.2999926754", "0.4000085450"})
	wantU64(t, "epoch 1 server emission", r.ServerEmission[4:], []uint64{49998779, 100000610, 149996337, 200004272})
	within(t, "epoch 1 validator emission", r.ValidatorEmission[:4], []uint64{49999998, 99999999, 150000000, 200000001}, 2)

	steps := []struct {
		setter int      // uid that changes weights (-1: none)
		to     []uint16 // its new target uids (self-weight when nil)
		col    int
		want   []uint16
	}{
		{0, nil, 4, []uint16{14582, 32767, 49151, 65535}},
		{1, nil, 4, []uint16{12603, 28321, 49151, 65535}},
		{2, nil, 7, []uint16{12602, 28320, 49150, 65535}},
		{2, []uint16{7}, 7, []uint16{10951, 24609, 49150, 65535}},
		{-1, nil, 7, []uint16{9559, 21482, 49150, 65535}},
		{-1, nil, 7, []uint16{8376, 18824, 49150, 65535}},
	}
	for k, s := range steps {
		if s.setter >= 0 {
			to := s.to
			if to == nil {
				to = []uint16{uint16(s.setter)}
			}
			vals := make([]uint16, len(to))
			for q := range vals {
				vals[q] = 65535
			}
			c.setWeights(s.setter, to, vals)
		}
		c.nextBlock()
		r = c.run()
		wantU16(t, "epoch bonds", col(s.col), s.want)
		switch k + 2 {
		case 4: // only val3 (0.4 < κ) weights: consensus 0, stake fallback
			if !r.Fallback {
				t.Fatal("epoch 4: expected fallback")
			}
			wantU64(t, "epoch 4 emission", r.Emission, []uint64{99999999, 199999999, 299999999, 399999999, 0, 0, 0, 0})
		case 5:
			if got := r.Consensus[7].String(); got != "0.4000085450" {
				t.Fatalf("epoch 5 C_7 = %s", got)
			}
			within(t, "epoch 5 emission", r.Emission, []uint64{36443733, 81898628, 163565493, 218092144, 0, 0, 0, 500000000}, 2)
		}
	}
}

func wantStrings(t *testing.T, what string, got []fixed.I32F32, want []string) {
	t.Helper()
	for i := range want {
		if got[i].String() != want[i] {
			t.Fatalf("%s = %v, want %v", what, got, want)
		}
	}
}

func within(t *testing.T, what string, got, want []uint64, tol uint64) {
	t.Helper()
	for i := range want {
		d := got[i] - want[i]
		if got[i] < want[i] {
			d = want[i] - got[i]
		}
		if d > tol {
			t.Fatalf("%s = %v, want %v (±%d)", what, got, want, tol)
		}
	}
}
