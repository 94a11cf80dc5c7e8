package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"sort"

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

func blobHandler(s blob.Store) http.Handler { return blob.NewHandler(s) }

func errorsIs(err, target error) bool { return errors.Is(err, target) }

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
