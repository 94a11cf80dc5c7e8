//go:build !amd64 || purego

package iris

// prefixCountsVector is nil off amd64 (or with the purego tag): passPrefix
// uses the scalar kernel.
var prefixCountsVector func(*[Rotations]prefixBlock, *prefixBlock, *[Rotations][2]uint32)

// restCountsVector is nil off amd64 (or with the purego tag).
var restCountsVector func(*[Rotations]restBlock, *restBlock, *[Rotations][2]uint32)
