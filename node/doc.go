// Package node runs an Emergence node: CometBFT v1 in-process with a local
// ABCI client, the app on its own Pebble store, the blob store and the HTTP
// API. It also lays out node homes for a single node, a devnet and an
// N-validator loopback testnet.
//
// # Home layout
//
//	config/emergence.json   node settings (chain id, API/P2P/RPC addresses, block time)
//	config/genesis.json     CometBFT genesis with the app's genesis in app_state
//	config/node_key.json, config/priv_validator_key.json
//	data/                   CometBFT's stores (blocks, consensus state, WAL)
//	data/app/               the app's Pebble state
//	blobs/                  content-addressed files
//	logs/cometbft.log       consensus log
package node
