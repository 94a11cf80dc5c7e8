// Package crawl is the crawler's fetching library: a polite HTTP fetcher that
// obeys robots.txt (github.com/temoto/robotstxt) and its crawl-delay, limits
// its rate per host (golang.org/x/time/rate), sends a clear User-Agent, keeps
// to a job's scope (hosts, path prefixes, depth), caps body and decompressed
// sizes and times out servers that never finish, and stores every response it
// keeps as a WARC record (github.com/nlnwa/gowarc) in a blob store.
//
// A fetch never fails silently: every URL gets a Result, and a URL that was
// not fetched or not kept carries a Reason (robots, scope, size, type,
// timeout) that the worker puts in its receipt.
package crawl

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nlnwa/gowarc/v3"
	"github.com/temoto/robotstxt"
	"golang.org/x/net/html"
	"golang.org/x/time/rate"

	"emergence/blob"
	"emergence/data/clean"
)

// UserAgent is the User-Agent every request sends; its robots.txt token is
// "EmergenceCrawler".
const UserAgent = "EmergenceCrawler/0.1 (+https://github.com/emergence/emergence/tree/main/data/crawl)"

// robotsAgent is the token matched against robots.txt User-agent lines.
const robotsAgent = "EmergenceCrawler"

// Reason says why a URL was not fetched or not kept. The empty Reason means
// the page was fetched and stored.
type Reason string

// Reasons a Result may carry.
const (
	ReasonOK          Reason = ""
	ReasonBadURL      Reason = "bad-url"
	ReasonOutOfScope  Reason = "out-of-scope"
	ReasonRobots      Reason = "robots-disallowed"
	ReasonRedirect    Reason = "redirect-out-of-scope"
	ReasonTooLarge    Reason = "body-too-large"
	ReasonInflated    Reason = "decompressed-too-large"
	ReasonTimeout     Reason = "timeout"
	ReasonContentType Reason = "content-type"
	ReasonHTTPError   Reason = "http-error"
	ReasonFetchError  Reason = "fetch-error"
)

// Scope is the part of the web a job may crawl.
type Scope struct {
	// Hosts are the host names (with port, if any) in scope; empty means
	// the hosts of the seeds.
	Hosts []string
	// PathPrefixes limit paths; empty means every path.
	PathPrefixes []string
	// MaxDepth is how many links from a seed are followed (0: seeds only).
	MaxDepth int
}

// In reports whether u is in scope.
func (s Scope) In(u *url.URL) bool {
	if u.Scheme != "http" && u.Scheme != "https" {
		return false
	}
	okHost := false
	for _, h := range s.Hosts {
		if strings.EqualFold(h, u.Host) {
			okHost = true
			break
		}
	}
	if !okHost {
		return false
	}
	if len(s.PathPrefixes) == 0 {
		return true
	}
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	for _, pre := range s.PathPrefixes {
		if strings.HasPrefix(p, pre) {
			return true
		}
	}
	return false
}

// Config sets a Fetcher's limits. Zero fields take the defaults below.
type Config struct {
	Scope Scope
	// Store receives each kept response as a WARC record; nil keeps none.
	Store blob.Store
	// MaxBody caps the bytes read from the wire (default 4 MiB).
	MaxBody int64
	// MaxDecoded caps a body after gzip decompression (default 16 MiB).
	MaxDecoded int64
	// HeaderTimeout bounds the wait for response headers (default 10s).
	HeaderTimeout time.Duration
	// TotalTimeout bounds a whole fetch, body included (default 30s).
	TotalTimeout time.Duration
	// RatePerHost is requests per second per host (default 10); a robots.txt
	// crawl-delay lowers it for that host.
	RatePerHost float64
	// Transport overrides the HTTP transport (tests); nil builds one.
	Transport http.RoundTripper
}

