// Command netimport imports a host function nobody granted.
package main

//go:wasmimport env socket
func socket(domain, typ int32) int32

func main() { socket(2, 1) }
