package chain_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
)

// statOnce guards statSources.
var statOnce sync.Once

// heavy are the modules only a node may link: consensus and its state.
var heavy = []string{"github.com/cometbft/cometbft", "github.com/cockroachdb/pebble"}

// light are the packages that run off-chain, next to a node rather than in
// it: the API's wire types and the client every worker talks through, key
// handling, remote blobs, the prover- and holder-side packages of zkml and
// personhood, and the label and subnet workers. Workers import the modules
// for their message and query types, so app and store, which every module
// imports, are here too. None may link CometBFT or Pebble.
var light = map[string]string{
	"emergence/api":                 "wire types shared by the client and the server",
	"emergence/client":              "every worker and the CLI talk to a node through it",
	"emergence/keys":                "keyring of the CLI and the workers",
	"emergence/tx":                  "workers build and sign transactions",
	"emergence/blob/remote":         "workers fetch and upload blobs over HTTP",
	"emergence/blob/s3":             "the S3 blob store, which tools next to a node may open on the same bucket",
	"emergence/zkml/model":          "trainers and provers quantize models",
	"emergence/zkml/circuit":        "the prover",
	"emergence/zkml/verifier":       "offline proof checks",
	"emergence/personhood/claim":    "the holder proves personhood",
	"emergence/personhood/identity": "the holder's identity",
	"emergence/personhood/iris":     "the operator's enrolment device",
	"emergence/personhood/sealbox":  "sealed identity backups",
	"emergence/personhood/poseidon": "hashing on the holder's side",
	"emergence/label/aggregate":     "offline label aggregation",
	"emergence/web":                 "the labeler worker serves the labeling page from it",
	"emergence/subnet/yuma":         "offline Yuma consensus",
	"emergence/device/devkey":       "devices sign and the ingest worker verifies readings",
	"emergence/device/event":        "devices build signed CloudEvents, ingest parses them",
	"emergence/device/ingest":       "the ingest worker's rules, Merkle root and evidence",
	"emergence/device/merkle":       "ingest computes epoch roots and proofs",
	"emergence/device":              "the ingest worker and device sim use its records and pairing message",
	"emergence/device/keyfile":      "device key files for the CLI and the device simulator",
	"emergence/device/ingestd":      "the ingest worker (emergence ingest)",
	"emergence/device/fleet":        "the vehicles emergence device sim plays against ingest endpoints",
	"emergence/fixed":               "fixed-point arithmetic shared with workers",
	"emergence/label/labeler":       "the labeler worker and job creation",
	"emergence/subnet/classify":     "the classify subnet's miner and validator",
	"emergence/sim/subnetsim":       "the subnet sim's agents (subnetsim/subnetnet boots their network)",
	"emergence/app":                 "the module interface every module, and so every worker, imports (the ABCI application is abciapp)",
	"emergence/store":               "state interfaces and caches every module imports (Pebble is store/pebblestore)",
	"emergence/compute":             "the provider worker and job CLIs use its messages, records and commit/output hashes",
	"emergence/compute/kernel":      "the provider runs the benchmark kernel natively and as WebAssembly",
	"emergence/compute/sandbox":     "the provider runs jobs in wazero",
	"emergence/compute/provider":    "the provider worker",
	"emergence/compute/requester":   "job submit and train upload, submit and follow jobs through the client",
	"emergence/compute/trainer":     "the built-in training job, native and as WebAssembly",
	"emergence/compute/wasmopt":     "trainer.Build rewrites the trainer module with it",
	"emergence/data":                "the crawler worker builds receipts, commitments and messages and reads assignments",
	"emergence/data/crawl":          "the crawler worker fetches pages and writes WARC records",
	"emergence/data/shard":          "data build writes Parquet shards, manifests and inclusion proofs offline",
	"emergence/data/crawler":        "the crawler worker: assignments, fetches, WARC records, commit and reveal",
	"emergence/data/builder":        "data build reads accepted pages and WARC records through the client",
	"emergence/demo":                "emergence demo drives the workflow through the client and worker processes",
	"emergence/data/clean":          "the crawler hashes clean.PageText; data clean and build run the pipeline offline",
}

