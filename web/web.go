// Package web is the node's web app: a block explorer and one page per
// market, written as plain HTML, CSS and JavaScript modules embedded in the
// binary, so a node serves it with no network access and no build step.
//
// The pages read the node's JSON API (/v1/...) from the browser and follow
// its event stream for live updates; this package only serves the files
// and answers each page address with the right HTTP status: 404 for an
// unknown page, height, transaction or account (checked against the API
// itself), 400 for a malformed search, so a link to something that does not
// exist is a not-found page and not an empty one.
//
// Chain data is only ever put into pages as text (the scripts build DOM
// nodes and set textContent; they never assign innerHTML), and the
// Content-Security-Policy allows scripts, styles and connections to this
// origin only.
//
// Package cmd/emergence mounts Handler on the API server (api.Server.Mount);
// the node itself never imports this package. LabelerPage is the page the
// labeler worker serves on loopback for a person labeling by hand.
package web

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"

	"emergence/tx"
)

//go:embed static
var static embed.FS

// assets is the static folder as served under /assets/.
var assets = mustSub(static, "static")

func mustSub(f fs.FS, dir string) fs.FS {
	s, err := fs.Sub(f, dir)
	if err != nil {
		panic(err) // the embed pattern above guarantees the folder
	}
	return s
}

// page is index.html; the server fills in the status it answered with and
// a message for the scripts to show when it is not 200.
var page = template.Must(template.ParseFS(static, "static/index.html"))

var labelerPage = template.Must(template.ParseFS(static, "static/labeler.html"))

// Sections are the first path segments of the app's pages; any other path
// is a 404 page.
var Sections = []string{"blocks", "block", "tx", "account", "search", "label", "subnets", "subnet", "zkml", "personhood", "devices", "device", "provenance", "data", "compute"}

// securityHeaders keeps every page to this origin: no inline script, no
// third-party host, no framing.
func securityHeaders(w http.ResponseWriter) {
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
}

// Handler serves the web app: /assets/... from the embedded files and
// every page path as index.html with its status. api is the node's API
// handler, asked (in process) whether a block, transaction or account
// exists before a page for it is answered 200.
func Handler(api http.Handler) http.Handler {
	files := http.FileServerFS(assets)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w)
		if strings.HasPrefix(r.URL.Path, "/assets/") {
			serveAsset(w, r, files)
			return
		}
		if r.URL.Path == "/search" {
			search(w, r, api)
			return
		}
		status, msg := pageStatus(r.URL.Path, api)
		renderPage(w, status, msg)
	})
}

// LabelerPage serves the labeling page of the labeler worker: /
// and /assets/...; the worker serves its own JSON next to it.
func LabelerPage() http.Handler {
	files := http.FileServerFS(assets)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w)
		if strings.HasPrefix(r.URL.Path, "/assets/") {
			serveAsset(w, r, files)
			return
		}
		if r.URL.Path != "/" {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprintf(w, "no page %s: the labeling page is at /\n", r.URL.Path)
			return
		}
		var buf bytes.Buffer
		if err := labelerPage.Execute(&buf, nil); err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(buf.Bytes())
	})
}

