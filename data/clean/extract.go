package clean

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	xhtml "golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"
)

// ExtractorVersion names the main-text extractor. A receipt's text hash is the SHA-256 of
// PageText, so every crawler of a job must run the same version: any change to what
// Extract returns for some page is a new version.
//
// Version 2 is the one-pass extractor below, written on golang.org/x/net/html's
// tokenizer; version 1 was go-readability v2.
const ExtractorVersion = 2

// The extractor reads the page once with the HTML tokenizer. It keeps a stack of open
// elements (closing implied end tags the way HTML does for p, li, dt, dd, tr, td and th),
// drops elements that are not content (scripts, navigation, headers, footers, forms,
// hidden elements, and elements whose class or id names boilerplate), and cuts the rest
// into text blocks at block-level tags. Blocks of 25 or more characters score the
// elements around them as Readability.js does (1 + commas + a length bonus, full to the
// parent, half to the grandparent, a third per level above); after the pass, the element
// with the best score, discounted by its link density, is the main content, with those
// of its siblings that score at least a fifth as well. Lists, tables and divisions in the
// content are kept whole. Everything is integer arithmetic over the
// tokens in document order, so the result is the same on every machine.

// Limits keep one page's work bounded whatever its markup.
const (
	maxStack = 512 // deeper elements are treated as inline in the deepest one
	minScore = 25  // characters a block needs to score its ancestors
	scoreMul = 1000
)

type exNode struct {
	parent   int32
	tag      atom.Atom
	weight   int8 // class/id weight: +25 content-like, -25 boilerplate-like, 0 neither
	drop     bool
	block    bool // has a block-level child element
	score    int  // content score × scoreMul
	scored   bool
	chars    int // characters of text in the subtree (after the pass)
	links    int // of those, characters inside links
	commas   int
	children int
	openCh   int // x.total when the element opened
	openCo   int
}

type exBlock struct {
	node    int32
	text    string
	heading bool
}

type extractor struct {
	nodes   []exNode
	stack   []int32 // indices into nodes; stack[0] is the document root
	blocks  []exBlock
	buf     []byte
	bufCh   int // characters in buf
	bufLn   int // link characters in buf
	bufCo   int // commas in buf
	inA     int
	inPre   int
	total   int // characters in all blocks so far
	totalCo int // commas in all blocks so far
	title   string
	lang    string
}

// Extract finds the main readable content of an HTML page (ExtractorVersion 2: a one-pass
// extractor on golang.org/x/net/html's tokenizer with Readability-style scoring written
// here), renders it as plain text, one line per block, and returns it normalised by
// NormaliseText. Input that is not valid UTF-8 is decoded from the charset the page
// declares (golang.org/x/net/html/charset). pageURL is recorded in the Document. A page
// with no readable content is an error.
func Extract(html []byte, pageURL string) (Document, error) {
	var r io.Reader = bytes.NewReader(html)
	if !utf8.Valid(html) {
		cr, err := charset.NewReader(r, "")
		if err != nil {
			return Document{}, fmt.Errorf("clean: charset: %w", err)
		}
		r = cr
	}
	x := extractor{nodes: make([]exNode, 1, 16+len(html)/64), stack: make([]int32, 1, 64)}
	x.nodes[0] = exNode{parent: -1}
	if err := x.run(xhtml.NewTokenizer(r)); err != nil {
		return Document{}, fmt.Errorf("clean: parse html: %w", err)
	}
	text := NormaliseText(x.render())
	if text == "" {
		return Document{}, fmt.Errorf("clean: extract: no readable content")
	}
	return Document{URL: pageURL, Title: NormaliseText(x.title), Language: x.lang, Text: text}, nil
}

func (x *extractor) run(z *xhtml.Tokenizer) error {
	for {
		switch z.Next() {
		case xhtml.ErrorToken:
			x.flush()
			if err := z.Err(); err != io.EOF {
				return err
			}
			return nil
		case xhtml.TextToken:
			x.text(z.Text())
		case xhtml.StartTagToken:
			x.start(z, false)
		case xhtml.SelfClosingTagToken:
			x.start(z, true)
		case xhtml.EndTagToken:
			name, _ := z.TagName()
			x.end(atom.Lookup(name))
		}
	}
}

func (x *extractor) top() *exNode { return &x.nodes[x.stack[len(x.stack)-1]] }

