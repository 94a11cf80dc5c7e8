// Package determinism proves that the code which runs in consensus computes
// the same bytes on every validator: a type-aware analysis of every package
// in Consensus, and a rule over what those packages link.
//
// The analysis (Analyze) type-checks the packages and flags, through any
// import alias, floating-point values and float-returning calls, the wall
// clock and timers, ranging over a map (and the map iterators of package
// maps), go statements, scheduling-dependent runtime calls, randomness
// (math/rand, crypto/rand, and functions of other packages known to draw
// from it) and file, process, environment and network calls.
//
// A finding that is safe is annotated in the code with a comment
//
//	//determinism:ok reason
//
// on its line or the line above, or in the doc comment of the function
// declaration that holds it (then it covers the whole function). The reason
// is required, and an annotation that covers no finding is itself a finding,
// so annotations do not outlive the code they excuse.
//
// The link rule (Links) reads `go list -deps`: a consensus package may link
// no emergence package outside Consensus, no CometBFT package beyond the
// ABCI types, and the banned standard packages (randomness, network, files,
// processes) only through vetted third-party packages.
//
// TestConsensus in this package runs both over Consensus, in `go test ./...`;
// TestCatches proves each rule on the deliberately bad code in testdata.
package determinism

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"sort"
	"strings"

	"golang.org/x/tools/go/packages"
)

// Finding is one thing the analysis or the link rule refuses.
type Finding struct {
	Pos  token.Position // zero for link findings
	Rule string         // float, clock, maprange, maptype, goroutine, scheduling, random, io, link, annotation
	Msg  string
}

func (f Finding) String() string {
	if f.Pos.IsValid() {
		return fmt.Sprintf("%s: %s: %s", f.Pos, f.Rule, f.Msg)
	}
	return fmt.Sprintf("%s: %s", f.Rule, f.Msg)
}

// Directive is the comment that excuses a finding.
const Directive = "//determinism:ok"

// clockFuncs read the wall clock, sleep or start timers.
var clockFuncs = map[string]bool{
	"Now": true, "Since": true, "Until": true, "Sleep": true, "After": true, "AfterFunc": true,
	"Tick": true, "NewTimer": true, "NewTicker": true, "LoadLocation": true, "Local": true,
}

// randPkgs are read from only to draw randomness.
var randPkgs = map[string]bool{"math/rand": true, "math/rand/v2": true, "crypto/rand": true}

// randFuncs are functions of other packages that draw from crypto/rand
// themselves (package path + "." + name, or "." + method name for a method
// of any type).
var randFuncs = map[string]bool{
	"crypto/ed25519.GenerateKey": true,
	"crypto/ecdsa.GenerateKey":   true,
	"crypto/rsa.GenerateKey":     true,
	"github.com/oasisprotocol/curve25519-voi/primitives/ed25519.GenerateKey": true,
	"github.com/consensys/gnark/backend/groth16.Setup":                       true,
	"github.com/consensys/gnark/backend/groth16.Prove":                       true,
	"github.com/consensys/gnark/backend/groth16.DummySetup":                  true,
	".SetRandom":   true, // gnark-crypto field elements
	".GenerateKey": true, // crypto/ecdh curves
}

// ioPkgs are refused outright: any use reads or writes the world.
var ioPkgs = map[string]string{
	"os": "file, process or environment access", "os/exec": "processes", "os/signal": "signals",
	"os/user": "user database", "io/ioutil": "file I/O", "syscall": "system calls", "plugin": "code loading",
	"net": "network I/O",
}

// ioFuncs are the I/O functions of packages that are otherwise fine.
var ioFuncs = map[string]bool{
	"path/filepath.Glob": true, "path/filepath.Walk": true, "path/filepath.WalkDir": true,
	"path/filepath.Abs": true, "path/filepath.EvalSymlinks": true,
	"io/fs.ReadFile": true, "io/fs.ReadDir": true, "io/fs.WalkDir": true, "io/fs.Glob": true, "io/fs.Stat": true,
}

// mapIterFuncs iterate a map in its random order.
var mapIterFuncs = map[string]bool{
	"maps.Keys": true, "maps.Values": true, "maps.All": true,
	"reflect.Value.MapKeys": true, "reflect.Value.MapRange": true,
}

