package pebblestore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/cockroachdb/pebble"

	"emergence/store"
)

// Key prefixes inside Pebble. State keys are hashed into the app hash;
// index and meta keys are not.
var (
	prefixState = []byte("s/")
	prefixIndex = []byte("x/")
	keyHeight   = []byte("m/height")
	keyAppHash  = []byte("m/apphash")
)

// ErrClosed is returned after Close.
var ErrClosed = errors.New("store closed")

// Store is the committed state on Pebble.
type Store struct {
	db *pebble.DB
}

// Open opens (creating if needed) the Pebble database in dir.
func Open(dir string) (*Store, error) { return OpenLogged(dir, nil) }

// Logger receives Pebble's own messages: routine ones (the write-ahead log
// replayed on every normal restart, compactions) at debug level, errors at
// error level.
type Logger interface {
	Debugf(format string, args ...any)
	Errorf(format string, args ...any)
}

// OpenLogged is Open with Pebble's messages sent to log (nil: dropped).
func OpenLogged(dir string, log Logger) (*Store, error) {
	db, err := pebble.Open(dir, Options(log))
	if err != nil {
		return nil, fmt.Errorf("open state db %s: %w", dir, err)
	}
	return &Store{db: db}, nil
}

// Options are the Pebble settings of the state database, tuned for a chain
// that writes every block and overwrites the same account keys block after
// block: 64 MiB memtables (Pebble's default is 4 MiB) hold many blocks'
// writes, so a balance or nonce rewritten in each of them reaches an
// sstable once per flush rather than once per 4 MiB, and flushes, hence
// L0 files and compactions, are 16 times rarer; L0 compacts at 8 files
// (default 4) and stalls writes only at 32 (default 12); one compaction at
// a time, so that a 2-core node keeps a core for consensus. Memtables hold
// at most 4 x 64 MiB before writes wait for a flush. Durability is
// unchanged: Commit writes one batch with Sync, which fsyncs the WAL.
func Options(log Logger) *pebble.Options {
	return &pebble.Options{
		Logger:                      pebbleLogger{log},
		MemTableSize:                64 << 20,
		MemTableStopWritesThreshold: 4,
		L0CompactionThreshold:       8,
		L0StopWritesThreshold:       32,
		MaxConcurrentCompactions:    func() int { return 1 },
	}
}

// LoggedOptions are Pebble's default settings with its messages sent to
// log (nil: dropped), for the node's other Pebble databases (CometBFT's),
// whose write pattern the state database's tuning is not for.
func LoggedOptions(log Logger) *pebble.Options {
	return &pebble.Options{Logger: pebbleLogger{log}}
}

// Close closes the database.
func (s *Store) Close() error {
	if s.db == nil {
		return ErrClosed
	}
	err := s.db.Close()
	s.db = nil
	return err
}

// LastCommit returns the height and app hash of the last Commit (0 and nil
// for a fresh store).
func (s *Store) LastCommit() (int64, []byte, error) {
	h, err := s.getRaw(keyHeight)
	if err != nil {
		return 0, nil, err
	}
	if h == nil {
		return 0, nil, nil
	}
	if len(h) != 8 {
		return 0, nil, fmt.Errorf("corrupt height record: %d bytes", len(h))
	}
	ah, err := s.getRaw(keyAppHash)
	if err != nil {
		return 0, nil, err
	}
	return int64(binary.BigEndian.Uint64(h)), ah, nil
}

func (s *Store) getRaw(key []byte) ([]byte, error) {
	v, closer, err := s.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %q: %w", key, err)
	}
	out := bytes.Clone(v)
	closer.Close()
	return out, nil
}

// Index returns an index record (see Commit's index argument), or nil.
func (s *Store) Index(key []byte) ([]byte, error) {
	return s.getRaw(append(bytes.Clone(prefixIndex), key...))
}

// IndexReverse calls fn for the index records with keys in [start, end),
// last key first, until fn returns false.
func (s *Store) IndexReverse(start, end []byte, fn func(key, value []byte) bool) error {
	lo := append(bytes.Clone(prefixIndex), start...)
	hi := append(bytes.Clone(prefixIndex), end...)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return fmt.Errorf("iterate index: %w", err)
	}
	defer it.Close()
	for ok := it.Last(); ok; ok = it.Prev() {
		if !fn(it.Key()[len(prefixIndex):], it.Value()) {
			break
		}
	}
	if err := it.Error(); err != nil {
		return fmt.Errorf("iterate index: %w", err)
	}
	return nil
}

