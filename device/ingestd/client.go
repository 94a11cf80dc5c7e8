package ingestd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// The HTTP client of an ingest node's API, used by 'emergence device sim'
// and the tests that feed ingest processes.

// Reach waits, up to a minute, for the ingest endpoint at base to answer
// (it may still be starting); after the third try it writes one line to
// progress saying it waits.
func Reach(ctx context.Context, base string, progress io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	wait := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v1/epochs/0", nil)
		if err != nil {
			return fmt.Errorf("ingest URL %q: %w", base, err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			return nil
		}
		if attempt == 3 {
			fmt.Fprintf(progress, "device sim: waiting for the ingest node at %s\n", base)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no ingest node answers at %s: %w", base, err)
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// PostEvents posts events to the ingest endpoint at base in batches of at
// most MaxBatch and returns how many it queued.
func PostEvents(ctx context.Context, base string, events [][]byte) (int, error) {
	queued := 0
	for start := 0; start < len(events); start += MaxBatch {
		batch := events[start:min(start+MaxBatch, len(events))]
		raws := make([]json.RawMessage, len(batch))
		for i, e := range batch {
			raws[i] = e
		}
		body, _ := json.Marshal(raws)
		var res []Result
		if err := Call(ctx, http.MethodPost, base+"/v1/events", body, &res); err != nil {
			return queued, err
		}
		for _, r := range res {
			if r.Status == "queued" {
				queued++
			}
		}
	}
	return queued, nil
}

// Call sends one request to an ingest endpoint and decodes its JSON answer
// into out; an answer that is not 2xx is an error carrying the node's
// message.
func Call(ctx context.Context, method, url string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, url, err)
	}
	if resp.StatusCode/100 != 2 {
		var e struct{ Error string }
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			return fmt.Errorf("%s %s: %s (HTTP %d)", method, url, e.Error, resp.StatusCode)
		}
		return fmt.Errorf("%s %s: HTTP %d", method, url, resp.StatusCode)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", method, url, err)
	}
	return nil
}
