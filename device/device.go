// Package device is the device-data (DePIN) module: makers register with
// stake and provision devices by their public keys, owners pair a device
// with a transaction that carries the device's own signature over the
// pairing message (so neither can pair alone), and devices are transferred,
// unpaired and retired. Queries list a device, an owner's devices and a
// maker's devices, paginated.
//
// Device keys and signatures are package devkey (secp256k1 or ed25519).
package device

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"

	"emergence/app"
	"emergence/device/devkey"
	"emergence/store"
	"emergence/tx"
)

// Bank is what the module needs from the bank: locking makers' stakes.
type Bank interface {
	Lock(kv store.KV, from tx.Address, module string, amt uint64) error
	Release(kv store.KV, module string, to tx.Address, amt uint64) error
	MoveModule(kv store.KV, from, to string, amt uint64) error
	ModuleBalance(r store.Reader, name string) uint64
	RegisterAccount(ctx *app.Context, name string) error
}

// Params are the module's genesis parameters.
type Params struct {
	// MakerStake is the least stake (uemg) a maker locks to register.
	MakerStake uint64 `json:"maker_stake"`
}

// DefaultParams are used when genesis has no "device" section.
func DefaultParams() Params { return Params{MakerStake: 1_000_000} }

// Genesis is the module's genesis section. Makers and Devices start a chain
// with a fleet already provisioned (and, where Owner is set, paired): a
// migrated fleet, a test network, a benchmark of a large epoch. A genesis
// maker's stake is locked from its genesis balance; a genesis device names a
// genesis maker and is checked as provisioning checks it.
type Genesis struct {
	Params  Params   `json:"params"`
	Makers  []Maker  `json:"makers,omitempty"`
	Devices []Device `json:"devices,omitempty"`
}

// Limits on user-chosen fields, so a record's size is bounded.
const (
	MaxModelLen  = 64
	MaxSerialLen = 64
	MaxNameLen   = 64
	// MaxPage is the most records one list query returns.
	MaxPage = 100
)

// Gas of each message: a handful of reads and writes of bounded records;
// pairing adds one signature verification.
const (
	GasRegisterMaker = 20_000
	GasProvision     = 30_000
	GasPair          = 60_000
	GasTransfer      = 30_000
	GasUnpair        = 30_000
	GasRetire        = 30_000
)

// Maker is a registered device maker.
type Maker struct {
	Address tx.Address `json:"address"`
	Name    string     `json:"name"`
	Stake   uint64     `json:"stake"`
	Devices uint64     `json:"devices"`
}

// Device is a provisioned device.
type Device struct {
	// ID is the hex SHA-256 of the key type and public key (first 20 bytes).
	ID      string      `json:"id"`
	KeyType devkey.Type `json:"key_type"`
	PubKey  string      `json:"pub_key"` // hex
	Maker   tx.Address  `json:"maker"`
	Model   string      `json:"model"`
	Serial  string      `json:"serial"`
	// Owner is the paired owner (zero when unpaired).
	Owner tx.Address `json:"owner"`
	// Nonce is the nonce the next pairing message must carry; it grows
	// with every pairing so a device's pairing signature is used once.
	Nonce       uint64 `json:"nonce"`
	Retired     bool   `json:"retired"`
	Provisioned int64  `json:"provisioned_height"`
	// OffMs is the block time (unix ms) at which the device last stopped
	// being paired and live (unpaired or retired; 0 while it is, or when
	// it never was on chain). A fraud proof that calls a reading
	// "unpaired" or "retired" holds only for an epoch that ended after
	// it: an honest ingest node checks pairing when it closes an epoch,
	// so a later unpairing cannot turn its post into fraud.
	OffMs int64 `json:"off_ms,omitempty"`
}

// Paired reports whether the device has an owner.
func (d Device) Paired() bool { return !d.Owner.IsZero() }

// DeviceID derives a device's id from its key.
func DeviceID(t devkey.Type, pub []byte) string {
	h := sha256.New()
	h.Write([]byte("emergence/device/id/v1\x00"))
	h.Write([]byte(t))
	h.Write([]byte{0})
	h.Write(pub)
	return hex.EncodeToString(h.Sum(nil)[:20])
}

