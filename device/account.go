package device

import (
	"encoding/binary"

	"emergence/store"
	"emergence/tx"
)

// account is the part of a device's state an epoch post reads and writes,
// kept apart from the JSON device record in a fixed 36-byte encoding so a
// post of MaxEvidence items does one small read and write per device: the
// owner it pays (zero when unpaired or retired) and its streak.
type account struct {
	owner  tx.Address
	streak Streak
}

const accountLen = tx.AddressLen + 16

var prefixAccount = []byte("device/acct/")

func accountKey(id string) []byte { return store.Key(prefixAccount, []byte(id)) }

// loadAccount reads device id's account; ok is false for an unknown device.
func loadAccount(r store.Reader, id string) (account, bool) {
	v := r.Get(accountKey(id))
	if len(v) != accountLen {
		return account{}, false
	}
	var a account
	copy(a.owner[:], v)
	a.streak.Last = binary.BigEndian.Uint64(v[tx.AddressLen:])
	a.streak.Len = binary.BigEndian.Uint64(v[tx.AddressLen+8:])
	return a, true
}

func putAccount(kv store.KV, id string, a account) {
	v := make([]byte, 0, accountLen)
	v = append(v, a.owner[:]...)
	v = binary.BigEndian.AppendUint64(v, a.streak.Last)
	v = binary.BigEndian.AppendUint64(v, a.streak.Len)
	kv.Set(accountKey(id), v)
}

// setPayee records who device d's earnings go to from now on: its owner,
// or nobody when it is unpaired or retired. Every change of d.Owner or
// d.Retired calls it.
func setPayee(kv store.KV, d Device) {
	a, _ := loadAccount(kv, d.ID)
	a.owner = d.Owner
	if d.Retired {
		a.owner = tx.Address{}
	}
	putAccount(kv, d.ID, a)
}