// Analyze loads the packages (import paths, from dir) with full type
// information and returns what they do that consensus code may not, minus
// what is annotated. Test files are not analysed.
func Analyze(dir string, pkgs ...Package) ([]Finding, error) {
	cfg := &packages.Config{
		Mode: packages.NeedName | packages.NeedFiles | packages.NeedSyntax |
			packages.NeedTypes | packages.NeedTypesInfo | packages.NeedImports,
		Dir: dir,
	}
	paths := make([]string, len(pkgs))
	entry := map[string]Package{}
	for i, p := range pkgs {
		paths[i] = p.Path
		entry[p.Path] = p
	}
	loaded, err := packages.Load(cfg, paths...)
	if err != nil {
		return nil, fmt.Errorf("load %v: %w", paths, err)
	}
	var out []Finding
	for _, p := range loaded {
		if len(p.Errors) > 0 {
			return nil, fmt.Errorf("load %s: %v", p.PkgPath, p.Errors[0])
		}
		if len(p.Syntax) == 0 {
			return nil, fmt.Errorf("load %s: no Go files", p.PkgPath)
		}
		out = append(out, analyze(p, entry[p.PkgPath])...)
	}
	sortFindings(out)
	return out, nil
}

func sortFindings(fs []Finding) {
	sort.Slice(fs, func(i, j int) bool {
		a, b := fs[i].Pos, fs[j].Pos
		if a.Filename != b.Filename {
			return a.Filename < b.Filename
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if fs[i].Rule != fs[j].Rule {
			return fs[i].Rule < fs[j].Rule
		}
		return fs[i].Msg < fs[j].Msg
	})
}

// annotation is one //determinism:ok comment: it covers the lines from
// first to last of its file.
type annotation struct {
	pos         token.Position
	first, last int
	used        bool
}

// pass collects one package's findings, one per line and rule.
type pass struct {
	pkg   *packages.Package
	entry Package
	fset  *token.FileSet
	seen  map[string]bool
	notes map[string][]*annotation // by file name
	out   []Finding
}

func analyze(p *packages.Package, e Package) []Finding {
	ps := &pass{pkg: p, entry: e, fset: p.Fset, seen: map[string]bool{}, notes: map[string][]*annotation{}}
	for _, f := range p.Syntax {
		ps.collectNotes(f)
	}
	for _, f := range p.Syntax {
		ps.file(f)
	}
	ps.exprs()
	ps.uses()
	for _, notes := range ps.notes {
		for _, n := range notes {
			if !n.used {
				ps.out = append(ps.out, Finding{Pos: n.pos, Rule: "annotation", Msg: "covers no finding; remove it"})
			}
		}
	}
	return ps.out
}

// collectNotes records the annotations of f: a comment on a line covers
// that line and the next; in a function's doc comment, the whole function.
func (ps *pass) collectNotes(f *ast.File) {
	inDoc := map[*ast.Comment]*ast.FuncDecl{}
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Doc != nil {
			for _, c := range fd.Doc.List {
				inDoc[c] = fd
			}
		}
	}
	for _, cg := range f.Comments {
		for _, c := range cg.List {
			if !strings.HasPrefix(c.Text, Directive) {
				continue
			}
			pos := ps.fset.Position(c.Pos())
			if strings.TrimSpace(strings.TrimPrefix(c.Text, Directive)) == "" {
				ps.out = append(ps.out, Finding{Pos: pos, Rule: "annotation", Msg: Directive + " needs a reason"})
				continue
			}
			n := &annotation{pos: pos, first: pos.Line, last: pos.Line + 1}
			if fd := inDoc[c]; fd != nil {
				n.last = ps.fset.Position(fd.End()).Line
			}
			ps.notes[pos.Filename] = append(ps.notes[pos.Filename], n)
		}
	}
}

// report records a finding at pos unless an annotation covers it.
func (ps *pass) report(pos token.Pos, rule, format string, args ...any) {
	p := ps.fset.Position(pos)
	key := fmt.Sprintf("%s:%d:%s", p.Filename, p.Line, rule)
	if ps.seen[key] {
		return
	}
	ps.seen[key] = true
	covered := false
	for _, n := range ps.notes[p.Filename] {
		if n.first <= p.Line && p.Line <= n.last {
			n.used, covered = true, true
		}
	}
	if !covered {
		ps.out = append(ps.out, Finding{Pos: p, Rule: rule, Msg: fmt.Sprintf(format, args...)})
	}
}

