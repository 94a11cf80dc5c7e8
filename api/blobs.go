package api

import (
	"encoding/json"
	"fmt"
	"time"

	"emergence/blob"
	"emergence/tx"
)

// Blob upload policy of a node: an account needs MinBlobUploaderBalance
// uemg on chain to upload at all, and may store BlobQuotaBytes of new blobs
// per BlobQuotaWindow.
const (
	MinBlobUploaderBalance = 1_000_000 // 1 EMG
	BlobQuotaBytes         = 1 << 30
	BlobQuotaWindow        = 24 * time.Hour
)

// BlobQuota returns the upload quota of a node's blob handler
// (blob.NewHandler(store, api.BlobQuota(node))): uploads are charged to the
// signing account, which must hold MinBlobUploaderBalance.
func BlobQuota(b Backend) *blob.Quota {
	return &blob.Quota{Bytes: BlobQuotaBytes, Window: BlobQuotaWindow, Eligible: func(a tx.Address) error {
		v, err := b.Query("bank/balance/"+a.String(), nil)
		if err != nil {
			return fmt.Errorf("balance of uploader %s: %w", a, err)
		}
		raw, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("balance of uploader %s: %w", a, err)
		}
		var acc Account
		if err := json.Unmarshal(raw, &acc); err != nil {
			return fmt.Errorf("balance of uploader %s: %w", a, err)
		}
		if acc.Balance < MinBlobUploaderBalance {
			return fmt.Errorf("%w: %s holds %d uemg; uploading needs at least %d uemg on chain", blob.ErrForbidden, a, acc.Balance, MinBlobUploaderBalance)
		}
		return nil
	}}
}
