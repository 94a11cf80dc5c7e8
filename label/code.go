package label

import "emergence/app"

// Name is the module's name and codespace.
const Name = "label"

// Escrow is the module account holding stakes, job budgets and requester bonds.
const Escrow = "escrow/label"

// Result codes of the label module. Append only: never renumber or reuse.
var (
	CodeJobNotFound        = app.Code{Space: Name, Num: 1, Desc: "job not found"}
	CodeNoBudget           = app.Code{Space: Name, Num: 2, Desc: "job has no budget"}
	CodeBadClasses         = app.Code{Space: Name, Num: 3, Desc: "bad or unknown classes"}
	CodeBadJob             = app.Code{Space: Name, Num: 4, Desc: "invalid job parameters"}
	CodeInsufficientStake  = app.Code{Space: Name, Num: 5, Desc: "stake below the job's minimum"}
	CodeOpenAssignment     = app.Code{Space: Name, Num: 6, Desc: "labeler has an open assignment"}
	CodeNotAssigned        = app.Code{Space: Name, Num: 7, Desc: "item not assigned to this labeler"}
	CodeAlreadyAssigned    = app.Code{Space: Name, Num: 8, Desc: "labeler already has an assignment in this job"}
	CodeNoWork             = app.Code{Space: Name, Num: 9, Desc: "no items left to assign"}
	CodeWindowClosed       = app.Code{Space: Name, Num: 10, Desc: "outside the allowed window"}
	CodeRevealMismatch     = app.Code{Space: Name, Num: 11, Desc: "reveal does not match the commitment"}
	CodeNotCommitted       = app.Code{Space: Name, Num: 12, Desc: "no commitment to reveal"}
	CodeAlreadyRevealed    = app.Code{Space: Name, Num: 13, Desc: "already revealed"}
	CodeGoldMismatch       = app.Code{Space: Name, Num: 14, Desc: "gold reveal does not match its commitment"}
	CodeNotRequester       = app.Code{Space: Name, Num: 15, Desc: "only the job's requester may do this"}
	CodeAlreadySettled     = app.Code{Space: Name, Num: 16, Desc: "job already settled"}
	CodeTooEarly           = app.Code{Space: Name, Num: 17, Desc: "too early"}
	CodeBadAmount          = app.Code{Space: Name, Num: 18, Desc: "invalid amount"}
	CodeLowReputation      = app.Code{Space: Name, Num: 19, Desc: "reputation below the job's minimum"}
	CodeNotHuman           = app.Code{Space: Name, Num: 20, Desc: "job requires proof of personhood"}
	CodeOwnJob             = app.Code{Space: Name, Num: 21, Desc: "a requester cannot label its own job"}
	CodeBadAnswer          = app.Code{Space: Name, Num: 22, Desc: "answer is not a class of the job"}
	CodeLabelerNotFound    = app.Code{Space: Name, Num: 23, Desc: "labeler not found"}
	CodePersonhoodDisabled = app.Code{Space: Name, Num: 24, Desc: "personhood is not available on this chain"}
	CodeDatasetNotFound    = app.Code{Space: Name, Num: 25, Desc: "dataset not registered"}
	CodeNotDatasetItems    = app.Code{Space: Name, Num: 26, Desc: "items are not the dataset's records"}
)

// Codes implements app.Module: the module's result codes in number order.
func (m *Module) Codes() []app.Code {
	return []app.Code{
		CodeJobNotFound,
		CodeNoBudget,
		CodeBadClasses,
		CodeBadJob,
		CodeInsufficientStake,
		CodeOpenAssignment,
		CodeNotAssigned,
		CodeAlreadyAssigned,
		CodeNoWork,
		CodeWindowClosed,
		CodeRevealMismatch,
		CodeNotCommitted,
		CodeAlreadyRevealed,
		CodeGoldMismatch,
		CodeNotRequester,
		CodeAlreadySettled,
		CodeTooEarly,
		CodeBadAmount,
		CodeLowReputation,
		CodeNotHuman,
		CodeOwnJob,
		CodeBadAnswer,
		CodeLabelerNotFound,
		CodePersonhoodDisabled,
		CodeDatasetNotFound,
		CodeNotDatasetItems,
	}
}
