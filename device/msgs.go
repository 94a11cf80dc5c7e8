package device

import (
	"encoding/hex"
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"emergence/app"
	"emergence/device/devkey"
	"emergence/store"
	"emergence/tx"
)

// Message kinds.
const (
	MsgRegisterMaker = "device/register-maker"
	MsgProvision     = "device/provision"
	MsgPair          = "device/pair"
	MsgTransfer      = "device/transfer"
	MsgUnpair        = "device/unpair"
	MsgRetire        = "device/retire"
)

// RegisterMaker registers the signer as a maker, locking Stake.
type RegisterMaker struct {
	Name  string `json:"name"`
	Stake uint64 `json:"stake"`
}

// Provision registers a device key made by the signer (a maker).
type Provision struct {
	KeyType devkey.Type `json:"key_type"`
	PubKey  string      `json:"pub_key"` // hex
	Model   string      `json:"model"`
	Serial  string      `json:"serial"`
}

// Pair pairs Device with the signer, who becomes its owner. Signature is
// the device's signature (hex) over PairingMessage(chain id, device,
// signer, nonce).
type Pair struct {
	Device    string `json:"device"`
	Nonce     uint64 `json:"nonce"`
	Signature string `json:"signature"`
}

// Transfer hands a paired device to another owner (signed by its owner).
type Transfer struct {
	Device string     `json:"device"`
	To     tx.Address `json:"to"`
}

// DeviceRef names a device (unpair, retire).
type DeviceRef struct {
	Device string `json:"device"`
}

// Msgs implements app.Module.
func (m *Module) Msgs() []app.MsgHandler {
	return append([]app.MsgHandler{
		{Type: MsgRegisterMaker, Gas: GasRegisterMaker, Handle: m.handleRegisterMaker},
		{Type: MsgProvision, Gas: GasProvision, Handle: m.handleProvision},
		{Type: MsgPair, Gas: GasPair, Handle: m.handlePair},
		{Type: MsgTransfer, Gas: GasTransfer, Handle: m.handleTransfer},
		{Type: MsgUnpair, Gas: GasUnpair, Handle: m.handleUnpair},
		{Type: MsgRetire, Gas: GasRetire, Handle: m.handleRetire},
	}, append(m.epochMsgs(), m.datasetMsgs()...)...)
}

func checkText(field, s string, max int) error {
	if s == "" || len(s) > max || !utf8.ValidString(s) {
		return CodeBadDevice.Errorf("%s must be 1 to %d bytes of UTF-8", field, max)
	}
	return nil
}

func (m *Module) handleRegisterMaker(ctx *app.Context, raw json.RawMessage) error {
	var msg RegisterMaker
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	if err := checkText("name", msg.Name, MaxNameLen); err != nil {
		return err
	}
	p, err := m.params(ctx.KV)
	if err != nil {
		return err
	}
	if msg.Stake < p.MakerStake {
		return CodeLowStake.Errorf("stake %d below %d", msg.Stake, p.MakerStake)
	}
	if _, ok, err := loadMaker(ctx.KV, ctx.Signer); err != nil {
		return err
	} else if ok {
		return CodeMakerExists.Errorf("%s", ctx.Signer)
	}
	if err := m.bank.Lock(ctx.KV, ctx.Signer, Escrow, msg.Stake); err != nil {
		return err
	}
	store.PutJSON(ctx.KV, makerKey(ctx.Signer), Maker{Address: ctx.Signer, Name: msg.Name, Stake: msg.Stake})
	ctx.Emit("device-maker", "maker", ctx.Signer.String(), "stake", u64(msg.Stake))
	return nil
}

func (m *Module) handleProvision(ctx *app.Context, raw json.RawMessage) error {
	var msg Provision
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	mk, ok, err := loadMaker(ctx.KV, ctx.Signer)
	if err != nil {
		return err
	}
	if !ok {
		return CodeMakerNotFound.Errorf("%s is not a registered maker", ctx.Signer)
	}
	pub, err := hex.DecodeString(msg.PubKey)
	if err != nil {
		return CodeBadKey.Errorf("pub_key is not hex: %v", err)
	}
	if err := devkey.CheckPub(msg.KeyType, pub); err != nil {
		return CodeBadKey.Errorf("%v", err)
	}
	if err := checkText("model", msg.Model, MaxModelLen); err != nil {
		return err
	}
	if err := checkText("serial", msg.Serial, MaxSerialLen); err != nil {
		return err
	}
	id := DeviceID(msg.KeyType, pub)
	if ctx.KV.Get(deviceKey(id)) != nil {
		return CodeDeviceExists.Errorf("device %s", id)
	}
	d := Device{ID: id, KeyType: msg.KeyType, PubKey: hex.EncodeToString(pub), Maker: ctx.Signer,
		Model: msg.Model, Serial: msg.Serial, Provisioned: ctx.Height}
	store.PutJSON(ctx.KV, deviceKey(id), d)
	setPayee(ctx.KV, d)
	ctx.KV.Set(makerIdx(ctx.Signer, id), []byte{1})
	mk.Devices++
	store.PutJSON(ctx.KV, makerKey(ctx.Signer), mk)
	ctx.Emit("device-provisioned", "device", id, "maker", ctx.Signer.String())
	return nil
}

