package subnet

import (
	"reflect"
	"testing"

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
