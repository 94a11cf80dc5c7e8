package gasbench

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"emergence/app"
	"emergence/app/apptest"
	"emergence/device"
	"emergence/device/devkey"
	"emergence/device/event"
	"emergence/device/merkle"
)

// claimEvidence readies claim rows: it registers the ingest node, funds the
// pool, and returns the evidence that gives each of ids (sorted in place)
// the full reward of an epoch, with the current epoch.
func claimEvidence(c *apptest.Chain, ids []string) ([]device.Evidence, uint64) {
	c.MustOK(c.Deliver(c.Sign("ingest", c.Msg(device.MsgRegisterIngest, device.RegisterIngest{Stake: device.IngestStake})))[0])
	c.MustOK(c.Deliver(c.Sign("maker", c.Msg(device.MsgFundPool, device.FundPool{Amount: 100_000_000})))[0])
	slices.Sort(ids)
	var ev []device.Evidence
	for _, id := range ids {
		ev = append(ev, device.Evidence{Device: id, Readings: device.MaxRewardReadings, Cells: device.MaxRewardCells})
	}
	return ev, uint64(c.Time.UnixMilli()) / device.EpochMillis
}

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

// bucketNames returns n account names whose addresses share one owner
// bucket (the top 6 bits of the first byte, as device's owner tables).
func bucketNames(n int) []string {
	var names []string
	for i := 0; len(names) < n; i++ {
		if name := fmt.Sprintf("b%d", i); apptest.Addr(name)[0]>>2 == 0 {
			names = append(names, name)
		}
	}
	return names
}

// bucketOwners funds bucketNames(n), the maker and the ingest node.
func bucketOwners(n int) map[string]uint64 {
	b := map[string]uint64{"maker": 1_000_000_000, "ingest": 1_000_000_000}
	for _, name := range bucketNames(n) {
		b[name] = 1_000_000
	}
	return b
}

func pairFor(s *devkey.Signer, id, owner string) device.Pair {
	msg := device.PairingMessage(apptest.ChainID, id, apptest.Addr(owner), 0)
	return device.Pair{Device: id, Signature: hex.EncodeToString(s.Sign(msg))}
}

