package determinism

// Package is one package whose code runs in consensus.
type Package struct {
	// Path is the import path.
	Path string
	// Why says what of it every validator runs.
	Why string
	// Links lists the standard packages of the link ban (see banned) the
	// package may still import itself, each for a reason given in Why; the
	// uses are then annotated in the code, where the analysis still sees
	// them.
	Links []string
	// NoMaps refuses map types altogether, for packages that need none.
	NoMaps bool
}

// Consensus is every package whose code runs when a validator checks,
// executes or commits a block: the app, its state and envelope, the modules
// and everything module-local they link. It is the one list the analysis
// and the link rule read; TestConsensusClosed fails if a consensus package
// links an emergence package that is not in it.
//
// Not in it, because no validator runs them: workers and sims
// (label/labeler, subnet/classify, sim/...), the float
// reference algorithms (label/aggregate), the provers and model tooling
// (zkml/circuit, zkml/model), iris matching (personhood/iris), node, api,
// client, blob, keys, bench and cmd.
var Consensus = []Package{
	{Path: "emergence/abciapp", Why: "the ABCI application: block lifecycle, module router, genesis, app hash; CheckTx verifies signatures in a batcher",
		Links: nil},
	{Path: "emergence/app", Why: "the module interface, handler context, gas meter, result codes, params and nonces every module uses"},
	{Path: "emergence/chain", Why: "the one ordered composition of the modules: module order is consensus"},
	{Path: "emergence/store", Why: "the state interfaces modules use, staged writes, the write-set hash"},
	{Path: "emergence/store/pebblestore", Why: "committed state on Pebble: the block's reads and its one synced commit batch"},
	{Path: "emergence/tx", Why: "envelope decoding, addresses, signature verification (batch verification draws its coefficients from crypto/rand)",
		Links: []string{"crypto/rand"}},
	{Path: "emergence/fixed", Why: "fixed-point arithmetic of every module"},
	{Path: "emergence/bank", Why: "balances, fees, emission"},
	{Path: "emergence/label", Why: "labeling market messages and settlement", NoMaps: true},
	{Path: "emergence/label/aggregate/fixedds", Why: "the fixed-point Dawid-Skene aggregation label settles with", NoMaps: true},
	{Path: "emergence/subnet", Why: "subnet messages and epochs"},
	{Path: "emergence/subnet/yuma", Why: "Yuma Consensus in fixed point, run at every epoch"},
	{Path: "emergence/zkml", Why: "model attestation messages"},
	{Path: "emergence/zkml/verifier", Why: "Groth16 verification of submitted proofs"},
	{Path: "emergence/zkml/statement", Why: "the exam statement the zkml module recomputes from a registration, and the hex field elements of its records (through zkml/verifier)", NoMaps: true},
	{Path: "emergence/personhood", Why: "identity registration, claims, UBI"},
	{Path: "emergence/personhood/claim", Why: "claim proof decoding and verification"},
	{Path: "emergence/personhood/devkeys", Why: "the embedded development verifying key the module loads"},
	{Path: "emergence/personhood/identity", Why: "identity commitments the handlers recompute (key generation, which draws crypto/rand, is offline)",
		Links: []string{"crypto/rand"}},
	{Path: "emergence/personhood/sealbox", Why: "linked through identity; sealing (crypto/rand nonces) is offline",
		Links: []string{"crypto/rand"}},
	{Path: "emergence/personhood/tree", Why: "the identity Merkle tree"},
	{Path: "emergence/personhood/poseidon", Why: "the tree's hash"},
	{Path: "emergence/device", Why: "device makers, provisioning, pairing, transfer and retirement", NoMaps: true},
	{Path: "emergence/device/event", Why: "fraud proofs parse the challenged event and check its signature", NoMaps: true},
	{Path: "emergence/device/merkle", Why: "fraud proofs verify inclusion under the posted root", NoMaps: true},
	{Path: "emergence/device/devkey", Why: "device signature verification (secp256k1, ed25519) pairing checks", NoMaps: true},
	{Path: "emergence/compute", Why: "compute market: providers, benchmarks, jobs, bids, commit/reveal, referees, deadlines", NoMaps: true},
	{Path: "emergence/compute/kernel", Why: "the benchmark kernel the chain re-runs to check a provider's answer", NoMaps: true},
	{Path: "emergence/data", Why: "crawl receipts, commitments, URL assignment and scope the data module checks", NoMaps: true},
}

// banned are the standard packages a consensus package may not import
// (unless its entry in Consensus lists it in Links) and may link only
// through a vetted third-party package (see vetted).
var banned = map[string]string{
	"crypto/rand":  "randomness",
	"math/rand":    "randomness",
	"math/rand/v2": "randomness",
	"net":          "network I/O",
	"net/http":     "network I/O",
	"os":           "file I/O and environment",
	"os/exec":      "processes",
	"os/signal":    "signals",
	"io/ioutil":    "file I/O",
	"syscall":      "system calls",
	"plugin":       "code loading",
}

// vetted are the third-party packages consensus packages import that link
// banned standard packages, with what for. Their code is not analysed; what
// the consensus packages call of them is (see randFuncs).
var vetted = map[string]string{
	"github.com/cockroachdb/pebble":              "pebblestore's database; links net/http and os/exec for sentry error reporting and os for files, which pebblestore opens at startup, not per block",
	"github.com/cometbft/cometbft/abci/types":    "ABCI request and response types; links grpc (net/http) for the remote ABCI server, which abciapp does not start",
	"github.com/consensys/gnark-crypto/":         "field and curve arithmetic; links crypto/rand for SetRandom, which consensus code may not call",
	"github.com/consensys/gnark/":                "Groth16 verification and the claim circuit; links crypto/rand and os for proving and logging",
	"github.com/oasisprotocol/curve25519-voi/":   "ed25519 verification under ZIP-215; links crypto/rand for key generation and batch coefficients",
	"github.com/btcsuite/btcd/btcutil/bech32":    "address encoding; links os through its dependencies only",
	"github.com/google/btree":                    "the store cache's ordered index of staged keys; links os and syscall through fmt, for its debug printing only",
	"github.com/decred/dcrd/dcrec/secp256k1/v4":  "secp256k1 curve and keys behind device signature verification; links crypto/rand and os for key generation, which consensus code does not call",
	"github.com/decred/dcrd/dcrec/secp256k1/v4/": "secp256k1 ECDSA verification of device signatures; links crypto/rand and os for key generation, which consensus code does not call",
	"golang.org/x/crypto/":                       "sha3 and sealbox's ciphers; link os for CPU feature detection",
}

// cometAllowed are the only CometBFT packages consensus code may link:
// the ABCI types and what they need, never rpc, p2p, node, consensus or the
// mempool.
var cometAllowed = []string{
	"github.com/cometbft/cometbft/abci/types",
	"github.com/cometbft/cometbft/api/cometbft/",
	"github.com/cometbft/cometbft/crypto",
	"github.com/cometbft/cometbft/crypto/tmhash",
	"github.com/cometbft/cometbft/libs/bytes",
	"github.com/cometbft/cometbft/libs/protoio",
}
