// Package data is the on-chain half of the data market (issue 11): crawl
// jobs, crawler receipts with commit–reveal, deterministic URL assignment and
// datasets with provenance.
//
// This file holds the pure types and functions that the crawler worker and
// the chain module share: the [Receipt], its canonical encoding, the
// [Commitment] a crawler posts before revealing, the deterministic [Assign]
// function that picks which crawlers fetch a URL, and URL normalisation and
// scope checks. None of them touches the network, the clock or chain state.
package data

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// Receipt is what a crawler reports about one fetched URL of a crawl job.
// Two honest crawlers fetching the same page agree on TextHash even when the
// raw bytes (BodyHash) differ on dynamic pages.
type Receipt struct {
	// Job is the crawl job id.
	Job uint64
	// URL is the normalised URL the crawler was assigned.
	URL string
	// FinalURL is the normalised URL after in-scope redirects.
	FinalURL string
	// Status is the HTTP status code (0 when nothing was fetched).
	Status uint32
	// ContentType is the response's media type.
	ContentType string
	// BodyHash is the SHA-256 of the raw (decoded) body.
	BodyHash [32]byte
	// TextHash is the SHA-256 of the normalised extracted text.
	TextHash [32]byte
	// WARC is the blob hash of the WARC record holding the response.
	WARC [32]byte
	// Skip is why the page was not fetched or kept, e.g. "robots-disallowed";
	// empty for a fetched page.
	Skip string
	// Links are the normalised out-links the page lists, sorted and
	// deduplicated by [Receipt.Canonical]; at most MaxLinksPerReceipt.
	Links []string
}

// Bounds on a receipt's fields, so an item's gas bounds its work.
const (
	MaxURLLen          = 2048
	MaxContentTypeLen  = 128
	MaxSkipLen         = 64
	MaxLinksPerReceipt = 64
)

// receiptDomain separates receipt encodings from every other hashed message.
const receiptDomain = "emergence/data/receipt/v1"

// commitDomain separates receipt commitments.
const commitDomain = "emergence/data/commit/v1"

// assignDomain separates assignment seeds.
const assignDomain = "emergence/data/assign/v1"

// Canonical returns a copy of r with its links normalised, sorted and
// deduplicated, or an error if a field is out of bounds.
func (r Receipt) Canonical() (Receipt, error) {
	if len(r.URL) == 0 || len(r.URL) > MaxURLLen || len(r.FinalURL) > MaxURLLen {
		return Receipt{}, errors.New("receipt url empty or too long")
	}
	if len(r.ContentType) > MaxContentTypeLen {
		return Receipt{}, errors.New("receipt content type too long")
	}
	if len(r.Skip) > MaxSkipLen {
		return Receipt{}, errors.New("receipt skip reason too long")
	}
	if len(r.Links) > MaxLinksPerReceipt {
		return Receipt{}, fmt.Errorf("receipt lists %d links, at most %d", len(r.Links), MaxLinksPerReceipt)
	}
	links := make([]string, 0, len(r.Links))
	for _, l := range r.Links {
		n, err := NormalizeURL(l)
		if err != nil {
			return Receipt{}, fmt.Errorf("receipt link: %w", err)
		}
		links = append(links, n)
	}
	sort.Strings(links)
	out := links[:0]
	for i, l := range links {
		if i == 0 || l != links[i-1] {
			out = append(out, l)
		}
	}
	r.Links = out
	return r, nil
}

// Encode returns the canonical bytes of r: a domain tag, then every field in
// declaration order, integers big-endian and strings and lists
// length-prefixed, so distinct receipts never share an encoding. Call it on
// the result of [Receipt.Canonical].
func (r Receipt) Encode() []byte {
	var b []byte
	b = appendString(b, receiptDomain)
	b = binary.BigEndian.AppendUint64(b, r.Job)
	b = appendString(b, r.URL)
	b = appendString(b, r.FinalURL)
	b = binary.BigEndian.AppendUint32(b, r.Status)
	b = appendString(b, r.ContentType)
	b = append(b, r.BodyHash[:]...)
	b = append(b, r.TextHash[:]...)
	b = append(b, r.WARC[:]...)
	b = appendString(b, r.Skip)
	b = binary.BigEndian.AppendUint32(b, uint32(len(r.Links)))
	for _, l := range r.Links {
		b = appendString(b, l)
	}
	return b
}