func deviceCases(div int) []Case {
	// The challenge row challenges one epoch each, all within
	// device.MaxEpochAge (168) of now.
	pairs, evidence, challenges, claimers, datasets := max(1, 500/div), max(1, device.MaxEvidence/div), max(1, 160/div), max(1, 100/div), max(1, 50/div)
	owners := funded("o", max(pairs, 2*evidence), 1_000_000) // 2×: postEpochCase fills pages with twice the devices
	for k, v := range funded("i", challenges, 10_000_000) {
		owners[k] = v
	}
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
		postEpochCase(evidence, fmt.Sprintf("%d evidence items of %d new cells each, one page of cells an item, every device earning", evidence, device.MaxPartCells/device.MaxEvidence), owners, false,
			// Every device names MaxPartCells/MaxEvidence cells of its own,
			// so the post carries the most cell ids a post takes, each a new
			// cell, an item's on one page.
			func(i, k int) uint64 { return uint64(i*device.MaxPartCells/device.MaxEvidence + k) }),
		postEpochCase(evidence, fmt.Sprintf("%d evidence items of %d cells each, every cell alone on a new page", evidence, device.MaxPartCells/device.MaxEvidence), owners, false, sparseCell),
		postEpochCase(evidence, fmt.Sprintf("%d evidence items of %d cells each, every cell on a page of its own that earlier epochs filled (%d cells)", evidence, device.MaxPartCells/device.MaxEvidence, device.CellsPerPage), owners, true, sparseCell),
		{
			Kind: device.MsgClaim, Shape: fmt.Sprintf("%d owners, each claiming %d complete epochs", claimers, device.MaxClaimEpochs),
			Genesis: apptest.Genesis{Balances: owners},
			Prepare: func(c *apptest.Chain) [][]byte {
				ids, _ := deviceFleet(c, claimers, true)
				ev, now := claimEvidence(c, ids)
				var posts [][]byte
				for e := uint64(0); e < device.MaxClaimEpochs; e++ {
					post := device.PostEpoch{Epoch: now - device.MaxClaimEpochs + e, Root: strings.Repeat("ab", 32), Events: 1, Evidence: device.PackEvidence(ev)}
					posts = append(posts, c.SignWith("ingest", device.GasPostEpoch+device.GasPerEvidence*uint64(len(ev))+2_000_000, c.Msg(device.MsgPostEpoch, post)))
				}
				for _, r := range c.Deliver(posts...) {
					c.MustOK(r)
				}
				var txs [][]byte
				for i := range ids {
					txs = append(txs, c.SignWith(fmt.Sprintf("o%d", i), device.GasClaim+(device.GasPerClaimEpoch+device.GasPerClaimPart+device.GasPerOwnerEntry*uint64(claimers))*device.MaxClaimEpochs+100_000, c.Msg(device.MsgClaim, device.Claim{})))
				}
				return txs
			},
		},
		{
			// The claim's other worst case: every epoch's one owner table is
			// as large as a part makes it (MaxEvidence owners, every one in
			// the claimers' bucket).
			Kind: device.MsgClaim, Shape: fmt.Sprintf("%d owners, each claiming %d complete epochs whose owner table holds %d owners of its bucket", claimers, device.MaxClaimEpochs, evidence),
			Genesis: apptest.Genesis{Balances: bucketOwners(evidence)},
			Prepare: func(c *apptest.Chain) [][]byte {
				names := bucketNames(evidence)
				ids, signers := deviceFleet(c, evidence, false)
				var txs [][]byte
				for i, s := range signers {
					txs = append(txs, c.Sign(names[i], c.Msg(device.MsgPair, pairFor(s, ids[i], names[i]))))
				}
				for _, r := range c.Deliver(txs...) {
					c.MustOK(r)
				}
				ev, now := claimEvidence(c, ids)
				for e := uint64(0); e < device.MaxClaimEpochs; e++ {
					post := device.PostEpoch{Epoch: now - device.MaxClaimEpochs + e, Root: strings.Repeat("ab", 32), Events: 1, Evidence: device.PackEvidence(ev)}
					c.MustOK(c.Deliver(c.SignWith("ingest", device.GasPostEpoch+device.GasPerEvidence*uint64(len(ev))+2_000_000, c.Msg(device.MsgPostEpoch, post)))[0])
				}
				gas := device.GasClaim + device.MaxClaimEpochs*(device.GasPerClaimEpoch+device.GasPerClaimPart+device.GasPerOwnerEntry*uint64(evidence)) + 100_000
				txs = txs[:0]
				for _, n := range names[:min(claimers, len(names))] {
					txs = append(txs, c.SignWith(n, gas, c.Msg(device.MsgClaim, device.Claim{})))
				}
				return txs
			},
		},
		{
			Kind: device.MsgPublishDataset, Shape: fmt.Sprintf("%d epochs' datasets of %d shards each", datasets, device.MaxDatasetShards),
			Genesis: apptest.Genesis{Balances: owners},
			Prepare: func(c *apptest.Chain) [][]byte {
				pubs, _ := deviceDatasets(c, datasets, false)
				return pubs
			},
		},
		{
			Kind: device.MsgBuyDataset, Shape: fmt.Sprintf("%d buyers of a priced dataset of %d shards", datasets, device.MaxDatasetShards),
			Genesis: apptest.Genesis{Balances: owners},
			Prepare: func(c *apptest.Chain) [][]byte {
				deviceDatasets(c, 1, true)
				epoch := uint64(c.Time.UnixMilli())/device.EpochMillis - 2
				var txs [][]byte
				for i := 0; i < datasets; i++ {
					txs = append(txs, c.SignWith(fmt.Sprintf("o%d", i), device.GasBuyDataset+device.MaxDatasetShards*device.GasPerDatasetShard+2_000_000, c.Msg(device.MsgBuyDataset, device.BuyDataset{Epoch: epoch})))
				}
				return txs
			},
		},
		{
			Kind: device.MsgClaimSales, Shape: fmt.Sprintf("%d owners, each claiming a sold dataset of %d shards", datasets, device.MaxDatasetShards),
			Genesis: apptest.Genesis{Balances: owners},
			Prepare: func(c *apptest.Chain) [][]byte {
				_, ids := deviceDatasets(c, 1, true)
				epoch := uint64(c.Time.UnixMilli())/device.EpochMillis - 2
				c.MustOK(c.Deliver(c.SignWith("maker", device.GasBuyDataset+device.MaxDatasetShards*device.GasPerDatasetShard+2_000_000, c.Msg(device.MsgBuyDataset, device.BuyDataset{Epoch: epoch})))[0])
				var txs [][]byte
				for i := range ids {
					txs = append(txs, c.SignWith(fmt.Sprintf("o%d", i), device.GasClaimSales+device.GasPerSalesEpoch+device.MaxDatasetShards*device.GasPerDatasetShard+2_000_000, c.Msg(device.MsgClaimSales, device.ClaimSales{Epochs: []uint64{epoch}})))
				}
				return txs
			},
		},
		{
			Kind: device.MsgChallenge, Shape: fmt.Sprintf("%d epochs, each root over 4,096 events with one forged signature", challenges),
			Genesis: apptest.Genesis{Balances: owners},
			Prepare: func(c *apptest.Chain) [][]byte {
				ids, _ := deviceFleet(c, 1, true)
				forger := devkey.NewSecp256k1([32]byte{0xff})
				var reg, posts [][]byte
				var forged []event.Event
				var trees [][][32]byte
				// Recent ended epochs, one a node: a post is refused for
				// epochs older than device.MaxEpochAge.
				base := uint64(c.Time.UnixMilli())/device.EpochMillis - uint64(challenges) - 1
				for i := 0; i < challenges; i++ {
					ingest := fmt.Sprintf("i%d", i)
					reg = append(reg, c.Sign(ingest, c.Msg(device.MsgRegisterIngest, device.RegisterIngest{Stake: device.IngestStake})))
					var leaves [][32]byte
					for k := 0; k < 4_095; k++ {
						leaves = append(leaves, merkle.Leaf([]byte(fmt.Sprintf("event %d/%d", i, k))))
					}
					e, err := event.New(forger, fmt.Sprintf("f%d", i), ids[0], event.TypeVehicleStatus, int64((base+uint64(i))*device.EpochMillis)+1000, event.VehicleStatus{})
					if err != nil {
						fail("forged event: %v", err)
					}
					leaves = append(leaves, merkle.Leaf(e.Encode()))
					root := merkle.Root(leaves)
					forged, trees = append(forged, e), append(trees, leaves)
					posts = append(posts, c.Sign(ingest, c.Msg(device.MsgPostEpoch, device.PostEpoch{Epoch: base + uint64(i), Root: hex.EncodeToString(root[:]), Events: 4096, Evidence: device.PackEvidence([]device.Evidence{})})))
				}
				for _, r := range c.Deliver(reg...) {
					c.MustOK(r)
				}
				for _, r := range c.Deliver(posts...) {
					c.MustOK(r)
				}
				var txs [][]byte
				for i := range forged {
					ch := device.Challenge{Epoch: base + uint64(i), Event: string(forged[i].Encode()), Proof: merkle.Prove(trees[i], len(trees[i])-1)}
					txs = append(txs, c.Sign("maker", c.Msg(device.MsgChallenge, ch)))
				}
				return txs
			},
		},
	}
}