// text appends a text token to the current block, collapsing white space outside pre.
func (x *extractor) text(t []byte) {
	top := x.top()
	if top.tag == atom.Title {
		if x.title == "" {
			x.title = string(t)
		}
		return
	}
	if top.drop {
		return
	}
	for len(t) > 0 {
		r, n := utf8.DecodeRune(t)
		t = t[n:]
		if r == '\r' || r == '\n' || r == '\t' || r == ' ' || r == '\f' || r == '\u00a0' {
			if x.inPre > 0 && r == '\n' {
				x.buf = append(x.buf, '\n')
				continue
			}
			if len(x.buf) > 0 && x.buf[len(x.buf)-1] != ' ' && x.buf[len(x.buf)-1] != '\n' {
				x.buf = append(x.buf, ' ')
			}
			continue
		}
		x.buf = utf8.AppendRune(x.buf, r)
		x.bufCh++
		if x.inA > 0 {
			x.bufLn++
		}
		if r == ',' || r == '，' || r == '、' || r == '،' {
			x.bufCo++
		}
	}
}

// flush ends the current block: it belongs to the innermost open block-level element.
func (x *extractor) flush() {
	if x.bufCh == 0 {
		x.buf, x.bufLn, x.bufCo = x.buf[:0], 0, 0
		return
	}
	owner := x.stack[0]
	for i := len(x.stack) - 1; i >= 0; i-- {
		if n := &x.nodes[x.stack[i]]; !inline[n.tag] {
			owner = x.stack[i]
			break
		}
	}
	on := &x.nodes[owner]
	on.chars += x.bufCh
	on.links += x.bufLn
	on.commas += x.bufCo
	x.blocks = append(x.blocks, exBlock{node: owner, text: string(x.buf), heading: headings[on.tag]})
	x.total += x.bufCh
	x.totalCo += x.bufCo
	if x.bufCh >= minScore && scoredBlocks[on.tag] {
		x.score(owner, 1+x.bufCo+min(x.bufCh/100, 3))
	}
	x.buf, x.bufCh, x.bufLn, x.bufCo = x.buf[:0], 0, 0, 0
}

// score adds a block's content score to the five elements above its owner: all of it to
// the parent, half to the grandparent, a third of it per level above that.
func (x *extractor) score(owner int32, s int) {
	p := x.nodes[owner].parent
	for level := 0; level < 5 && p > 0; level++ {
		n := &x.nodes[p]
		if !n.scored {
			n.scored = true
			n.score = (tagBonus[n.tag] + int(n.weight)) * scoreMul
		}
		div := 1
		if level == 1 {
			div = 2
		} else if level > 1 {
			div = level * 3
		}
		n.score += s * scoreMul / div
		p = n.parent
	}
}

func (x *extractor) start(z *xhtml.Tokenizer, selfClosing bool) {
	name, hasAttr := z.TagName()
	a := atom.Lookup(name)
	var class, id, role, style []byte
	hidden := false
	for hasAttr {
		var k, v []byte
		k, v, hasAttr = z.TagAttr()
		switch string(k) {
		case "class":
			class = bytes.ToLower(v)
		case "id":
			id = bytes.ToLower(v)
		case "role":
			role = bytes.ToLower(v)
		case "style":
			style = bytes.ToLower(v)
		case "hidden":
			hidden = true
		case "aria-hidden":
			hidden = hidden || string(v) == "true"
		case "lang":
			if a == atom.Html && x.lang == "" {
				x.lang = string(v)
			}
		}
	}
	if a == atom.Br {
		if x.inPre > 0 || len(x.buf) == 0 || x.buf[len(x.buf)-1] != '\n' {
			x.buf = append(x.buf, '\n')
		}
		return
	}
	if !inline[a] {
		x.flush()
	}
	if void[a] {
		return
	}
	x.closeImplied(a)
	if a == atom.Body {
		// A body closes a head left open.
		for i := len(x.stack) - 1; i > 0; i-- {
			if x.nodes[x.stack[i]].tag == atom.Head {
				x.popTo(i)
				break
			}
		}
	}
	if len(x.stack) >= maxStack {
		return
	}
	parent := x.stack[len(x.stack)-1]
	pn := &x.nodes[parent]
	n := exNode{parent: parent, tag: a, drop: pn.drop, openCh: x.total, openCo: x.totalCo}
	if !inline[a] {
		pn.block = true
	}
	pn.children++
	if !n.drop {
		mc, mi := marks(class), marks(id)
		n.weight = classWeight(mc, mi)
		n.drop = skipTags[a] || hidden || unlikelyRole(role) || hiddenStyle(style) ||
			(!neverUnlikely[a] && unlikely(mc, mi))
	}
	if selfClosing {
		return
	}
	x.nodes = append(x.nodes, n)
	x.stack = append(x.stack, int32(len(x.nodes)-1))
	switch a {
	case atom.A:
		x.inA++
	case atom.Pre:
		x.inPre++
	}
}

