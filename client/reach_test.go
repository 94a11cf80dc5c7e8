package client_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"emergence/client"
)

func TestBackoffTotal(t *testing.T) {
	if got, want := client.WorkerBackoff.Total(), 15*time.Second; got != want {
		t.Errorf("WorkerBackoff waits %s in all, want %s", got, want)
	}
	b := client.Backoff{Attempts: 6, First: time.Second, Max: 3 * time.Second}
	if got, want := b.Total(), (1+2+3+3+3)*time.Second; got != want {
		t.Errorf("Total() = %s, want %s", got, want)
	}
}

// TestReachGivesUp checks that Reach stops after its attempts against an
// address where nothing listens, with the waits doubling up to Max.
func TestReachGivesUp(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	b := client.Backoff{Attempts: 4, First: time.Millisecond, Max: 2 * time.Millisecond}
	var waits []time.Duration
	err = client.New(addr).Reach(context.Background(), b, func(attempt int, err error, next time.Duration) {
		if attempt != len(waits)+1 || !client.Unreachable(err) {
			t.Errorf("attempt %d: %v", attempt, err)
		}
		waits = append(waits, next)
	})
	if err == nil || !client.Unreachable(err) {
		t.Fatalf("Reach = %v, want a connection failure", err)
	}
	want := []time.Duration{time.Millisecond, 2 * time.Millisecond, 2 * time.Millisecond}
	if len(waits) != len(want) {
		t.Fatalf("waits %v, want %v", waits, want)
	}
	for i := range want {
		if waits[i] != want[i] {
			t.Fatalf("waits %v, want %v", waits, want)
		}
	}
}

// TestReachAnswered checks that an answering node ends the wait at once,
// and that an answer that is an error is not retried.
func TestReachAnswered(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"chain_id": "c", "height": 3}`))
	}))
	defer ok.Close()
	calls := 0
	if err := client.New(ok.URL).Reach(context.Background(), client.WorkerBackoff, func(int, error, time.Duration) { calls++ }); err != nil || calls != 0 {
		t.Fatalf("Reach = %v after %d waits, want nil after none", err, calls)
	}
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error": "broken"}`, http.StatusInternalServerError)
	}))
	defer bad.Close()
	if err := client.New(bad.URL).Reach(context.Background(), client.WorkerBackoff, func(int, error, time.Duration) { calls++ }); err == nil || client.Unreachable(err) || calls != 0 {
		t.Fatalf("Reach = %v after %d waits, want the node's error at once", err, calls)
	}
}