// deviceDatasets posts n epochs (the last one two epochs ago) whose
// evidence has datasets devices ("o<i>" owners, one each) and returns the
// txs publishing a dataset of MaxDatasetShards shards, priced 0.1 EMG, for
// each (delivered when publish is set) and the device ids.
func deviceDatasets(c *apptest.Chain, n int, publish bool) ([][]byte, []string) {
	ids, _ := deviceFleet(c, 50, true)
	c.MustOK(c.Deliver(c.Sign("ingest", c.Msg(device.MsgRegisterIngest, device.RegisterIngest{Stake: device.IngestStake})))[0])
	slices.Sort(ids)
	var ev []device.Evidence
	for _, id := range ids {
		ev = append(ev, device.Evidence{Device: id, Readings: device.MaxRewardReadings, Cells: device.MaxRewardCells})
	}
	last := uint64(c.Time.UnixMilli())/device.EpochMillis - 2
	var posts, pubs [][]byte
	shards := make([]string, device.MaxDatasetShards)
	for i := range shards {
		shards[i] = fmt.Sprintf("%064x", i+1)
	}
	for e := 0; e < n; e++ {
		epoch := last - uint64(n-1-e)
		posts = append(posts, c.SignWith("ingest", device.GasPostEpoch+device.GasPerEvidence*uint64(len(ev))+2_000_000,
			c.Msg(device.MsgPostEpoch, device.PostEpoch{Epoch: epoch, Root: strings.Repeat("ab", 32), Events: uint64(len(ev)) * device.MaxRewardReadings, Evidence: device.PackEvidence(ev)})))
	}
	for e := 0; e < n; e++ {
		epoch := last - uint64(n-1-e)
		pubs = append(pubs, c.SignWith("ingest", device.GasPublishDataset+device.MaxDatasetShards*device.GasPerDatasetShard+2_000_000,
			c.Msg(device.MsgPublishDataset, device.PublishDataset{Epoch: epoch, Name: strings.Repeat("n", device.MaxDatasetText), Root: strings.Repeat("cd", 32),
				Manifest: strings.Repeat("ef", 32), Shards: shards, Records: uint64(len(ev)) * device.MaxRewardReadings, Price: 100_000, Licence: strings.Repeat("l", device.MaxDatasetText)})))
	}
	for _, r := range c.Deliver(posts...) {
		c.MustOK(r)
	}
	if publish {
		for _, r := range c.Deliver(pubs...) {
			c.MustOK(r)
		}
	}
	return pubs, ids
}

