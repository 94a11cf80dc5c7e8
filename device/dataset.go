package device

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"emergence/app"
	"emergence/store"
	"emergence/tx"
)

// Datasets of readings: an epoch's ingest node publishes the epoch's
// accepted events as a dataset in the data market's format (data/shard
// Parquet shards, a JSON manifest and the Merkle root over the records,
// built by package device/dataset in the epoch's leaf order, so a buyer
// rebuilds the epoch root on chain from the records). A sale pays
// IngestSalePermille to the ingest node at once; the rest goes to the
// devices' owners pro rata to their accepted events in the epoch, which
// each owner claims with device/claim-sales.
const (
	// Message kinds (appended).
	MsgPublishDataset = "device/publish-dataset"
	MsgBuyDataset     = "device/buy-dataset"
	MsgClaimSales     = "device/claim-sales"
	// DataEscrow holds the owners' part of sales until they claim it.
	DataEscrow = "escrow/device-data"
	// IngestSalePermille is the ingest node's part of a sale.
	IngestSalePermille = 200
	// MaxDatasetShards bounds a dataset's shard list; MaxDatasetText its
	// name and licence.
	MaxDatasetShards = 1_024
	MaxDatasetText   = 128
	// Gas: a publish pays per shard hash stored; a buy, and a sales claim
	// per epoch, pay per shard hash of the dataset record they read and
	// write back.
	GasPublishDataset  = 40_000
	GasPerDatasetShard = 1_000
	GasBuyDataset      = 40_000
	GasClaimSales      = 20_000
	GasPerSalesEpoch   = 8_000
	// MaxReadings bounds one device's posted readings, so sums stay far
	// from overflow.
	MaxReadings = 1 << 32
)

// PublishDataset registers epoch Epoch's dataset: signed by the epoch's
// ingest node once the epoch is complete; Records must be the epoch's
// posted event count. Hashes are 64 hex digits: Root the dataset's Merkle
// root, Manifest the manifest blob's, Shards the shard blobs'.
type PublishDataset struct {
	Epoch    uint64   `json:"epoch"`
	Name     string   `json:"name"`
	Root     string   `json:"root"`
	Manifest string   `json:"manifest"`
	Shards   []string `json:"shards"`
	Records  uint64   `json:"records"`
	Price    uint64   `json:"price"`
	Licence  string   `json:"licence"`
}

// BuyDataset buys epoch Epoch's dataset at its price (refused once a
// fraud proof has slashed the epoch's ingest node).
type BuyDataset struct {
	Epoch uint64 `json:"epoch"`
}

// ClaimSales pays the signer its devices' part of the sales of the
// datasets of Epochs (at most MaxClaimEpochs, no repeats).
type ClaimSales struct {
	Epochs []uint64 `json:"epochs"`
}

// EpochDataset is a published dataset of an epoch's readings. Revenue is
// what sales owe the owners, OwnersPaid what they claimed of it.
type EpochDataset struct {
	Epoch      uint64     `json:"epoch"`
	Ingest     tx.Address `json:"ingest"`
	Name       string     `json:"name"`
	Root       string     `json:"root"`
	EpochRoot  string     `json:"epoch_root"`
	Manifest   string     `json:"manifest"`
	Shards     []string   `json:"shards"`
	Records    uint64     `json:"records"`
	Price      uint64     `json:"price"`
	Licence    string     `json:"licence"`
	Height     int64      `json:"height"`
	Buyers     uint64     `json:"buyers"`
	Revenue    uint64     `json:"revenue"`
	OwnersPaid uint64     `json:"owners_paid"`
}

var (
	prefixDataset  = []byte("device/dataset/")
	prefixBought   = []byte("device/bought/")
	prefixSalePaid = []byte("device/salepaid/")
)

func datasetKey(n uint64) []byte { return store.Key(prefixDataset, store.BE64(n)) }
func boughtKey(n uint64, a tx.Address) []byte {
	return store.Key(prefixBought, store.BE64(n), a[:])
}
func salePaidKey(n uint64, a tx.Address) []byte {
	return store.Key(prefixSalePaid, store.BE64(n), a[:])
}