// PairingMessage is what a device signs to consent to being paired with
// owner: domain-separated, length-prefixed (chain id), fixed-width fields.
func PairingMessage(chainID, deviceID string, owner tx.Address, nonce uint64) []byte {
	b := []byte("emergence/device/pair/v1\x00")
	b = append(b, store.BE64(uint64(len(chainID)))...)
	b = append(b, chainID...)
	id, _ := hex.DecodeString(deviceID)
	b = append(b, store.BE64(uint64(len(id)))...)
	b = append(b, id...)
	b = append(b, owner[:]...)
	return append(b, store.BE64(nonce)...)
}

var (
	keyParams     = []byte("device/params")
	prefixMaker   = []byte("device/maker/")
	prefixDevice  = []byte("device/dev/")
	prefixByOwner = []byte("device/owner/")
	prefixByMaker = []byte("device/bymaker/")
)

func makerKey(a tx.Address) []byte { return store.Key(prefixMaker, a[:]) }
func deviceKey(id string) []byte   { return store.Key(prefixDevice, []byte(id)) }
func ownerIdx(a tx.Address, id string) []byte {
	return store.Key(prefixByOwner, a[:], []byte(id))
}
func makerIdx(a tx.Address, id string) []byte {
	return store.Key(prefixByMaker, a[:], []byte(id))
}

// Module is the device module.
type Module struct {
	bank   Bank
	router *app.Router
}

// New returns the module; b locks makers' stakes.
func New(b Bank) *Module {
	m := &Module{bank: b}
	m.router = app.NewRouter(Name,
		app.Route{Pattern: "params", Handle: m.qParams},
		app.Route{Pattern: "device/{id}", Handle: m.qDevice},
		app.Route{Pattern: "makers", Handle: m.qMakers},
		app.Route{Pattern: "maker/{addr}", Handle: m.qMaker},
		app.Route{Pattern: "maker/{addr}/devices", Handle: m.qMakerDevices},
		app.Route{Pattern: "owner/{addr}/devices", Handle: m.qOwnerDevices},
		app.Route{Pattern: "epoch/{n}", Handle: m.qEpoch},
		app.Route{Pattern: "epochs", Handle: m.qEpochs},
		app.Route{Pattern: "ingest/{addr}", Handle: m.qIngest},
		app.Route{Pattern: "owed/{addr}", Handle: m.qOwed},
		app.Route{Pattern: "dataset/{n}", Handle: m.qDataset},
	)
	return m
}

// Name implements app.Module.
func (m *Module) Name() string { return Name }

// InitGenesis implements app.Module.
func (m *Module) InitGenesis(ctx *app.Context, raw json.RawMessage) error {
	g := Genesis{Params: DefaultParams()}
	if err := app.DecodeGenesis(raw, &g); err != nil {
		return fmt.Errorf("decode device genesis: %w", err)
	}
	if g.Params.MakerStake == 0 {
		return fmt.Errorf("device genesis: maker_stake must be positive")
	}
	store.PutJSON(ctx.KV, keyParams, g.Params)
	if err := m.bank.RegisterAccount(ctx, Pool); err != nil {
		return err
	}
	if err := m.bank.RegisterAccount(ctx, Escrow); err != nil {
		return err
	}
	if err := m.bank.RegisterAccount(ctx, DataEscrow); err != nil {
		return err
	}
	return m.genesisFleet(ctx, g)
}

