package subnet

import "emergence/app"

// Name is the module's name: codespace, genesis key, query route and key prefix.
const Name = "subnet"

// Result codes of the subnet module (codespace "subnet"). Append only:
// never renumber or reuse a code.
var (
	CodeInvalidParams     = app.Code{Space: Name, Num: 1, Desc: "invalid subnet parameters"}
	CodeSubnetNotFound    = app.Code{Space: Name, Num: 2, Desc: "subnet not found"}
	CodeTooManySubnets    = app.Code{Space: Name, Num: 3, Desc: "subnet limit reached"}
	CodeInsufficient      = app.Code{Space: Name, Num: 4, Desc: "insufficient funds"}
	CodeAlreadyRegistered = app.Code{Space: Name, Num: 5, Desc: "hotkey already registered on this subnet"}
	CodeNotRegistered     = app.Code{Space: Name, Num: 6, Desc: "hotkey not registered on this subnet"}
	CodeAllImmune         = app.Code{Space: Name, Num: 7, Desc: "subnet full and every uid is immune"}
	CodeBurnTooHigh       = app.Code{Space: Name, Num: 8, Desc: "registration price above max_burn"}
	CodeInvalidAmount     = app.Code{Space: Name, Num: 9, Desc: "invalid amount"}
	CodeStakeTooLow       = app.Code{Space: Name, Num: 10, Desc: "unstake above stake"}
	CodeUnknownUID        = app.Code{Space: Name, Num: 11, Desc: "weights for an unknown uid"}
	CodeDuplicateUID      = app.Code{Space: Name, Num: 12, Desc: "duplicate uid in weights"}
	CodeTooManyWeights    = app.Code{Space: Name, Num: 13, Desc: "too many weights"}
	CodeInvalidWeights    = app.Code{Space: Name, Num: 14, Desc: "invalid weights"}
	CodeNoPermit          = app.Code{Space: Name, Num: 15, Desc: "no validator permit"}
	CodeNoCommit          = app.Code{Space: Name, Num: 16, Desc: "no weight commit to reveal"}
	CodeRevealMismatch    = app.Code{Space: Name, Num: 17, Desc: "reveal does not match the commit"}
	CodeRevealWindow      = app.Code{Space: Name, Num: 18, Desc: "reveal outside its window"}
	CodeCommitReveal      = app.Code{Space: Name, Num: 19, Desc: "wrong weight-setting mode for this subnet"}
	CodeInvalidAxon       = app.Code{Space: Name, Num: 20, Desc: "invalid axon address"}
	CodeNotOwner          = app.Code{Space: Name, Num: 21, Desc: "only the subnet owner may do this"}
	CodeTooManyCommits    = app.Code{Space: Name, Num: 22, Desc: "too many weight commits waiting for their reveal"}
	CodeInvalidModel      = app.Code{Space: Name, Num: 23, Desc: "model is not a weight commitment"}
	CodeModelNotAttested  = app.Code{Space: Name, Num: 24, Desc: "model has no accuracy attestation"}
	CodeModelsUnavailable = app.Code{Space: Name, Num: 25, Desc: "models cannot be declared on this chain"}
)

// Codes implements app.Module: the module's result codes in number order.
func (m *Module) Codes() []app.Code {
	return []app.Code{
		CodeInvalidParams,
		CodeSubnetNotFound,
		CodeTooManySubnets,
		CodeInsufficient,
		CodeAlreadyRegistered,
		CodeNotRegistered,
		CodeAllImmune,
		CodeBurnTooHigh,
		CodeInvalidAmount,
		CodeStakeTooLow,
		CodeUnknownUID,
		CodeDuplicateUID,
		CodeTooManyWeights,
		CodeInvalidWeights,
		CodeNoPermit,
		CodeNoCommit,
		CodeRevealMismatch,
		CodeRevealWindow,
		CodeCommitReveal,
		CodeInvalidAxon,
		CodeNotOwner,
		CodeTooManyCommits,
		CodeInvalidModel,
		CodeModelNotAttested,
		CodeModelsUnavailable,
	}
}
