package personhood

import "emergence/app"

// Result codes of the personhood module (codespace "personhood"). Append
// only: never renumber or reuse a code.
var (
	CodeInvalidField      = app.Code{Space: Name, Num: 1, Desc: "invalid field element"}
	CodeOperatorExists    = app.Code{Space: Name, Num: 2, Desc: "operator already registered"}
	CodeStakeTooLow       = app.Code{Space: Name, Num: 3, Desc: "stake below the minimum"}
	CodeInvalidDeviceKey  = app.Code{Space: Name, Num: 4, Desc: "invalid device key"}
	CodeUnknownOperator   = app.Code{Space: Name, Num: 5, Desc: "unknown operator"}
	CodeOperatorSuspended = app.Code{Space: Name, Num: 6, Desc: "operator suspended"}
	CodeBadEnrolSignature = app.Code{Space: Name, Num: 7, Desc: "enrolment not signed by the operator's device key"}
	CodeDuplicateIdentity = app.Code{Space: Name, Num: 8, Desc: "identity commitment already enrolled"}
	CodeTreeFull          = app.Code{Space: Name, Num: 9, Desc: "identity tree full"}
	CodeNotGovernance     = app.Code{Space: Name, Num: 10, Desc: "signer is not the governance key"}
	CodeUnknownRoot       = app.Code{Space: Name, Num: 11, Desc: "unknown root"}
	CodeExpiredRoot       = app.Code{Space: Name, Num: 12, Desc: "expired root"}
	CodeMalformedProof    = app.Code{Space: Name, Num: 13, Desc: "malformed proof"}
	CodeInvalidProof      = app.Code{Space: Name, Num: 14, Desc: "invalid proof (wrong recipient, root, epoch or nullifier)"}
	CodeAlreadyClaimed    = app.Code{Space: Name, Num: 15, Desc: "already claimed this epoch"}
	CodeEpochClosed       = app.Code{Space: Name, Num: 16, Desc: "epoch not open for claims"}
	CodeGrantExhausted    = app.Code{Space: Name, Num: 17, Desc: "epoch budget or UBI pool exhausted"}
	CodeClaimsDisabled    = app.Code{Space: Name, Num: 18, Desc: "no verifying key configured"}
	CodeInvalidRecipient  = app.Code{Space: Name, Num: 19, Desc: "invalid recipient"}
	CodeAlreadySuspended  = app.Code{Space: Name, Num: 20, Desc: "operator already suspended"}
	CodeInvalidApp        = app.Code{Space: Name, Num: 21, Desc: "invalid app name"}
	CodeHumanAlreadyBound = app.Code{Space: Name, Num: 22, Desc: "this human already proved personhood for another account in this app"}
	CodeInvalidSlash      = app.Code{Space: Name, Num: 23, Desc: "invalid slash amount"}
	CodeNothingToRevoke   = app.Code{Space: Name, Num: 24, Desc: "operator not suspended or all its enrolments revoked"}
)

// Codes implements app.Module: the module's result codes in number order.
func (m *Module) Codes() []app.Code {
	return []app.Code{
		CodeInvalidField,
		CodeOperatorExists,
		CodeStakeTooLow,
		CodeInvalidDeviceKey,
		CodeUnknownOperator,
		CodeOperatorSuspended,
		CodeBadEnrolSignature,
		CodeDuplicateIdentity,
		CodeTreeFull,
		CodeNotGovernance,
		CodeUnknownRoot,
		CodeExpiredRoot,
		CodeMalformedProof,
		CodeInvalidProof,
		CodeAlreadyClaimed,
		CodeEpochClosed,
		CodeGrantExhausted,
		CodeClaimsDisabled,
		CodeInvalidRecipient,
		CodeAlreadySuspended,
		CodeInvalidApp,
		CodeHumanAlreadyBound,
		CodeInvalidSlash,
		CodeNothingToRevoke,
	}
}
