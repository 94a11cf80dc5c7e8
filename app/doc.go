// Package app is what Emergence modules are written against: the [Module]
// interface with its message handlers ([MsgHandler]), the [Context] a
// handler sees, gas ([GasMeter]), result codes ([Code], [Error]) and the
// app's own codespace, events, the consensus parameters and genesis layout,
// transaction and block results, account nonces, and strict decoding of
// messages and genesis sections.
//
// The ABCI application that runs the modules (transaction decoding and
// verification, the mempool, FinalizeBlock and Commit) is package abciapp,
// the CometBFT adapter of the chain. Package app imports neither CometBFT nor
// Pebble, so workers that import a module for its message and query types
// link neither.
//
// # Modules
//
// A module (bank, label, zkml, personhood, subnet, ...) plugs in through the
// small [Module] interface: its message kinds with their gas cost and
// handler, its genesis, its end-of-block work, its queries and its
// invariants. Each module has its own append-only table of result codes
// ([Code]) under its own codespace. The app imports no module; package
// chain composes them.
//
// # Determinism
//
// Handlers see state only through [Context]: a store.KV, the block height,
// the block time and the block hash as entropy. They must not read the wall
// clock, iterate maps, use floats, start goroutines or do I/O; package
// determinism checks this package and every module against those rules.
package app
