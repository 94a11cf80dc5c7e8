// Package helper draws randomness for package bad, which is not allowed to
// link it: the link rule must see crypto/rand through it.
package helper

import "crypto/rand"

// Nonce returns 16 random bytes.
func Nonce() ([]byte, error) {
	b := make([]byte, 16)
	_, err := rand.Read(b)
	return b, err
}
