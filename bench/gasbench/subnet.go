package gasbench

import (
	"fmt"

	"emergence/app/apptest"
	"emergence/subnet"
)

// fullSubnet creates subnet 0 (commit–reveal off, registration burn 1 uemg,
// no immunity) and registers n hotkeys k0…k(n-1) into it; with stakeVals
// set, the first v stake on themselves and an epoch grants them permits,
// after which the tempo is raised so no epoch runs in the measured block.
func fullSubnet(c *apptest.Chain, n, v int, stakeVals bool) subnet.Hyperparams {
	h := subnet.DefaultHyperparams()
	h.Tempo, h.MaxUIDs, h.MaxValidators, h.CommitReveal = 1, uint16(n), uint16(v), false
	h.MinBurn, h.MaxBurn, h.ImmunityPeriod = 1, 1, 0
	deliverAll(c, [][]byte{c.Sign("owner", c.Msg("subnet/create", subnet.CreateMsg{Name: "bench", Hyper: &h}))})
	var txs [][]byte
	for i := 0; i < n; i++ {
		txs = append(txs, c.Sign(fmt.Sprint("k", i), c.Msg("subnet/register", subnet.RegisterMsg{NetUID: 0, MaxBurn: 1})))
	}
	deliverAll(c, txs)
	if stakeVals {
		txs = nil
		for i := 0; i < v; i++ {
			txs = append(txs, c.Sign(fmt.Sprint("k", i), c.Msg("subnet/stake", subnet.StakeMsg{NetUID: 0, Hotkey: apptest.Addr(fmt.Sprint("k", i)), Amount: uint64(i+1) * 1_000_000})))
		}
		deliverAll(c, txs)
		c.Deliver() // an epoch: permits
	}
	h.Tempo = subnet.MaxTempo
	deliverAll(c, [][]byte{c.Sign("owner", c.Msg("subnet/set-hyperparams", subnet.SetHyperMsg{NetUID: 0, Hyper: h}))})
	return h
}

func subnetCases(div int) []Case {
	n := func(x int) int { return max(1, x/div) }
	// Measured blocks stay within the block gas limit: 3,000 stakes and 32
	// full weight vectors fill most of one.
	uids, vals, stakers := n(subnet.MaxUIDsLimit), n(32), n(3_000)
	bal := funded("k", uids+n(100), 1_000_000_000)
	bal["owner"] = 1 << 40
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
				var txs [][]byte
				for i := 0; i < stakers; i++ {
					txs = append(txs, c.Sign(fmt.Sprint("k", i), c.Msg("subnet/stake", subnet.StakeMsg{NetUID: 0, Hotkey: apptest.Addr(fmt.Sprint("k", i)), Amount: 1_000_000})))
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
	}
}
