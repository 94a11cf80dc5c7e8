package determinism

import (
	"fmt"
	"sort"
	"strings"

	"golang.org/x/tools/go/packages"
)

// Links applies the link rule to the consensus packages: it loads their
// import graph (go list -deps, from dir) and reports
//   - an emergence package linked by a consensus package but not itself in
//     consensus (so not analysed: a worker, the node, a float reference),
//   - a CometBFT package beyond the ABCI types (rpc, p2p, node, …),
//   - a banned standard package (randomness, network, files, processes)
//     imported by a consensus package whose entry does not list it, or
//     linked through a third-party package that is not vetted.
func Links(dir string, consensus []Package) ([]Finding, error) {
	cfg := &packages.Config{Mode: packages.NeedName | packages.NeedImports | packages.NeedDeps, Dir: dir}
	paths := make([]string, len(consensus))
	entry := map[string]Package{}
	for i, c := range consensus {
		paths[i] = c.Path
		entry[c.Path] = c
	}
	roots, err := packages.Load(cfg, paths...)
	if err != nil {
		return nil, fmt.Errorf("load %v: %w", paths, err)
	}
	var out []Finding
	add := func(format string, args ...any) {
		out = append(out, Finding{Rule: "link", Msg: fmt.Sprintf(format, args...)})
	}
	// via[p] is one import chain from a root to p, for the messages.
	via := map[string]string{}
	bannedIn := map[string][]string{} // third-party package -> banned packages it links
	var closure func(p *packages.Package) []string
	closure = func(p *packages.Package) []string {
		if b, ok := bannedIn[p.PkgPath]; ok {
			return b
		}
		bannedIn[p.PkgPath] = nil // cycle guard; import graphs have none
		set := map[string]bool{}
		for path, imp := range p.Imports {
			if banned[path] != "" {
				set[path] = true
			}
			for _, b := range closure(imp) {
				set[b] = true
			}
		}
		b := sortedKeys(set)
		bannedIn[p.PkgPath] = b
		return b
	}
	// Breadth first, so each chain in via is a shortest one.
	parent := map[string]string{} // the importer on the chain in via
	byPath := map[string]*packages.Package{}
	var queue []*packages.Package
	for _, r := range roots {
		if len(r.Errors) > 0 {
			return nil, fmt.Errorf("load %s: %v", r.PkgPath, r.Errors[0])
		}
		if _, ok := via[r.PkgPath]; !ok {
			via[r.PkgPath], byPath[r.PkgPath] = r.PkgPath, r
			queue = append(queue, r)
		}
	}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, path := range sortedKeys(p.Imports) {
			if _, ok := via[path]; ok {
				continue
			}
			imp := p.Imports[path]
			via[path], parent[path], byPath[path] = via[p.PkgPath]+" -> "+path, p.PkgPath, imp
			queue = append(queue, imp)
		}
	}
	for _, path := range sortedKeys(via) {
		if !isLocal(path) {
			continue
		}
		e, ok := entry[path]
		if !ok {
			if _, fromConsensus := entry[parent[path]]; !fromConsensus {
				continue // reported at the first non-consensus package of its chain
			}
			add("%s: links %s, which is not a consensus package (list it in Consensus if validators run it, or stop linking it)", via[path], path)
			continue
		}
		p := byPath[path]
		for _, imp := range sortedKeys(p.Imports) {
			switch {
			case banned[imp] != "":
				if !contains(e.Links, imp) {
					add("%s imports %s (%s)", path, imp, banned[imp])
				}
			case strings.HasPrefix(imp, "github.com/cometbft/"):
				// checked below, with everything that reaches CometBFT
			case !isLocal(imp) && !isStd(imp):
				if b := closure(p.Imports[imp]); len(b) > 0 && vettedFor(imp) == "" {
					add("%s imports %s, which links %s; vet it (vetted in packages.go) or do not import it", path, imp, strings.Join(b, ", "))
				}
			}
		}
	}
	// CometBFT reached through any dependency, not only directly; but not
	// through a non-consensus package, which is reported already.
	for _, path := range sortedKeys(via) {
		if strings.HasPrefix(path, "github.com/cometbft/") && !cometOK(path) {
			if from := parent[path]; isLocal(from) && entry[from].Path == "" || strings.HasPrefix(from, "github.com/cometbft/") && !cometOK(from) {
				continue // reported where its chain first leaves the ABCI types
			}
			add("%s: links %s; consensus code links only the ABCI types of CometBFT", via[path], path)
		}
	}
	return out, nil
}

func isLocal(path string) bool { return path == "emergence" || strings.HasPrefix(path, "emergence/") }

// isStd reports whether path is a standard package (no dot in its first
// element).
func isStd(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

// vettedFor returns the reason path may link banned packages, or "". An
// entry ending in "/" vets every package under it.
func vettedFor(path string) string {
	for p, why := range vetted {
		if path == p || strings.HasSuffix(p, "/") && strings.HasPrefix(path, p) {
			return why
		}
	}
	return ""
}

func cometOK(path string) bool {
	for _, p := range cometAllowed {
		if path == p || strings.HasSuffix(p, "/") && strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
