package personhood

import (
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"emergence/personhood/claim"
	"emergence/personhood/identity"
	"emergence/personhood/tree"
)

// Witness builds the prover's witness from an identity and the answer to
// the "path" query, for external nullifier ext and signal (recipient).
// It checks the path against the root so a stale or wrong answer fails here
// rather than in the prover.
func Witness(id *identity.Identity, path PathInfo, ext, signal fr.Element) (claim.Witness, error) {
	root, err := ParseField(path.Root)
	if err != nil {
		return claim.Witness{}, fmt.Errorf("path root: %w", err)
	}
	p := tree.Proof{Index: path.Index}
	for i, s := range path.Siblings {
		e, err := ParseField(s)
		if err != nil {
			return claim.Witness{}, fmt.Errorf("path sibling %d: %w", i, err)
		}
		p.Siblings = append(p.Siblings, e)
	}
	if !tree.Verify(id.Commitment(), p, root) {
		return claim.Witness{}, fmt.Errorf("the path does not lead from this identity's commitment to root %s", path.Root)
	}
	return claim.Witness{
		IdentityNullifier: id.Nullifier,
		IdentityTrapdoor:  id.Trapdoor,
		Path:              p,
		Public:            claim.PublicInputs{Root: root, NullifierHash: id.NullifierHash(ext), Signal: signal, ExternalNullifier: ext},
	}, nil
}
