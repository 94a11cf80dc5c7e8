package data

import (
	"encoding/hex"
	"fmt"

	"emergence/tx"
)

// Message kinds.
const (
	MsgCreateCrawl     = "data/create-crawl"
	MsgAddURLs         = "data/add-urls"
	MsgRegisterCrawler = "data/register-crawler"
	MsgCommitReceipts  = "data/commit-receipts"
	MsgRevealReceipts  = "data/reveal-receipts"
	MsgPublish         = "data/publish"
	MsgBuy             = "data/buy"
	MsgUnregister      = "data/unregister-crawler"
	MsgWithdraw        = "data/withdraw-stake"
)

// Bounds on message sizes, so each message's gas bounds its work.
const (
	// MaxSeeds is the most URLs one create-crawl or add-urls carries.
	MaxSeeds = 256
	// MaxBatch is the most commitments or reveals one message carries.
	MaxBatch = 256
	// MaxScopeEntries bounds a job's hosts and path prefixes each.
	MaxScopeEntries = 32
	// MaxLicenceLen bounds a licence string (an SPDX id or a short text).
	MaxLicenceLen = 128
	// MaxShards is the most shard blobs one dataset lists.
	MaxShards = 1024
	// MaxNameLen bounds a dataset's name.
	MaxNameLen = 128
	// DefaultK is the replication of a job that gives none.
	DefaultK = 2
)

// CreateCrawl posts a crawl job and escrows Budget from the signer. Seeds
// (normalised, in scope, depth 0) become the job's first URLs; URLList, when
// set, is the blob hash of a longer list whose URLs the requester adds with
// AddURLs. K = 0 means DefaultK; CommitBlocks and RevealBlocks of 0 take the
// module's defaults.
type CreateCrawl struct {
	Seeds          []string `json:"seeds"`
	URLList        string   `json:"url_list,omitempty"`
	Hosts          []string `json:"hosts,omitempty"`
	PathPrefixes   []string `json:"path_prefixes,omitempty"`
	MaxDepth       uint32   `json:"max_depth"`
	MaxPages       uint32   `json:"max_pages"`
	K              uint32   `json:"k,omitempty"`
	PricePerPage   uint64   `json:"price_per_page"`
	Budget         uint64   `json:"budget"`
	DeadlineBlocks int64    `json:"deadline_blocks"`
	CommitBlocks   int64    `json:"commit_blocks,omitempty"`
	RevealBlocks   int64    `json:"reveal_blocks,omitempty"`
	Licence        string   `json:"licence"`
}

// AddURLs adds depth-0 URLs to the signer's open job (e.g. from its
// URL-list blob).
type AddURLs struct {
	Job  uint64   `json:"job"`
	URLs []string `json:"urls"`
}

// RegisterCrawler registers the signer as a crawler, locking Stake; a
// registered crawler calling it again adds Stake (and is active again once
// its stake reaches the minimum).
type RegisterCrawler struct {
	Stake uint64 `json:"stake"`
}

// CommitItem commits to the receipt for URL Index of a job: Commitment is
// the hex of [Commitment](receipt, salt, sender).
type CommitItem struct {
	Index      uint64 `json:"index"`
	Commitment string `json:"commitment"`
}

// CommitReceipts commits a batch of receipts of one job.
type CommitReceipts struct {
	Job   uint64       `json:"job"`
	Items []CommitItem `json:"items"`
}

// WireReceipt is a [Receipt] as messages and queries carry it: hashes in
// hex. The job is the enclosing message's.
type WireReceipt struct {
	URL         string   `json:"url"`
	FinalURL    string   `json:"final_url"`
	Status      uint32   `json:"status"`
	ContentType string   `json:"content_type"`
	BodyHash    string   `json:"body_hash"`
	TextHash    string   `json:"text_hash"`
	WARC        string   `json:"warc"`
	Skip        string   `json:"skip,omitempty"`
	Links       []string `json:"links,omitempty"`
}

// RevealItem opens the sender's commitment for URL Index.
type RevealItem struct {
	Index   uint64      `json:"index"`
	Salt    string      `json:"salt"`
	Receipt WireReceipt `json:"receipt"`
}

// RevealReceipts reveals a batch of receipts of one job.
type RevealReceipts struct {
	Job   uint64       `json:"job"`
	Items []RevealItem `json:"items"`
}

// Publish registers a dataset built from a job's accepted pages: Root is
// the Merkle root of its records (data/shard), Manifest and Shards are blob
// hashes, Records must equal the job's accepted page count.
type Publish struct {
	Job      uint64   `json:"job"`
	Name     string   `json:"name"`
	Root     string   `json:"root"`
	Manifest string   `json:"manifest"`
	Shards   []string `json:"shards"`
	Records  uint64   `json:"records"`
	Price    uint64   `json:"price"`
	Licence  string   `json:"licence"`
}

// Buy pays a dataset's price; the sale is split between the crawlers of its
// records, the job's requester and the treasury.
type Buy struct {
	Dataset uint64 `json:"dataset"`
}

// Unregister takes the signer out of the active crawler set: it gets no
// new URLs, and may withdraw all its stake once every URL assigned to it
// has settled (2 × max_window blocks later).
type Unregister struct{}

// Withdraw releases Amount of the signer's crawler stake: down to the
// minimum while active, all of it once unregistered and released.
type Withdraw struct {
	Amount uint64 `json:"amount"`
}

// Wire returns r as a message carries it.
func Wire(r Receipt) WireReceipt {
	return WireReceipt{
		URL: r.URL, FinalURL: r.FinalURL, Status: r.Status, ContentType: r.ContentType,
		BodyHash: hex.EncodeToString(r.BodyHash[:]), TextHash: hex.EncodeToString(r.TextHash[:]),
		WARC: hex.EncodeToString(r.WARC[:]), Skip: r.Skip, Links: r.Links,
	}
}

// Receipt decodes w as the receipt of job, in canonical form.
func (w WireReceipt) Receipt(job uint64) (Receipt, error) {
	r := Receipt{Job: job, URL: w.URL, FinalURL: w.FinalURL, Status: w.Status, ContentType: w.ContentType, Skip: w.Skip, Links: w.Links}
	var err error
	if r.BodyHash, err = ParseHash(w.BodyHash); err != nil {
		return Receipt{}, fmt.Errorf("body_hash: %w", err)
	}
	if r.TextHash, err = ParseHash(w.TextHash); err != nil {
		return Receipt{}, fmt.Errorf("text_hash: %w", err)
	}
	if r.WARC, err = ParseHash(w.WARC); err != nil {
		return Receipt{}, fmt.Errorf("warc: %w", err)
	}
	return r.Canonical()
}

// ParseHash decodes a 64-hex-digit SHA-256.
func ParseHash(s string) ([32]byte, error) {
	var h [32]byte
	if len(s) != 64 {
		return h, fmt.Errorf("%q is not 64 hex digits", s)
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return h, fmt.Errorf("%q is not hex: %w", s, err)
	}
	return h, nil
}

// Seal returns the commit and the reveal of receipt r for URL index of its
// job, bound to crawler: the crawler sends the commit first and the reveal
// once the URL's reveal phase opens.
func Seal(r Receipt, index uint64, salt [32]byte, crawler tx.Address) (CommitItem, RevealItem, error) {
	c, err := r.Canonical()
	if err != nil {
		return CommitItem{}, RevealItem{}, err
	}
	h := Commitment(c, salt, crawler[:])
	return CommitItem{Index: index, Commitment: hex.EncodeToString(h[:])},
		RevealItem{Index: index, Salt: hex.EncodeToString(salt[:]), Receipt: Wire(c)}, nil
}
