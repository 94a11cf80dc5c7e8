package app

import (
	"net/url"
	"strconv"
	"strings"

	"emergence/store"
)

// QueryFunc answers one query route on committed state. args are the
// path segments that matched the route's {placeholders}, in order.
type QueryFunc func(r store.Reader, args []string, params url.Values) (any, error)

// Route is one query path pattern and its handler. A pattern is segments
// separated by '/': literal segments match themselves, a segment in braces
// ("{id}") matches any one segment, and a path matches only a pattern of as
// many segments. One segment of a pattern may be "{name...}": it matches one
// or more segments, given to the handler joined by '/' (an application
// name that contains slashes, say).
type Route struct {
	Pattern string
	Handle  QueryFunc
}

// Router answers a module's queries by path pattern: Module.Query is
// router.Query. The first route whose pattern matches answers; a path no
// route matches is a CodeBadQuery error listing the patterns.
type Router struct {
	module string
	routes []route
	want   string
}

type route struct {
	segs   []string
	handle QueryFunc
}

// NewRouter returns the router of module's query routes, tried in order.
func NewRouter(module string, routes ...Route) *Router {
	rt := &Router{module: module}
	pats := make([]string, 0, len(routes))
	for _, r := range routes {
		rt.routes = append(rt.routes, route{segs: strings.Split(r.Pattern, "/"), handle: r.Handle})
		pats = append(pats, r.Pattern)
	}
	rt.want = strings.Join(pats, ", ")
	return rt
}

// Query implements Module.Query.
func (rt *Router) Query(r store.Reader, path string, params url.Values) (any, error) {
	parts := strings.Split(path, "/")
	for _, ro := range rt.routes {
		if args, ok := ro.match(parts); ok {
			return ro.handle(r, args, params)
		}
	}
	return nil, CodeBadQuery.Errorf("unknown %s query %q (want %s)", rt.module, path, rt.want)
}

func (ro route) match(parts []string) ([]string, bool) {
	extra := len(parts) - len(ro.segs) // segments a {name...} takes beyond one
	if extra < 0 {
		return nil, false
	}
	var args []string
	i := 0
	for _, s := range ro.segs {
		switch {
		case strings.HasPrefix(s, "{") && strings.HasSuffix(s, "...}") && extra >= 0:
			args = append(args, strings.Join(parts[i:i+1+extra], "/"))
			i += 1 + extra
			extra = -1 // only one per pattern
		case len(s) >= 2 && s[0] == '{' && s[len(s)-1] == '}':
			args = append(args, parts[i])
			i++
		case s == parts[i]:
			i++
		default:
			return nil, false
		}
	}
	return args, extra <= 0 && i == len(parts)
}

// PageLimit reads a list query's ?limit=N: def when it is absent, else a
// number from 1 to max, or a CodeBadQuery error saying so.
func PageLimit(params url.Values, def, max int) (int, error) {
	s := params.Get("limit")
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > max {
		return 0, CodeBadQuery.Errorf("limit must be 1 to %d", max)
	}
	return n, nil
}
