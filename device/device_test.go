package device_test

import (
	"encoding/hex"
	"testing"

	"emergence/app/apptest"
	"emergence/bank"
	"emergence/device"
	"emergence/device/devkey"
	"emergence/tx"
)

func newChain(t *testing.T) *apptest.Chain {
	b := bank.New()
	return apptest.New(t, apptest.Genesis{Balances: map[string]uint64{
		"maker": 10_000_000, "alice": 10_000_000, "bob": 10_000_000, "mallory": 10_000_000,
	}}, b, device.New(b))
}

// provision registers maker and provisions a device with signer s; it
// returns the device id.
func provision(t *testing.T, c *apptest.Chain, s *devkey.Signer, serial string) string {
	t.Helper()
	c.MustOK(c.Deliver(c.Sign("maker", c.Msg(device.MsgProvision, device.Provision{
		KeyType: s.Type, PubKey: hex.EncodeToString(s.Pub()), Model: "obd-1", Serial: serial})))[0])
	return device.DeviceID(s.Type, s.Pub())
}

// pairedDevice registers maker "acme", provisions the secp256k1 device
// of seed {1} (serial S1), pairs it with owner and registers each of
// ingest as an ingest node with stake; it returns the device's signer and
// id.
func pairedDevice(t *testing.T, c *apptest.Chain, owner string, stake uint64, ingest ...string) (*devkey.Signer, string) {
	t.Helper()
	c.MustOK(c.Deliver(c.Sign("maker", c.Msg(device.MsgRegisterMaker, device.RegisterMaker{Name: "acme", Stake: 1_000_000})))[0])
	s := devkey.NewSecp256k1([32]byte{1})
	id := provision(t, c, s, "S1")
	c.MustOK(c.Deliver(c.Sign(owner, c.Msg(device.MsgPair, pairMsg(s, id, apptest.Addr(owner), 0))))[0])
	for _, n := range ingest {
		c.MustOK(c.Deliver(c.Sign(n, c.Msg(device.MsgRegisterIngest, device.RegisterIngest{Stake: stake})))[0])
	}
	return s, id
}

func pairMsg(s *devkey.Signer, id string, owner tx.Address, nonce uint64) device.Pair {
	return device.Pair{Device: id, Nonce: nonce,
		Signature: hex.EncodeToString(s.Sign(device.PairingMessage(apptest.ChainID, id, owner, nonce)))}
}

