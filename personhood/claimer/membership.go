package claimer

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"emergence/client"
	"emergence/personhood"
	"emergence/personhood/claim"
	"emergence/personhood/identity"
)

// ErrNotEnrolled is returned by ProveMembership, wrapping the node's
// answer, when the node has no tree path for the identity's commitment.
var ErrNotEnrolled = errors.New("the identity's commitment is not enrolled")

// Membership is a membership proof with the tree path it proves from.
type Membership struct {
	Path   personhood.PathInfo
	Proof  []byte
	Public claim.PublicInputs
}

// ProveMembership asks node c for the chain's parameters and the tree path
// of id's commitment, and proves membership for external nullifier ext and
// signal. provingKey is the bytes of a claim.pk, or nil for the embedded
// devnet key (see ProvingKey for its errors). step, when not nil, is told
// when the proof starts and how long it took.
func ProveMembership(ctx context.Context, c *client.Client, id *identity.Identity, ext, signal fr.Element, provingKey []byte, step func(format string, args ...any)) (*Membership, error) {
	if step == nil {
		step = func(string, ...any) {}
	}
	var params personhood.Params
	if err := c.Query(ctx, personhood.Name, "params", nil, &params); err != nil {
		return nil, fmt.Errorf("query personhood params: %w", err)
	}
	m := new(Membership)
	q := url.Values{"commitment": {identity.CommitmentString(id.Commitment())}}
	if err := c.Query(ctx, personhood.Name, "path", q, &m.Path); err != nil {
		if errors.Is(err, client.ErrNotFound) {
			return nil, fmt.Errorf("%w: %w", ErrNotEnrolled, err)
		}
		return nil, fmt.Errorf("query tree path: %w", err)
	}
	pk, err := ProvingKey(params, provingKey)
	if err != nil {
		return nil, err
	}
	step("proving membership (depth %d)...", params.TreeDepth)
	start := time.Now()
	if m.Proof, m.Public, err = Prove(params, pk, id, m.Path, ext, signal); err != nil {
		return nil, err
	}
	step("proved in %d ms", time.Since(start).Milliseconds())
	return m, nil
}