// file flags the statements: go, and range over a map.
func (ps *pass) file(f *ast.File) {
	info := ps.pkg.TypesInfo
	ast.Inspect(f, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.MapType:
			if ps.entry.NoMaps {
				ps.report(x.Pos(), "maptype", "map type in a package that needs none (NoMaps in Consensus)")
			}
		case *ast.GoStmt:
			ps.report(x.Pos(), "goroutine", "go statement: scheduling order differs between validators")
		case *ast.RangeStmt:
			if t := info.TypeOf(x.X); t != nil {
				if _, ok := t.Underlying().(*types.Map); ok {
					ps.report(x.Pos(), "maprange", "range over a map: iteration order is random; sort the keys, or annotate why order does not matter")
				}
			}
		}
		return true
	})
}

// exprs flags every expression of float or complex type (so float
// variables, conversions, arithmetic and float-returning calls), except
// untyped constants, which the compiler evaluates exactly.
func (ps *pass) exprs() {
	tvs := ps.pkg.TypesInfo.Types
	es := make([]ast.Expr, 0, len(tvs))
	for e := range tvs {
		es = append(es, e)
	}
	sort.Slice(es, func(i, j int) bool {
		return es[i].Pos() < es[j].Pos() || es[i].Pos() == es[j].Pos() && es[i].End() > es[j].End()
	})
	for _, e := range es {
		tv := tvs[e]
		if tv.Value != nil {
			if b, ok := tv.Type.(*types.Basic); ok && b.Info()&types.IsUntyped != 0 {
				continue
			}
		}
		if name := floatIn(tv.Type); name != "" {
			what := "value"
			switch {
			case tv.IsType():
				what = "type"
			case isCall(e):
				what = "call result"
			}
			ps.report(e.Pos(), "float", "%s of type %s: floating point differs between amd64 and arm64; use integers or package fixed", what, name)
		}
	}
}

func isCall(e ast.Expr) bool {
	_, ok := ast.Unparen(e).(*ast.CallExpr)
	return ok
}

// floatIn returns the float or complex type t is or (for a result tuple)
// holds, or "".
func floatIn(t types.Type) string {
	switch t := t.(type) {
	case *types.Tuple:
		for i := 0; i < t.Len(); i++ {
			if s := floatIn(t.At(i).Type()); s != "" {
				return s
			}
		}
		return ""
	case nil:
		return ""
	}
	if b, ok := t.Underlying().(*types.Basic); ok && b.Info()&(types.IsFloat|types.IsComplex) != 0 {
		return t.String()
	}
	return ""
}

// uses flags references, through any import name, to the clock,
// randomness, I/O and scheduling.
func (ps *pass) uses() {
	uses := ps.pkg.TypesInfo.Uses
	ids := make([]*ast.Ident, 0, len(uses))
	for id := range uses {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i].Pos() < ids[j].Pos() })
	for _, id := range ids {
		obj := uses[id]
		if obj.Pkg() == nil || obj.Pkg() == ps.pkg.Types {
			continue
		}
		path, name := obj.Pkg().Path(), obj.Name()
		qual := path + "." + name
		fn, isFunc := obj.(*types.Func)
		method := ""
		if isFunc {
			if recv := fn.Signature().Recv(); recv != nil {
				method = "." + name
				if named := recvNamed(recv.Type()); named != nil {
					qual = path + "." + named.Obj().Name() + "." + name
				}
			}
		}
		switch {
		case path == "time" && clockFuncs[name] && method == "":
			ps.report(id.Pos(), "clock", "time.%s: the wall clock differs between validators; use the block time", name)
		case randPkgs[path]:
			ps.report(id.Pos(), "random", "%s: randomness differs between validators; derive seeds from block data", qual)
		case isFunc && (randFuncs[path+"."+name] && method == "" || method != "" && randFuncs[method]):
			ps.report(id.Pos(), "random", "%s draws from crypto/rand", qual)
		case ioPkgs[path] != "":
			ps.report(id.Pos(), "io", "%s: %s in consensus code", qual, ioPkgs[path])
		case strings.HasPrefix(path, "net/") && path != "net/url" && path != "net/netip":
			ps.report(id.Pos(), "io", "%s: network I/O in consensus code", qual)
		case isFunc && ioFuncs[qual]:
			ps.report(id.Pos(), "io", "%s: file I/O in consensus code", qual)
		case isFunc && mapIterFuncs[qual]:
			ps.report(id.Pos(), "maprange", "%s iterates a map in random order", qual)
		case path == "runtime" && isFunc:
			ps.report(id.Pos(), "scheduling", "runtime.%s depends on the machine or the scheduler", name)
		}
	}
}

func recvNamed(t types.Type) *types.Named {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	n, _ := t.(*types.Named)
	return n
}