// sparseCell is cell k of device i on a page of its own: cell (0, 0) of
// page (i×16+k, 0).
func sparseCell(i, k int) uint64 {
	return device.CellID(int64(i*device.MaxPartCells/device.MaxEvidence+k)<<device.CellPageBits, 0)
}

// postEpochCase is one device/post-epoch of evidence items that name
// MaxPartCells/MaxEvidence cells each, cell k of item i being cell(i, k)
// (sorted per item); with fill, earlier epochs' posts first cover every
// other cell of the pages the measured post's cells fall in, so each page
// it reads and writes is full.
func postEpochCase(evidence int, shape string, owners map[string]uint64, fill bool, cell func(i, k int) uint64) Case {
	return Case{
		Kind: device.MsgPostEpoch, Shape: shape,
		Genesis: apptest.Genesis{Balances: owners},
		Prepare: func(c *apptest.Chain) [][]byte {
			// Filling pages takes twice the devices, in two parts an
			// epoch, so that the fill's posts stay within
			// device.MaxEpochAge epochs before the measured one; the
			// measured post names the first evidence.
			fleet := evidence
			if fill {
				fleet *= 2
			}
			ids, _ := deviceFleet(c, fleet, true)
			c.MustOK(c.Deliver(c.Sign("ingest", c.Msg(device.MsgRegisterIngest, device.RegisterIngest{Stake: device.IngestStake})))[0])
			c.MustOK(c.Deliver(c.Sign("maker", c.Msg(device.MsgFundPool, device.FundPool{Amount: 100_000_000})))[0])
			slices.Sort(ids)
			per := device.MaxPartCells / device.MaxEvidence
			epoch := uint64(c.Time.UnixMilli())/device.EpochMillis - 1
			post := func(epoch, part, parts uint64, devs []string, cells [][]uint64) []byte {
				var ev []device.Evidence
				n := 0
				for i, id := range devs[:len(cells)] {
					slices.Sort(cells[i])
					n += len(cells[i])
					ev = append(ev, device.Evidence{Device: id, Readings: device.MaxRewardReadings, Cells: uint64(len(cells[i])), CellIDs: cells[i]})
				}
				msg := device.PostEpoch{Epoch: epoch, Root: strings.Repeat("ab", 32), Events: 1, Evidence: device.PackEvidence(ev), Part: part, Parts: parts}
				gas := device.GasPostEpoch + device.GasPerEvidence*uint64(len(ev)) + device.GasPerCell*uint64(n) + device.GasPerCellPage*device.CellPages(ev) + 2_000_000 +
					app.DefaultParams().GasPerByte*uint64(base64.StdEncoding.EncodedLen(len(msg.Evidence)))
				return c.SignWith("ingest", gas, c.Msg(device.MsgPostEpoch, msg))
			}
			if fill {
				// The other cells of every page, MaxPartCells a post, one
				// epoch each (before the measured one).
				mask := uint64(1)<<device.CellPageBits - 1
				var rest []uint64
				for i := 0; i < evidence; i++ {
					for k := 0; k < per; k++ {
						id := cell(i, k)
						lat, lon := id>>32&^mask, id&0xffffffff&^mask
						for off := uint64(0); off < device.CellsPerPage; off++ {
							if o := lat<<32 | lon | (off>>device.CellPageBits)<<32 | off&mask; o != id {
								rest = append(rest, o)
							}
						}
					}
				}
				var txs [][]byte
				// Two parts an epoch (the first and the second half of
				// the fleet), a full post each.
				for e := uint64(2); len(rest) > 0; e++ {
					for part := uint64(0); part < 2; part++ {
						var cells [][]uint64
						for len(rest) > 0 && len(cells) < evidence {
							k := min(per, len(rest))
							cells, rest = append(cells, rest[:k:k]), rest[k:]
						}
						if len(cells) == 0 {
							cells = [][]uint64{{}}
						}
						txs = append(txs, post(epoch-e, part, 2, ids[part*uint64(evidence):], cells))
					}
				}
				for len(txs) > 0 {
					k := min(len(txs), 10)
					for _, r := range c.Deliver(txs[:k]...) {
						c.MustOK(r)
					}
					txs = txs[k:]
				}
			}
			cells := make([][]uint64, evidence) // the first evidence devices, not the fill's whole fleet
			for i := range cells {
				for k := 0; k < per; k++ {
					cells[i] = append(cells[i], cell(i, k))
				}
			}
			return [][]byte{post(epoch, 0, 0, ids, cells)}
		},
	}
}
