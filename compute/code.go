package compute

import "emergence/app"

// Name is the module's name and codespace.
const Name = "compute"

// Module accounts: Escrow holds providers' stakes and jobs' budgets; Pool
// receives slashed stake and pays referees.
const (
	Escrow = "escrow/compute"
	Pool   = "pool/compute"
)

// Result codes of the compute module. Append only: never renumber or reuse.
var (
	CodeProviderNotFound = app.Code{Space: Name, Num: 1, Desc: "provider not registered"}
	CodeJobNotFound      = app.Code{Space: Name, Num: 2, Desc: "job not found"}
	CodeProviderExists   = app.Code{Space: Name, Num: 3, Desc: "provider already registered"}
	CodeLowStake         = app.Code{Space: Name, Num: 4, Desc: "stake below the provider minimum"}
	CodeBadCapacity      = app.Code{Space: Name, Num: 5, Desc: "invalid capacity or price"}
	CodeNoBenchmark      = app.Code{Space: Name, Num: 6, Desc: "no benchmark is pending for this provider"}
	CodeBadBenchmark     = app.Code{Space: Name, Num: 7, Desc: "benchmark answer is wrong"}
	CodeNotBenchmarked   = app.Code{Space: Name, Num: 8, Desc: "provider has not passed its benchmark"}
	CodeBadJob           = app.Code{Space: Name, Num: 9, Desc: "invalid job fields"}
	CodeLowBudget        = app.Code{Space: Name, Num: 10, Desc: "budget cannot cover r replicas at the price cap"}
	CodeWindowClosed     = app.Code{Space: Name, Num: 11, Desc: "not in the job's window for this message"}
	CodeBidAboveCap      = app.Code{Space: Name, Num: 12, Desc: "bid above the job's price cap"}
	CodeDuplicateBid     = app.Code{Space: Name, Num: 13, Desc: "provider already bid on this job"}
	CodeTooManyBids      = app.Code{Space: Name, Num: 14, Desc: "job has the most bids it takes"}
	CodeNoCapacity       = app.Code{Space: Name, Num: 15, Desc: "provider lacks the capacity for this job"}
	CodeNotAssigned      = app.Code{Space: Name, Num: 16, Desc: "job is not assigned to the sender"}
	CodeAlreadyCommitted = app.Code{Space: Name, Num: 17, Desc: "result already committed"}
	CodeNotCommitted     = app.Code{Space: Name, Num: 18, Desc: "no commitment to reveal"}
	CodeRevealMismatch   = app.Code{Space: Name, Num: 19, Desc: "reveal does not match its commitment"}
	CodeBadResult        = app.Code{Space: Name, Num: 20, Desc: "invalid result fields"}
	CodeNotReferee       = app.Code{Space: Name, Num: 21, Desc: "sender is not the job's referee"}
	CodeBenchmarkPending = app.Code{Space: Name, Num: 22, Desc: "provider has a benchmark pending"}
	CodeProviderBusy     = app.Code{Space: Name, Num: 23, Desc: "provider has open assignments"}
)

// Codes implements app.Module: the module's result codes in number order.
func (m *Module) Codes() []app.Code {
	return []app.Code{
		CodeProviderNotFound, CodeJobNotFound, CodeProviderExists, CodeLowStake, CodeBadCapacity,
		CodeNoBenchmark, CodeBadBenchmark, CodeNotBenchmarked, CodeBadJob, CodeLowBudget, CodeWindowClosed,
		CodeBidAboveCap, CodeDuplicateBid, CodeTooManyBids, CodeNoCapacity, CodeNotAssigned,
		CodeAlreadyCommitted, CodeNotCommitted, CodeRevealMismatch, CodeBadResult, CodeNotReferee,
		CodeBenchmarkPending, CodeProviderBusy,
	}
}
