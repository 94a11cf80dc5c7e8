package model_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"emergence/zkml/model"
)

// plainReadCSV is ReadCSV as it was before its fast path for rows of
// digits and commas: every line trimmed, split and parsed by strconv. The
// tests hold ReadCSV to it.
func plainReadCSV(r io.Reader, maxValue int64) (*model.Dataset, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	d := &model.Dataset{}
	line := 0
	maxSeen := int64(0)
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		fields := strings.Split(text, ",")
		if len(fields) < 2 {
			return nil, fmt.Errorf("csv line %d: need at least one feature and a class", line)
		}
		vals := make([]int64, len(fields))
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

// sameAsPlain fails unless ReadCSV and plainReadCSV agree on in: the same
// data set, or the same error text.
func sameAsPlain(t *testing.T, in string, maxValue int64) {
	t.Helper()
	got, gotErr := model.ReadCSV(strings.NewReader(in), maxValue)
	want, wantErr := plainReadCSV(strings.NewReader(in), maxValue)
	if (gotErr == nil) != (wantErr == nil) || (gotErr != nil && gotErr.Error() != wantErr.Error()) {
		t.Fatalf("ReadCSV(%q) error %v, the plain parse %v", in, gotErr, wantErr)
	}
	if gotErr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("ReadCSV(%q) = %+v, the plain parse %+v", in, got, want)
	}
}

// TestReadCSVMatchesPlain: the fast path for digit rows changes nothing
// ReadCSV returns, neither data nor errors, on rows it takes and on rows it
// leaves to the general path (spaces, signs, CR LF, 19 digits, overflow,
// empty fields, headers, blank lines).
func TestReadCSVMatchesPlain(t *testing.T) {
	for _, in := range []string{
		"", "\n\n", "1,0\n", "0,0\n", "7\n", "1,2\n3\n",
		"1,2,0\n1,2,3,1\n", "1,-2,0\n", "1,2,0\n1,x,1\n", "150,4,setosa\n5,3,1,0,0\n6,3,4,1,1\n",
		"1,2,0\r\n3,4,1\r\n", " 1, 2 ,0 \n3,4,1\n", "+1,2,0\n3,4,1\n", "1,,0\n", ",1,0\n", "1,0,\n", "1,0,,\n",
		"001,02,1\n", "1,2,0\n\n3,4,1\n   \n5,6,0", "a,b,c\nd,e,f\n", "1,2,0\nx,y\n",
		"123456789012345678,1,0\n", "1234567890123456789,1,0\n", "9223372036854775807,1\n", "9223372036854775808,1\n",
		"99999999999999999999,1\n", "1,65536\n", "1,65537\n", "1,2,-0\n", "1\t,2,0\n", "1,2,0\x00\n",
		"\xef\xbb\xbf1,2,0\n3,4,1\n", "1,2,1\n3,4,1\n5,6,1\n", "0,0,0\n0,0,1\n",
	} {
		for _, mv := range []int64{0, 3, 1 << 40} {
			sameAsPlain(t, in, mv)
		}
	}
	raw, err := os.ReadFile(filepath.Join("..", "..", "dataset", "digits.csv.gz"))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	csv, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	sameAsPlain(t, string(csv), 16)
	sameAsPlain(t, "pixel0,pixel1,label\n"+string(csv), 0)
	sameAsPlain(t, strings.ReplaceAll(string(csv), "\n", "\r\n"), 0)
}

func FuzzReadCSVMatchesPlain(f *testing.F) {
	for _, s := range []string{"1,2,0\n3,4,1\n", "h,x\n1,0\n", " 1,2\n", "12345678901234567890,1\n", "1,2,3\n1,2\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) { sameAsPlain(t, in, 0) })
}
