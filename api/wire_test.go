package api_test

import (
	"bytes"
	"testing"

	"emergence/api"
)

// A binary batch body decodes to the txs it encodes, and any body that is
// not exactly such a sequence is refused.
func TestBinaryBatchRoundTrip(t *testing.T) {
	txs := [][]byte{[]byte("a"), bytes.Repeat([]byte{7}, 300), bytes.Repeat([]byte{1}, 70_000)}
	got, err := api.DecodeBatch(api.EncodeBatch(txs), 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(txs) {
		t.Fatalf("%d txs back, want %d", len(got), len(txs))
	}
	for i := range txs {
		if !bytes.Equal(got[i], txs[i]) {
			t.Fatalf("tx %d: %d bytes back, want %d", i, len(got[i]), len(txs[i]))
		}
	}
	body := api.EncodeBatch(txs)
	for name, bad := range map[string][]byte{
		"empty":        nil,
		"one too many": body,
		"truncated":    body[:len(body)-1],
		"empty tx":     append(api.EncodeBatch(txs[:1]), 0),
		"bad length":   {0x80},
	} {
		max := 3
		if name == "one too many" {
			max = 2
		}
		if _, err := api.DecodeBatch(bad, max); err == nil {
			t.Errorf("%s: decoded, want an error", name)
		}
	}
}
