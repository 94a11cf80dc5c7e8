// Package subnetsim drives a real Emergence node with adversarial subnet
// agents and reports who earned what, epoch by epoch.
//
// The cast, on one "classify" subnet:
//
//   - miner-a, miner-b: honest miners of different quality (a answers with
//     the model, b replaces 25% of its answers by random ones); every
//     Rotate epochs they swap qualities, so validators must keep
//     re-evaluating;
//   - miner-c: a weak miner (60% random answers);
//   - miner-random: answers at random;
//   - val-honest, val-honest-2: validators that score every miner each epoch;
//   - val-copier: a validator with the same stake as val-honest that never
//     evaluates and copies the other validators' revealed weights (with
//     commit–reveal it can only copy weights RevealPeriod epochs old, which
//     take effect RevealPeriod epochs after it copies them);
//   - val-stale: a validator with the same stake that sets weights once
//     and then lets them go stale.
//
// Agents are real clients: miners serve HTTP on loopback, validators sign
// transactions with their own keys through the node's API. [Run] drives a
// node the caller started; package subnetsim/subnetnet boots one for it, so
// this package links no node, like the workers its agents stand for.
package subnetsim

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"emergence/bank"
	"emergence/client"
	"emergence/subnet"
	"emergence/subnet/classify"
	"emergence/tx"
	"emergence/zkml/model"
)

// Config sets up a simulation.
type Config struct {
	// Client talks to the node.
	Client *client.Client
	// Funder pays the agents' funds and the subnet's creation.
	Funder ed25519.PrivateKey
	// Model is the miners' classifier; Data the validators' held-out items.
	Model classify.Predictor
	Data  *model.Dataset
	// Epochs to run (after the first epoch, which grants permits).
	Epochs int
	// Tempo of the subnet in blocks (default 10).
	Tempo uint64
	// Rotate swaps miner-a's and miner-b's quality every Rotate epochs
	// (0: never).
	Rotate int
	// Stake of each validator in uemg (default 1000 EMG).
	Stake uint64
	// RevealPeriod is the subnet's reveal delay in epochs (default
	// DefaultRevealPeriod): weights committed in epoch e are revealed and
	// take effect in epoch e + RevealPeriod, so the copier's weights are
	// RevealPeriod epochs older than the honest validators'.
	RevealPeriod uint64
	// Cast is who takes part (nil: DefaultCast, the cast above).
	Cast []Member
	// Tune, if set, adjusts the subnet's hyperparameters before creation.
	Tune func(*subnet.Hyperparams)
	// Log receives progress lines (may be nil).
	Log io.Writer
}

// DefaultRevealPeriod is the simulated subnet's reveal delay in epochs: the
// chain's default for new subnets. Measured with this simulation (24 epochs,
// miners swapping every 4) and the chain's copy check, the copier earned
// 66 % of an honest validator's total at a delay of 1, 36 % at 2, 30 % at 3
// and 18 % at 4 (docs/subnet.md has the table).
var DefaultRevealPeriod = subnet.DefaultHyperparams().RevealPeriodEpochs

// MaxCast bounds a cast: every agent is a UID of the one subnet.
const MaxCast = 64

// Agent is one participant.
type Agent struct {
	Name   string     `json:"name"`
	Role   string     `json:"role"` // "miner" or "validator"
	Kind   string     `json:"kind"`
	Hotkey tx.Address `json:"hotkey"`
	UID    uint16     `json:"uid"`
}

// Epoch is what each agent earned in one epoch (uemg), in Agents order.
type Epoch struct {
	Epoch    uint64   `json:"epoch"`
	Height   int64    `json:"height"`
	Earnings []uint64 `json:"earnings"`
}

// Report is the outcome of a simulation.
type Report struct {
	NetUID uint16 `json:"netuid"`
	// RevealPeriod is the subnet's reveal delay in epochs.
	RevealPeriod uint64   `json:"reveal_period"`
	Agents       []Agent  `json:"agents"`
	Epochs       []Epoch  `json:"epochs"`
	Totals       []uint64 `json:"totals"`
	// Costs are what each agent paid over the whole run, in Agents order:
	// transaction fees and the registration burn (its free funds plus all
	// the subnet paid it, from its creation, minus its balance at the end;
	// stakes are not costs, nothing is slashed). Nil when the run outlasted
	// the chain's epoch history.
	Costs []int64 `json:"costs,omitempty"`
}

