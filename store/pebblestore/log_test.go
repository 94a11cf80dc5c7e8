package pebblestore_test

import (
	"fmt"
	"sync"
	"testing"

	"emergence/store"
	"emergence/store/pebblestore"
)

// recordLog keeps what Pebble logged, by level.
type recordLog struct {
	mu            sync.Mutex
	debug, errors []string
}

func (r *recordLog) Debugf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.debug = append(r.debug, fmt.Sprintf(format, args...))
}

func (r *recordLog) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

// A normal restart replays Pebble's write-ahead log; that is routine and
// must reach the node's log at debug level, not as an error.
func TestRestartLogsAtDebugLevel(t *testing.T) {
	dir := t.TempDir()
	st, err := pebblestore.OpenLogged(dir, &recordLog{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Commit([]store.Write{{Key: []byte("k"), Value: []byte("v")}}, nil, 1, []byte("hash")); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	log := &recordLog{}
	st, err = pebblestore.OpenLogged(dir, log)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if h, _, err := st.LastCommit(); err != nil || h != 1 {
		t.Fatalf("after restart: height %d, %v", h, err)
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	if len(log.debug) == 0 {
		t.Error("Pebble logged nothing on a restart; its messages do not reach the logger")
	}
	if len(log.errors) != 0 {
		t.Errorf("a normal restart logged errors: %q", log.errors)
	}
}
