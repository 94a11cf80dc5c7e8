// Package store is the application state of an Emergence node as modules
// and the application see it, in memory: the [Reader] and [KV] interfaces,
// the [Cache]s that stage writes, and the write-set hash. It imports no
// database; the committed state on Pebble is package store/pebblestore.
//
// State is a flat, ordered key-value space. Modules read and write it through
// the [KV] interface; the application layers [Cache]s on top of committed
// state so that a block's writes are staged in memory during FinalizeBlock
// and a failed transaction's writes can be discarded. At Commit, the block's
// write set, the new height and the new app hash go to the database in one
// synced batch, so a node killed at any instant restarts at a committed
// height with nothing half-applied.
//
// # App hash
//
// The app hash is a hash chain over each block's write set (see [WriteSetHash]):
//
//	h_H = SHA-256(version ‖ h_{H-1} ‖ H ‖ sorted, length-prefixed writes of block H)
//
// It commits to the history of state changes rather than to the state itself;
// the version byte lets a later format (periodic full-state digests, a Merkle
// tree) replace it.
//
// # Errors
//
// Reads from disk can fail only on disk faults. Instead of making every
// module handle such errors on every read, a Cache records the first read
// error it meets ([Cache.Err]); the application checks it after each
// transaction and halts the node rather than commit state built on a failed read.
package store