func (m *Module) datasetMsgs() []app.MsgHandler {
	return []app.MsgHandler{
		{Type: MsgPublishDataset, Gas: GasPublishDataset, Handle: m.handlePublishDataset},
		{Type: MsgBuyDataset, Gas: GasBuyDataset, Handle: m.handleBuyDataset},
		{Type: MsgClaimSales, Gas: GasClaimSales, Handle: m.handleClaimSales},
	}
}

func isHash(s string) bool {
	b, err := hex.DecodeString(s)
	return err == nil && len(b) == 32 && s == strings.ToLower(s)
}

func (m *Module) handlePublishDataset(ctx *app.Context, raw json.RawMessage) error {
	var msg PublishDataset
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	if len(msg.Shards) == 0 || len(msg.Shards) > MaxDatasetShards {
		return CodeBadDataset.Errorf("%d shards, want 1 to %d", len(msg.Shards), MaxDatasetShards)
	}
	if err := ctx.ConsumeGas(GasPerDatasetShard*uint64(len(msg.Shards)), "dataset shards"); err != nil {
		return err
	}
	for _, h := range append([]string{msg.Root, msg.Manifest}, msg.Shards...) {
		if !isHash(h) {
			return CodeBadDataset.Errorf("%q is not 64 lowercase hex digits", h)
		}
	}
	if err := checkText("name", msg.Name, MaxDatasetText); err != nil {
		return CodeBadDataset.Errorf("%v", err)
	}
	if err := checkText("licence", msg.Licence, MaxDatasetText); err != nil {
		return CodeBadDataset.Errorf("%v", err)
	}
	var rec EpochRecord
	if ok, err := store.GetJSON(ctx.KV, epochKey(msg.Epoch), &rec); err != nil {
		return err
	} else if !ok {
		return CodeEpochNotFound.Errorf("epoch %d", msg.Epoch)
	}
	switch {
	case rec.Ingest != ctx.Signer:
		return CodeNotIngest.Errorf("epoch %d was posted by %s; only it holds the events", msg.Epoch, rec.Ingest)
	case !rec.Complete || rec.Slashed:
		return CodeBadDataset.Errorf("epoch %d is not complete, or its ingest node was slashed", msg.Epoch)
	case msg.Records != rec.Events || rec.Events == 0:
		return CodeBadDataset.Errorf("dataset lists %d records, epoch %d posted %d events", msg.Records, msg.Epoch, rec.Events)
	case ctx.KV.Get(datasetKey(msg.Epoch)) != nil:
		return CodeDatasetExists.Errorf("epoch %d", msg.Epoch)
	}
	d := EpochDataset{Epoch: msg.Epoch, Ingest: ctx.Signer, Name: msg.Name, Root: msg.Root, EpochRoot: rec.Root, Manifest: msg.Manifest,
		Shards: msg.Shards, Records: msg.Records, Price: msg.Price, Licence: msg.Licence, Height: ctx.Height}
	store.PutJSON(ctx.KV, datasetKey(msg.Epoch), d)
	ctx.Emit("device-dataset", "epoch", u64(msg.Epoch), "root", d.Root, "epoch_root", d.EpochRoot, "records", u64(d.Records))
	return nil
}

func loadDataset(r store.Reader, n uint64) (EpochDataset, error) {
	var d EpochDataset
	ok, err := store.GetJSON(r, datasetKey(n), &d)
	if err != nil {
		return d, err
	}
	if !ok {
		return d, CodeDatasetNotFound.Errorf("epoch %d has no dataset", n)
	}
	return d, nil
}

