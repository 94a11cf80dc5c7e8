// Command sockimport imports WASI's sock_accept, which the sandbox refuses.
package main

//go:wasmimport wasi_snapshot_preview1 sock_accept
func sockAccept(fd int32, flags int32, out *int32) int32

func main() {
	var fd int32
	sockAccept(3, 0, &fd)
}
