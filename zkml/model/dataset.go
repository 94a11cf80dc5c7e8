package model

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
)

// Dataset is a labelled set of integer feature vectors. Features are
// non-negative integers no larger than MaxValue (pixel intensities).
type Dataset struct {
	// X holds one feature vector per sample, all of length Features.
	X [][]int64
	// Y holds the class of each sample, in [0, Classes).
	Y []int
	// Features is the length of every feature vector.
	Features int
	// Classes is the number of classes.
	Classes int
	// MaxValue bounds every feature: 0 <= x <= MaxValue.
	MaxValue int64
}

// Len returns the number of samples.
func (d *Dataset) Len() int { return len(d.Y) }

// Validate checks shapes and ranges.
func (d *Dataset) Validate() error {
	if len(d.X) != len(d.Y) {
		return fmt.Errorf("dataset has %d samples but %d labels", len(d.X), len(d.Y))
	}
	if d.Features <= 0 || d.Classes < 2 {
		return fmt.Errorf("dataset needs at least 1 feature and 2 classes, has %d and %d", d.Features, d.Classes)
	}
	for i, x := range d.X {
		if len(x) != d.Features {
			return fmt.Errorf("sample %d has %d features, want %d", i, len(x), d.Features)
		}
		for _, v := range x {
			if v < 0 || v > d.MaxValue {
				return fmt.Errorf("sample %d has feature %d outside [0, %d]", i, v, d.MaxValue)
			}
		}
		if d.Y[i] < 0 || d.Y[i] >= d.Classes {
			return fmt.Errorf("sample %d has class %d outside [0, %d)", i, d.Y[i], d.Classes)
		}
	}
	return nil
}

// Subset returns the samples at indices [from, to).
func (d *Dataset) Subset(from, to int) *Dataset {
	return &Dataset{X: d.X[from:to], Y: d.Y[from:to], Features: d.Features, Classes: d.Classes, MaxValue: d.MaxValue}
}

// Split shuffles a copy of d with a fixed seed and returns the first
// len*trainFrac samples as a training set and the rest as a test set.
func (d *Dataset) Split(trainFrac float64, seed uint64) (train, test *Dataset) {
	idx := make([]int, d.Len())
	for i := range idx {
		idx[i] = i
	}
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	r.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
	n := int(float64(d.Len()) * trainFrac)
	pick := func(ix []int) *Dataset {
		out := &Dataset{Features: d.Features, Classes: d.Classes, MaxValue: d.MaxValue}
		for _, i := range ix {
			out.X = append(out.X, d.X[i])
			out.Y = append(out.Y, d.Y[i])
		}
		return out
	}
	return pick(idx[:n]), pick(idx[n:])
}

// maybeGunzip returns a reader of the decompressed bytes when r starts with
// the gzip magic, else of r as is.
func maybeGunzip(r io.Reader) (io.Reader, error) {
	br := bufio.NewReader(r)
	magic, err := br.Peek(2)
	if err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		return zr, nil
	}
	return br, nil
}

// ReadCSV reads rows of comma-separated non-negative integers whose last
// column is the class (gzip input is detected). A first line that does not
// parse as integers is skipped as a header. maxValue bounds the features; if
// it is 0 the largest feature seen is used. Classes is one more than the
// largest class seen.
func ReadCSV(r io.Reader, maxValue int64) (*Dataset, error) {
	rr, err := maybeGunzip(r)
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(rr)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	d := &Dataset{}
	line := 0
	maxSeen := int64(0)
	var row, chunk []int64
	for sc.Scan() {
		line++
		// Rows of plain digits and commas (every row of a data set we
		// write) are parsed in place; any other line takes the general
		// path, which trims spaces, takes signs and reports errors.
		var vals []int64
		if v, ok := parseDigitRow(sc.Bytes(), row[:0]); ok {
			row = v
			if len(chunk) < len(v) {
				chunk = make([]int64, max(len(v), csvChunk))
			}
			vals, chunk = chunk[:len(v):len(v)], chunk[len(v):]
			copy(vals, v)
		} else {
			text := strings.TrimSpace(sc.Text())
			if text == "" {
				continue
			}
			fields := strings.Split(text, ",")
			if len(fields) < 2 {
				return nil, fmt.Errorf("csv line %d: need at least one feature and a class", line)
			}
			vals = make([]int64, len(fields))
			bad := false
			for i, f := range fields {
				v, err := strconv.ParseInt(strings.TrimSpace(f), 10, 64)
				if err != nil {
					bad = true
					break
				}
				vals[i] = v
			}
			if bad {
				if line == 1 {
					continue
				}
				return nil, fmt.Errorf("csv line %d: not an integer row", line)
			}
		}
		if d.Features == 0 {
			d.Features = len(vals) - 1
		}
		if len(vals)-1 != d.Features {
			return nil, fmt.Errorf("csv line %d: %d features, want %d", line, len(vals)-1, d.Features)
		}
		x := vals[:len(vals)-1]
		for _, v := range x {
			if v < 0 {
				return nil, fmt.Errorf("csv line %d: negative feature %d", line, v)
			}
			maxSeen = max(maxSeen, v)
		}
		y := vals[len(vals)-1]
		if y < 0 || y > 1<<16 {
			return nil, fmt.Errorf("csv line %d: class %d out of range", line, y)
		}
		d.X = append(d.X, x)
		d.Y = append(d.Y, int(y))
		d.Classes = max(d.Classes, int(y)+1)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read csv: %w", err)
	}
	if len(d.X) == 0 {
		return nil, errors.New("csv has no rows")
	}
	d.MaxValue = maxValue
	if maxValue == 0 {
		d.MaxValue = maxSeen
	}
	if d.MaxValue == 0 {
		d.MaxValue = 1
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return d, nil
}

// csvChunk is how many values ReadCSV allocates at a time for its rows.
const csvChunk = 1 << 14

// parseDigitRow appends to row the values of b when b is at least two
// fields of 1 to 18 decimal digits separated by single commas, nothing
// else (18 digits cannot overflow an int64), and reports whether it was.
// Such a row parses to what strconv.ParseInt gives each field. It is
// ReadCSV's fast path: strconv and strings.Split cost several times the
// parse itself, most of all in the WebAssembly build that compute/trainer
// runs, where reading a data set took longer than an epoch of training.
func parseDigitRow(b []byte, row []int64) ([]int64, bool) {
	if len(b) == 0 {
		return row, false
	}
	var v int64
	digits := 0
	for _, c := range b {
		if c == ',' {
			if digits == 0 {
				return row, false
			}
			row = append(row, v)
			v, digits = 0, 0
			continue
		}
		c -= '0'
		if c > 9 || digits == 18 {
			return row, false
		}
		v = v*10 + int64(c)
		digits++
	}
	if digits == 0 || len(row) == 0 {
		return row, false
	}
	return append(row, v), true
}

// ReadCSVFile opens path and calls ReadCSV.
func ReadCSVFile(path string, maxValue int64) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open data: %w", err)
	}
	defer f.Close()
	d, err := ReadCSV(f, maxValue)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}