// closeImplied closes the elements a start tag ends implicitly.
func (x *extractor) closeImplied(a atom.Atom) {
	var same []atom.Atom
	var barrier map[atom.Atom]bool
	switch a {
	case atom.Li:
		same, barrier = []atom.Atom{atom.Li}, listScope
	case atom.Dt, atom.Dd:
		same, barrier = []atom.Atom{atom.Dt, atom.Dd}, listScope
	case atom.Tr:
		same, barrier = []atom.Atom{atom.Tr, atom.Td, atom.Th}, tableScope
	case atom.Td, atom.Th:
		same, barrier = []atom.Atom{atom.Td, atom.Th}, tableScope
	default:
		if !closesP[a] {
			return
		}
		same, barrier = []atom.Atom{atom.P}, buttonScope
	}
	for i := len(x.stack) - 1; i > 0; i-- {
		t := x.nodes[x.stack[i]].tag
		for _, s := range same {
			if t == s {
				x.popTo(i)
				return
			}
		}
		if barrier[t] {
			return
		}
	}
}

// end closes the nearest open element named a, and everything opened inside it.
func (x *extractor) end(a atom.Atom) {
	if a == atom.Br {
		x.buf = append(x.buf, '\n')
		return
	}
	for i := len(x.stack) - 1; i > 0; i-- {
		if x.nodes[x.stack[i]].tag == a {
			if !inline[a] {
				x.flush()
			}
			x.popTo(i)
			return
		}
	}
	if a == atom.P {
		x.flush()
	}
}

func (x *extractor) popTo(i int) {
	for j := len(x.stack) - 1; j >= i; j-- {
		n := &x.nodes[x.stack[j]]
		t := n.tag
		if !inline[t] {
			x.flush()
		}
		if scoredElems[t] && !n.drop {
			// Table cells, pre, sections and headings score by all the text inside.
			if ch := x.total - n.openCh; ch >= minScore {
				co := x.totalCo - n.openCo
				x.score(x.stack[j], 1+co+min(ch/100, 3))
			}
		}
		switch t {
		case atom.A:
			x.inA--
		case atom.Pre:
			x.inPre--
		}
	}
	x.stack = x.stack[:i]
}

