// Package tx defines the transaction envelope of Emergence: addresses,
// the signed body (chain id, signer, nonce, fee, gas limit, messages),
// signing and strict decoding.
//
// A transaction carries the exact bytes that were signed (body bytes, an
// ed25519 public key and a signature over those bytes), so verification
// needs no canonical re-encoding.
package tx
