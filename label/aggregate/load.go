package aggregate

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
)

// Format names a label file format.
type Format string

// The label file formats the loaders read.
const (
	// FormatCSV is a comma-separated file with a header naming the worker,
	// item and label columns (worker,item,label or question,worker,answer).
	FormatCSV Format = "csv"
	// FormatTSV is FormatCSV with tabs.
	FormatTSV Format = "tsv"
	// FormatMACE is MACE's matrix: one line per item, one comma-separated
	// column per annotator, an empty cell for no label. Items are named by
	// their 1-based line number and workers by their 1-based column number.
	// Its truth file (".key") holds the label of item i on line i.
	FormatMACE Format = "mace"
	// FormatYAML is CUBAM's YAML: labels as {worker: {item: label, ...}, ...}
	// and truth as {item: label, ...}.
	FormatYAML Format = "yaml"
	// FormatGAL is Get-Another-Label's headerless tab-separated layout:
	// labels as worker<TAB>item<TAB>label, truth as item<TAB>label.
	FormatGAL Format = "gal"
)

// Formats lists the accepted format names.
var Formats = []Format{FormatCSV, FormatTSV, FormatMACE, FormatYAML, FormatGAL}

// ParseFormat checks a format name ("auto" is not a format).
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if string(f) == s {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown format %q (want csv, tsv, mace, yaml or gal)", s)
}

// ErrAmbiguousFormat is returned by DetectFormat when it cannot tell the format.
var ErrAmbiguousFormat = errors.New("cannot detect the file format")

var (
	workerCols = []string{"worker", "annotator", "worker_id", "user", "performer"}
	itemCols   = []string{"item", "question", "task", "item_id", "task_id"}
	labelCols  = []string{"label", "answer", "response"}
	truthCols  = []string{"truth", "gold", "label", "answer", "true_label"}
)

// DetectFormat guesses the format of a label or truth file from its name and
// its first bytes: YAML by extension or a leading '{' or "key: {"; CSV or TSV
// when the first line is a header with known column names; MACE matrix or
// key file when the first line has no letters.
func DetectFormat(name string, head []byte) (Format, error) {
	ext := strings.ToLower(filepath.Ext(name))
	switch ext {
	case ".yaml", ".yml":
		return FormatYAML, nil
	case ".key":
		return FormatMACE, nil
	}
	line := head
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	line = bytes.TrimRight(line, "\r")
	t := bytes.TrimSpace(line)
	if bytes.HasPrefix(t, []byte("{")) || bytes.Contains(t, []byte(": {")) {
		return FormatYAML, nil
	}
	if bytes.ContainsRune(line, '\t') {
		fields := strings.Split(string(line), "\t")
		if headerKnown(fields) {
			return FormatTSV, nil
		}
		if len(fields) == 2 || len(fields) == 3 {
			return FormatGAL, nil
		}
		return "", fmt.Errorf("%w: tab-separated first line %q is not a known header (want worker,item,label or question,answer columns)", ErrAmbiguousFormat, t)
	}
	if headerKnown(strings.Split(string(line), ",")) {
		return FormatCSV, nil
	}
	hasLetter := false
	for _, c := range t {
		if (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') {
			hasLetter = true
			break
		}
	}
	if !hasLetter {
		return FormatMACE, nil
	}
	return "", fmt.Errorf("%w: first line %q is not a known header", ErrAmbiguousFormat, t)
}

func headerKnown(fields []string) bool {
	for _, f := range fields {
		f = normCol(f)
		if contains(itemCols, f) || contains(workerCols, f) {
			return true
		}
	}
	return false
}

