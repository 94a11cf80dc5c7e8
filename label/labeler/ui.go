package labeler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"unicode/utf8"

	"emergence/label"
)

// UI is an Answerer for a person at a browser: the labeler worker serves
// it on loopback (see Handler) and each Answer waits until the page sends
// the class of the item it shows. The worker keeps the key; the page only
// sees items, progress and deadlines, and sends answers.
//
// UI also takes the worker's progress lines (use it as, or next to,
// Worker.Out) and shows the last one, so the page says when the answers are
// being committed, when the reveal window opens and when they are revealed.
type UI struct {
	// Height returns the chain's current height; answers are refused once
	// it reaches the job's commit deadline, when a commitment can no longer
	// be included.
	Height func(context.Context) (int64, error)

	mu      sync.Mutex
	state   UIState
	content []byte // the current item's bytes (served to the page for images)
	answer  chan int
	shown   chan struct{} // closed once the page has fetched the final state
	once    sync.Once
}

// UIState is what the labeling page shows, GET /ui/state.
type UIState struct {
	Job            uint64   `json:"job"`
	Labeler        string   `json:"labeler"`
	Classes        []string `json:"classes"`
	CommitDeadline int64    `json:"commit_deadline"`
	RevealDeadline int64    `json:"reveal_deadline"`
	Height         int64    `json:"height"`
	// Pos is the position (from 0) of the item waiting for an answer among
	// N assigned ones; Answered is how many have been answered.
	Pos      int     `json:"pos"`
	N        int     `json:"n"`
	Answered int     `json:"answered"`
	Item     *UIItem `json:"item,omitempty"`
	// Phase is "starting", "answering", "working" (committing, waiting or
	// revealing: see Progress), "done" or "failed".
	Phase    string `json:"phase"`
	Progress string `json:"progress,omitempty"`
	Error    string `json:"error,omitempty"`
	// Committed and Revealed are set once the worker has done each.
	Committed bool `json:"committed"`
	Revealed  bool `json:"revealed"`
}

// UIItem is the item on screen. Text items carry their text; image items
// are fetched from /ui/item.
type UIItem struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
	Name string `json:"name,omitempty"`
	Text string `json:"text,omitempty"`
}

// MaxUIText bounds the text of one item sent to the page.
const MaxUIText = 64 << 10

// NewUI returns a UI for a job.
func NewUI(job label.Job, labeler string, height func(context.Context) (int64, error)) *UI {
	return &UI{Height: height, answer: make(chan int), shown: make(chan struct{}), state: UIState{
		Job: job.ID, Labeler: labeler, Classes: job.Classes, CommitDeadline: job.CommitDeadline,
		RevealDeadline: job.RevealDeadline, Phase: "starting",
	}}
}

var _ Answerer = (*UI)(nil)