// Commitment is the hash a crawler posts before revealing r. It binds the
// receipt, a secret salt and the crawler's own address, so a commitment
// copied from another crawler opens to nothing for the copier.
func Commitment(r Receipt, salt [32]byte, crawler []byte) [32]byte {
	var b []byte
	b = appendString(b, commitDomain)
	b = appendBytes(b, crawler)
	b = append(b, salt[:]...)
	b = appendBytes(b, r.Encode())
	return sha256.Sum256(b)
}

// Assign returns the indices into crawlers (which must be sorted and
// distinct) of the min(k, len(crawlers)) distinct crawlers that fetch url.
// The seed is the hash of the block in which url entered the job, so no
// crawler chooses its own URLs: each crawler is ranked by
// SHA-256(domain, blockHash, job, url, crawler) and the k lowest win
// (rendezvous hashing, which keeps assignments stable as crawlers join).
func Assign(blockHash []byte, job uint64, rawURL string, crawlers [][]byte, k int) []int {
	type ranked struct {
		score [32]byte
		i     int
	}
	rs := make([]ranked, len(crawlers))
	for i, c := range crawlers {
		var b []byte
		b = appendString(b, assignDomain)
		b = appendBytes(b, blockHash)
		b = binary.BigEndian.AppendUint64(b, job)
		b = appendString(b, rawURL)
		b = appendBytes(b, c)
		rs[i] = ranked{sha256.Sum256(b), i}
	}
	sort.Slice(rs, func(a, b int) bool {
		if c := compare32(rs[a].score, rs[b].score); c != 0 {
			return c < 0
		}
		return rs[a].i < rs[b].i
	})
	if k > len(rs) {
		k = len(rs)
	}
	if k < 0 {
		k = 0
	}
	out := make([]int, k)
	for i := range out {
		out[i] = rs[i].i
	}
	sort.Ints(out)
	return out
}

// NormalizeURL returns the canonical form of an absolute http or https URL:
// lowercase scheme and host, default port removed, empty path as "/", dot
// segments resolved, fragment dropped. The query is kept as given.
func NormalizeURL(raw string) (string, error) {
	if len(raw) == 0 || len(raw) > MaxURLLen {
		return "", errors.New("url empty or too long")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("parse url: %w", err)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("url %q: scheme must be http or https", raw)
	}
	if u.Host == "" || u.User != nil || u.Opaque != "" {
		return "", fmt.Errorf("url %q: need a host and no user info", raw)
	}
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	if port != "" {
		u.Host = host + ":" + port
	} else {
		u.Host = host
	}
	u.Fragment = ""
	u.RawFragment = ""
	if u.Path == "" {
		u.Path = "/"
	}
	u.Path = resolveDots(u.Path)
	u.RawPath = ""
	out := u.String()
	if len(out) > MaxURLLen {
		return "", errors.New("normalised url too long")
	}
	return out, nil
}

// resolveDots removes "." and ".." segments from an absolute path, keeping a
// trailing slash.
func resolveDots(p string) string {
	segs := strings.Split(p, "/")
	var out []string
	for _, s := range segs[1:] {
		switch s {
		case ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, s)
		}
	}
	last := segs[len(segs)-1]
	res := "/" + strings.Join(out, "/")
	if (last == "." || last == "..") && !strings.HasSuffix(res, "/") {
		res += "/"
	}
	return res
}

// Scope is a crawl job's scope: which hosts and path prefixes a URL may have,
// and how many link hops from a seed it may be.
type Scope struct {
	// Hosts are lowercase host names (with port if not default); empty
	// means any host.
	Hosts []string
	// PathPrefixes limit the path; empty means any path.
	PathPrefixes []string
	// MaxDepth is the largest link distance from a seed (seeds are depth 0).
	MaxDepth uint32
}

// InScope reports whether the normalised URL u at link depth depth is inside
// s. It returns false for a URL that does not parse.
func (s Scope) InScope(u string, depth uint32) bool {
	if depth > s.MaxDepth {
		return false
	}
	p, err := url.Parse(u)
	if err != nil {
		return false
	}
	if len(s.Hosts) > 0 {
		ok := false
		for _, h := range s.Hosts {
			if strings.EqualFold(h, p.Host) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if len(s.PathPrefixes) > 0 {
		ok := false
		for _, pre := range s.PathPrefixes {
			if strings.HasPrefix(p.Path, pre) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func appendString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

func appendBytes(b []byte, p []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(p)))
	return append(b, p...)
}

func compare32(a, b [32]byte) int {
	for i := range a {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}
