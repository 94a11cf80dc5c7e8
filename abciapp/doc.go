// Package abciapp is the CometBFT ABCI 2.0 adapter of the Emergence chain:
// its [App] decodes and verifies transactions (signatures in a batcher for
// concurrent CheckTx calls), keeps the mempool's view of state, routes
// messages to the modules of package app, stages writes during
// FinalizeBlock and persists state, height and app hash in one synced batch
// at Commit.
//
// Modules never import it: they are written against package app, which
// links neither CometBFT nor Pebble. The node, the test harness
// (app/apptest), the sims and the benchmarks build an [App] with the modules
// package chain composes.
package abciapp