func (m *Module) handleBuyDataset(ctx *app.Context, raw json.RawMessage) error {
	var msg BuyDataset
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	d, err := loadDataset(ctx.KV, msg.Epoch)
	if err != nil {
		return err
	}
	if err := ctx.ConsumeGas(GasPerDatasetShard*uint64(len(d.Shards)), "dataset record"); err != nil {
		return err
	}
	if ctx.KV.Get(boughtKey(d.Epoch, ctx.Signer)) != nil {
		return CodeAlreadyBought.Errorf("epoch %d's dataset by %s", d.Epoch, ctx.Signer)
	}
	// A dataset of an epoch proven fraudulent since it was published
	// sells no more: each sale would pay the slashed node for data the
	// chain knows is corrupt.
	var rec EpochRecord
	if ok, err := store.GetJSON(ctx.KV, epochKey(d.Epoch), &rec); err != nil || !ok {
		return fmt.Errorf("device: dataset of epoch %d has no epoch record: %v", d.Epoch, err)
	}
	if rec.Slashed {
		return CodeBadDataset.Errorf("epoch %d's ingest node was slashed for including an invalid event: its dataset is withdrawn", d.Epoch)
	}
	if d.Price > 0 {
		if err := m.bank.Lock(ctx.KV, ctx.Signer, DataEscrow, d.Price); err != nil {
			return err
		}
		ingest := Share(d.Price, IngestSalePermille, 1000)
		if err := m.bank.Release(ctx.KV, DataEscrow, d.Ingest, ingest); err != nil {
			return err
		}
		d.Revenue += d.Price - ingest
	}
	d.Buyers++
	store.PutJSON(ctx.KV, datasetKey(d.Epoch), d)
	store.PutU64(ctx.KV, boughtKey(d.Epoch, ctx.Signer), uint64(ctx.Height))
	ctx.Emit("device-dataset-bought", "epoch", u64(d.Epoch), "buyer", ctx.Signer.String(), "price", u64(d.Price))
	return nil
}

func (m *Module) handleClaimSales(ctx *app.Context, raw json.RawMessage) error {
	var msg ClaimSales
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	if len(msg.Epochs) == 0 || len(msg.Epochs) > MaxClaimEpochs {
		return CodeBadDataset.Errorf("claim 1 to %d epochs, not %d", MaxClaimEpochs, len(msg.Epochs))
	}
	if err := ctx.ConsumeGas(GasPerSalesEpoch*uint64(len(msg.Epochs)), "sales epochs"); err != nil {
		return err
	}
	var total uint64
	for i, n := range msg.Epochs {
		if i > 0 && n <= msg.Epochs[i-1] {
			return CodeBadDataset.Errorf("epochs must be increasing (item %d)", i)
		}
		d, err := loadDataset(ctx.KV, n)
		if err != nil {
			return err
		}
		if err := ctx.ConsumeGas(GasPerDatasetShard*uint64(len(d.Shards)), "dataset record"); err != nil {
			return err
		}
		var rec EpochRecord
		if ok, err := store.GetJSON(ctx.KV, epochKey(n), &rec); err != nil || !ok {
			return CodeEpochNotFound.Errorf("epoch %d", n)
		}
		_, reads, err := ownerTotals(ctx.KV, n, ctx.Signer, chargeTables(ctx.ConsumeGas))
		if err != nil {
			return err
		}
		due := Share(d.Revenue, reads, rec.Readings)
		paid := store.GetU64(ctx.KV, salePaidKey(n, ctx.Signer))
		if due <= paid {
			continue
		}
		store.PutU64(ctx.KV, salePaidKey(n, ctx.Signer), due)
		d.OwnersPaid += due - paid
		total += due - paid
		store.PutJSON(ctx.KV, datasetKey(n), d)
	}
	if total == 0 {
		return CodeNothingToClaim.Errorf("%s has no unclaimed sales in these epochs", ctx.Signer)
	}
	if err := m.bank.Release(ctx.KV, DataEscrow, ctx.Signer, total); err != nil {
		return err
	}
	ctx.Emit("device-sales-claim", "owner", ctx.Signer.String(), "amount", u64(total))
	return nil
}

func (m *Module) qDataset(r store.Reader, args []string, _ url.Values) (any, error) {
	n, err := strconv.ParseUint(args[0], 10, 64)
	if err != nil {
		return nil, app.CodeBadQuery.Errorf("epoch %q is not a number", args[0])
	}
	return loadDataset(r, n)
}

// datasetInvariants: the data escrow holds what sales owe owners and they
// have not claimed; no dataset paid owners more than its revenue.
func datasetInvariants(r store.Reader, escrow uint64) error {
	ds, err := store.ListJSON[EpochDataset](r, prefixDataset, store.PrefixEnd(prefixDataset), 0)
	if err != nil {
		return err
	}
	var owed uint64
	for _, d := range ds {
		if d.OwnersPaid > d.Revenue {
			return fmt.Errorf("device: epoch %d's dataset paid owners %d of %d", d.Epoch, d.OwnersPaid, d.Revenue)
		}
		owed += d.Revenue - d.OwnersPaid
	}
	if owed != escrow {
		return fmt.Errorf("device: data escrow holds %d, datasets owe owners %d", escrow, owed)
	}
	return nil
}
