//go:build unix

package api

import "syscall"

// fileLimit returns the process's soft limit on open file descriptors.
func fileLimit() uint64 {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 1024
	}
	return uint64(r.Cur)
}