// Total returns the total earnings of the named agent.
func (r *Report) Total(name string) uint64 {
	for i, a := range r.Agents {
		if a.Name == name {
			return r.Totals[i]
		}
	}
	return 0
}

// KeyOf derives an agent's deterministic key from its name.
func KeyOf(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("emergence/subnetsim/" + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

func addrOf(k ed25519.PrivateKey) tx.Address {
	return tx.AddressFromPubKey(k.Public().(ed25519.PublicKey))
}

// Roles of a Member.
const (
	RoleMiner     = "miner"
	RoleValidator = "validator"
)

// Member is one agent of a cast.
type Member struct {
	// Name is unique in the cast; the agent's key derives from it.
	Name string
	// Role is RoleMiner or RoleValidator.
	Role string
	// Kind describes the strategy for the report.
	Kind string
	// Noise is the share of a miner's answers replaced by random ones
	// (0: the model's answers, 1: all random).
	Noise float64
	// Swaps: the miners with Swaps set are paired in cast order, and each
	// pair swaps noise every Config.Rotate epochs.
	Swaps bool
	// Copy makes a validator copy revealed weights instead of evaluating.
	Copy bool
	// MaxCommits > 0 makes a validator stop committing weights after that
	// many (1: it sets weights once and lets them go stale).
	MaxCommits int
	// Stake of a validator in uemg (0: Config.Stake).
	Stake uint64
}

// DefaultCast is the cast of the package comment.
func DefaultCast() []Member {
	return []Member{
		{Name: "miner-a", Role: RoleMiner, Kind: "honest, best (swaps with miner-b)", Swaps: true},
		{Name: "miner-b", Role: RoleMiner, Kind: "honest, second (swaps with miner-a)", Noise: 0.25, Swaps: true},
		{Name: "miner-c", Role: RoleMiner, Kind: "weak (60% random answers)", Noise: 0.6},
		{Name: "miner-random", Role: RoleMiner, Kind: "answers at random", Noise: 1},
		{Name: "val-honest", Role: RoleValidator, Kind: "evaluates every epoch"},
		{Name: "val-honest-2", Role: RoleValidator, Kind: "evaluates every epoch"},
		{Name: "val-copier", Role: RoleValidator, Kind: "copies revealed weights, same stake as val-honest", Copy: true},
		{Name: "val-stale", Role: RoleValidator, Kind: "sets weights once, same stake as val-honest", MaxCommits: 1},
	}
}

// Run executes the simulation and returns its report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Tempo == 0 {
		cfg.Tempo = 10
	}
	if cfg.RevealPeriod == 0 {
		cfg.RevealPeriod = DefaultRevealPeriod
	}
	if cfg.Stake == 0 {
		cfg.Stake = 1000 * bank.UnitsPerEMG
	}
	if cfg.Epochs <= 0 {
		return nil, errors.New("epochs must be positive")
	}
	if cfg.Cast == nil {
		cfg.Cast = DefaultCast()
	}
	var miners, validators []Member
	names := map[string]bool{}
	for _, m := range cfg.Cast {
		if names[m.Name] || m.Name == "" {
			return nil, fmt.Errorf("cast: name %q empty or repeated", m.Name)
		}
		names[m.Name] = true
		switch m.Role {
		case RoleMiner:
			miners = append(miners, m)
		case RoleValidator:
			if m.Stake == 0 {
				m.Stake = cfg.Stake
			}
			validators = append(validators, m)
		default:
			return nil, fmt.Errorf("cast: %s has role %q, want %s or %s", m.Name, m.Role, RoleMiner, RoleValidator)
		}
	}
	if len(miners) == 0 || len(validators) == 0 || len(cfg.Cast) > MaxCast {
		return nil, fmt.Errorf("cast of %d miners and %d validators: want at least one of each and at most %d in all", len(miners), len(validators), MaxCast)
	}
	logf := func(format string, args ...any) {
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, format+"\n", args...)
		}
	}
	c := cfg.Client
	send := func(key ed25519.PrivateKey, kind string, v any) error {
		m, err := tx.NewMsg(kind, v)
		if err != nil {
			return err
		}
		res, err := c.SignAndBroadcast(ctx, key, client.TxOptions{}, m)
		if err != nil {
			return fmt.Errorf("%s: %w", kind, err)
		}
		if res.Code != 0 {
			return fmt.Errorf("%s: code %s/%d: %s", kind, res.Codespace, res.Code, res.Log)
		}
		return nil
	}
	// Fund everyone in one transaction.
	var outs []bank.Output
	for _, m := range miners {
		outs = append(outs, bank.Output{To: addrOf(KeyOf(m.Name)), Amount: freeFunds})
	}
	for _, v := range validators {
		outs = append(outs, bank.Output{To: addrOf(KeyOf(v.Name)), Amount: v.Stake + freeFunds})
	}
	if err := send(cfg.Funder, "bank/multisend", bank.MultiSendMsg{Outputs: outs}); err != nil {
		return nil, fmt.Errorf("fund agents: %w", err)
	}
	var subs []subnet.SubnetInfo
	if err := c.Query(ctx, "subnet", "subnets", nil, &subs); err != nil {
		return nil, fmt.Errorf("list subnets: %w", err)
	}
	netuid := uint16(len(subs))
	h := subnet.DefaultHyperparams()
	h.Tempo, h.MaxUIDs, h.MaxValidators = cfg.Tempo, uint16(max(16, len(cfg.Cast))), uint16(len(validators))
	h.MinBurn = 1000
	h.RevealPeriodEpochs = cfg.RevealPeriod
	if cfg.Tune != nil {
		cfg.Tune(&h)
	}
	if err := send(cfg.Funder, "subnet/create", subnet.CreateMsg{Name: "classify-sim", Hyper: &h}); err != nil {
		return nil, fmt.Errorf("create subnet: %w", err)
	}
	rep := &Report{NetUID: netuid, RevealPeriod: cfg.RevealPeriod}

	// Miners.
	var swaps []int
	for i, m := range miners {
		if m.Swaps {
			swaps = append(swaps, i)
		}
	}
	classes := cfg.Data.Classes
	servers := make([]*classify.Miner, len(miners))
	var httpServers []*http.Server
	defer func() {
		for _, s := range httpServers {
			s.Close()
		}
	}()
	for i, m := range miners {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("miner listen: %w", err)
		}
		servers[i] = classify.NewMiner(cfg.Model, classes, m.Noise, uint64(i+1))
		srv := &http.Server{Handler: servers[i], ReadHeaderTimeout: 5 * time.Second}
		httpServers = append(httpServers, srv)
		go srv.Serve(ln)
		k := KeyOf(m.Name)
		if err := send(k, "subnet/register", subnet.RegisterMsg{NetUID: netuid, Axon: ln.Addr().String()}); err != nil {
			return nil, fmt.Errorf("register %s: %w", m.Name, err)
		}
		rep.Agents = append(rep.Agents, Agent{Name: m.Name, Role: RoleMiner, Kind: m.Kind, Hotkey: addrOf(k)})
	}
	// Validators.
	vals := make([]*classify.Validator, len(validators))
	for i, v := range validators {
		k := KeyOf(v.Name)
		if err := send(k, "subnet/register", subnet.RegisterMsg{NetUID: netuid}); err != nil {
			return nil, fmt.Errorf("register %s: %w", v.Name, err)
		}
		if err := send(k, "subnet/stake", subnet.StakeMsg{NetUID: netuid, Hotkey: addrOf(k), Amount: v.Stake}); err != nil {
			return nil, fmt.Errorf("stake %s: %w", v.Name, err)
		}
		vals[i] = &classify.Validator{Client: c, Key: k, NetUID: netuid, Data: cfg.Data, Sample: 64,
			Copy: v.Copy, MaxCommits: v.MaxCommits}
		rep.Agents = append(rep.Agents, Agent{Name: v.Name, Role: RoleValidator, Kind: v.Kind, Hotkey: addrOf(k)})
	}
	for i := range rep.Agents {
		var hk struct {
			UID uint16 `json:"uid"`
		}
		if err := c.Query(ctx, "subnet", fmt.Sprintf("hotkey/%d/%s", netuid, rep.Agents[i].Hotkey), nil, &hk); err != nil {
			return nil, fmt.Errorf("uid of %s: %w", rep.Agents[i].Name, err)
		}
		rep.Agents[i].UID = hk.UID
	}
	info := func() (subnet.SubnetInfo, error) {
		var s subnet.SubnetInfo
		err := c.Query(ctx, "subnet", fmt.Sprintf("subnet/%d", netuid), nil, &s)
		return s, err
	}
	s0, err := info()
	if err != nil {
		return nil, err
	}
	start := s0.Epochs
	// Validators stop between steps (not mid-transaction) when done closes.
	done := make(chan struct{})
	stop := func() { close(done) }
	var wg sync.WaitGroup
	for _, v := range vals {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				if err := v.Step(ctx); err != nil && ctx.Err() == nil {
					logf("validator: %v", err)
				}
				select {
				case <-done:
					return
				case <-ctx.Done():
					return
				case <-time.After(50 * time.Millisecond):
				}
			}
		}()
	}
	target := start + 1 + uint64(cfg.Epochs)
	last := s0.Epochs
	for {
		s, err := info()
		if err != nil {
			stop()
			wg.Wait()
			return nil, err
		}
		if s.Epochs != last {
			last = s.Epochs
			ran := int(s.Epochs - start)
			logf("epoch %d done (%d of %d)", s.Epochs-1, ran, cfg.Epochs+1)
			if cfg.Rotate > 0 && ran > 1 && (ran-1)%cfg.Rotate == 0 {
				for p := 0; p+1 < len(swaps); p += 2 {
					a, b := servers[swaps[p]].Noise(), servers[swaps[p+1]].Noise()
					servers[swaps[p]].SetNoise(b)
					servers[swaps[p+1]].SetNoise(a)
					logf("%s and %s swap quality", miners[swaps[p]].Name, miners[swaps[p+1]].Name)
				}
			}
		}
		if s.Epochs >= target {
			break
		}
		select {
		case <-ctx.Done():
			stop()
			wg.Wait()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	stop()
	wg.Wait()

	// Earnings per epoch from the chain's epoch records, and the balances
	// at the same epoch (read again if an epoch ended in between).
	var recs []subnet.EpochRecord
	balances := make([]uint64, len(rep.Agents))
	readRecs := func() ([]subnet.EpochRecord, error) {
		var rs []subnet.EpochRecord
		if err := c.Query(ctx, "subnet", fmt.Sprintf("epochs/%d", netuid), map[string][]string{"limit": {fmt.Sprint(subnet.EpochHistory)}}, &rs); err != nil {
			return nil, fmt.Errorf("epochs: %w", err)
		}
		return rs, nil
	}
	for try := 0; ; try++ {
		var err error
		if recs, err = readRecs(); err != nil {
			return nil, err
		}
		for i, a := range rep.Agents {
			acc, err := c.Account(ctx, a.Hotkey)
			if err != nil {
				return nil, fmt.Errorf("balance of %s: %w", a.Name, err)
			}
			balances[i] = acc.Balance
		}
		again, err := readRecs()
		if err != nil {
			return nil, err
		}
		if len(again) == len(recs) && (len(recs) == 0 || again[0].Epoch == recs[0].Epoch) {
			break
		}
		if try == 5 {
			return nil, errors.New("epochs kept ending while the balances were read")
		}
	}
	rep.Totals = make([]uint64, len(rep.Agents))
	for k := len(recs) - 1; k >= 0; k-- {
		r := recs[k]
		if r.Epoch < start+1 { // the permit-granting epoch is not counted
			continue
		}
		e := Epoch{Epoch: r.Epoch, Height: r.Height, Earnings: make([]uint64, len(rep.Agents))}
		for i, a := range rep.Agents {
			for _, u := range r.UIDs {
				if u.UID == a.UID && u.Hotkey == a.Hotkey {
					e.Earnings[i] = u.MinerEmission + u.ValidatorEmission
				}
			}
			rep.Totals[i] += e.Earnings[i]
		}
		rep.Epochs = append(rep.Epochs, e)
	}
	// The subnet is the run's own: every record since its creation, when
	// the history holds them all, is what its agents were paid.
	if len(recs) < subnet.EpochHistory {
		all := make([]uint64, len(rep.Agents))
		for _, r := range recs {
			for i, a := range rep.Agents {
				for _, u := range r.UIDs {
					if u.UID == a.UID && u.Hotkey == a.Hotkey {
						all[i] += u.MinerEmission + u.ValidatorEmission
					}
				}
			}
		}
		rep.Costs = make([]int64, len(rep.Agents))
		for i := range rep.Agents {
			rep.Costs[i] = int64(freeFunds) + int64(all[i]) - int64(balances[i])
		}
	}
	return rep, nil
}

// freeFunds is what every agent is funded with beyond its stake.
const freeFunds = 100 * bank.UnitsPerEMG