// genesisFleet stores genesis makers and devices.
func (m *Module) genesisFleet(ctx *app.Context, g Genesis) error {
	for _, mk := range g.Makers {
		if err := checkText("maker name", mk.Name, MaxNameLen); err != nil {
			return fmt.Errorf("device genesis: %w", err)
		}
		if mk.Stake < g.Params.MakerStake {
			return fmt.Errorf("device genesis: maker %s stakes %d, below %d", mk.Address, mk.Stake, g.Params.MakerStake)
		}
		if _, ok, err := loadMaker(ctx.KV, mk.Address); err != nil || ok {
			return fmt.Errorf("device genesis: maker %s listed twice (%v)", mk.Address, err)
		}
		if err := m.bank.Lock(ctx.KV, mk.Address, Escrow, mk.Stake); err != nil {
			return fmt.Errorf("device genesis: maker %s stake: %w", mk.Address, err)
		}
		store.PutJSON(ctx.KV, makerKey(mk.Address), Maker{Address: mk.Address, Name: mk.Name, Stake: mk.Stake})
	}
	for i, d := range g.Devices {
		pub, err := hex.DecodeString(d.PubKey)
		if err != nil {
			return fmt.Errorf("device genesis: device %d: pub_key is not hex", i)
		}
		if err := devkey.CheckPub(d.KeyType, pub); err != nil {
			return fmt.Errorf("device genesis: device %d: %w", i, err)
		}
		if err := checkText("model", d.Model, MaxModelLen); err != nil {
			return fmt.Errorf("device genesis: device %d: %w", i, err)
		}
		if err := checkText("serial", d.Serial, MaxSerialLen); err != nil {
			return fmt.Errorf("device genesis: device %d: %w", i, err)
		}
		mk, ok, err := loadMaker(ctx.KV, d.Maker)
		if err != nil || !ok {
			return fmt.Errorf("device genesis: device %d names %s, not a genesis maker", i, d.Maker)
		}
		mk.Devices++
		store.PutJSON(ctx.KV, makerKey(mk.Address), mk)
		d.ID, d.PubKey, d.Provisioned = DeviceID(d.KeyType, pub), hex.EncodeToString(pub), 0
		if ctx.KV.Get(deviceKey(d.ID)) != nil {
			return fmt.Errorf("device genesis: device %s listed twice", d.ID)
		}
		store.PutJSON(ctx.KV, deviceKey(d.ID), d)
		setPayee(ctx.KV, d)
		ctx.KV.Set(makerIdx(d.Maker, d.ID), []byte{1})
		if d.Paired() {
			ctx.KV.Set(ownerIdx(d.Owner, d.ID), []byte{1})
		}
	}
	return nil
}

// epochInvariants: the pool holds at least what posted epochs still owe,
// which is the reservation; no epoch paid more than its budget, a paid-out
// one had every point claimed, and owners' entries add up to each epoch's
// points.
func epochInvariants(r store.Reader, pool uint64) error {
	recs, err := store.ListJSON[EpochRecord](r, prefixEpoch, store.PrefixEnd(prefixEpoch), 0)
	if err != nil {
		return err
	}
	var owed uint64
	for _, rec := range recs {
		if rec.Paid > rec.Budget || rec.ClaimedPoints > rec.TotalPoints {
			return fmt.Errorf("device: epoch %d paid %d of budget %d for %d of %d points", rec.Epoch, rec.Paid, rec.Budget, rec.ClaimedPoints, rec.TotalPoints)
		}
		if rec.PaidOut != (rec.Complete && rec.ClaimedPoints == rec.TotalPoints) {
			return fmt.Errorf("device: epoch %d paid out %v, complete %v, %d of %d points claimed", rec.Epoch, rec.PaidOut, rec.Complete, rec.ClaimedPoints, rec.TotalPoints)
		}
		if !rec.PaidOut {
			owed += rec.Budget - rec.Paid
		}
	}
	if res := reserved(r); res != owed || pool < res {
		return fmt.Errorf("device: %d reserved, epochs owe %d, pool holds %d", res, owed, pool)
	}
	return owedInvariants(r, recs)
}

func (m *Module) params(r store.Reader) (Params, error) {
	p := DefaultParams()
	if _, err := store.GetJSON(r, keyParams, &p); err != nil {
		return p, fmt.Errorf("device params: %w", err)
	}
	return p, nil
}

// Query implements app.Module.
func (m *Module) Query(r store.Reader, path string, params url.Values) (any, error) {
	return m.router.Query(r, path, params)
}

func loadMaker(r store.Reader, a tx.Address) (Maker, bool, error) {
	var mk Maker
	ok, err := store.GetJSON(r, makerKey(a), &mk)
	return mk, ok, err
}

func loadDevice(r store.Reader, id string) (Device, error) {
	var d Device
	if len(id) != 40 {
		return d, CodeDeviceNotFound.Errorf("device id %q is not 40 hex digits", id)
	}
	ok, err := store.GetJSON(r, deviceKey(id), &d)
	if err != nil {
		return d, err
	}
	if !ok {
		return d, CodeDeviceNotFound.Errorf("device %s", id)
	}
	return d, nil
}

func (m *Module) qParams(r store.Reader, _ []string, _ url.Values) (any, error) { return m.params(r) }