func normCol(s string) string {
	return strings.ToLower(strings.TrimSpace(strings.TrimPrefix(s, "\ufeff")))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func findCol(header []string, names []string, skip int) int {
	for _, n := range names {
		for i, h := range header {
			if i != skip && normCol(h) == n {
				return i
			}
		}
	}
	return -1
}

// ReadLabels reads labels in the given format.
func ReadLabels(r io.Reader, f Format) ([]Row, error) {
	switch f {
	case FormatCSV:
		return readDelimited(r, ',')
	case FormatTSV:
		return readDelimited(r, '\t')
	case FormatMACE:
		return ReadMACE(r)
	case FormatYAML:
		return ReadYAMLLabels(r)
	case FormatGAL:
		return ReadGAL(r)
	}
	return nil, fmt.Errorf("unknown format %q", f)
}

// ReadTruthFormat reads truth (or gold, or predictions) in the given format.
func ReadTruthFormat(r io.Reader, f Format) ([]Truth, error) {
	switch f {
	case FormatCSV:
		return readTruthDelimited(r, ',')
	case FormatTSV:
		return readTruthDelimited(r, '\t')
	case FormatMACE:
		return ReadKey(r)
	case FormatYAML:
		return ReadYAMLTruth(r)
	case FormatGAL:
		return ReadGALTruth(r)
	}
	return nil, fmt.Errorf("unknown format %q", f)
}

// ReadCSV reads a delimited label file with a header. The delimiter is a tab
// when the header line holds one, else a comma. Columns are found by name:
// worker (or annotator), item (or question, task), label (or answer).
func ReadCSV(r io.Reader) ([]Row, error) {
	br := bufio.NewReader(r)
	head, _ := br.Peek(4096)
	delim := ','
	line := head
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	if bytes.ContainsRune(line, '\t') {
		delim = '\t'
	}
	return readDelimited(br, delim)
}

func newCSVReader(r io.Reader, delim rune) *csv.Reader {
	cr := csv.NewReader(r)
	cr.Comma = delim
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true
	if delim == '\t' {
		cr.LazyQuotes = true
	}
	return cr
}

func csvErr(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("line %d: %v", pe.Line, pe.Err)
	}
	return err
}

func readDelimited(r io.Reader, delim rune) ([]Row, error) {
	cr := newCSVReader(r, delim)
	header, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("line 1: empty file, want a header such as worker,item,label")
	}
	if err != nil {
		return nil, csvErr(err)
	}
	header = append([]string(nil), header...)
	wc := findCol(header, workerCols, -1)
	ic := findCol(header, itemCols, wc)
	lc := findCol(header, labelCols, -1)
	if wc < 0 || ic < 0 || lc < 0 || lc == wc || lc == ic {
		return nil, fmt.Errorf("line 1: header %q must name worker, item (or question) and label (or answer) columns", strings.Join(header, string(delim)))
	}
	var rows []Row
	err = eachRecord(cr, len(header), func(rec []string, line int) error {
		row := Row{Worker: strings.TrimSpace(rec[wc]), Item: strings.TrimSpace(rec[ic]), Label: strings.TrimSpace(rec[lc]), Line: line}
		switch {
		case row.Worker == "":
			return fmt.Errorf("line %d: empty worker", line)
		case row.Item == "":
			return fmt.Errorf("line %d: empty item", line)
		case row.Label == "":
			return fmt.Errorf("line %d: empty label", line)
		}
		rows = append(rows, row)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("no labels after the header")
	}
	return rows, nil
}

// ReadTruth reads a delimited truth file with a header naming the item column
// (item, question or task) and the truth column (truth, gold, label or
// answer). Prediction files written by `label aggregate` (item,label,confidence)
// read as truth too.
func ReadTruth(r io.Reader) ([]Truth, error) {
	br := bufio.NewReader(r)
	head, _ := br.Peek(4096)
	delim := ','
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i]
	}
	if bytes.ContainsRune(head, '\t') {
		delim = '\t'
	}
	return readTruthDelimited(br, delim)
}