// Committed returns a store.Reader over committed state. Read errors are recorded
// in errp when errp is not nil (and otherwise read as absent keys).
func (s *Store) Committed(errp *error) store.Reader {
	return &dbReader{db: s.db, errp: errp}
}

// Snapshot returns a store.Reader over a consistent point-in-time view of committed
// state; Close releases it.
func (s *Store) Snapshot(errp *error) *SnapshotReader {
	return &SnapshotReader{snap: s.db.NewSnapshot(), errp: errp}
}

// Commit writes the staged state writes, index records, height and app hash
// in one synced batch. writes must come from the block's top Cache.
func (s *Store) Commit(writes []store.Write, index []store.Write, height int64, appHash []byte) error {
	b := s.db.NewBatch()
	defer b.Close()
	for _, w := range writes {
		k := append(bytes.Clone(prefixState), w.Key...)
		var err error
		if w.Deleted {
			err = b.Delete(k, nil)
		} else {
			err = b.Set(k, w.Value, nil)
		}
		if err != nil {
			return fmt.Errorf("stage write: %w", err)
		}
	}
	for _, w := range index {
		if err := b.Set(append(bytes.Clone(prefixIndex), w.Key...), w.Value, nil); err != nil {
			return fmt.Errorf("stage index: %w", err)
		}
	}
	var hb [8]byte
	binary.BigEndian.PutUint64(hb[:], uint64(height))
	if err := b.Set(keyHeight, hb[:], nil); err != nil {
		return fmt.Errorf("stage height: %w", err)
	}
	if err := b.Set(keyAppHash, appHash, nil); err != nil {
		return fmt.Errorf("stage app hash: %w", err)
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("commit height %d: %w", height, err)
	}
	return nil
}

type pebbleReader interface {
	Get(key []byte) ([]byte, io.Closer, error)
	NewIter(o *pebble.IterOptions) (*pebble.Iterator, error)
}

type dbReader struct {
	db   pebbleReader
	errp *error
}

func (r *dbReader) fail(err error) {
	if r.errp != nil && *r.errp == nil {
		*r.errp = err
	}
}

func (r *dbReader) Get(key []byte) []byte {
	k := make([]byte, 0, len(prefixState)+len(key))
	k = append(append(k, prefixState...), key...)
	v, closer, err := r.db.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil
	}
	if err != nil {
		r.fail(fmt.Errorf("read state: %w", err))
		return nil
	}
	out := bytes.Clone(v)
	if out == nil {
		out = []byte{}
	}
	closer.Close()
	return out
}

func (r *dbReader) Iterate(start, end []byte, fn func(key, value []byte) bool) {
	lo := append(bytes.Clone(prefixState), start...)
	var hi []byte
	if end != nil {
		hi = append(bytes.Clone(prefixState), end...)
	} else {
		hi = store.PrefixEnd(prefixState)
	}
	it, err := r.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		r.fail(fmt.Errorf("iterate state: %w", err))
		return
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		if !fn(it.Key()[len(prefixState):], it.Value()) {
			break
		}
	}
	if err := it.Error(); err != nil {
		r.fail(fmt.Errorf("iterate state: %w", err))
	}
}

// SnapshotReader reads a point-in-time view of committed state.
type SnapshotReader struct {
	snap *pebble.Snapshot
	errp *error
}

// Get implements store.Reader.
func (s *SnapshotReader) Get(key []byte) []byte {
	return (&dbReader{db: s.snap, errp: s.errp}).Get(key)
}

// Iterate implements store.Reader.
func (s *SnapshotReader) Iterate(start, end []byte, fn func(key, value []byte) bool) {
	(&dbReader{db: s.snap, errp: s.errp}).Iterate(start, end, fn)
}

// Close releases the snapshot.
func (s *SnapshotReader) Close() error { return s.snap.Close() }

// pebbleLogger adapts a Logger (or nothing) to Pebble's.
type pebbleLogger struct{ log Logger }

func (p pebbleLogger) Infof(format string, args ...interface{}) {
	if p.log != nil {
		p.log.Debugf(format, args...)
	}
}

func (p pebbleLogger) Errorf(format string, args ...interface{}) {
	if p.log != nil {
		p.log.Errorf(format, args...)
	}
}

// Fatalf is Pebble giving up on the database: the node must not go on.
func (p pebbleLogger) Fatalf(format string, args ...interface{}) {
	p.Errorf(format, args...)
	panic(fmt.Sprintf("pebble: "+format, args...))
}
