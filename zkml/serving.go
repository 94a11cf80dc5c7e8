package zkml

import (
	"emergence/store"
	"emergence/zkml/verifier"
)

// Serving is what zkml reads of the subnet module for a model's
// provenance: the subnets and uids that declared they serve the model,
// with what each earned since (a bounded JSON value), ok false when none
// does.
type Serving interface {
	Serving(r store.Reader, commitment string) (any, bool)
}

// Attested reports whether the model commitment has at least one accuracy
// attestation on chain, and returns it in the form the chain keys models
// by (0x and 64 hex digits). The error is for a commitment that is not a
// field element. The subnet module asks it before a miner may declare the
// model it serves; it reads one index key.
func (m *Module) Attested(r store.Reader, commitment string) (string, bool, error) {
	c, err := verifier.ParseElement(commitment)
	if err != nil {
		return "", false, err
	}
	h := verifier.HexElement(c)
	p := append(key("by-model", []byte(h), []byte("a")), '/')
	found := false
	r.Iterate(p, store.PrefixEnd(p), func(_, _ []byte) bool {
		found = true
		return false
	})
	return h, found, nil
}
