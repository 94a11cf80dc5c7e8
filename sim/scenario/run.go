package scenario

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"emergence/bank"
	"emergence/dataset"
	"emergence/sim/computesim"
	"emergence/sim/datasim"
	"emergence/sim/devicesim"
	"emergence/sim/labelsim"
	"emergence/sim/simnet"
	"emergence/sim/subnetsim"
	"emergence/tx"
	"emergence/zkml/model"
)

// Options tune a run without changing the scenario.
type Options struct {
	// Log receives progress lines (nil: none).
	Log io.Writer
}

// Run runs every market of the scenario and reports each strategy's
// earnings. The network markets (label, subnet, data) share one network
// and run at once; the apptest markets (compute, devices) run beside them
// on chains of their own. The network's invariants are checked at the end.
func Run(ctx context.Context, s *Scenario, o Options) (*Report, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	var logMu sync.Mutex
	logf := func(format string, args ...any) {
		if o.Log != nil {
			logMu.Lock()
			fmt.Fprintf(o.Log, format+"\n", args...)
			logMu.Unlock()
		}
	}
	log := writerFunc(func(p []byte) (int, error) {
		if o.Log == nil {
			return len(p), nil
		}
		logMu.Lock()
		defer logMu.Unlock()
		return o.Log.Write(p)
	})
	m := s.Markets
	// Prepare what needs no network first, so a bad model or data file
	// fails before anything starts.
	var subnetModel *model.Model
	var subnetData *model.Dataset
	if m.Subnet != nil {
		var err error
		if subnetModel, subnetData, err = subnetInputs(m.Subnet, logf); err != nil {
			return nil, err
		}
	}
	rep := &Report{Scenario: s.Name, Seed: s.Seed}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var errs []error
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// A market that fails stops the others: the run has failed.
	fail := func(market string, err error) {
		mu.Lock()
		errs = append(errs, fmt.Errorf("%s: %w", market, err))
		mu.Unlock()
		cancel()
	}
	done := func(mr MarketReport) {
		mu.Lock()
		rep.Markets = append(rep.Markets, mr)
		mu.Unlock()
	}
	// The apptest markets.
	if c := m.Compute; c != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mr, err := runCompute(c, logf)
			if err != nil {
				fail("compute", err)
				return
			}
			done(mr)
		}()
	}
	if d := m.Devices; d != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mr, err := runDevices(d, logf)
			if err != nil {
				fail("devices", err)
				return
			}
			done(mr)
		}()
	}
	// The network markets, on one network: each has a funder of its own
	// so their transactions never contend for one account's nonce.
	if m.Label != nil || m.Subnet != nil || m.Data != nil {
		funders := map[string]ed25519.PrivateKey{}
		var balances []bank.Output
		fund := func(market string, amount uint64) {
			k := keyOf(s.Seed, "funder/"+market)
			funders[market] = k
			// And 100 EMG for the funder's own fees.
			balances = append(balances, bank.Output{To: addrOf(k), Amount: amount + 100*bank.UnitsPerEMG})
		}
		var lc labelsim.Config
		var dc datasim.Config
		if m.Label != nil {
			lc = labelConfig(s, log)
			fund("label", labelsim.Funds(lc))
		}
		if m.Subnet != nil {
			fund("subnet", 10_000_000*bank.UnitsPerEMG)
		}
		if m.Data != nil {
			dc = dataConfig(s, log)
			fund("data", datasim.Funds(dc))
		}
		bt := s.BlockTime
		if bt == 0 {
			bt = 100 * time.Millisecond
		}
		net, err := simnet.Start(ctx, simnet.Config{ChainID: "emergence-scenario", Balances: balances,
			Reward: addrOf(keyOf(s.Seed, "validator")), BlockTime: bt})
		if err != nil {
			cancel()
			wg.Wait()
			return nil, fmt.Errorf("start network: %w", err)
		}
		defer net.Close()
		logf("network up at %s (block time %s)", net.Addr(), bt)
		if m.Label != nil {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := labelsim.RunOn(ctx, labelsim.Network{Client: net.Client, Funder: funders["label"]}, lc)
				if err != nil {
					fail("label", err)
					return
				}
				done(labelReport(r))
			}()
		}
		if sn := m.Subnet; sn != nil {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cfg := subnetConfig(sn, subnetModel, subnetData, log)
				cfg.Client, cfg.Funder = net.Client, funders["subnet"]
				r, err := subnetsim.Run(ctx, cfg)
				if err != nil {
					fail("subnet", err)
					return
				}
				done(subnetReport(r))
			}()
		}
		if m.Data != nil {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := datasim.RunOn(ctx, datasim.Network{Client: net.Client, Funder: funders["data"]}, dc)
				if err != nil {
					fail("data", err)
					return
				}
				done(dataReport(r))
			}()
		}
		wg.Wait()
		if len(errs) == 0 {
			if err := net.Node.App().CheckInvariants(); err != nil {
				errs = append(errs, fmt.Errorf("invariants after the run: %w", err))
			}
			st, err := net.Client.Status(ctx)
			if err == nil {
				rep.Height = st.Height
			}
		}
	}
	wg.Wait()
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	rep.finish()
	return rep, nil
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func keyOf(seed uint64, name string) ed25519.PrivateKey {
	s := sha256.Sum256([]byte(fmt.Sprintf("emergence/scenario/%d/%s", seed, name)))
	return ed25519.NewKeyFromSeed(s[:])
}

