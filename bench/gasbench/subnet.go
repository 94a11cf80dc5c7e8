package gasbench

import (
	"encoding/hex"
	"fmt"
	"strings"

	"emergence/app/apptest"
	"emergence/subnet"
	"emergence/zkml"
	"emergence/zkml/model"
)

// newSubnet creates subnet 0 named name with h, burn 1 uemg and no
// immunity, and registers n hotkeys k0…k(n-1) into it, each publishing
// axon; it returns the subnet's hyperparameters.
func newSubnet(c *apptest.Chain, h subnet.Hyperparams, name string, n int, axon string) subnet.Hyperparams {
	h.MinBurn, h.MaxBurn, h.ImmunityPeriod = 1, 1, 0
	deliverAll(c, [][]byte{c.Sign("owner", c.Msg("subnet/create", subnet.CreateMsg{Name: name, Hyper: &h}))})
	var txs [][]byte
	for i := 0; i < n; i++ {
		txs = append(txs, c.Sign(fmt.Sprint("k", i), c.Msg("subnet/register", subnet.RegisterMsg{NetUID: 0, MaxBurn: 1, Axon: axon})))
	}
	deliverAll(c, txs)
	return h
}

// permits has the first v hotkeys stake (i+1)·unit on themselves and runs
// the epoch that grants them validator permits.
func permits(c *apptest.Chain, v int, unit uint64) {
	var txs [][]byte
	for i := 0; i < v; i++ {
		txs = append(txs, c.Sign(fmt.Sprint("k", i), c.Msg("subnet/stake", subnet.StakeMsg{NetUID: 0, Hotkey: apptest.Addr(fmt.Sprint("k", i)), Amount: uint64(i+1) * unit})))
	}
	deliverAll(c, txs)
	c.Deliver() // an epoch: permits
}

// fullSubnet creates subnet 0 (commit–reveal off, registration burn 1 uemg,
// no immunity) and registers n hotkeys k0…k(n-1) into it; with stakeVals
// set, the first v stake on themselves and an epoch grants them permits,
// after which the tempo is raised so no epoch runs in the measured block.
func fullSubnet(c *apptest.Chain, n, v int, stakeVals bool) subnet.Hyperparams {
	h := subnet.DefaultHyperparams()
	h.Tempo, h.MaxUIDs, h.MaxValidators, h.CommitReveal = 1, uint16(n), uint16(v), false
	h = newSubnet(c, h, "bench", n, "")
	if stakeVals {
		permits(c, v, 1_000_000)
	}
	h.Tempo = subnet.MaxTempo
	deliverAll(c, [][]byte{c.Sign("owner", c.Msg("subnet/set-hyperparams", subnet.SetHyperMsg{NetUID: 0, Hyper: h}))})
	return h
}

// revealReady creates a commit–reveal subnet of n hotkeys whose first v
// (staked, with permits) have each committed to a full weight vector one
// epoch ago, so the next block is their reveal window; with reveal set it
// returns the reveal transactions.
func revealReady(c *apptest.Chain, n, v int, reveal bool) [][]byte {
	h := subnet.DefaultHyperparams()
	h.Tempo, h.MaxUIDs, h.MaxValidators, h.CommitReveal, h.RevealPeriodEpochs = 1, uint16(n), uint16(v), true, 1
	h = newSubnet(c, h, "bench", n, "")
	permits(c, v, 1_000_000)
	all := make([]uint16, n)
	for j := range all {
		all[j] = uint16(j)
	}
	var commits, reveals [][]byte
	for i := 0; i < v; i++ {
		w := make([]uint16, n)
		for j := range w {
			w[j] = uint16((i*7919 + j*104729) % 65536)
		}
		salt := []byte(fmt.Sprint("salt-", i))
		hash := subnet.CommitHash(apptest.Addr(fmt.Sprint("k", i)), 0, all, w, salt)
		commits = append(commits, c.Sign(fmt.Sprint("k", i), c.Msg("subnet/commit-weights", subnet.CommitMsg{NetUID: 0, Hash: hex.EncodeToString(hash[:])})))
		if !reveal {
			continue
		}
		gas := 200_000 + uint64(n)*subnet.GasPerWeight + 200*uint64(n)
		reveals = append(reveals, c.SignWith(fmt.Sprint("k", i), gas, c.Msg("subnet/reveal-weights", subnet.WeightsMsg{NetUID: 0, UIDs: all, Values: w, Salt: hex.EncodeToString(salt)})))
	}
	deliverAll(c, commits) // one block: its epoch opens the reveal window
	h.Tempo = subnet.MaxTempo
	deliverAll(c, [][]byte{c.Sign("owner", c.Msg("subnet/set-hyperparams", subnet.SetHyperMsg{NetUID: 0, Hyper: h}))})
	return reveals
}

