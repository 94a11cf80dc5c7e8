package clean

import (
	"regexp"
	"strings"
)

var (
	piiEmail = regexp.MustCompile(`\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b`)
	piiIPv4  = regexp.MustCompile(`\b(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\b`)
	piiPhone = regexp.MustCompile(`(?:\+\d{1,3}[ .-]?)?\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}\b`)
)

// MaskPII replaces e-mail addresses with "email@example.com", IPv4 addresses with
// "0.0.0.0" and North-American-style phone numbers (optional +country, 3-3-4 digits with
// separators) with "<phone>", as datatrove's PIIFormatter does for e-mail and IP.
//
// No match crosses a line (none of the patterns matches a newline), so each expression
// runs only on the lines that could hold a match: an "@" for an address, a digit, a dot and
// a digit for an IP, ten digits for a phone number. The result is the same as running the
// expressions over the whole text, without their cost on the lines that cannot match.
func MaskPII(text string) string {
	var b strings.Builder
	changed := false
	for rest := text; len(rest) > 0; {
		line := rest
		nl := strings.IndexByte(rest, '\n')
		if nl >= 0 {
			line, rest = rest[:nl+1], rest[nl+1:]
		} else {
			rest = ""
		}
		masked := line
		if strings.IndexByte(line, '@') >= 0 {
			masked = piiEmail.ReplaceAllString(masked, "email@example.com")
		}
		digits, dotted := lineDigits(masked)
		if dotted {
			masked = piiIPv4.ReplaceAllString(masked, "0.0.0.0")
		}
		if digits >= 10 {
			masked = piiPhone.ReplaceAllString(masked, "<phone>")
		}
		if masked != line && !changed {
			changed = true
			b.Grow(len(text))
			b.WriteString(text[:len(text)-len(rest)-len(line)])
		}
		if changed {
			b.WriteString(masked)
		}
	}
	if !changed {
		return text
	}
	return b.String()
}

// lineDigits counts a line's ASCII digits and reports whether a digit, a dot and a digit
// follow one another somewhere in it.
func lineDigits(s string) (digits int, dotted bool) {
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			digits++
			if i+2 < len(s) && s[i+1] == '.' && s[i+2] >= '0' && s[i+2] <= '9' {
				dotted = true
			}
		}
	}
	return digits, dotted
}