// IDX magic numbers (big-endian, unsigned bytes).
const (
	idxImages = 0x00000803
	idxLabels = 0x00000801
)

// maxIDXItems bounds the number of items an IDX file may declare, so that a
// corrupt header cannot ask for an absurd allocation.
const maxIDXItems = 1 << 22

// ReadIDX reads an IDX image file (magic 0x803, n×rows×cols unsigned bytes)
// and an IDX label file (magic 0x801), gzip detected, into a data set with
// rows*cols features, MaxValue 255 and 10 classes (or more if a label says so).
func ReadIDX(images, labels io.Reader) (*Dataset, error) {
	ir, err := maybeGunzip(images)
	if err != nil {
		return nil, err
	}
	lr, err := maybeGunzip(labels)
	if err != nil {
		return nil, err
	}
	var ih [4]uint32
	if err := binary.Read(ir, binary.BigEndian, &ih); err != nil {
		return nil, fmt.Errorf("idx images header: %w", err)
	}
	if ih[0] != idxImages {
		return nil, fmt.Errorf("idx images: magic %#x, want %#x", ih[0], idxImages)
	}
	n, rows, cols := int(ih[1]), int(ih[2]), int(ih[3])
	if n <= 0 || n > maxIDXItems || rows <= 0 || cols <= 0 || rows*cols > 1<<16 {
		return nil, fmt.Errorf("idx images: bad shape %d×%d×%d", n, rows, cols)
	}
	var lh [2]uint32
	if err := binary.Read(lr, binary.BigEndian, &lh); err != nil {
		return nil, fmt.Errorf("idx labels header: %w", err)
	}
	if lh[0] != idxLabels {
		return nil, fmt.Errorf("idx labels: magic %#x, want %#x", lh[0], idxLabels)
	}
	if int(lh[1]) != n {
		return nil, fmt.Errorf("idx: %d images but %d labels", n, lh[1])
	}
	feat := rows * cols
	pix := make([]byte, n*feat)
	if _, err := io.ReadFull(ir, pix); err != nil {
		return nil, fmt.Errorf("idx images body: %w", err)
	}
	lab := make([]byte, n)
	if _, err := io.ReadFull(lr, lab); err != nil {
		return nil, fmt.Errorf("idx labels body: %w", err)
	}
	d := &Dataset{Features: feat, Classes: 10, MaxValue: 255}
	d.X = make([][]int64, n)
	d.Y = make([]int, n)
	all := make([]int64, n*feat)
	for i := range all {
		all[i] = int64(pix[i])
	}
	for i := 0; i < n; i++ {
		d.X[i] = all[i*feat : (i+1)*feat : (i+1)*feat]
		d.Y[i] = int(lab[i])
		d.Classes = max(d.Classes, int(lab[i])+1)
	}
	return d, nil
}

// ReadIDXFiles opens an image and a label IDX file and calls ReadIDX.
func ReadIDXFiles(imagesPath, labelsPath string) (*Dataset, error) {
	fi, err := os.Open(imagesPath)
	if err != nil {
		return nil, fmt.Errorf("open images: %w", err)
	}
	defer fi.Close()
	fl, err := os.Open(labelsPath)
	if err != nil {
		return nil, fmt.Errorf("open labels: %w", err)
	}
	defer fl.Close()
	return ReadIDX(fi, fl)
}

// EncodeIDX writes d as an IDX image file and an IDX label file with the
// given image shape (rows*cols must equal d.Features, features must fit a byte).
func EncodeIDX(d *Dataset, rows, cols int) (images, labels []byte, err error) {
	if rows*cols != d.Features {
		return nil, nil, fmt.Errorf("shape %d×%d does not match %d features", rows, cols, d.Features)
	}
	var ib, lb bytes.Buffer
	binary.Write(&ib, binary.BigEndian, [4]uint32{idxImages, uint32(d.Len()), uint32(rows), uint32(cols)})
	binary.Write(&lb, binary.BigEndian, [2]uint32{idxLabels, uint32(d.Len())})
	for i, x := range d.X {
		for _, v := range x {
			if v < 0 || v > 255 {
				return nil, nil, fmt.Errorf("sample %d: feature %d does not fit a byte", i, v)
			}
			ib.WriteByte(byte(v))
		}
		lb.WriteByte(byte(d.Y[i]))
	}
	return ib.Bytes(), lb.Bytes(), nil
}
