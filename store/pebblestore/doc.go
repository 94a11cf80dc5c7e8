// Package pebblestore is the Pebble adapter of package store: a [Store]
// holds a node's committed state, reads it for the block's caches
// ([Store.Committed], [Store.Snapshot]) and writes each block's write set,
// its index records, the height and the app hash in one synced batch
// ([Store.Commit]). Modules never import it; only the ABCI application, the
// node and the test harnesses open a Store.
package pebblestore