// composers may import package chain; nothing else does, so module order
// is decided in one place.
var composers = []string{"emergence/cmd/", "emergence/node/nodetest", "emergence/app/apptest", "emergence/sim/", "emergence/bench/"}

// statSources stats every Go source and module file of the repository, so
// that go test's cache, which cannot see what go list read, reruns these
// tests whenever a package or the module changes.
func statSources(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		name := e.Name()
		switch {
		case e.IsDir() && (strings.HasPrefix(name, ".") || name == "testdata"):
		case e.IsDir():
			statSources(t, filepath.Join(dir, name))
		case strings.HasSuffix(name, ".go") || name == "go.mod" || name == "go.sum":
			if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// goList runs go list with a format over packages.

func goList(t *testing.T, format string, patterns ...string) string {
	t.Helper()
	statOnce.Do(func() { statSources(t, "..") })
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := exec.LookPath(gobin); err != nil {
		gobin = "go"
	}
	out, err := exec.Command(gobin, append([]string{"list", "-f", format}, patterns...)...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	return string(out)
}

// deps returns each matching package's transitive dependencies (tests
// excluded), as go list reports them.
func deps(t *testing.T, patterns ...string) map[string][]string {
	t.Helper()
	m := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(goList(t, "{{.ImportPath}} {{join .Deps \" \"}}", patterns...)), "\n") {
		f := strings.Fields(line)
		m[f[0]] = f[1:]
	}
	return m
}

// TestOffChainPackagesStayLight fails when a client-side package links
// CometBFT or Pebble, and says through which package it came in.
func TestOffChainPackagesStayLight(t *testing.T) {
	var pkgs []string
	for p := range light {
		pkgs = append(pkgs, p)
	}
	all := deps(t, pkgs...)
	for _, p := range pkgs {
		d, ok := all[p]
		if !ok {
			t.Errorf("%s: not found by go list", p)
			continue
		}
		var bad []string
		for _, dep := range d {
			for _, h := range heavy {
				if dep == h || strings.HasPrefix(dep, h+"/") {
					bad = append(bad, dep)
				}
			}
		}
		if len(bad) > 0 {
			t.Errorf("%s (%s) links %d packages of CometBFT or Pebble, e.g. %s, %s", p, light[p], len(bad), bad[0], via(t, p, bad[0]))
		}
	}
}

// via names the direct emergence imports of p that bring in dep.
func via(t *testing.T, p, dep string) string {
	t.Helper()
	var imps []string
	for _, i := range strings.Fields(goList(t, "{{join .Imports \" \"}}", p)) {
		if strings.HasPrefix(i, "emergence/") {
			imps = append(imps, i)
		}
	}
	if len(imps) == 0 {
		return "imported directly"
	}
	var from []string
	for i, d := range deps(t, imps...) {
		for _, x := range append(d, i) {
			if x == dep {
				from = append(from, i)
				break
			}
		}
	}
	if len(from) == 0 {
		return "imported directly"
	}
	sort.Strings(from)
	return "through " + strings.Join(from, ", ")
}

// TestOnlyComposersImportChain keeps package chain the one composition
// root: modules, workers, node and the API never import it.
func TestOnlyComposersImportChain(t *testing.T) {
	for p, d := range deps(t, "emergence/...") {
		allowed := p == "emergence/chain"
		for _, c := range composers {
			if p == strings.TrimSuffix(c, "/") || (strings.HasSuffix(c, "/") && strings.HasPrefix(p, c)) {
				allowed = true
			}
		}
		if allowed {
			continue
		}
		for _, x := range d {
			if x == "emergence/chain" {
				t.Errorf("%s links emergence/chain; only %v compose the chain", p, composers)
			}
		}
	}
}
