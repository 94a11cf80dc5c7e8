package device

import (
	"emergence/store"
	"emergence/tx"
)

// account is the part of a device's state an epoch post reads, kept apart
// from the JSON device record in a fixed 20-byte encoding so a post of
// MaxEvidence items reads its devices in one range scan and writes
// nothing per device: the owner it pays (zero when unpaired or retired).
// (Streaks are read from the previous epoch's part records.)
type account struct {
	owner tx.Address
}

const accountLen = tx.AddressLen

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
	return a, true
}

func putAccount(kv store.KV, id string, a account) {
	kv.Set(accountKey(id), a.owner[:])
}

// setPayee records who device d's earnings go to from now on: its owner,
// or nobody when it is unpaired or retired. Every change of d.Owner or
// d.Retired calls it. An owner's first device starts its claim cursor at
// the epochs posted from now on (startCursor).
func setPayee(kv store.KV, d Device) {
	a := account{owner: d.Owner}
	if d.Retired {
		a.owner = tx.Address{}
	}
	putAccount(kv, d.ID, a)
	if !a.owner.IsZero() {
		startCursor(kv, a.owner)
	}
}

// scanned holds the accounts of a post's evidence read in one ordered scan
// (the evidence is sorted by device, as the account keys are), so a dense
// part costs one pass over neighbouring keys instead of a point read per
// device. The scan stops after 2 keys per evidence item; items it did not
// reach are read one by one.
type scanned struct {
	accts []account
	found []bool
	upto  int // items [0, upto) were decided by the scan
}

func scanAccounts(r store.Reader, ev []Evidence) scanned {
	s := scanned{accts: make([]account, len(ev)), found: make([]bool, len(ev))}
	if len(ev) == 0 {
		return s
	}
	budget := 2 * len(ev)
	i := 0
	r.Iterate(accountKey(ev[0].Device), store.PrefixEnd(prefixAccount), func(k, v []byte) bool {
		id := k[len(prefixAccount):]
		for i < len(ev) && ev[i].Device < string(id) {
			i++ // no account: unknown device (or unsorted evidence, refused by the caller)
		}
		if i == len(ev) {
			return false
		}
		if ev[i].Device == string(id) && len(v) == accountLen {
			copy(s.accts[i].owner[:], v)
			s.found[i] = true
			i++
		}
		budget--
		return budget > 0 && i < len(ev)
	})
	s.upto = i
	return s
}

// load returns evidence item i's account (device id), from the scan when
// it reached the item, else by a point read. Evidence out of order is
// read by point too: the caller refuses it anyway.
func (s scanned) load(r store.Reader, i int, id string) (account, bool) {
	if i < s.upto {
		return s.accts[i], s.found[i]
	}
	return loadAccount(r, id)
}