// render picks the main content and joins its blocks, one per line.
func (x *extractor) render() string {
	nodes := x.nodes
	// Children follow their parents in nodes, so one backward pass sums every subtree.
	for i := len(nodes) - 1; i > 0; i-- {
		if nodes[i].drop {
			continue
		}
		p := &nodes[nodes[i].parent]
		p.chars += nodes[i].chars
		p.links += nodes[i].links
		p.commas += nodes[i].commas
	}
	final := func(n *exNode) int {
		if n.chars == 0 {
			return 0
		}
		return n.score * (n.chars - n.links) / n.chars
	}
	// The five best candidates, best first (ties keep document order).
	var cand [5]int32
	nc := 0
	for i := 1; i < len(nodes); i++ {
		n := &nodes[i]
		if !n.scored || n.drop {
			continue
		}
		s := final(n)
		j := nc
		for j > 0 && final(&nodes[cand[j-1]]) < s {
			j--
		}
		if j >= len(cand) {
			continue
		}
		if nc < len(cand) {
			nc++
		}
		copy(cand[j+1:nc], cand[j:nc-1])
		cand[j] = int32(i)
	}
	best := int32(0)
	if nc > 0 {
		best = cand[0]
		// When three of the others score nearly as well, the content is their common
		// ancestor (a table of rows, a page of sections).
		top := final(&nodes[best])
		var alt []int32
		for _, c := range cand[1:nc] {
			if 4*final(&nodes[c]) >= 3*top {
				alt = append(alt, c)
			}
		}
		if len(alt) >= 3 {
			for p := nodes[best].parent; p > 0 && nodes[p].tag != atom.Body; p = nodes[p].parent {
				k := 0
				for _, c := range alt {
					if x.ancestor(p, c) {
						k++
					}
				}
				if k >= 3 {
					best = p
					break
				}
			}
		}
		// Climb while the parent scores higher, or is a wrapper with this one child.
		last := final(&nodes[best])
		for p := nodes[best].parent; p > 0 && nodes[p].tag != atom.Body; p = nodes[p].parent {
			if !nodes[p].scored {
				continue
			}
			s := final(&nodes[p])
			if 3*s < last {
				break
			}
			if s > last {
				best = p
				break
			}
			last = s
		}
		for p := nodes[best].parent; p > 0 && nodes[p].tag != atom.Body && nodes[p].children == 1; p = nodes[p].parent {
			best = p
		}
		// A table or list is part of a text: take the division it sits in, and the
		// wrappers around it that add less than a quarter more prose.
		for partOf[nodes[best].tag] && nodes[best].parent > 0 {
			best = nodes[best].parent
		}
		for p := nodes[best].parent; p > 0; p = nodes[p].parent {
			if 4*(nodes[p].chars-nodes[p].links) > 5*(nodes[best].chars-nodes[best].links) {
				break
			}
			best = p
		}
	}
	bestScore := final(&nodes[best])
	// keep[i]: node i is inside the content. Siblings of the best that score well join.
	keep := make([]bool, len(nodes))
	if best == 0 {
		keep[0] = true
	} else {
		keep[best] = true
		parent := nodes[best].parent
		threshold := max(10*scoreMul, bestScore/5)
		for i := 1; i < len(nodes); i++ {
			n := &nodes[i]
			if int32(i) == best || n.parent != parent || n.drop {
				continue
			}
			switch {
			case n.scored && final(n) >= threshold:
				keep[i] = true
			case n.tag == atom.P && n.chars > 80 && 4*n.links < n.chars:
				keep[i] = true
			}
		}
	}
	for i := 1; i < len(nodes); i++ {
		n := &nodes[i]
		if n.drop {
			continue
		}
		if !keep[i] {
			keep[i] = keep[n.parent]
		}
	}
	var b strings.Builder
	for _, bl := range x.blocks {
		if !keep[bl.node] || nodes[bl.node].drop {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(bl.text)
	}
	return b.String()
}

// ancestor reports whether node a is d or one of d's ancestors.
func (x *extractor) ancestor(a, d int32) bool {
	for d >= a {
		if d == a {
			return true
		}
		d = x.nodes[d].parent
	}
	return false
}

var (
	inline = atomSet(atom.A, atom.Abbr, atom.B, atom.Bdi, atom.Bdo, atom.Big, atom.Cite, atom.Code,
		atom.Data, atom.Del, atom.Dfn, atom.Em, atom.Font, atom.I, atom.Img, atom.Ins, atom.Kbd,
		atom.Label, atom.Mark, atom.Q, atom.S, atom.Samp, atom.Small, atom.Span, atom.Strike,
		atom.Strong, atom.Sub, atom.Sup, atom.Time, atom.Tt, atom.U, atom.Var, atom.Wbr, atom.Nobr)
	void = atomSet(atom.Area, atom.Base, atom.Br, atom.Col, atom.Embed, atom.Hr, atom.Img,
		atom.Input, atom.Keygen, atom.Link, atom.Meta, atom.Param, atom.Source, atom.Track, atom.Wbr)
	skipTags = atomSet(atom.Script, atom.Style, atom.Noscript, atom.Template, atom.Svg, atom.Math,
		atom.Nav, atom.Aside, atom.Footer, atom.Header, atom.Form, atom.Button, atom.Select,
		atom.Textarea, atom.Iframe, atom.Object, atom.Embed, atom.Canvas, atom.Audio, atom.Video,
		atom.Dialog, atom.Menu, atom.Input, atom.Fieldset, atom.Frameset, atom.Noframes, atom.Link, atom.Meta, atom.Head)
	headings      = atomSet(atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6)
	neverUnlikely = atomSet(atom.Html, atom.Body, atom.Main, atom.Article, atom.Section, atom.Table,
		atom.Tbody, atom.Tr, atom.Td, atom.Pre, atom.Code, atom.A)
	partOf = atomSet(atom.Table, atom.Tbody, atom.Thead, atom.Tfoot, atom.Tr, atom.Td, atom.Th,
		atom.Ul, atom.Ol, atom.Li, atom.Dl, atom.Dd, atom.Dt)
	scoredBlocks = atomSet(atom.P, atom.Div)
	scoredElems  = atomSet(atom.Td, atom.Pre, atom.Section, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6)
	closesP      = atomSet(atom.Address, atom.Article, atom.Aside, atom.Blockquote, atom.Details,
		atom.Div, atom.Dl, atom.Fieldset, atom.Figcaption, atom.Figure, atom.Footer, atom.Form,
		atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Header, atom.Hr, atom.Main,
		atom.Menu, atom.Nav, atom.Ol, atom.P, atom.Pre, atom.Section, atom.Table, atom.Ul)
	listScope   = atomSet(atom.Ul, atom.Ol, atom.Dl, atom.Table, atom.Div, atom.Body)
	tableScope  = atomSet(atom.Table, atom.Tbody, atom.Thead, atom.Tfoot, atom.Body)
	buttonScope = atomSet(atom.Button, atom.Table, atom.Td, atom.Th, atom.Body, atom.Html)
	tagBonus    = map[atom.Atom]int{
		atom.Div: 5, atom.Pre: 3, atom.Td: 3, atom.Blockquote: 3,
		atom.Address: -3, atom.Ol: -3, atom.Ul: -3, atom.Dl: -3, atom.Dd: -3, atom.Dt: -3, atom.Li: -3, atom.Form: -3,
		atom.H1: -5, atom.H2: -5, atom.H3: -5, atom.H4: -5, atom.H5: -5, atom.H6: -5, atom.Th: -5,
	}
)

func atomSet(as ...atom.Atom) map[atom.Atom]bool {
	m := make(map[atom.Atom]bool, len(as))
	for _, a := range as {
		m[a] = true
	}
	return m
}

// Words in a class or id that mark boilerplate or content. A word matches anywhere in the
// attribute ("navbar" has "nav").
var (
	boilerWords = []string{"nav", "menu", "sidebar", "footer", "header", "breadcrumb", "comment",
		"related", "share", "social", "cookie", "banner", "popup", "sponsor", "pager", "pagination",
		"masthead", "advert", "promo", "subscribe", "newsletter", "skip", "toolbar", "disqus", "gdpr"}
	contentWords = []string{"content", "article", "main", "body", "post", "entry", "text", "story"}
)

// wordsByFirst indexes boilerWords (bit 0) and contentWords (bit 1) by first letter, so
// marks scans an attribute once.
var wordsByFirst = func() (t [256][]markWord) {
	for _, w := range boilerWords {
		t[w[0]] = append(t[w[0]], markWord{w, 1})
	}
	for _, w := range contentWords {
		t[w[0]] = append(t[w[0]], markWord{w, 2})
	}
	return
}()

type markWord struct {
	w    string
	mark uint8
}

// marks reports whether an attribute (lower case) names boilerplate (bit 0) or content
// (bit 1) anywhere in it.
func marks(s []byte) uint8 {
	var m uint8
	for i := 0; i < len(s); i++ {
		for _, w := range wordsByFirst[s[i]] {
			if m&w.mark == 0 && len(s)-i >= len(w.w) && string(s[i:i+len(w.w)]) == w.w {
				m |= w.mark
			}
		}
	}
	return m
}

// unlikely reports an element whose class or id names boilerplate and neither names
// content.
func unlikely(mc, mi uint8) bool { return (mc|mi)&1 != 0 && (mc|mi)&2 == 0 }

// classWeight is -25 for each of class and id that names boilerplate, +25 for each that
// names content.
func classWeight(mc, mi uint8) int8 {
	w := 0
	for _, m := range []uint8{mc, mi} {
		if m&1 != 0 {
			w -= 25
		}
		if m&2 != 0 {
			w += 25
		}
	}
	return int8(w)
}

func unlikelyRole(role []byte) bool {
	switch string(role) {
	case "navigation", "banner", "contentinfo", "complementary", "menu", "menubar", "search", "dialog", "alertdialog":
		return true
	}
	return false
}

func hiddenStyle(style []byte) bool {
	return hasDecl(style, "display", "none") || hasDecl(style, "visibility", "hidden")
}

// hasDecl reports whether a style attribute (lower case) declares prop: value, spaces
// allowed around the colon.
func hasDecl(style []byte, prop, value string) bool {
	for i := 0; i+len(prop) <= len(style); i++ {
		if string(style[i:i+len(prop)]) != prop {
			continue
		}
		j := i + len(prop)
		for j < len(style) && style[j] == ' ' {
			j++
		}
		if j >= len(style) || style[j] != ':' {
			continue
		}
		j++
		for j < len(style) && style[j] == ' ' {
			j++
		}
		if j+len(value) <= len(style) && string(style[j:j+len(value)]) == value {
			return true
		}
	}
	return false
}