// Result is the outcome of fetching one URL: what a receipt records.
type Result struct {
	URL         string
	FinalURL    string
	Status      int
	ContentType string
	// BodyHash is the SHA-256 of the decoded body, TextHash that of its
	// normalised extracted text, WARC the blob hash of the WARC record.
	BodyHash [32]byte
	TextHash [32]byte
	WARC     [32]byte
	Reason   Reason
	Detail   string
	// Links are the in-scope links found on the page (absolute, without
	// fragments, deduplicated, in document order).
	Links []string
	// Text is the normalised extracted text that TextHash hashes.
	Text string
}

// Fetcher fetches pages politely. It is safe for concurrent use.
type Fetcher struct {
	cfg    Config
	client *http.Client

	mu      sync.Mutex
	robots  map[string]*robotstxt.RobotsData
	limiter map[string]*rate.Limiter
}

// New returns a Fetcher with cfg's limits.
func New(cfg Config) *Fetcher {
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 4 << 20
	}
	if cfg.MaxDecoded <= 0 {
		cfg.MaxDecoded = 16 << 20
	}
	if cfg.HeaderTimeout <= 0 {
		cfg.HeaderTimeout = 10 * time.Second
	}
	if cfg.TotalTimeout <= 0 {
		cfg.TotalTimeout = 30 * time.Second
	}
	if cfg.RatePerHost <= 0 {
		cfg.RatePerHost = 10
	}
	tr := cfg.Transport
	if tr == nil {
		tr = &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			ResponseHeaderTimeout: cfg.HeaderTimeout,
			// Gzip is decoded here, under MaxDecoded, not by the transport.
			DisableCompression:  true,
			MaxIdleConnsPerHost: 8,
			IdleConnTimeout:     30 * time.Second,
		}
	}
	f := &Fetcher{cfg: cfg, robots: map[string]*robotstxt.RobotsData{}, limiter: map[string]*rate.Limiter{}}
	f.client = &http.Client{
		Transport: tr,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 10 {
				return &redirectError{reason: ReasonRedirect, url: req.URL.String(), detail: "more than 10 redirects"}
			}
			if !f.cfg.Scope.In(req.URL) {
				return &redirectError{reason: ReasonRedirect, url: req.URL.String(), detail: "redirect to " + req.URL.String() + " is out of scope"}
			}
			req.Header.Set("User-Agent", UserAgent)
			return nil
		},
	}
	return f
}

type redirectError struct {
	reason Reason
	url    string
	detail string
}

func (e *redirectError) Error() string { return e.detail }