func readTruthDelimited(r io.Reader, delim rune) ([]Truth, error) {
	cr := newCSVReader(r, delim)
	header, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("line 1: empty file, want a header such as item,truth")
	}
	if err != nil {
		return nil, csvErr(err)
	}
	header = append([]string(nil), header...)
	ic := findCol(header, itemCols, -1)
	tc := findCol(header, truthCols, ic)
	if ic < 0 || tc < 0 {
		return nil, fmt.Errorf("line 1: header %q must name item (or question) and truth (or label) columns", strings.Join(header, string(delim)))
	}
	var out []Truth
	err = eachRecord(cr, len(header), func(rec []string, line int) error {
		t := Truth{Item: strings.TrimSpace(rec[ic]), Label: strings.TrimSpace(rec[tc])}
		if t.Item == "" || t.Label == "" {
			return fmt.Errorf("line %d: empty item or truth", line)
		}
		out = append(out, t)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// eachRecord calls fn with each data record after the header and its line
// number, skipping blank lines; a record with another field count than the
// header is an error naming its line.
func eachRecord(cr *csv.Reader, fields int, fn func(rec []string, line int) error) error {
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return csvErr(err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) != fields {
			return fmt.Errorf("line %d: %d fields, want %d as in the header", line, len(rec), fields)
		}
		if err := fn(rec, line); err != nil {
			return err
		}
	}
}

// ReadGAL reads Get-Another-Label labels: worker<TAB>item<TAB>label per
// line, no header.
func ReadGAL(r io.Reader) ([]Row, error) {
	recs, err := readTabbed(r, 3)
	if err != nil {
		return nil, err
	}
	rows := make([]Row, 0, len(recs))
	for _, rec := range recs {
		rows = append(rows, Row{Worker: rec.f[0], Item: rec.f[1], Label: rec.f[2], Line: rec.line})
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("no labels")
	}
	return rows, nil
}

// ReadGALTruth reads Get-Another-Label gold: item<TAB>label per line.
func ReadGALTruth(r io.Reader) ([]Truth, error) {
	recs, err := readTabbed(r, 2)
	if err != nil {
		return nil, err
	}
	out := make([]Truth, 0, len(recs))
	for _, rec := range recs {
		out = append(out, Truth{Item: rec.f[0], Label: rec.f[1]})
	}
	return out, nil
}

type tabbed struct {
	f    []string
	line int
}

func readTabbed(r io.Reader, n int) ([]tabbed, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	var out []tabbed
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(text) == "" {
			continue
		}
		f := strings.Split(text, "\t")
		if len(f) != n {
			return nil, fmt.Errorf("line %d: %d tab-separated fields, want %d", line, len(f), n)
		}
		for i := range f {
			f[i] = strings.TrimSpace(f[i])
			if f[i] == "" {
				return nil, fmt.Errorf("line %d: empty field %d", line, i+1)
			}
		}
		out = append(out, tabbed{f: f, line: line})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", line+1, err)
	}
	return out, nil
}

// ReadMACE reads MACE's matrix format (see FormatMACE).
func ReadMACE(r io.Reader) ([]Row, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	var rows []Row
	width := -1
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		fields := strings.Split(text, ",")
		if width < 0 {
			width = len(fields)
		} else if len(fields) != width {
			return nil, fmt.Errorf("line %d: %d columns, want %d as on line 1", line, len(fields), width)
		}
		item := strconv.Itoa(line)
		for j, f := range fields {
			f = strings.TrimSpace(f)
			if f == "" {
				continue
			}
			if strings.ContainsAny(f, "\"'") {
				return nil, fmt.Errorf("line %d column %d: quoted cell %q (MACE cells are bare labels)", line, j+1, f)
			}
			rows = append(rows, Row{Worker: strconv.Itoa(j + 1), Item: item, Label: f, Line: line})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", line+1, err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("no labels in the matrix")
	}
	return rows, nil
}

// ReadKey reads a MACE key file: the truth of item i (1-based) on line i. An
// empty line means the item has no truth.
func ReadKey(r io.Reader) ([]Truth, error) {
	sc := bufio.NewScanner(r)
	var out []Truth
	line := 0
	for sc.Scan() {
		line++
		f := strings.TrimSpace(sc.Text())
		if f == "" {
			continue
		}
		if strings.ContainsAny(f, ", \t") {
			return nil, fmt.Errorf("line %d: %q: a key file holds one label per line", line, f)
		}
		out = append(out, Truth{Item: strconv.Itoa(line), Label: f})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", line+1, err)
	}
	return out, nil
}

// ReadYAMLLabels reads CUBAM's labels.yaml: a mapping from worker to a flow
// mapping {item: label, ...}, either as a block mapping ("w: {i: l, ...}", an
// entry may continue on indented lines) or as one flow mapping.
func ReadYAMLLabels(r io.Reader) ([]Row, error) {
	entries, err := parseYAMLMap(r, true)
	if err != nil {
		return nil, err
	}
	var rows []Row
	for _, e := range entries {
		for _, kv := range e.sub {
			rows = append(rows, Row{Worker: e.key, Item: kv.key, Label: kv.val, Line: kv.line})
		}
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("no labels in the YAML file")
	}
	return rows, nil
}

// ReadYAMLTruth reads CUBAM's gt.yaml: {item: label, ...}.
func ReadYAMLTruth(r io.Reader) ([]Truth, error) {
	entries, err := parseYAMLMap(r, false)
	if err != nil {
		return nil, err
	}
	out := make([]Truth, 0, len(entries))
	for _, e := range entries {
		out = append(out, Truth{Item: e.key, Label: e.val})
	}
	return out, nil
}

type yamlEntry struct {
	key, val string
	line     int
	sub      []yamlEntry
}

