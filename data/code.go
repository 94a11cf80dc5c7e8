package data

import "emergence/app"

// Name is the module's name and codespace.
const Name = "data"

// Escrow is the module account holding crawl budgets and crawler stakes.
const Escrow = "escrow/data"

// Treasury is the pool that receives slashed stake and the treasury's share
// of dataset sales.
const Treasury = "pool/treasury"

// Result codes of the data module. Append only: never renumber or reuse.
var (
	CodeJobNotFound      = app.Code{Space: Name, Num: 1, Desc: "crawl job not found"}
	CodeCrawlerNotFound  = app.Code{Space: Name, Num: 2, Desc: "crawler not registered"}
	CodeDatasetNotFound  = app.Code{Space: Name, Num: 3, Desc: "dataset not found"}
	CodePageNotFound     = app.Code{Space: Name, Num: 4, Desc: "job has no such url"}
	CodeBadJob           = app.Code{Space: Name, Num: 5, Desc: "invalid crawl job"}
	CodeBadURL           = app.Code{Space: Name, Num: 6, Desc: "malformed or out-of-scope url"}
	CodeLowStake         = app.Code{Space: Name, Num: 7, Desc: "stake below the crawler minimum"}
	CodeFewCrawlers      = app.Code{Space: Name, Num: 8, Desc: "fewer active crawlers than the job's replication k"}
	CodeTooManyCrawlers  = app.Code{Space: Name, Num: 9, Desc: "crawler set is full"}
	CodeNotAssigned      = app.Code{Space: Name, Num: 10, Desc: "url is not assigned to the sender"}
	CodeDuplicate        = app.Code{Space: Name, Num: 11, Desc: "receipt already committed or revealed"}
	CodeWindowClosed     = app.Code{Space: Name, Num: 12, Desc: "commit or reveal window is closed"}
	CodeNoCommit         = app.Code{Space: Name, Num: 13, Desc: "reveal without a commit from the sender"}
	CodeRevealMismatch   = app.Code{Space: Name, Num: 14, Desc: "reveal does not open the sender's commitment"}
	CodeBadReceipt       = app.Code{Space: Name, Num: 15, Desc: "malformed receipt"}
	CodeRevealEarly      = app.Code{Space: Name, Num: 16, Desc: "reveal before every assigned crawler committed or the commit window closed"}
	CodeJobClosed        = app.Code{Space: Name, Num: 17, Desc: "crawl job is past its deadline"}
	CodeNotRequester     = app.Code{Space: Name, Num: 18, Desc: "only the job's requester may do this"}
	CodeBadDataset       = app.Code{Space: Name, Num: 19, Desc: "invalid dataset"}
	CodeNoAcceptedPages  = app.Code{Space: Name, Num: 20, Desc: "source job has no accepted pages"}
	CodeRecordMismatch   = app.Code{Space: Name, Num: 21, Desc: "dataset record count does not match the job's accepted pages"}
	CodeAlreadyBought    = app.Code{Space: Name, Num: 22, Desc: "dataset already bought by this address"}
	CodeBudgetTooSmall   = app.Code{Space: Name, Num: 23, Desc: "budget does not cover one page"}
	CodeTooManyItems     = app.Code{Space: Name, Num: 24, Desc: "too many items in one message"}
	CodeCrawlerNotActive = app.Code{Space: Name, Num: 25, Desc: "crawler is not active"}
	CodeStakeLocked      = app.Code{Space: Name, Num: 26, Desc: "stake is still at risk for assigned urls"}
)

// Codes implements app.Module: the module's result codes in number order.
func (m *Module) Codes() []app.Code {
	return []app.Code{
		CodeJobNotFound, CodeCrawlerNotFound, CodeDatasetNotFound, CodePageNotFound, CodeBadJob, CodeBadURL,
		CodeLowStake, CodeFewCrawlers, CodeTooManyCrawlers, CodeNotAssigned, CodeDuplicate, CodeWindowClosed,
		CodeNoCommit, CodeRevealMismatch, CodeBadReceipt, CodeRevealEarly, CodeJobClosed, CodeNotRequester,
		CodeBadDataset, CodeNoAcceptedPages, CodeRecordMismatch, CodeAlreadyBought, CodeBudgetTooSmall,
		CodeTooManyItems, CodeCrawlerNotActive, CodeStakeLocked,
	}
}