// selfStakes is kind ("subnet/stake" or "subnet/unstake") of amount by
// hotkeys k0…k(n-1), each on itself on subnet 0.
func selfStakes(c *apptest.Chain, kind string, n int, amount uint64) [][]byte {
	var txs [][]byte
	for i := 0; i < n; i++ {
		txs = append(txs, c.Sign(fmt.Sprint("k", i), c.Msg(kind, subnet.StakeMsg{NetUID: 0, Hotkey: apptest.Addr(fmt.Sprint("k", i)), Amount: amount})))
	}
	return txs
}

func subnetCases(div int) []Case {
	n := func(x int) int { return max(1, x/div) }
	// Measured blocks stay within the block gas limit: 3,000 stakes and 32
	// full weight vectors fill most of one.
	uids, vals, stakers := n(subnet.MaxUIDsLimit), n(32), n(3_000)
	bal := funded("k", uids+n(100), 1_000_000_000)
	bal["owner"] = 1 << 40
	withZK := funded("k", uids+n(100), 1_000_000_000)
	withZK["owner"], withZK["alice"], withZK["bob"] = 1<<40, 100_000_000, 100_000_000
	declarers := n(1_000) // 43.6M gas: within one block
	// All validators of a subnet as large as that allows: an epoch's work
	// (uids × validators) is bounded per block.
	largest := n(1_000)
	creators := n(20)
	owners := funded("o", creators, 1<<40)
	return []Case{
		{
			Kind: "subnet/create", Shape: fmt.Sprintf("%d subnets", creators), Genesis: apptest.Genesis{Balances: owners},
			Prepare: func(c *apptest.Chain) [][]byte {
				var txs [][]byte
				for i := 0; i < creators; i++ {
					txs = append(txs, c.Sign(fmt.Sprint("o", i), c.Msg("subnet/create", subnet.CreateMsg{Name: fmt.Sprint("net", i)})))
				}
				return txs
			},
		},
		{
			Kind: "subnet/register", Shape: fmt.Sprintf("%d registrations into a full %d-uid subnet, each replacing a uid", n(100), uids),
			Genesis: apptest.Genesis{Balances: bal},
			Prepare: func(c *apptest.Chain) [][]byte {
				fullSubnet(c, uids, vals, false)
				var txs [][]byte
				for i := uids; i < uids+n(100); i++ {
					txs = append(txs, c.SignWith(fmt.Sprint("k", i), 5_000_000, c.Msg("subnet/register", subnet.RegisterMsg{NetUID: 0, MaxBurn: 1})))
				}
				return txs
			},
		},
		{
			Kind: "subnet/stake", Shape: fmt.Sprintf("%d hotkeys of a %d-uid subnet staking on themselves", stakers, uids), Genesis: apptest.Genesis{Balances: bal},
			Prepare: func(c *apptest.Chain) [][]byte {
				fullSubnet(c, uids, vals, false)
				return selfStakes(c, "subnet/stake", stakers, 1_000_000)
			},
		},
		{
			Kind: "subnet/unstake", Shape: fmt.Sprintf("%d hotkeys of a %d-uid subnet unstaking from themselves", stakers, uids), Genesis: apptest.Genesis{Balances: bal},
			Prepare: func(c *apptest.Chain) [][]byte {
				fullSubnet(c, uids, vals, false)
				deliverAll(c, selfStakes(c, "subnet/stake", stakers, 2_000_000))
				return selfStakes(c, "subnet/unstake", stakers, 1_000_000)
			},
		},
		{
			Kind: "subnet/serve", Shape: fmt.Sprintf("%d hotkeys of a %d-uid subnet publishing a %d-byte axon", stakers, uids, subnet.MaxAxonLen), Genesis: apptest.Genesis{Balances: bal},
			Prepare: func(c *apptest.Chain) [][]byte {
				fullSubnet(c, uids, vals, false)
				axon := strings.Repeat("a", subnet.MaxAxonLen)
				var txs [][]byte
				for i := 0; i < stakers; i++ {
					txs = append(txs, c.Sign(fmt.Sprint("k", i), c.Msg("subnet/serve", subnet.ServeMsg{NetUID: 0, Axon: axon})))
				}
				return txs
			},
		},
		{
			Kind: "subnet/serve", Shape: fmt.Sprintf("the %d validators of a %d-uid subnet with a %d-byte name, each neuron at its largest (%d pending commits, a declared model, a %d-byte axon) publishing another", largest, largest, subnet.MaxNameLen, subnet.MaxPendingCommits, subnet.MaxAxonLen),
			Genesis: apptest.Genesis{Balances: withZK},
			Prepare: func(c *apptest.Chain) [][]byte { return largestNeurons(c, largest, largest) },
		},
		{
			Kind: "subnet/commit-weights", Shape: fmt.Sprintf("%d validators of a %d-uid subnet", vals, uids), Genesis: apptest.Genesis{Balances: bal},
			Prepare: func(c *apptest.Chain) [][]byte {
				revealReady(c, uids, vals, false)
				// Commit again: each validator's second commit, next to the
				// first waiting for its reveal.
				var txs [][]byte
				for i := 0; i < vals; i++ {
					h := subnet.CommitHash(apptest.Addr(fmt.Sprint("k", i)), 0, []uint16{1}, []uint16{1}, []byte("x"))
					txs = append(txs, c.Sign(fmt.Sprint("k", i), c.Msg("subnet/commit-weights", subnet.CommitMsg{NetUID: 0, Hash: hex.EncodeToString(h[:])})))
				}
				return txs
			},
		},
		{
			Kind: "subnet/reveal-weights", Shape: fmt.Sprintf("%d validators, each revealing weights for all %d uids", vals, uids), Genesis: apptest.Genesis{Balances: bal},
			Prepare: func(c *apptest.Chain) [][]byte { return revealReady(c, uids, vals, true) },
		},
		{
			Kind: "subnet/set-hyperparams", Shape: fmt.Sprintf("%d owners, each reconfiguring a %d-uid subnet", creators, n(256)), Genesis: apptest.Genesis{Balances: owners},
			Prepare: func(c *apptest.Chain) [][]byte {
				h := subnet.DefaultHyperparams()
				h.MaxUIDs = uint16(n(256))
				h.MaxValidators = min(h.MaxValidators, h.MaxUIDs)
				var txs [][]byte
				for i := 0; i < creators; i++ {
					txs = append(txs, c.Sign(fmt.Sprint("o", i), c.Msg("subnet/create", subnet.CreateMsg{Name: fmt.Sprint("net", i), Hyper: &h})))
				}
				deliverAll(c, txs)
				h.Tempo = 100
				txs = nil
				for i := 0; i < creators; i++ {
					txs = append(txs, c.Sign(fmt.Sprint("o", i), c.Msg("subnet/set-hyperparams", subnet.SetHyperMsg{NetUID: uint16(i), Hyper: h})))
				}
				return txs
			},
		},
		{
			Kind: "subnet/set-weights", Shape: fmt.Sprintf("%d validators, each weighting all %d uids", vals, uids), Genesis: apptest.Genesis{Balances: bal},
			Prepare: func(c *apptest.Chain) [][]byte {
				fullSubnet(c, uids, vals, true)
				all := make([]uint16, uids)
				for j := range all {
					all[j] = uint16(j)
				}
				var txs [][]byte
				for i := 0; i < vals; i++ {
					w := make([]uint16, uids)
					for j := range w {
						w[j] = uint16((i*7919 + j*104729) % 65536)
					}
					gas := 200_000 + uint64(uids)*subnet.GasPerWeight + 200*uint64(uids)
					txs = append(txs, c.SignWith(fmt.Sprint("k", i), gas, c.Msg("subnet/set-weights", subnet.WeightsMsg{NetUID: 0, UIDs: all, Values: w})))
				}
				return txs
			},
		},
		{
			// Each declaration reads zkml's attestation index, the neuron,
			// and writes the neuron and the model index.
			Kind: "subnet/serve-model", Shape: fmt.Sprintf("%d hotkeys of a %d-uid subnet declaring an attested model", declarers, uids), Genesis: apptest.Genesis{Balances: withZK},
			Prepare: func(c *apptest.Chain) [][]byte {
				fullSubnet(c, uids, vals, false)
				f := zkmlFixture()
				deliverAll(c, [][]byte{f.register(c)})
				deliverAll(c, [][]byte{c.SignWith("bob", 20_000_000, c.Msg("zkml/attest", zkml.MsgAttest{Exam: 1, Commitment: model.HexElement(f.commitment), Claim: f.claim, Proof: f.proof}))})
				var txs [][]byte
				for i := 0; i < declarers; i++ {
					txs = append(txs, c.Sign(fmt.Sprint("k", i), c.Msg("subnet/serve-model", subnet.ServeModelMsg{NetUID: 0, Model: model.HexElement(f.commitment)})))
				}
				return txs
			},
		},
	}
}