// parseYAMLMap parses the small YAML subset CUBAM writes: a mapping whose
// values are scalars (nested=false) or flow mappings of scalars (nested=true).
func parseYAMLMap(r io.Reader, nested bool) ([]yamlEntry, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read yaml: %w", err)
	}
	p := &yamlParser{s: string(data), line: 1}
	p.skipSpace()
	var entries []yamlEntry
	if p.peek() == '{' {
		entries, err = p.flowMap(nested)
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if !p.eof() {
			return nil, p.errorf("unexpected %q after the mapping", p.peek())
		}
		return entries, nil
	}
	// Block mapping: key: value, where value is a scalar or a flow mapping.
	for {
		p.skipSpace()
		if p.eof() {
			break
		}
		line := p.line
		key, err := p.scalar()
		if err != nil {
			return nil, err
		}
		if p.peek() != ':' {
			return nil, p.errorf("want ':' after key %q", key)
		}
		p.pos++
		p.skipInline()
		e := yamlEntry{key: key, line: line}
		if nested {
			if p.peek() != '{' {
				return nil, p.errorf("want '{' after %q:", key)
			}
			if e.sub, err = p.flowMapScalars(); err != nil {
				return nil, err
			}
		} else {
			if e.val, err = p.scalar(); err != nil {
				return nil, err
			}
		}
		entries = append(entries, e)
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("line %d: empty YAML mapping", p.line)
	}
	return entries, nil
}

type yamlParser struct {
	s    string
	pos  int
	line int
}

func (p *yamlParser) eof() bool { return p.pos >= len(p.s) }

func (p *yamlParser) peek() byte {
	if p.eof() {
		return 0
	}
	return p.s[p.pos]
}

func (p *yamlParser) errorf(format string, args ...any) error {
	return fmt.Errorf("line %d: %s", p.line, fmt.Sprintf(format, args...))
}

// skipSpace skips blanks, newlines and comments.
func (p *yamlParser) skipSpace() {
	for !p.eof() {
		c := p.s[p.pos]
		switch {
		case c == '\n':
			p.line++
			p.pos++
		case c == ' ' || c == '\t' || c == '\r':
			p.pos++
		case c == '#' || (c == '-' && strings.HasPrefix(p.s[p.pos:], "---")):
			for !p.eof() && p.s[p.pos] != '\n' {
				p.pos++
			}
		default:
			return
		}
	}
}

func (p *yamlParser) skipInline() {
	for !p.eof() && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t') {
		p.pos++
	}
}

func (p *yamlParser) scalar() (string, error) {
	p.skipSpace()
	if p.eof() {
		return "", p.errorf("unexpected end of file")
	}
	if q := p.s[p.pos]; q == '"' || q == '\'' {
		end := strings.IndexByte(p.s[p.pos+1:], q)
		if end < 0 {
			return "", p.errorf("unterminated quoted string")
		}
		v := p.s[p.pos+1 : p.pos+1+end]
		p.pos += end + 2
		return v, nil
	}
	start := p.pos
	for !p.eof() {
		c := p.s[p.pos]
		if c == ',' || c == '}' || c == '{' || c == '\n' || c == '\r' || (c == ':' && (p.pos+1 >= len(p.s) || p.s[p.pos+1] == ' ' || p.s[p.pos+1] == '\n' || p.s[p.pos+1] == '{')) {
			break
		}
		p.pos++
	}
	v := strings.TrimSpace(p.s[start:p.pos])
	if v == "" {
		return "", p.errorf("empty key or value")
	}
	return v, nil
}

func (p *yamlParser) flowMapScalars() ([]yamlEntry, error) { return p.flowMap(false) }

func (p *yamlParser) flowMap(nested bool) ([]yamlEntry, error) {
	p.skipSpace()
	if p.peek() != '{' {
		return nil, p.errorf("want '{'")
	}
	p.pos++
	var out []yamlEntry
	for {
		p.skipSpace()
		if p.peek() == '}' {
			p.pos++
			return out, nil
		}
		line := p.line
		key, err := p.scalar()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.peek() != ':' {
			return nil, p.errorf("want ':' after key %q", key)
		}
		p.pos++
		p.skipSpace()
		e := yamlEntry{key: key, line: line}
		if nested {
			if e.sub, err = p.flowMap(false); err != nil {
				return nil, err
			}
		} else {
			if e.val, err = p.scalar(); err != nil {
				return nil, err
			}
		}
		out = append(out, e)
		p.skipSpace()
		switch p.peek() {
		case ',':
			p.pos++
		case '}':
		default:
			if p.eof() {
				return nil, p.errorf("unterminated mapping")
			}
			return nil, p.errorf("want ',' or '}', got %q", p.peek())
		}
	}
}