func (m *Module) handlePair(ctx *app.Context, raw json.RawMessage) error {
	var msg Pair
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	d, err := loadDevice(ctx.KV, msg.Device)
	if err != nil {
		return err
	}
	if d.Retired {
		return CodeRetired.Errorf("device %s", d.ID)
	}
	if d.Paired() {
		return CodeAlreadyPaired.Errorf("device %s is paired with %s", d.ID, d.Owner)
	}
	if msg.Nonce != d.Nonce {
		return CodeBadNonce.Errorf("nonce %d, want %d", msg.Nonce, d.Nonce)
	}
	sig, err := hex.DecodeString(msg.Signature)
	if err != nil {
		return CodeBadPairingSig.Errorf("signature is not hex: %v", err)
	}
	pub, err := hex.DecodeString(d.PubKey)
	if err != nil {
		return err
	}
	if err := devkey.Verify(d.KeyType, pub, PairingMessage(ctx.ChainID, d.ID, ctx.Signer, msg.Nonce), sig); err != nil {
		return CodeBadPairingSig.Errorf("%v", err)
	}
	d.Owner = ctx.Signer
	d.Nonce++
	d.OffMs = 0
	store.PutJSON(ctx.KV, deviceKey(d.ID), d)
	setPayee(ctx.KV, d)
	ctx.KV.Set(ownerIdx(d.Owner, d.ID), []byte{1})
	ctx.Emit("device-paired", "device", d.ID, "owner", d.Owner.String())
	return nil
}

// ownedDevice loads a live, paired device the signer owns.
func ownedDevice(ctx *app.Context, id string) (Device, error) {
	d, err := loadDevice(ctx.KV, id)
	if err != nil {
		return d, err
	}
	if d.Retired {
		return d, CodeRetired.Errorf("device %s", d.ID)
	}
	if !d.Paired() {
		return d, CodeNotPaired.Errorf("device %s", d.ID)
	}
	if d.Owner != ctx.Signer {
		return d, CodeNotOwner.Errorf("device %s is owned by %s", d.ID, d.Owner)
	}
	return d, nil
}

func (m *Module) handleTransfer(ctx *app.Context, raw json.RawMessage) error {
	var msg Transfer
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	d, err := ownedDevice(ctx, msg.Device)
	if err != nil {
		return err
	}
	if msg.To.IsZero() || msg.To == d.Owner {
		return CodeBadDevice.Errorf("transfer needs a new, non-zero owner")
	}
	ctx.KV.Delete(ownerIdx(d.Owner, d.ID))
	d.Owner = msg.To
	store.PutJSON(ctx.KV, deviceKey(d.ID), d)
	setPayee(ctx.KV, d)
	ctx.KV.Set(ownerIdx(d.Owner, d.ID), []byte{1})
	ctx.Emit("device-transferred", "device", d.ID, "owner", d.Owner.String())
	return nil
}

func (m *Module) handleUnpair(ctx *app.Context, raw json.RawMessage) error {
	var msg DeviceRef
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	d, err := ownedDevice(ctx, msg.Device)
	if err != nil {
		return err
	}
	ctx.KV.Delete(ownerIdx(d.Owner, d.ID))
	d.Owner = tx.Address{}
	d.OffMs = ctx.Time.UnixMilli()
	store.PutJSON(ctx.KV, deviceKey(d.ID), d)
	setPayee(ctx.KV, d)
	ctx.Emit("device-unpaired", "device", d.ID)
	return nil
}

func (m *Module) handleRetire(ctx *app.Context, raw json.RawMessage) error {
	var msg DeviceRef
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	d, err := loadDevice(ctx.KV, msg.Device)
	if err != nil {
		return err
	}
	if d.Retired {
		return CodeRetired.Errorf("device %s", d.ID)
	}
	if ctx.Signer != d.Maker && ctx.Signer != d.Owner {
		return CodeNotOwnerOrMaker.Errorf("device %s", d.ID)
	}
	if d.Paired() {
		d.OffMs = ctx.Time.UnixMilli() // an unpaired device was off since its unpairing
	}
	d.Retired = true
	store.PutJSON(ctx.KV, deviceKey(d.ID), d)
	setPayee(ctx.KV, d)
	ctx.Emit("device-retired", "device", d.ID)
	return nil
}

func u64(v uint64) string { return strconvU(v) }

func strconvU(v uint64) string { return strconv.FormatUint(v, 10) }
