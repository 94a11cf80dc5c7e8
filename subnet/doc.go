// Package subnet is the on-chain subnet module of Emergence: competitions
// around one AI task in which miners serve models, validators score them,
// and every tempo Yuma Consensus (package subnet/yuma) turns stakes and
// weights into emissions.
//
// # Lifecycle
//
//   - subnet/create locks CreateCost from the creator, who becomes the owner;
//     hyperparameters default to yuma.md §3.1 (tempo 360, κ ≈ 0.5, 256 uids,
//     64 validators, immunity 5000 blocks, moving average 0.9, Yuma 3 on,
//     liquid alpha off, commit–reveal on).
//   - subnet/register burns the current registration price and gives the
//     signer (its hotkey) a uid. The price decays with a half-life of
//     BurnHalfLife blocks and rises by BurnIncreasePct after each
//     registration. When the subnet is full, the non-immune uid with the
//     lowest emission is replaced (ties: earliest registration, then lowest
//     uid) and the stake on it is returned; if every uid is immune the
//     registration fails. The candidate is read from an index kept in that
//     order (each immune uid passed costs GasPerPruneSkip), not by scanning
//     every neuron.
//   - subnet/stake and subnet/unstake move tokens between an account and a
//     hotkey's stake (held in the "escrow/subnet" account).
//   - Weights are set through commit–reveal: subnet/commit-weights stores
//     a domain-separated, length-prefixed SHA-256 of the weights (see
//     [CommitHash]), at most one per epoch and MaxPendingCommits waiting;
//     subnet/reveal-weights opens exactly the commit made
//     RevealPeriodEpochs epochs earlier (default 2); unrevealed commits
//     expire. The reveal delay is what makes copying revealed weights pay
//     less: copies are always RevealPeriodEpochs staler than the originals,
//     and each epoch a validator whose weights follow the consensus of
//     their commit epoch rather than the current one forfeits its
//     dividends (the copy check, copy.go). Subnets created with
//     commit–reveal off take subnet/set-weights directly.
//
// # Emission
//
// The bank fills pool "pool/subnets" every block. At the end of each block
// this module moves the pool into the subnets in proportion to their total
// stake (subnets without stake get nothing; rounding dust stays in the pool)
// and accrues it as the subnet's pending emission. When a subnet's tempo has
// elapsed its epoch is due. Due epochs run oldest due height first (ties:
// lowest netuid) while the block's epoch work budget (Params.
// EpochWorkPerBlock, in [EpochWork] units ≈ uids × validators) lasts; the
// rest wait a block in the same order, so no subnet can starve another,
// and hyperparameters whose epoch would not fit in one block are refused.
// Each epoch pays its fee ([Params.EpochFee], sized by its work) to the fee
// pool, from the pending emission first and then from the owner's lock; a
// subnet that can pay neither skips the epoch. Then the owner receives
// OwnerCut/65535 of the pending emission, the rest E goes through Yuma
// Consensus; each uid's miner emission is paid to its hotkey, its validator
// emission to the accounts staked on it in proportion to their stake (dust
// to the hotkey), and what flooring leaves unpaid carries over to the next
// epoch.
//
// All state transitions are deterministic: integers and package fixed only,
// no map iteration, no clock, no randomness (a test checks the imports).
package subnet