// Fetch fetches raw (a URL in scope), stores the response as a WARC record
// and returns its Result. A Result with a Reason is not an error: errors are
// only for a failing blob store or a cancelled ctx.
func (f *Fetcher) Fetch(ctx context.Context, raw string) (Result, error) {
	res := Result{URL: raw}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		res.Reason, res.Detail = ReasonBadURL, fmt.Sprintf("malformed url %q", raw)
		return res, nil
	}
	if !f.cfg.Scope.In(u) {
		res.Reason, res.Detail = ReasonOutOfScope, u.String()+" is outside the job's scope"
		return res, nil
	}
	rob, err := f.robotsFor(ctx, u)
	if err != nil {
		return res, err
	}
	if rob != nil && !rob.TestAgent(u.RequestURI(), robotsAgent) {
		res.Reason, res.Detail = ReasonRobots, "robots.txt disallows "+u.RequestURI()
		return res, nil
	}
	if err := f.wait(ctx, u.Host); err != nil {
		return res, err
	}
	ctx, cancel := context.WithTimeout(ctx, f.cfg.TotalTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		res.Reason, res.Detail = ReasonBadURL, err.Error()
		return res, nil
	}
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := f.client.Do(req)
	if err != nil {
		var re *redirectError
		switch {
		case errors.As(err, &re):
			res.Reason, res.Detail = re.reason, re.detail
		case isTimeout(err):
			res.Reason, res.Detail = ReasonTimeout, err.Error()
		default:
			if ctxErr := parentErr(ctx); ctxErr != nil {
				return res, ctxErr
			}
			res.Reason, res.Detail = ReasonFetchError, err.Error()
		}
		return res, nil
	}
	defer resp.Body.Close()
	res.FinalURL = resp.Request.URL.String()
	res.Status = resp.StatusCode
	res.ContentType = resp.Header.Get("Content-Type")
	wire, err := io.ReadAll(io.LimitReader(resp.Body, f.cfg.MaxBody+1))
	if err != nil {
		if isTimeout(err) {
			res.Reason, res.Detail = ReasonTimeout, "body: "+err.Error()
			return res, nil
		}
		res.Reason, res.Detail = ReasonFetchError, "body: "+err.Error()
		return res, nil
	}
	if int64(len(wire)) > f.cfg.MaxBody {
		res.Reason, res.Detail = ReasonTooLarge, fmt.Sprintf("body over %d bytes", f.cfg.MaxBody)
		return res, nil
	}
	body := wire
	if strings.EqualFold(resp.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(bytes.NewReader(wire))
		if err != nil {
			res.Reason, res.Detail = ReasonFetchError, "gzip: "+err.Error()
			return res, nil
		}
		body, err = io.ReadAll(io.LimitReader(zr, f.cfg.MaxDecoded+1))
		if err != nil {
			res.Reason, res.Detail = ReasonFetchError, "gzip: "+err.Error()
			return res, nil
		}
		if int64(len(body)) > f.cfg.MaxDecoded {
			res.Reason, res.Detail = ReasonInflated, fmt.Sprintf("gzip body inflates past %d bytes", f.cfg.MaxDecoded)
			return res, nil
		}
	}
	res.BodyHash = sha256.Sum256(body)
	if f.cfg.Store != nil {
		h, err := f.storeWARC(ctx, res.FinalURL, resp, body)
		if err != nil {
			return res, err
		}
		res.WARC = h
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		res.Reason, res.Detail = ReasonHTTPError, resp.Status
		return res, nil
	}
	mt, _, _ := mime.ParseMediaType(res.ContentType)
	if mt != "text/html" && mt != "application/xhtml+xml" {
		res.Reason, res.Detail = ReasonContentType, "content type "+strconv.Quote(res.ContentType)+" is not HTML"
		return res, nil
	}
	res.Text = clean.PageText(body, res.FinalURL)
	res.TextHash = sha256.Sum256([]byte(res.Text))
	for _, l := range Links(resp.Request.URL, body) {
		if lu, err := url.Parse(l); err == nil && f.cfg.Scope.In(lu) {
			res.Links = append(res.Links, l)
		}
	}
	return res, nil
}

// storeWARC writes a WARC/1.1 response record (the HTTP status line, headers
// and decoded body) to the blob store and returns its hash.
func (f *Fetcher) storeWARC(ctx context.Context, target string, resp *http.Response, body []byte) ([32]byte, error) {
	var hb bytes.Buffer
	fmt.Fprintf(&hb, "HTTP/1.1 %s\r\n", resp.Status)
	hdr := resp.Header.Clone()
	hdr.Del("Content-Encoding") // the record holds the decoded body
	hdr.Del("Transfer-Encoding")
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	if err := hdr.Write(&hb); err != nil {
		return [32]byte{}, fmt.Errorf("warc header: %w", err)
	}
	hb.WriteString("\r\n")
	hb.Write(body)
	rb := gowarc.NewRecordBuilder(gowarc.Response, gowarc.WithAddMissingDigest(true),
		gowarc.WithAddMissingRecordId(true), gowarc.WithAddMissingContentLength(true))
	if _, err := rb.Write(hb.Bytes()); err != nil {
		return [32]byte{}, fmt.Errorf("warc block: %w", err)
	}
	rb.AddWarcHeader(gowarc.WarcTargetURI, target)
	rb.AddWarcHeaderTime(gowarc.WarcDate, time.Now().UTC())
	rb.AddWarcHeader(gowarc.ContentType, "application/http;msgtype=response")
	rec, _, err := rb.Build()
	if err != nil {
		return [32]byte{}, fmt.Errorf("warc build: %w", err)
	}
	defer rec.Close()
	var out bytes.Buffer
	if _, _, err := gowarc.NewMarshaler().Marshal(&out, rec, 0); err != nil {
		return [32]byte{}, fmt.Errorf("warc marshal: %w", err)
	}
	h := sha256.Sum256(out.Bytes())
	if err := f.cfg.Store.Put(ctx, h, bytes.NewReader(out.Bytes())); err != nil {
		return [32]byte{}, fmt.Errorf("store warc record: %w", err)
	}
	return h, nil
}

