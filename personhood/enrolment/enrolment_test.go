package enrolment_test

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"emergence/personhood"
	"emergence/personhood/enrolment"
	"emergence/tx"
)

func TestReadCommitments(t *testing.T) {
	cs, err := enrolment.ReadCommitments([]byte("# checked today\n12\n\n  34  \n#56\n"))
	if err != nil || len(cs) != 2 || personhood.FieldString(cs[0]) != "12" || personhood.FieldString(cs[1]) != "34" {
		t.Fatalf("ReadCommitments = %v, %v", cs, err)
	}
	if _, err := enrolment.ReadCommitments([]byte("1\nnot a number\n")); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("bad line: %v, want an error naming line 2", err)
	}
	if _, err := enrolment.ReadCommitments([]byte("# nobody\n\n")); !errors.Is(err, enrolment.ErrNoCommitments) {
		t.Errorf("empty file: %v, want ErrNoCommitments", err)
	}
}

// TestBatches checks that a list one over the batch limit splits in two,
// in order, each commitment signed for the chain by the device key.
func TestBatches(t *testing.T) {
	pub, dev, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	op := tx.AddressFromPubKey(pub)
	var cs []fr.Element
	for i := 0; i <= personhood.MaxEnrolBatch; i++ {
		cs = append(cs, fr.NewElement(uint64(i+1)))
	}
	bs := enrolment.Batches("chain-x", dev, op, cs)
	if len(bs) != 2 || len(bs[0].Commitments) != personhood.MaxEnrolBatch || len(bs[1].Commitments) != 1 {
		t.Fatalf("%d batches", len(bs))
	}
	if got := bs[1].Commitments[0]; got != fmt.Sprint(personhood.MaxEnrolBatch+1) {
		t.Errorf("last commitment %s", got)
	}
	for _, b := range bs {
		if b.Operator != op || len(b.Signatures) != len(b.Commitments) {
			t.Fatalf("batch operator %s, %d signatures for %d commitments", b.Operator, len(b.Signatures), len(b.Commitments))
		}
		for i, s := range b.Signatures {
			c, _ := personhood.ParseField(b.Commitments[i])
			sig, _ := hex.DecodeString(s)
			if !ed25519.Verify(pub, personhood.EnrolSignBytes("chain-x", c), sig) {
				t.Fatalf("signature %d does not verify", i)
			}
		}
	}
	m := enrolment.Msg("chain-x", dev, op, cs[0])
	if m.Operator != op || m.Commitment != "1" || m.Signature != bs[0].Signatures[0] {
		t.Errorf("enrol message %+v", m)
	}
}
