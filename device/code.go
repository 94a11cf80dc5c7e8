package device

import "emergence/app"

// Name is the module's name and codespace.
const Name = "device"

// Escrow is the module account holding makers' stakes.
const Escrow = "escrow/device"

// Result codes of the device module. Append only: never renumber or reuse.
var (
	CodeMakerNotFound   = app.Code{Space: Name, Num: 1, Desc: "maker not found"}
	CodeDeviceNotFound  = app.Code{Space: Name, Num: 2, Desc: "device not found"}
	CodeLowStake        = app.Code{Space: Name, Num: 3, Desc: "stake below the maker minimum"}
	CodeMakerExists     = app.Code{Space: Name, Num: 4, Desc: "maker already registered"}
	CodeBadKey          = app.Code{Space: Name, Num: 5, Desc: "malformed device public key"}
	CodeDeviceExists    = app.Code{Space: Name, Num: 6, Desc: "device key already provisioned"}
	CodeBadDevice       = app.Code{Space: Name, Num: 7, Desc: "invalid device fields"}
	CodeBadPairingSig   = app.Code{Space: Name, Num: 8, Desc: "device signature over the pairing message does not verify"}
	CodeAlreadyPaired   = app.Code{Space: Name, Num: 9, Desc: "device is already paired"}
	CodeNotPaired       = app.Code{Space: Name, Num: 10, Desc: "device is not paired"}
	CodeNotOwner        = app.Code{Space: Name, Num: 11, Desc: "only the device's owner may do this"}
	CodeRetired         = app.Code{Space: Name, Num: 12, Desc: "device is retired"}
	CodeBadNonce        = app.Code{Space: Name, Num: 13, Desc: "pairing nonce is not the device's next nonce"}
	CodeNotOwnerOrMaker = app.Code{Space: Name, Num: 14, Desc: "only the device's owner or maker may do this"}
	CodeIngestExists    = app.Code{Space: Name, Num: 15, Desc: "ingest node already registered"}
	CodeNotIngest       = app.Code{Space: Name, Num: 16, Desc: "not a registered ingest node"}
	CodeBadEpoch        = app.Code{Space: Name, Num: 17, Desc: "invalid epoch post"}
	CodeEpochPosted     = app.Code{Space: Name, Num: 18, Desc: "epoch already posted"}
	CodeEpochNotFound   = app.Code{Space: Name, Num: 19, Desc: "epoch not posted"}
	CodeNoFraud         = app.Code{Space: Name, Num: 20, Desc: "fraud proof proves nothing"}
	CodeChallengeClosed = app.Code{Space: Name, Num: 21, Desc: "challenge window closed"}
	CodeBadPart         = app.Code{Space: Name, Num: 22, Desc: "epoch part out of order or after the epoch completed"}
	CodeNothingToClaim  = app.Code{Space: Name, Num: 23, Desc: "no earnings in a complete epoch to claim"}
	CodeBadDataset      = app.Code{Space: Name, Num: 24, Desc: "invalid epoch dataset"}
	CodeDatasetExists   = app.Code{Space: Name, Num: 25, Desc: "epoch dataset already published"}
	CodeDatasetNotFound = app.Code{Space: Name, Num: 26, Desc: "epoch has no dataset"}
	CodeAlreadyBought   = app.Code{Space: Name, Num: 27, Desc: "dataset already bought by this account"}
)

// Codes implements app.Module: the module's result codes in number order.
func (m *Module) Codes() []app.Code {
	return []app.Code{
		CodeMakerNotFound, CodeDeviceNotFound, CodeLowStake, CodeMakerExists, CodeBadKey, CodeDeviceExists,
		CodeBadDevice, CodeBadPairingSig, CodeAlreadyPaired, CodeNotPaired, CodeNotOwner, CodeRetired,
		CodeBadNonce, CodeNotOwnerOrMaker, CodeIngestExists, CodeNotIngest, CodeBadEpoch, CodeEpochPosted,
		CodeEpochNotFound, CodeNoFraud, CodeChallengeClosed, CodeBadPart, CodeNothingToClaim,
		CodeBadDataset, CodeDatasetExists, CodeDatasetNotFound, CodeAlreadyBought,
	}
}