// robotsFor returns the host's parsed robots.txt, fetching it once. A missing
// robots.txt (4xx) allows everything; 5xx or an unreachable host disallows
// everything, as RFC 9309 says.
func (f *Fetcher) robotsFor(ctx context.Context, u *url.URL) (*robotstxt.RobotsData, error) {
	key := u.Scheme + "://" + u.Host
	f.mu.Lock()
	r, ok := f.robots[key]
	f.mu.Unlock()
	if ok {
		return r, nil
	}
	rctx, cancel := context.WithTimeout(ctx, f.cfg.TotalTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, key+"/robots.txt", nil)
	if err != nil {
		return nil, fmt.Errorf("robots request: %w", err)
	}
	req.Header.Set("User-Agent", UserAgent)
	var status int
	var body []byte
	resp, err := f.client.Do(req)
	if err != nil {
		if ctxErr := parentErr(ctx); ctxErr != nil {
			return nil, ctxErr
		}
		status = http.StatusServiceUnavailable
	} else {
		body, _ = io.ReadAll(io.LimitReader(resp.Body, 512<<10))
		resp.Body.Close()
		status = resp.StatusCode
	}
	r, err = robotstxt.FromStatusAndBytes(status, body)
	if err != nil {
		r, _ = robotstxt.FromStatusAndBytes(http.StatusOK, nil)
	}
	f.mu.Lock()
	f.robots[key] = r
	if g := r.FindGroup(robotsAgent); g != nil && g.CrawlDelay > 0 {
		f.limiter[u.Host] = rate.NewLimiter(rate.Every(g.CrawlDelay), 1)
	}
	f.mu.Unlock()
	return r, nil
}

// wait blocks until the host's rate limit allows another request.
func (f *Fetcher) wait(ctx context.Context, host string) error {
	f.mu.Lock()
	l, ok := f.limiter[host]
	if !ok {
		l = rate.NewLimiter(rate.Limit(f.cfg.RatePerHost), 1)
		f.limiter[host] = l
	}
	f.mu.Unlock()
	if err := l.Wait(ctx); err != nil {
		return fmt.Errorf("rate limit %s: %w", host, err)
	}
	return nil
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var te interface{ Timeout() bool }
	return errors.As(err, &te) && te.Timeout()
}

// parentErr reports a cancellation of the caller's context (not our timeout).
func parentErr(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.Canceled) {
		return ctx.Err()
	}
	return nil
}

// Links returns the page's links resolved against base, without fragments, deduplicated in
// document order, from one pass of the HTML tokenizer over the <a href> tags. (The page's text, which receipts hash, is data/clean's PageText: one
// definition for every crawler and dataset builder.)
func Links(base *url.URL, body []byte) []string {
	var links []string
	seen := map[string]bool{}
	z := html.NewTokenizer(bytes.NewReader(body))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return links
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		name, hasAttr := z.TagName()
		if len(name) != 1 || name[0] != 'a' {
			continue
		}
		for hasAttr {
			var k, v []byte
			k, v, hasAttr = z.TagAttr()
			if string(k) != "href" {
				continue
			}
			hasAttr = false // a repeated href is ignored, as HTML parsers do
			ref, err := url.Parse(strings.TrimSpace(string(v)))
			if err != nil {
				continue
			}
			abs := base.ResolveReference(ref)
			abs.Fragment = ""
			s := abs.String()
			if !seen[s] {
				seen[s] = true
				links = append(links, s)
			}
		}
	}
}