// largestNeurons makes the first v of n hotkeys on a commit–reveal subnet
// named at the longest allowed validators whose neuron records are as
// large as they get: MaxPendingCommits commits waiting for their reveal,
// a declared attested model and a MaxAxonLen axon. It returns their serve
// transactions, each publishing another axon of that length.
func largestNeurons(c *apptest.Chain, n, v int) [][]byte {
	h := subnet.DefaultHyperparams()
	h.Tempo, h.MaxUIDs, h.MaxValidators, h.CommitReveal, h.RevealPeriodEpochs = 1, uint16(n), uint16(v), true, 100
	h = newSubnet(c, h, strings.Repeat("s", subnet.MaxNameLen), n, strings.Repeat("a", subnet.MaxAxonLen))
	permits(c, v, 100_000)
	var txs [][]byte
	// One commit per validator and epoch; every block runs an epoch.
	for e := 0; e < subnet.MaxPendingCommits; e++ {
		txs = nil
		for i := 0; i < v; i++ {
			hash := subnet.CommitHash(apptest.Addr(fmt.Sprint("k", i)), 0, []uint16{uint16(e)}, []uint16{1}, []byte(fmt.Sprint("salt-", e)))
			txs = append(txs, c.Sign(fmt.Sprint("k", i), c.Msg("subnet/commit-weights", subnet.CommitMsg{NetUID: 0, Hash: hex.EncodeToString(hash[:])})))
		}
		deliverAll(c, txs)
	}
	f := zkmlFixture()
	deliverAll(c, [][]byte{f.register(c)})
	deliverAll(c, [][]byte{c.SignWith("bob", 20_000_000, c.Msg("zkml/attest", zkml.MsgAttest{Exam: 1, Commitment: model.HexElement(f.commitment), Claim: f.claim, Proof: f.proof}))})
	txs = nil
	for i := 0; i < v; i++ {
		txs = append(txs, c.Sign(fmt.Sprint("k", i), c.Msg("subnet/serve-model", subnet.ServeModelMsg{NetUID: 0, Model: model.HexElement(f.commitment)})))
	}
	deliverAll(c, txs)
	h.Tempo = subnet.MaxTempo
	deliverAll(c, [][]byte{c.Sign("owner", c.Msg("subnet/set-hyperparams", subnet.SetHyperMsg{NetUID: 0, Hyper: h}))})
	var nr subnet.Neuron
	if err := c.Query(fmt.Sprintf("subnet/neuron/0/%d", v-1), nil, &nr); err != nil || len(nr.Commits) != subnet.MaxPendingCommits || nr.Model == "" || len(nr.Axon) != subnet.MaxAxonLen {
		fail("uid %d has %d commits, model %q, a %d-byte axon (%v): not at its largest", v-1, len(nr.Commits), nr.Model, len(nr.Axon), err)
	}
	txs = nil
	for i := 0; i < v; i++ {
		txs = append(txs, c.Sign(fmt.Sprint("k", i), c.Msg("subnet/serve", subnet.ServeMsg{NetUID: 0, Axon: strings.Repeat("b", subnet.MaxAxonLen)})))
	}
	return txs
}
