package gasbench

import "strings"

// Select returns the cases of one message kind (label/settle) or of one
// module's kinds (label); every case for "".
func Select(kind string) []Case {
	var out []Case
	for _, cs := range Cases() {
		if kind == "" || cs.Kind == kind || strings.HasPrefix(cs.Kind, kind+"/") {
			out = append(out, cs)
		}
	}
	return out
}
