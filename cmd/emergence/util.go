package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"sort"

	"emergence/api"
	"emergence/blob"
)

type jsonRaw = json.RawMessage

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only plain structs are encoded here
	}
	return b
}

// blobHandler serves the node's blob store; uploads are signed by accounts
// with funds on chain and charged to their quota (api.BlobQuota).
func blobHandler(s blob.Store, b api.Backend) http.Handler {
	return blob.NewHandler(s, api.BlobQuota(b), blob.WithGate(api.BlobGate(b)))
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
