package gasbench

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"emergence/app/apptest"
	"emergence/device"
	"emergence/device/devkey"
)

// deviceFleet registers a maker and provisions and pairs n secp256k1
// devices, device i owned by "o<i>"; it returns their ids.
func deviceFleet(c *apptest.Chain, n int, pair bool) ([]string, []*devkey.Signer) {
	c.MustOK(c.Deliver(c.Sign("maker", c.Msg(device.MsgRegisterMaker, device.RegisterMaker{Name: "bench", Stake: 1_000_000})))[0])
	var ids []string
	var signers []*devkey.Signer
	var txs [][]byte
	for i := 0; i < n; i++ {
		var seed [32]byte
		binary.BigEndian.PutUint64(seed[:], uint64(i+1))
		s := devkey.NewSecp256k1(seed)
		signers = append(signers, s)
		ids = append(ids, device.DeviceID(s.Type, s.Pub()))
		txs = append(txs, c.Sign("maker", c.Msg(device.MsgProvision, device.Provision{KeyType: s.Type, PubKey: hex.EncodeToString(s.Pub()), Model: strings.Repeat("m", device.MaxModelLen), Serial: fmt.Sprintf("%064d", i)})))
	}
	for _, r := range c.Deliver(txs...) {
		c.MustOK(r)
	}
	if pair {
		txs = txs[:0]
		for i, s := range signers {
			owner := fmt.Sprintf("o%d", i)
			txs = append(txs, c.Sign(owner, c.Msg(device.MsgPair, pairFor(s, ids[i], owner))))
		}
		for _, r := range c.Deliver(txs...) {
			c.MustOK(r)
		}
	}
	return ids, signers
}

func pairFor(s *devkey.Signer, id, owner string) device.Pair {
	msg := device.PairingMessage(apptest.ChainID, id, apptest.Addr(owner), 0)
	return device.Pair{Device: id, Signature: hex.EncodeToString(s.Sign(msg))}
}

func deviceCases(div int) []Case {
	pairs, evidence := max(1, 500/div), max(1, device.MaxEvidence/div)
	owners := funded("o", max(pairs, evidence), 1_000_000)
	owners["maker"] = 1_000_000_000
	owners["ingest"] = 1_000_000_000
	return []Case{
		{
			Kind: device.MsgPair, Shape: fmt.Sprintf("%d secp256k1 devices, each paired by its own owner", pairs),
			Genesis: apptest.Genesis{Balances: owners},
			Prepare: func(c *apptest.Chain) [][]byte {
				ids, signers := deviceFleet(c, pairs, false)
				var txs [][]byte
				for i, s := range signers {
					owner := fmt.Sprintf("o%d", i)
					txs = append(txs, c.Sign(owner, c.Msg(device.MsgPair, pairFor(s, ids[i], owner))))
				}
				return txs
			},
		},
		{
			Kind: device.MsgPostEpoch, Shape: fmt.Sprintf("%d evidence items, every device earning", evidence),
			Genesis: apptest.Genesis{Balances: owners},
			Prepare: func(c *apptest.Chain) [][]byte {
				ids, _ := deviceFleet(c, evidence, true)
				c.MustOK(c.Deliver(c.Sign("ingest", c.Msg(device.MsgRegisterIngest, device.RegisterIngest{Stake: device.IngestStake})))[0])
				c.MustOK(c.Deliver(c.Sign("maker", c.Msg(device.MsgFundPool, device.FundPool{Amount: 100_000_000})))[0])
				slices.Sort(ids)
				var ev []device.Evidence
				for _, id := range ids {
					ev = append(ev, device.Evidence{Device: id, Readings: device.MaxRewardReadings, Cells: device.MaxRewardCells})
				}
				epoch := uint64(c.Time.UnixMilli())/device.EpochMillis - 1
				post := device.PostEpoch{Epoch: epoch, Root: strings.Repeat("ab", 32), Events: 1, Evidence: ev}
				return [][]byte{c.SignWith("ingest", device.GasPostEpoch+device.GasPerEvidence*uint64(evidence)+2_000_000, c.Msg(device.MsgPostEpoch, post))}
			},
		},
	}
}
