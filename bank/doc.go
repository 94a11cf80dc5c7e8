// Package bank is the token module of Emergence: balances, transfers,
// multi-transfers, supply, module accounts (escrows and pools) and the
// emission schedule.
//
// # Module accounts
//
// Other modules lock and release funds through module accounts: named
// accounts such as "escrow/label" or "pool/ubi" whose address is derived
// from the name (tx.ModuleAddress) and for which no private key exists. They
// are ordinary balances, so token conservation reads simply:
//
//	supply = Σ balances (user accounts + escrows + pools)
//
// and is checked by Invariants.
//
// # Emission
//
// Each block mints PerBlock >> ⌊(height-1) / HalvingInterval⌋ base units and
// splits them, in percent set in genesis, between the validators that signed
// the previous block (by voting power, paid to their reward addresses), the
// subnet pool, the UBI pool and the treasury. Rounding dust and the share of
// validators without a reward address go to the treasury. Collected fees are
// paid out to validators the same way at the end of each block.
package bank
