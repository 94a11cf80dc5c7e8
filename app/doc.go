// Package app is the Emergence ABCI 2.0 application: it decodes and verifies
// transactions, routes their messages to modules, stages writes during
// FinalizeBlock and persists state, height and app hash in one synced batch
// at Commit.
//
// # Modules
//
// A module (bank, label, zkml, personhood, subnet, ...) plugs in through the
// small [Module] interface: its message kinds with their gas cost and
// handler, its genesis, its end-of-block work, its queries and its
// invariants. Each module has its own append-only table of result codes
// ([Code]) under its own codespace. The app imports no module; cmd/emergence
// wires them together.
//
// # Determinism
//
// Handlers see state only through [Context]: a store.KV, the block height,
// the block time and the block hash as entropy. They must not read the wall
// clock, iterate maps, use floats, start goroutines or do I/O; package
// determinism checks this package and every module against those rules.
package app