// Answer implements Answerer: it puts the item on the page and waits for
// the person's answer (or for ctx to end).
func (u *UI) Answer(ctx context.Context, pos, n int, it ManifestItem, content []byte, classes []string) (int, error) {
	item := &UIItem{ID: it.ID, Kind: it.Kind, Name: it.Name}
	if it.Kind != KindImage {
		text := string(content)
		if len(text) > MaxUIText {
			text = text[:MaxUIText]
			for !utf8.ValidString(text) {
				text = text[:len(text)-1]
			}
			text += " …"
		}
		item.Text = text
	}
	u.mu.Lock()
	u.state.Pos, u.state.N, u.state.Answered, u.state.Item, u.state.Phase = pos, n, pos, item, "answering"
	u.state.Classes = classes
	u.content = content
	u.mu.Unlock()
	select {
	case c := <-u.answer:
		u.mu.Lock()
		u.state.Answered = pos + 1
		if pos+1 == n {
			u.state.Item, u.content, u.state.Phase = nil, nil, "working"
		}
		u.mu.Unlock()
		return c, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// Write takes the worker's progress lines (Worker.Out).
func (u *UI) Write(p []byte) (int, error) {
	line := strings.TrimSpace(string(p))
	u.mu.Lock()
	defer u.mu.Unlock()
	if line != "" {
		u.state.Progress = line
	}
	switch {
	case strings.HasPrefix(line, "waiting for the reveal window"):
		u.state.Committed = true
	}
	if u.state.Phase != "answering" {
		u.state.Phase = "working"
	}
	return len(p), nil
}

// Done records how the worker's run ended.
func (u *UI) Done(rep *Report, err error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.state.Item, u.content = nil, nil
	if rep != nil {
		u.state.Committed, u.state.Revealed = rep.Committed, rep.Revealed
		if len(rep.Items) > 0 {
			u.state.N = len(rep.Items)
		}
		if len(rep.Answers) > 0 {
			u.state.Answered = len(rep.Answers)
		}
	}
	if err != nil {
		u.state.Phase, u.state.Error = "failed", err.Error()
		return
	}
	u.state.Phase, u.state.Progress = "done", "answers committed and revealed"
}

// State returns what the page shows now, with the chain's height.
func (u *UI) State(ctx context.Context) UIState {
	var h int64
	if u.Height != nil {
		h, _ = u.Height(ctx)
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if h > 0 {
		u.state.Height = h
	}
	s := u.state
	s.Classes = append([]string(nil), u.state.Classes...)
	return s
}

// EndShown is closed once the page has been sent the final state (done or
// failed), so the worker can let it show the end before stopping.
func (u *UI) EndShown() <-chan struct{} { return u.shown }

// ErrPastCommitDeadline is why an answer is refused once the chain has
// reached the job's commit deadline.
var ErrPastCommitDeadline = errors.New("the commit deadline has passed")

// AnswerMsg is the body of POST /ui/answer.
type AnswerMsg struct {
	// Pos is the position of the item answered (it must be the one shown).
	Pos int `json:"pos"`
	// Class is the index of the chosen class.
	Class int `json:"class"`
}

// submit hands an answer to the waiting Answer call, or says why not.
func (u *UI) submit(ctx context.Context, m AnswerMsg) (int, error) {
	st := u.State(ctx)
	switch {
	case st.Phase != "answering" || st.Item == nil:
		return http.StatusConflict, fmt.Errorf("no item is waiting for an answer (%s)", st.Phase)
	case m.Pos != st.Pos:
		return http.StatusConflict, fmt.Errorf("item %d is on screen, not %d", st.Pos+1, m.Pos+1)
	case m.Class < 0 || m.Class >= len(st.Classes):
		return http.StatusBadRequest, fmt.Errorf("class %d is not one of the %d classes", m.Class+1, len(st.Classes))
	case st.Height > 0 && st.Height >= st.CommitDeadline:
		return http.StatusConflict, fmt.Errorf("%w (height %d, the chain is at %d): answers can no longer be committed and this one would not count", ErrPastCommitDeadline, st.CommitDeadline, st.Height)
	}
	select {
	case u.answer <- m.Class:
		return http.StatusOK, nil
	case <-ctx.Done():
		return http.StatusServiceUnavailable, ctx.Err()
	}
}

// Handler serves the page's JSON next to the page itself (page, usually
// web.LabelerPage()):
//
//	GET  /ui/state   UIState
//	GET  /ui/item    the bytes of the image on screen
//	POST /ui/answer  AnswerMsg (Content-Type application/json)
//
// Answers must come from the page's own origin: a POST with another
// Origin, or not sent as JSON (which a plain cross-site form cannot do), is
// refused, so another site open in the same browser cannot answer for the
// person.
func (u *UI) Handler(page http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ui/state", func(w http.ResponseWriter, r *http.Request) {
		st := u.State(r.Context())
		writeUIJSON(w, http.StatusOK, st)
		if st.Phase == "done" || st.Phase == "failed" {
			u.once.Do(func() { close(u.shown) })
		}
	})
	mux.HandleFunc("GET /ui/item", func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		content, item := u.content, u.state.Item
		u.mu.Unlock()
		if item == nil || item.Kind != KindImage {
			writeUIJSON(w, http.StatusNotFound, map[string]string{"error": "no image on screen"})
			return
		}
		ct := http.DetectContentType(content)
		if !strings.HasPrefix(ct, "image/") {
			writeUIJSON(w, http.StatusUnsupportedMediaType, map[string]string{"error": "the item is not an image the browser can show (" + ct + ")"})
			return
		}
		w.Header().Set("Content-Type", ct)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(content)
	})
	mux.HandleFunc("POST /ui/answer", func(w http.ResponseWriter, r *http.Request) {
		if !sameOrigin(r) {
			writeUIJSON(w, http.StatusForbidden, map[string]string{"error": "answers are taken from this page only"})
			return
		}
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			writeUIJSON(w, http.StatusUnsupportedMediaType, map[string]string{"error": "send the answer as application/json"})
			return
		}
		var m AnswerMsg
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<10))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&m); err != nil {
			writeUIJSON(w, http.StatusBadRequest, map[string]string{"error": "body must be {\"pos\": N, \"class\": K}: " + err.Error()})
			return
		}
		status, err := u.submit(r.Context(), m)
		if err != nil {
			writeUIJSON(w, status, map[string]string{"error": err.Error()})
			return
		}
		writeUIJSON(w, http.StatusOK, map[string]bool{"ok": true})
	})
	mux.Handle("/", page)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A page of another site whose name resolves to 127.0.0.1 (DNS
		// rebinding) sends its own name as Host: refuse it.
		if CheckLoopback(r.Host) != nil && CheckLoopback(r.Host+":80") != nil {
			writeUIJSON(w, http.StatusMisdirectedRequest, map[string]string{"error": "the labeling page answers on a loopback address only"})
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// sameOrigin reports whether a request carries no Origin (not a browser's
// cross-site request) or the page's own.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

func writeUIJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// ErrNotLoopback is returned by CheckLoopback for an address other hosts
// could reach.
var ErrNotLoopback = errors.New("the labeling page must listen on a loopback address")

// CheckLoopback checks that addr ("127.0.0.1:PORT", "[::1]:PORT",
// "localhost:PORT") is on loopback, so the page, which answers for the
// worker's key, is only reachable from this machine.
func CheckLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNotLoopback, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%w: %q is not 127.0.0.1, ::1 or localhost", ErrNotLoopback, host)
	}
	return nil
}