func addrOf(k ed25519.PrivateKey) tx.Address {
	return tx.AddressFromPubKey(k.Public().(ed25519.PublicKey))
}

func seedOf(s *Scenario, own *uint64) uint64 {
	if own != nil {
		return *own
	}
	return s.Seed
}

func labelConfig(s *Scenario, log io.Writer) labelsim.Config {
	l := s.Markets.Label
	c := labelsim.Config{Items: l.Items, Redundancy: l.Redundancy, GoldPermille: l.GoldPermille, QualifyItems: l.QualifyItems,
		MinReputation: l.MinReputation, Baseline: l.Baseline, RequirePersonhood: l.RequirePersonhood, Seed: seedOf(s, l.Seed), Log: log, Stakes: map[string]uint64{}}
	var st uint64
	c.Honest, st, _ = count(l.Agents, RoleLabeler, HonestStrategy)
	if st != 0 {
		c.Stakes[labelsim.GroupHonest] = st
	}
	c.Spammers, st, c.SpammerAccounts = count(l.Agents, RoleLabeler, "spammer")
	if st != 0 {
		c.Stakes[labelsim.GroupSpammer] = st
	}
	c.Colluders, st, _ = count(l.Agents, RoleLabeler, "colluder")
	if st != 0 {
		c.Stakes[labelsim.GroupColluder] = st
	}
	return c
}

func dataConfig(s *Scenario, log io.Writer) datasim.Config {
	d := s.Markets.Data
	c := datasim.Config{Pages: d.Pages, K: d.K, Jobs: d.Jobs, PricePerPage: uint64(d.PricePerPage), Seed: seedOf(s, d.Seed),
		Counts: map[string]int{}, Stakes: map[string]uint64{}, Log: log}
	for _, a := range d.Agents {
		c.Counts[a.Strategy] = a.Count
		if a.Stake != 0 {
			c.Stakes[a.Strategy] = uint64(a.Stake)
		}
	}
	return c
}

// subnetInputs loads the validators' items and the miners' model, or
// trains one on the items' training split.
func subnetInputs(sn *Subnet, logf func(string, ...any)) (*model.Model, *model.Dataset, error) {
	name := sn.Data
	if name == "" {
		name = "digits"
	}
	d, err := dataset.Open(name)
	if err != nil {
		return nil, nil, fmt.Errorf("subnet: data %q: %w", name, err)
	}
	train, test := d.Split(0.8, 1)
	if sn.Model != "" {
		if _, err := os.Stat(sn.Model); err != nil {
			return nil, nil, fmt.Errorf("subnet: model: %w", err)
		}
		m, err := model.LoadModel(sn.Model)
		if err != nil {
			return nil, nil, fmt.Errorf("subnet: model %s: %w", sn.Model, err)
		}
		return m, test, nil
	}
	logf("subnet: training the miners' model on %s ...", name)
	m, err := subnetsim.TrainMiners(train)
	if err != nil {
		return nil, nil, fmt.Errorf("subnet: %w", err)
	}
	return m, test, nil
}