// serveAsset serves one embedded file; folders are not listed.
func serveAsset(w http.ResponseWriter, r *http.Request, files http.Handler) {
	if strings.HasSuffix(r.URL.Path, "/") {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	http.StripPrefix("/assets", files).ServeHTTP(w, r)
}

type pageData struct {
	Status  int
	Message string
}

func renderPage(w http.ResponseWriter, status int, msg string) {
	var buf bytes.Buffer
	if err := page.Execute(&buf, pageData{Status: status, Message: msg}); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// pageStatus decides the status of a page path: 404 for a section the app
// does not have, and for a block, tx or account page whatever the API
// answers for the object.
func pageStatus(path string, api http.Handler) (int, string) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if parts[0] == "" {
		return http.StatusOK, ""
	}
	known := false
	for _, s := range Sections {
		known = known || s == parts[0]
	}
	if !known {
		return http.StatusNotFound, fmt.Sprintf("there is no page %s", path)
	}
	if len(parts) != 2 {
		return http.StatusOK, ""
	}
	switch parts[0] {
	case "block":
		return probe(api, "/v1/blocks/"+parts[1], "block "+parts[1])
	case "tx":
		return probe(api, "/v1/txs/"+parts[1], "transaction "+parts[1])
	case "account":
		if _, err := tx.ParseAddress(parts[1]); err != nil {
			return http.StatusNotFound, fmt.Sprintf("%q is not an account address", parts[1])
		}
	}
	return http.StatusOK, ""
}

// probe asks the API for path and turns its status into the page's: 200,
// or 404 (for the API's 400 and 404 alike: a malformed id names nothing).
func probe(api http.Handler, path, what string) (int, string) {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	rec := httptest.NewRecorder()
	api.ServeHTTP(rec, req)
	switch {
	case rec.Code == http.StatusOK:
		return http.StatusOK, ""
	case rec.Code == http.StatusNotFound || rec.Code == http.StatusBadRequest:
		return http.StatusNotFound, fmt.Sprintf("no %s on this chain", what)
	}
	return http.StatusBadGateway, fmt.Sprintf("the node could not answer for %s (status %d)", what, rec.Code)
}

// blockHeight asks the API for the block with a hash.
func blockHeight(api http.Handler, hash string) (int64, bool) {
	rec := httptest.NewRecorder()
	api.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/blocks?hash="+hash, nil))
	var list struct {
		Blocks []struct {
			Height int64 `json:"height"`
		} `json:"blocks"`
	}
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &list) != nil || len(list.Blocks) != 1 {
		return 0, false
	}
	return list.Blocks[0].Height, true
}

var (
	hexHash = regexp.MustCompile(`^[0-9A-Fa-f]{64}$`)
	digits  = regexp.MustCompile(`^[0-9]{1,19}$`)
)

// search answers /search?q=...: a height, a tx or block hash (64 hex
// digits, tried as a tx first) or an address redirects to its page;
// anything else is a 400 page saying what a term may be.
func search(w http.ResponseWriter, r *http.Request, api http.Handler) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	switch {
	case q == "":
		renderPage(w, http.StatusBadRequest, "type a block height, a transaction hash or an address (emg1...)")
	case digits.MatchString(q):
		h, err := strconv.ParseInt(q, 10, 64)
		if err != nil || h <= 0 {
			renderPage(w, http.StatusBadRequest, fmt.Sprintf("%q is not a block height: heights start at 1", q))
			return
		}
		if st, msg := probe(api, "/v1/blocks/"+q, "block "+q); st != http.StatusOK {
			renderPage(w, st, msg)
			return
		}
		http.Redirect(w, r, "/block/"+strconv.FormatInt(h, 10), http.StatusFound)
	case hexHash.MatchString(q):
		hash := strings.ToUpper(q)
		if st, _ := probe(api, "/v1/txs/"+hash, ""); st == http.StatusOK {
			http.Redirect(w, r, "/tx/"+hash, http.StatusFound)
			return
		}
		if h, ok := blockHeight(api, hash); ok {
			http.Redirect(w, r, "/block/"+strconv.FormatInt(h, 10), http.StatusFound)
			return
		}
		renderPage(w, http.StatusNotFound, fmt.Sprintf("no transaction or block with hash %s on this chain", hash))
	case strings.HasPrefix(strings.ToLower(q), tx.AddressPrefix+"1"):
		a, err := tx.ParseAddress(strings.ToLower(q))
		if err != nil {
			renderPage(w, http.StatusBadRequest, fmt.Sprintf("%q looks like an address but is not one: %v", q, err))
			return
		}
		http.Redirect(w, r, "/account/"+a.String(), http.StatusFound)
	default:
		renderPage(w, http.StatusBadRequest, fmt.Sprintf("%q is not a block height, a transaction hash (64 hex digits) or an address (emg1...)", q))
	}
}
