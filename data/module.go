package data

import (
	"encoding/json"
	"fmt"
	"net/url"

	"emergence/app"
	"emergence/store"
	"emergence/tx"
)

// Bank is what the module needs from the bank: escrow for budgets and
// stakes, payouts, and the treasury.
type Bank interface {
	Lock(kv store.KV, from tx.Address, module string, amt uint64) error
	Release(kv store.KV, module string, to tx.Address, amt uint64) error
	MoveModule(kv store.KV, from, to string, amt uint64) error
	ModuleBalance(r store.Reader, name string) uint64
	RegisterAccount(ctx *app.Context, name string) error
}

// Params are the module's genesis parameters.
type Params struct {
	// CrawlerStake is the least stake (uemg) an active crawler holds.
	CrawlerStake uint64 `json:"crawler_stake"`
	// MaxCrawlers bounds the active crawler set (assignment hashes each
	// active crawler once per URL).
	MaxCrawlers uint32 `json:"max_crawlers"`
	// MaxK bounds a job's replication.
	MaxK uint32 `json:"max_k"`
	// MaxPages bounds one job's URLs.
	MaxPages uint32 `json:"max_pages"`
	// MaxDepth bounds a job's link depth.
	MaxDepth uint32 `json:"max_depth"`
	// MaxDeadlineBlocks bounds how long a job runs.
	MaxDeadlineBlocks int64 `json:"max_deadline_blocks"`
	// CommitBlocks and RevealBlocks are the default windows of a URL; a
	// job may choose 1 to MaxWindow.
	CommitBlocks int64 `json:"commit_blocks"`
	RevealBlocks int64 `json:"reveal_blocks"`
	MaxWindow    int64 `json:"max_window"`
	// UnrevealedSlash is taken from a crawler's stake for each commit it
	// never reveals.
	UnrevealedSlash uint64 `json:"unrevealed_slash"`
	// DisagreeSlash is taken for each disagreement once a crawler has
	// StrikesBeforeSlash of them in a row.
	DisagreeSlash      uint64 `json:"disagree_slash"`
	StrikesBeforeSlash uint32 `json:"strikes_before_slash"`
	// SettleWorkPerBlock bounds end-of-block settlement work (one unit per
	// URL settled plus one per assignment hash of the URLs it adds).
	SettleWorkPerBlock uint64 `json:"settle_work_per_block"`
	// Shares of a dataset sale in permille: the records' crawlers, the
	// job's requester; the treasury gets the rest and every rounding.
	CrawlerShare   uint64 `json:"crawler_share"`
	RequesterShare uint64 `json:"requester_share"`
}

// DefaultParams are used when genesis has no "data" section.
func DefaultParams() Params {
	return Params{
		CrawlerStake: 1_000_000, MaxCrawlers: 256, MaxK: 8, MaxPages: 100_000, MaxDepth: 16,
		MaxDeadlineBlocks: 1_000_000, CommitBlocks: 20, RevealBlocks: 20, MaxWindow: 1_000,
		UnrevealedSlash: 10_000, DisagreeSlash: 50_000, StrikesBeforeSlash: 3,
		SettleWorkPerBlock: 1 << 16, CrawlerShare: 700, RequesterShare: 200,
	}
}

func (p Params) validate() error {
	switch {
	case p.CrawlerStake == 0:
		return fmt.Errorf("crawler_stake must be positive")
	case p.MaxCrawlers == 0 || p.MaxCrawlers > 1024:
		return fmt.Errorf("max_crawlers must be 1 to 1024")
	case p.MaxK == 0 || p.MaxK > 16:
		return fmt.Errorf("max_k must be 1 to 16")
	case p.MaxPages == 0 || p.MaxPages > 10_000_000:
		return fmt.Errorf("max_pages must be 1 to 10,000,000")
	case p.MaxDepth > 64:
		return fmt.Errorf("max_depth at most 64")
	case p.MaxDeadlineBlocks <= 0:
		return fmt.Errorf("max_deadline_blocks must be positive")
	case p.MaxWindow <= 0 || p.CommitBlocks <= 0 || p.RevealBlocks <= 0 || p.CommitBlocks > p.MaxWindow || p.RevealBlocks > p.MaxWindow:
		return fmt.Errorf("commit_blocks and reveal_blocks must be 1 to max_window")
	case p.SettleWorkPerBlock == 0:
		return fmt.Errorf("settle_work_per_block must be positive")
	case p.CrawlerShare+p.RequesterShare > 1000:
		return fmt.Errorf("crawler_share + requester_share at most 1000 permille")
	}
	return nil
}

