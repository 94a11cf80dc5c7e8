package fixedds

import (
	"errors"
	"testing"
)

// FuzzDawidSkene builds jobs from arbitrary bytes (sizes, labels, gold,
// smoothing): DawidSkene must either reject them with ErrInput or return
// posteriors that sum to One (within rounding) and labels in range.
func FuzzDawidSkene(f *testing.F) {
	f.Add([]byte{3, 4, 2, 0, 0, 1, 1, 1, 0, 2, 2, 1, 3, 3, 0})
	f.Add([]byte{1, 1, 2, 0, 0, 0})
	f.Add([]byte{2, 5, 3, 7, 1, 4, 2, 2, 9, 0, 0, 0, 1, 1, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < 4 {
			return
		}
		in := Input{Workers: int(b[0]%8) + 1, Items: int(b[1]%16) + 1, Classes: int(b[2] % 6)}
		smooth := int64(b[3]) * One / 64
		rest := b[4:]
		for len(rest) >= 3 {
			in.Labels = append(in.Labels, Label{Worker: int32(rest[0] % 9), Item: int32(rest[1] % 17), Class: int32(rest[2] % 7)})
			rest = rest[3:]
		}
		if len(rest) > 0 && rest[0]%2 == 1 {
			in.Gold = make([]int32, in.Items)
			for i := range in.Gold {
				in.Gold[i] = NoGold
				if i < len(b) && b[i]%3 == 0 {
					in.Gold[i] = int32(b[i] % 6)
				}
			}
		}
		r, err := DawidSkene(in, Params{MaxIter: 20, Smoothing: smooth})
		if err != nil {
			if !errors.Is(err, ErrInput) {
				t.Fatalf("error %v does not wrap ErrInput", err)
			}
			return
		}
		for i := 0; i < in.Items; i++ {
			var sum int64
			for _, v := range r.Post[i*in.Classes : (i+1)*in.Classes] {
				if v < 0 || v > One {
					t.Fatalf("posterior %d out of [0, One]", v)
				}
				sum += v
			}
			if sum > One || sum < One-int64(in.Classes)*2 {
				t.Fatalf("item %d posteriors sum to %d", i, sum)
			}
			if r.Labels[i] < 0 || int(r.Labels[i]) >= in.Classes {
				t.Fatalf("label %d out of range", r.Labels[i])
			}
		}
	})
}
