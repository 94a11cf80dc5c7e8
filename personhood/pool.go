package personhood

// NextEpochHeight is the height at which the epoch after the pool's
// current one opens.
func (p PoolInfo) NextEpochHeight() int64 {
	return int64(p.CurrentEpoch+1) * int64(p.EpochBlocks)
}
