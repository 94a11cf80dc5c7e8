package client_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"emergence/api"
	"emergence/client"
)

// blocksServer serves /v1/blocks/ of a chain of height blocks, block h
// committed at h*step after a fixed start.
func blocksServer(t *testing.T, height int64, step time.Duration) *httptest.Server {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := height
		if s := strings.TrimPrefix(r.URL.Path, "/v1/blocks/"); s != "latest" {
			var err error
			if h, err = strconv.ParseInt(s, 10, 64); err != nil || h < 1 || h > height {
				http.Error(w, `{"error": "no such block"}`, http.StatusNotFound)
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(api.Block{Height: h, Time: start.Add(time.Duration(h) * step)})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestBlockInterval(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		height, n int64
		want      time.Duration
		ok        bool
	}{
		{height: 30, n: 10, want: 2 * time.Second, ok: true},
		{height: 4, n: 10, want: 2 * time.Second, ok: true},
		{height: 1, n: 10},
		{height: 30, n: 0},
	} {
		c := client.New(strings.TrimPrefix(blocksServer(t, tc.height, 2*time.Second).URL, "http://"))
		d, ok := c.BlockInterval(ctx, tc.n)
		if d != tc.want || ok != tc.ok {
			t.Errorf("height %d, n %d: BlockInterval = %s, %v; want %s, %v", tc.height, tc.n, d, ok, tc.want, tc.ok)
		}
	}
	still := client.New(strings.TrimPrefix(blocksServer(t, 5, 0).URL, "http://"))
	if _, ok := still.BlockInterval(ctx, 3); ok {
		t.Error("blocks with equal times give an interval")
	}
}
