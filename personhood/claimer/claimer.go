// Package claimer builds claim proofs off chain, for the holder of an
// identity: it picks the proving key that fits the chain's parameters and
// proves membership from the identity and the node's answer to the
// personhood "path" query. The chain checks the proofs with package claim;
// no validator runs this package.
package claimer

import (
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"emergence/personhood"
	"emergence/personhood/claim"
	"emergence/personhood/devkeys"
	"emergence/personhood/identity"
)

// ErrNotDevnetKeys is returned by ProvingKey when no key file is given and
// the chain's verifying key is not the embedded devnet one.
var ErrNotDevnetKeys = errors.New("the chain does not use the embedded devnet claim keys")

// ErrKeyMismatch is returned by Prove when the proving key does not fit
// the chain's tree depth.
var ErrKeyMismatch = errors.New("the proving key does not fit the chain's tree depth")

// ProvingKey returns the proving key to prove claims on a chain with
// params: file (the bytes of a claim.pk) when not nil, else the embedded
// devnet key, which only fits a chain that uses the devnet verifying key.
func ProvingKey(params personhood.Params, file []byte) ([]byte, error) {
	if file != nil {
		return file, nil
	}
	if params.TreeDepth != devkeys.Depth || params.VerifyingKey != hex.EncodeToString(devkeys.VerifyingKey) {
		return nil, ErrNotDevnetKeys
	}
	return devkeys.ProvingKey, nil
}

// Prove proves that id's commitment is a leaf under path.Root, for
// external nullifier ext (an epoch's or an app's) and signal (the
// recipient or account it binds), and returns the encoded proof and its
// public inputs. A path that does not lead from id's commitment to its
// root fails before proving.
func Prove(params personhood.Params, provingKey []byte, id *identity.Identity, path personhood.PathInfo, ext, signal fr.Element) ([]byte, claim.PublicInputs, error) {
	w, err := personhood.Witness(id, path, ext, signal)
	if err != nil {
		return nil, claim.PublicInputs{}, fmt.Errorf("witness: %w", err)
	}
	p, err := claim.NewProver(params.TreeDepth, provingKey)
	if err != nil {
		return nil, claim.PublicInputs{}, fmt.Errorf("%w: %w", ErrKeyMismatch, err)
	}
	proof, err := p.Prove(&w)
	if err != nil {
		return nil, claim.PublicInputs{}, fmt.Errorf("prove: %w", err)
	}
	return proof, w.Public, nil
}