func (m *Module) qDevice(r store.Reader, args []string, _ url.Values) (any, error) {
	return loadDevice(r, args[0])
}

func (m *Module) qMaker(r store.Reader, args []string, _ url.Values) (any, error) {
	a, err := tx.ParseAddress(args[0])
	if err != nil {
		return nil, app.CodeBadQuery.Errorf("maker address: %v", err)
	}
	mk, ok, err := loadMaker(r, a)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, CodeMakerNotFound.Errorf("maker %s", a)
	}
	return mk, nil
}

// Page is one page of a device list; Next is the id to pass as after= for
// the following page ("" at the end).
type Page struct {
	Devices []Device `json:"devices"`
	Next    string   `json:"next,omitempty"`
}

func (m *Module) qMakerDevices(r store.Reader, args []string, q url.Values) (any, error) {
	return listIndex(r, prefixByMaker, args[0], q)
}

func (m *Module) qOwnerDevices(r store.Reader, args []string, q url.Values) (any, error) {
	return listIndex(r, prefixByOwner, args[0], q)
}

func listIndex(r store.Reader, prefix []byte, addr string, q url.Values) (any, error) {
	a, err := tx.ParseAddress(addr)
	if err != nil {
		return nil, app.CodeBadQuery.Errorf("address: %v", err)
	}
	limit, err := app.PageLimit(q, MaxPage, MaxPage)
	if err != nil {
		return nil, err
	}
	base := store.Key(prefix, a[:])
	start, end := base, store.PrefixEnd(base)
	if after := q.Get("after"); after != "" {
		start = append(store.Key(base, []byte(after)), 0)
	}
	var ids []string
	r.Iterate(start, end, func(k, _ []byte) bool {
		ids = append(ids, string(k[len(base):]))
		return len(ids) <= limit
	})
	p := Page{Devices: []Device{}}
	for i, id := range ids {
		if i == limit {
			p.Next = ids[limit-1]
			break
		}
		d, err := loadDevice(r, id)
		if err != nil {
			return nil, fmt.Errorf("device index names %s: %w", id, err)
		}
		p.Devices = append(p.Devices, d)
	}
	return p, nil
}

// Invariants implements app.Module: the escrow holds exactly the makers'
// and ingest nodes' stakes, and every device is in its maker's index and (when paired) its
// owner's index, and the pages of cells are sorted and bounded.
func (m *Module) Invariants(r store.Reader) error {
	makers, err := store.ListJSON[Maker](r, prefixMaker, store.PrefixEnd(prefixMaker), 0)
	if err != nil {
		return err
	}
	var staked, devices uint64
	for _, mk := range makers {
		staked += mk.Stake
		devices += mk.Devices
	}
	ingest, err := m.ingestStakes(r)
	if err != nil {
		return err
	}
	if got := m.bank.ModuleBalance(r, Escrow); got != staked+ingest {
		return fmt.Errorf("device: escrow holds %d, makers staked %d and ingest nodes %d", got, staked, ingest)
	}
	devs, err := store.ListJSON[Device](r, prefixDevice, store.PrefixEnd(prefixDevice), 0)
	if err != nil {
		return err
	}
	if uint64(len(devs)) != devices {
		return fmt.Errorf("device: %d devices stored, makers count %d", len(devs), devices)
	}
	if err := epochInvariants(r, m.bank.ModuleBalance(r, Pool)); err != nil {
		return err
	}
	if err := datasetInvariants(r, m.bank.ModuleBalance(r, DataEscrow)); err != nil {
		return err
	}
	if err := cellPageInvariants(r); err != nil {
		return err
	}
	for _, d := range devs {
		if r.Get(makerIdx(d.Maker, d.ID)) == nil {
			return fmt.Errorf("device %s missing from its maker's index", d.ID)
		}
		if d.Paired() && r.Get(ownerIdx(d.Owner, d.ID)) == nil {
			return fmt.Errorf("device %s missing from its owner's index", d.ID)
		}
		payee := d.Owner
		if d.Retired {
			payee = tx.Address{}
		}
		if a, ok := loadAccount(r, d.ID); !ok || a.owner != payee {
			return fmt.Errorf("device %s: account pays %x (found %v), want %s", d.ID, a.owner, ok, payee)
		}
	}
	return nil
}