// subnetConfig builds the cast: honest miners alternate between the
// model's answers and a quarter random ones and swap in pairs every
// Rotate epochs; weak miners answer 60% at random, random miners all.
func subnetConfig(sn *Subnet, m *model.Model, d *model.Dataset, log io.Writer) subnetsim.Config {
	cfg := subnetsim.Config{Model: m, Data: d, Epochs: sn.Epochs, Tempo: sn.Tempo, Rotate: sn.Rotate, RevealPeriod: sn.RevealPeriod, Log: log}
	for _, a := range sn.Agents {
		for i := 0; i < a.Count; i++ {
			mb := subnetsim.Member{Name: fmt.Sprintf("%s-%s-%d", a.Role, a.Strategy, i), Stake: uint64(a.Stake)}
			switch a.Role + "/" + a.Strategy {
			case "miner/honest":
				mb.Role, mb.Kind, mb.Swaps = subnetsim.RoleMiner, "honest", true
				if i%2 == 1 {
					mb.Noise, mb.Kind = 0.25, "honest, 25% random answers"
				}
			case "miner/weak":
				mb.Role, mb.Kind, mb.Noise = subnetsim.RoleMiner, "weak (60% random answers)", 0.6
			case "miner/random":
				mb.Role, mb.Kind, mb.Noise = subnetsim.RoleMiner, "answers at random", 1
			case "validator/honest":
				mb.Role, mb.Kind = subnetsim.RoleValidator, "evaluates every epoch"
			case "validator/copier":
				mb.Role, mb.Kind, mb.Copy = subnetsim.RoleValidator, "copies revealed weights", true
			case "validator/stale":
				mb.Role, mb.Kind, mb.MaxCommits = subnetsim.RoleValidator, "sets weights once", 1
			}
			cfg.Cast = append(cfg.Cast, mb)
		}
	}
	return cfg
}

func runCompute(c *Compute, logf func(string, ...any)) (MarketReport, error) {
	o := computesim.Options{Jobs: c.Jobs, PerBlock: c.PerBlock, SlashPermille: c.SlashPermille, RecheckPermille: 100, PairOnly: c.PairOnly}
	if c.RecheckPermille != nil {
		o.RecheckPermille = *c.RecheckPermille
	}
	var st uint64
	o.Honest, st, _ = count(c.Agents, RoleProvider, HonestStrategy)
	o.Stake = st
	dir, err := os.MkdirTemp("", "emergence-scenario-compute-")
	if err != nil {
		return MarketReport{}, err
	}
	defer os.RemoveAll(dir)
	logf("compute: %d jobs on apptest's chain, %d honest providers, re-check %d permille", o.Jobs, o.Honest, o.RecheckPermille)
	r, err := computesim.Play(dir, o)
	if err != nil {
		return MarketReport{}, err
	}
	logf("compute: %d jobs done, %d expired", r.Done, r.Expired)
	return computeReport(r), nil
}

func runDevices(d *Devices, logf func(string, ...any)) (MarketReport, error) {
	o := devicesim.Options{PerStrategy: d.Agents[0].Count, Readings: d.Readings}
	dir, err := os.MkdirTemp("", "emergence-scenario-devices-")
	if err != nil {
		return MarketReport{}, err
	}
	defer os.RemoveAll(dir)
	logf("devices: one epoch on apptest's chain, %d devices per strategy, %d readings each", o.PerStrategy, o.Readings)
	r, err := devicesim.Play(dir, o)
	if err != nil {
		return MarketReport{}, err
	}
	if !r.Recomputed {
		return MarketReport{}, errors.New("the chain's payouts differ from an offline recomputation")
	}
	return devicesReport(r), nil
}
