package labeler_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"emergence/label"
	"emergence/label/labeler"
)

// TestUIRefusesLateAndForeignAnswers drives the labeling page's JSON as the
// page does: an answer after the commit deadline is refused with the
// reason, as are answers for another item, outside the classes, from
// another origin or host, or not sent as JSON; a good answer reaches the
// worker's Answer call.
func TestUIRefusesLateAndForeignAnswers(t *testing.T) {
	var height atomic.Int64
	height.Store(50)
	job := label.Job{ID: 7, Classes: []string{"cat", "dog"}, CommitDeadline: 40, RevealDeadline: 60}
	ui := labeler.NewUI(job, "emg1who", func(context.Context) (int64, error) { return height.Load(), nil })
	srv := httptest.NewServer(ui.Handler(http.NotFoundHandler()))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got := make(chan int, 1)
	go func() {
		c, err := ui.Answer(ctx, 0, 2, labeler.ManifestItem{ID: "a", Kind: labeler.KindText}, []byte("<i>a cat</i>"), job.Classes)
		if err != nil {
			t.Error(err)
		}
		got <- c
	}()
	// Wait until the item is on screen.
	var st labeler.UIState
	for st.Phase != "answering" {
		st = state(t, srv.URL)
		if ctx.Err() != nil {
			t.Fatal("the item never reached the page")
		}
	}
	if st.Item.Text != "<i>a cat</i>" || st.N != 2 || st.CommitDeadline != 40 || st.Height != 50 {
		t.Fatalf("state %+v", st)
	}
	post := func(body string, hdr map[string]string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.URL+"/ui/answer", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range hdr {
			if k == "Host" {
				req.Host = v
			} else {
				req.Header.Set(k, v)
			}
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, c := range []struct {
		name, body string
		hdr        map[string]string
		status     int
		says       string
	}{
		{"after the commit deadline", `{"pos":0,"class":1}`, nil, 409, "the commit deadline has passed"},
		{"another item", `{"pos":1,"class":1}`, nil, 409, "item 1 is on screen"},
		{"a class that is not one", `{"pos":0,"class":2}`, nil, 400, "not one of the 2 classes"},
		{"another origin", `{"pos":0,"class":1}`, map[string]string{"Origin": "http://evil.example"}, 403, "this page only"},
		{"another host name (DNS rebinding)", `{"pos":0,"class":1}`, map[string]string{"Host": "evil.example:80"}, 421, "loopback"},
		{"not JSON", `pos=0&class=1`, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 415, "application/json"},
		{"unknown field", `{"pos":0,"class":1,"x":1}`, nil, 400, "body must be"},
	} {
		status, body := post(c.body, c.hdr)
		if status != c.status || !strings.Contains(body, c.says) {
			t.Errorf("%s: %d %s, want %d saying %q", c.name, status, body, c.status, c.says)
		}
	}
	select {
	case c := <-got:
		t.Fatalf("a refused answer reached the worker: %d", c)
	default:
	}
	height.Store(39)
	if status, body := post(`{"pos":0,"class":1}`, map[string]string{"Origin": srv.URL}); status != 200 {
		t.Fatalf("answer before the deadline: %d %s", status, body)
	}
	if c := <-got; c != 1 {
		t.Fatalf("worker got class %d, want 1", c)
	}
	ui.Done(&labeler.Report{Items: []uint32{0, 1}, Answers: []uint32{1, 0}, Committed: true, Revealed: true}, nil)
	if st := state(t, srv.URL); st.Phase != "done" || !st.Revealed || st.Answered != 2 {
		t.Errorf("final state %+v", st)
	}
	select {
	case <-ui.EndShown():
	default:
		t.Error("EndShown not closed after the page fetched the final state")
	}
}

func state(t *testing.T, base string) labeler.UIState {
	t.Helper()
	resp, err := http.Get(base + "/ui/state")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st labeler.UIState
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestCheckLoopback(t *testing.T) {
	for addr, ok := range map[string]bool{"127.0.0.1:0": true, "[::1]:8600": true, "localhost:1": true, "0.0.0.0:8600": false, ":8600": false, "192.168.1.2:80": false, "nohost": false} {
		if err := labeler.CheckLoopback(addr); (err == nil) != ok {
			t.Errorf("CheckLoopback(%q) = %v, want ok=%v", addr, err, ok)
		}
	}
}
