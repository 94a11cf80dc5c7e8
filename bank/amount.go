package bank

import (
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

// Denominations. 1 EMG = 10^6 uemg; every amount on chain is in uemg.
const (
	BaseDenom    = "uemg"
	DisplayDenom = "emg"
	UnitsPerEMG  = 1_000_000
)

// ErrAmount is returned by ParseAmount for text that is not an amount.
var ErrAmount = errors.New("invalid amount")

// ParseAmount parses "1000uemg", "2.5emg" or a bare integer of uemg.
func ParseAmount(s string) (uint64, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	switch {
	case strings.HasSuffix(s, BaseDenom):
		return parseUint(strings.TrimSuffix(s, BaseDenom), s)
	case strings.HasSuffix(s, DisplayDenom):
		num := strings.TrimSuffix(s, DisplayDenom)
		whole, frac, hasFrac := strings.Cut(num, ".")
		if hasFrac && (len(frac) == 0 || len(frac) > 6) {
			return 0, fmt.Errorf("%w %q: at most 6 decimals of emg", ErrAmount, s)
		}
		w, err := parseUint(whole, s)
		if err != nil {
			return 0, err
		}
		hi, v := bits.Mul64(w, UnitsPerEMG)
		if hi != 0 {
			return 0, fmt.Errorf("%w %q: overflows", ErrAmount, s)
		}
		if hasFrac {
			f, err := parseUint(frac+strings.Repeat("0", 6-len(frac)), s)
			if err != nil {
				return 0, err
			}
			var carry uint64
			v, carry = bits.Add64(v, f, 0)
			if carry != 0 {
				return 0, fmt.Errorf("%w %q: overflows", ErrAmount, s)
			}
		}
		return v, nil
	default:
		return parseUint(s, s)
	}
}

func parseUint(num, orig string) (uint64, error) {
	if num == "" {
		return 0, fmt.Errorf("%w %q: want a number like 1000uemg or 2.5emg", ErrAmount, orig)
	}
	for _, c := range num {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%w %q: want a number like 1000uemg or 2.5emg", ErrAmount, orig)
		}
	}
	v, err := strconv.ParseUint(num, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w %q: overflows", ErrAmount, orig)
	}
	return v, nil
}

// FormatAmount renders uemg as EMG with up to 6 decimals, e.g. "2.5emg".
func FormatAmount(u uint64) string {
	whole, frac := u/UnitsPerEMG, u%UnitsPerEMG
	if frac == 0 {
		return fmt.Sprintf("%d%s", whole, DisplayDenom)
	}
	f := strings.TrimRight(fmt.Sprintf("%06d", frac), "0")
	return fmt.Sprintf("%d.%s%s", whole, f, DisplayDenom)
}
