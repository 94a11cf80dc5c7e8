package subnet

import (
	"reflect"
	"strings"
	"testing"

	"emergence/store"
	"emergence/tx"
)

func TestNeuronEncodingRoundTrip(t *testing.T) {
	hk := tx.ModuleAddress("hk")
	for _, n := range []*Neuron{
		{UID: 7, Hotkey: hk, RegisteredAt: 12, LastUpdate: 99, Axon: "127.0.0.1:9000", Stake: 1 << 40,
			ValidatorPermit: true, Active: true, Consensus: 1, Incentive: 2, Dividends: 3, Trust: 4, ValidatorTrust: 65535, Emission: 5,
			Commits: []Commit{
				{Hash: "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", Height: 8, Epoch: 9, Expired: true},
				{Hash: "ff112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", Height: 18, Epoch: 10},
			}},
		{UID: 65535, Hotkey: hk},
	} {
		got, err := decodeNeuron(encodeNeuron(n))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, n) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, n)
		}
	}
	b := encodeNeuron(&Neuron{UID: 1, Axon: "x"})
	for _, bad := range [][]byte{nil, b[:10], append(append([]byte{}, b...), 0), append([]byte{1}, b[1:]...)} {
		if _, err := decodeNeuron(bad); err == nil {
			t.Fatalf("decoded corrupt record %x", bad)
		}
	}
}

// emptyState is a store.Reader with nothing in it.
type emptyState struct{}

func (emptyState) Get([]byte) []byte                              { return nil }
func (emptyState) Iterate([]byte, []byte, func(k, v []byte) bool) {}

// A stake record that is not 8 bytes is corrupt state: the stakers query
// says so with an error, never a panic.
func TestCorruptStakeRecordIsAnError(t *testing.T) {
	hk := tx.ModuleAddress("hk")
	staker := tx.ModuleAddress("staker")
	kv := store.NewCache(emptyState{}, nil)
	kv.Set(append(stakePrefix(3, hk), staker[:]...), []byte{1, 2, 3})
	if _, err := stakersOf(kv, 3, hk); err == nil || !strings.Contains(err.Error(), "corrupt state") {
		t.Fatalf("stakersOf on a 3-byte stake record: %v", err)
	}
	kv.Set(append(stakePrefix(3, hk), staker[:]...), store.BE64(42))
	if st, err := stakersOf(kv, 3, hk); err != nil || len(st) != 1 || st[0].Amount != 42 || st[0].Staker != staker {
		t.Fatalf("stakersOf: %+v %v", st, err)
	}
}