// Genesis is the module's genesis section.
type Genesis struct {
	Params Params `json:"params"`
}

// Gas of each message. Per-item gas is charged as the handler meets the
// items; see bench/gasbench/data.go for the worst cases measured.
const (
	GasCreateCrawl     = 40_000
	GasAddURLs         = 20_000
	GasRegisterCrawler = 60_000
	GasCommitReceipts  = 10_000
	GasRevealReceipts  = 10_000
	GasPublish         = 40_000
	GasBuy             = 40_000
	GasWithdraw        = 20_000
	// GasPerURL is one URL entering a job: normalising, scope, the
	// seen-check, its page record, k assignment index entries and its
	// settlement later. A seed is charged it by create-crawl or add-urls;
	// a discovered link by the reveal whose settlement adds it.
	GasPerURL = 10_000
	// GasPerAssignHash is one rendezvous hash of a URL with one active
	// crawler (charged active-set-size times per URL).
	GasPerAssignHash = 150
	// GasPerLink is one link of a revealed receipt: normalising it and,
	// if the page is accepted, intersecting it and checking scope and
	// whether the job has seen it.
	GasPerLink = 1_000
	// GasPerCommit is one stored commitment.
	GasPerCommit = 12_000
	// GasPerReveal is one opened receipt: its canonical form, the
	// commitment hash, its stored copy, and settling its URL.
	GasPerReveal = 60_000
	// GasPerShard is one shard hash of a published dataset.
	GasPerShard = 300
	// GasPerShare is one crawler's share of a sale.
	GasPerShare = 2_000
	// GasPerDisplaceScan is charged per active crawler read when a
	// registration into a full set looks for the least-staked member.
	GasPerDisplaceScan = 300
)

// MaxPage is the most records one list query returns.
const MaxPage = 100

// Module is the data module.
type Module struct {
	bank   Bank
	router *app.Router
}

// New returns the module; b escrows budgets and stakes.
func New(b Bank) *Module {
	m := &Module{bank: b}
	m.router = app.NewRouter(Name, m.routes()...)
	return m
}

// Name implements app.Module.
func (m *Module) Name() string { return Name }

// Msgs implements app.Module.
func (m *Module) Msgs() []app.MsgHandler {
	return []app.MsgHandler{
		{Type: MsgCreateCrawl, Gas: GasCreateCrawl, Handle: m.handleCreateCrawl},
		{Type: MsgAddURLs, Gas: GasAddURLs, Handle: m.handleAddURLs},
		{Type: MsgRegisterCrawler, Gas: GasRegisterCrawler, Handle: m.handleRegisterCrawler},
		{Type: MsgCommitReceipts, Gas: GasCommitReceipts, Handle: m.handleCommit},
		{Type: MsgRevealReceipts, Gas: GasRevealReceipts, Handle: m.handleReveal},
		{Type: MsgPublish, Gas: GasPublish, Handle: m.handlePublish},
		{Type: MsgBuy, Gas: GasBuy, Handle: m.handleBuy},
		{Type: MsgUnregister, Gas: GasRegisterCrawler, Handle: m.handleUnregister},
		{Type: MsgWithdraw, Gas: GasWithdraw, Handle: m.handleWithdraw},
	}
}

// InitGenesis implements app.Module.
func (m *Module) InitGenesis(ctx *app.Context, raw json.RawMessage) error {
	g := Genesis{Params: DefaultParams()}
	if err := app.DecodeGenesis(raw, &g); err != nil {
		return fmt.Errorf("decode data genesis: %w", err)
	}
	if err := g.Params.validate(); err != nil {
		return fmt.Errorf("data genesis: %w", err)
	}
	store.PutJSON(ctx.KV, keyParams, g.Params)
	putActive(ctx.KV, nil)
	if err := m.bank.RegisterAccount(ctx, Treasury); err != nil {
		return err
	}
	return m.bank.RegisterAccount(ctx, Escrow)
}

func (m *Module) params(r store.Reader) (Params, error) {
	p := DefaultParams()
	if _, err := store.GetJSON(r, keyParams, &p); err != nil {
		return p, fmt.Errorf("data params: %w", err)
	}
	return p, nil
}

// Query implements app.Module.
func (m *Module) Query(r store.Reader, path string, params url.Values) (any, error) {
	return m.router.Query(r, path, params)
}
