// Package enrolment is the enrolment operator's side of personhood, off
// chain: reading the identity commitments of checked people and signing
// them with the operator's device key into enrol and enrol-batch
// messages. The chain checks the signatures with package personhood.
package enrolment

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"emergence/personhood"
	"emergence/tx"
)

// ErrNoCommitments is returned by ReadCommitments for a file that holds none.
var ErrNoCommitments = errors.New("no commitments")

// ReadCommitments reads a commitments file: one decimal commitment per
// line, blank lines and lines starting with # skipped. A bad line's error
// names its number.
func ReadCommitments(data []byte) ([]fr.Element, error) {
	var out []fr.Element
	for i, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		c, err := personhood.ParseField(string(line))
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, ErrNoCommitments
	}
	return out, nil
}

// Sign returns the device key's hex signature of commitment c on chain
// chainID, as enrolment messages carry it.
func Sign(chainID string, device ed25519.PrivateKey, c fr.Element) string {
	return hex.EncodeToString(ed25519.Sign(device, personhood.EnrolSignBytes(chainID, c)))
}

// Msg returns the enrol message of commitment c by operator op.
func Msg(chainID string, device ed25519.PrivateKey, op tx.Address, c fr.Element) personhood.EnrolMsg {
	return personhood.EnrolMsg{Operator: op, Commitment: personhood.FieldString(c), Signature: Sign(chainID, device, c)}
}

// Batches returns the enrol-batch messages of commitments cs by operator
// op, in order, each of at most personhood.MaxEnrolBatch.
func Batches(chainID string, device ed25519.PrivateKey, op tx.Address, cs []fr.Element) []personhood.EnrolBatchMsg {
	var out []personhood.EnrolBatchMsg
	for len(cs) > 0 {
		n := min(len(cs), personhood.MaxEnrolBatch)
		b := personhood.EnrolBatchMsg{Operator: op}
		for _, c := range cs[:n] {
			b.Commitments = append(b.Commitments, personhood.FieldString(c))
			b.Signatures = append(b.Signatures, Sign(chainID, device, c))
		}
		out = append(out, b)
		cs = cs[n:]
	}
	return out
}
