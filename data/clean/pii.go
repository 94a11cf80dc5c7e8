package clean

import "regexp"

var (
	piiEmail = regexp.MustCompile(`\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b`)
	piiIPv4  = regexp.MustCompile(`\b(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\b`)
	piiPhone = regexp.MustCompile(`(?:\+\d{1,3}[ .-]?)?\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}\b`)
)

// MaskPII replaces e-mail addresses with "email@example.com", IPv4 addresses with
// "0.0.0.0" and North-American-style phone numbers (optional +country, 3-3-4 digits with
// separators) with "<phone>", as datatrove's PIIFormatter does for e-mail and IP.
func MaskPII(text string) string {
	text = piiEmail.ReplaceAllString(text, "email@example.com")
	text = piiIPv4.ReplaceAllString(text, "0.0.0.0")
	return piiPhone.ReplaceAllString(text, "<phone>")
}