func TestLifecycle(t *testing.T) {
	c := newChain(t)
	c.MustFail(c.Deliver(c.Sign("maker", c.Msg(device.MsgRegisterMaker, device.RegisterMaker{Name: "acme", Stake: 10})))[0], device.CodeLowStake)
	c.MustFail(c.Deliver(c.Sign("maker", c.Msg(device.MsgProvision, device.Provision{KeyType: devkey.Ed25519, PubKey: hex.EncodeToString(make([]byte, 32)), Model: "m", Serial: "s"})))[0], device.CodeMakerNotFound)
	c.MustOK(c.Deliver(c.Sign("maker", c.Msg(device.MsgRegisterMaker, device.RegisterMaker{Name: "acme", Stake: 1_000_000})))[0])
	c.MustFail(c.Deliver(c.Sign("maker", c.Msg(device.MsgRegisterMaker, device.RegisterMaker{Name: "acme", Stake: 1_000_000})))[0], device.CodeMakerExists)

	sec := devkey.NewSecp256k1([32]byte{1})
	ed := devkey.NewEd25519([32]byte{2})
	id1 := provision(t, c, sec, "S1")
	id2 := provision(t, c, ed, "S2")
	c.MustFail(c.Deliver(c.Sign("maker", c.Msg(device.MsgProvision, device.Provision{KeyType: sec.Type, PubKey: hex.EncodeToString(sec.Pub()), Model: "m", Serial: "again"})))[0], device.CodeDeviceExists)
	c.MustFail(c.Deliver(c.Sign("maker", c.Msg(device.MsgProvision, device.Provision{KeyType: devkey.Secp256k1, PubKey: hex.EncodeToString(make([]byte, 33)), Model: "m", Serial: "x"})))[0], device.CodeBadKey)

	alice, bob := apptest.Addr("alice"), apptest.Addr("bob")
	// Pairing without the device's consent: a signature for another owner, a
	// signature by another key, a wrong nonce, no signature at all.
	c.MustFail(c.Deliver(c.Sign("mallory", c.Msg(device.MsgPair, pairMsg(sec, id1, alice, 0))))[0], device.CodeBadPairingSig)
	c.MustFail(c.Deliver(c.Sign("alice", c.Msg(device.MsgPair, pairMsg(ed, id1, alice, 0))))[0], device.CodeBadPairingSig)
	c.MustFail(c.Deliver(c.Sign("alice", c.Msg(device.MsgPair, pairMsg(sec, id1, alice, 1))))[0], device.CodeBadNonce)
	c.MustFail(c.Deliver(c.Sign("alice", c.Msg(device.MsgPair, device.Pair{Device: id1})))[0], device.CodeBadPairingSig)
	c.MustOK(c.Deliver(c.Sign("alice", c.Msg(device.MsgPair, pairMsg(sec, id1, alice, 0))))[0])
	c.MustOK(c.Deliver(c.Sign("alice", c.Msg(device.MsgPair, pairMsg(ed, id2, alice, 0))))[0])
	c.MustFail(c.Deliver(c.Sign("bob", c.Msg(device.MsgPair, pairMsg(sec, id1, bob, 1))))[0], device.CodeAlreadyPaired)

	var page device.Page
	if err := c.Query("device/owner/"+alice.String()+"/devices", map[string][]string{"limit": {"1"}}, &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Devices) != 1 || page.Next == "" {
		t.Fatalf("first page %+v, want one device and a next cursor", page)
	}
	var page2 device.Page
	if err := c.Query("device/owner/"+alice.String()+"/devices", map[string][]string{"limit": {"1"}, "after": {page.Next}}, &page2); err != nil {
		t.Fatal(err)
	}
	if len(page2.Devices) != 1 || page2.Next != "" || page2.Devices[0].ID == page.Devices[0].ID {
		t.Fatalf("second page %+v", page2)
	}

	// Transfer, then the old owner can no longer act; unpair; an old
	// pairing signature cannot be replayed (the nonce moved on).
	c.MustFail(c.Deliver(c.Sign("bob", c.Msg(device.MsgTransfer, device.Transfer{Device: id1, To: bob})))[0], device.CodeNotOwner)
	c.MustOK(c.Deliver(c.Sign("alice", c.Msg(device.MsgTransfer, device.Transfer{Device: id1, To: bob})))[0])
	c.MustFail(c.Deliver(c.Sign("alice", c.Msg(device.MsgUnpair, device.DeviceRef{Device: id1})))[0], device.CodeNotOwner)
	c.MustOK(c.Deliver(c.Sign("bob", c.Msg(device.MsgUnpair, device.DeviceRef{Device: id1})))[0])
	c.MustFail(c.Deliver(c.Sign("alice", c.Msg(device.MsgPair, pairMsg(sec, id1, alice, 0))))[0], device.CodeBadNonce)
	c.MustOK(c.Deliver(c.Sign("alice", c.Msg(device.MsgPair, pairMsg(sec, id1, alice, 1))))[0])

	var d device.Device
	if err := c.Query("device/device/"+id1, nil, &d); err != nil {
		t.Fatal(err)
	}
	if d.Owner != alice || d.Nonce != 2 || d.Model != "obd-1" {
		t.Fatalf("device %+v", d)
	}
	c.MustFail(c.Deliver(c.Sign("mallory", c.Msg(device.MsgRetire, device.DeviceRef{Device: id1})))[0], device.CodeNotOwnerOrMaker)
	c.MustOK(c.Deliver(c.Sign("maker", c.Msg(device.MsgRetire, device.DeviceRef{Device: id1})))[0])
	c.MustFail(c.Deliver(c.Sign("alice", c.Msg(device.MsgTransfer, device.Transfer{Device: id1, To: bob})))[0], device.CodeRetired)

	var mp device.Page
	if err := c.Query("device/maker/"+apptest.Addr("maker").String()+"/devices", nil, &mp); err != nil {
		t.Fatal(err)
	}
	if len(mp.Devices) != 2 {
		t.Fatalf("maker lists %d devices, want 2", len(mp.Devices))
	}
	if err := c.Query("device/device/"+hex.EncodeToString(make([]byte, 20)), nil, &d); err == nil {
		t.Fatal("absent device found")
	}
}
