// Package labeler is the off-chain side of the labeling market: manifests
// (the blob that lists a job's items), the requester's gold secret, and the
// labeler worker that requests an assignment, shows each item, takes an
// answer and handles commit and reveal by itself.
//
// It talks to a node through package client and keeps its secrets (salts)
// in files, written before the commitment is broadcast so a crash between
// commit and reveal loses nothing.
package labeler

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"emergence/api"
	"emergence/client"
	"emergence/data/shard"
	"emergence/label"
	"emergence/tx"
)

// Item kinds in a manifest.
const (
	KindText  = "text"
	KindImage = "image"
)

// ManifestItem is one item of a job: its id, kind and content blob hash.
type ManifestItem struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
	Blob string `json:"blob"`
	Name string `json:"name,omitempty"`
}

// Manifest lists a job's items; item i of the job is Items[i].
type Manifest struct {
	Version int            `json:"version"`
	Items   []ManifestItem `json:"items"`
}

// Item is an item's content before upload.
type Item struct {
	ID   string
	Kind string
	Name string
	Data []byte
}

var imageExt = map[string]bool{".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".webp": true, ".bmp": true}

// DatasetItems are the items of a job over a dataset: item i is record i
// (the rule the chain holds a dataset-backed job to, since it cannot read
// the records), a text item with the record's id and text.
func DatasetItems(recs []shard.Record) []Item {
	items := make([]Item, len(recs))
	for i, r := range recs {
		items[i] = Item{ID: r.ID, Kind: KindText, Data: []byte(r.Text)}
	}
	return items
}

// ItemsFromPath reads items: every regular file of a directory (sorted by
// name; images by extension, everything else text), or every non-empty line
// of a text file.
func ItemsFromPath(path string) ([]Item, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("items: %w", err)
	}
	var items []Item
	if st.IsDir() {
		entries, err := os.ReadDir(path)
		if err != nil {
			return nil, fmt.Errorf("items: %w", err)
		}
		for _, e := range entries {
			if !e.Type().IsRegular() {
				continue
			}
			data, err := os.ReadFile(filepath.Join(path, e.Name()))
			if err != nil {
				return nil, fmt.Errorf("items: %w", err)
			}
			kind := KindText
			if imageExt[strings.ToLower(filepath.Ext(e.Name()))] {
				kind = KindImage
			}
			items = append(items, Item{ID: e.Name(), Kind: kind, Name: e.Name(), Data: data})
		}
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("items: %w", err)
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" {
				continue
			}
			items = append(items, Item{ID: strconv.Itoa(len(items)), Kind: KindText, Data: []byte(line)})
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("items: %w", err)
		}
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("items: %s holds no items", path)
	}
	return items, nil
}

// Blobs is the blob store as the client exposes it.
type Blobs interface {
	PutBlob(ctx context.Context, hashHex string, data []byte) error
	GetBlob(ctx context.Context, hashHex string) ([]byte, error)
}

func hashHex(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }

// Publish uploads every item's content and the manifest, and returns the
// manifest and its hash (the job's manifest field).
func Publish(ctx context.Context, b Blobs, items []Item) (string, Manifest, error) {
	m := Manifest{Version: 1}
	for _, it := range items {
		h := hashHex(it.Data)
		if err := b.PutBlob(ctx, h, it.Data); err != nil {
			return "", m, fmt.Errorf("upload item %s: %w", it.ID, err)
		}
		m.Items = append(m.Items, ManifestItem{ID: it.ID, Kind: it.Kind, Blob: h, Name: it.Name})
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return "", m, fmt.Errorf("encode manifest: %w", err)
	}
	h := hashHex(raw)
	if err := b.PutBlob(ctx, h, raw); err != nil {
		return "", m, fmt.Errorf("upload manifest: %w", err)
	}
	return h, m, nil
}

// FetchManifest downloads a manifest and checks its hash.
func FetchManifest(ctx context.Context, b Blobs, hash string) (Manifest, error) {
	var m Manifest
	raw, err := b.GetBlob(ctx, hash)
	if err != nil {
		return m, fmt.Errorf("fetch manifest %s: %w", hash, err)
	}
	if hashHex(raw) != hash {
		return m, fmt.Errorf("manifest %s: content does not match its hash", hash)
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return m, fmt.Errorf("manifest %s: %w", hash, err)
	}
	return m, nil
}

// FetchItem downloads an item's content and checks its hash.
func FetchItem(ctx context.Context, b Blobs, it ManifestItem) ([]byte, error) {
	raw, err := b.GetBlob(ctx, it.Blob)
	if err != nil {
		return nil, fmt.Errorf("fetch item %s: %w", it.ID, err)
	}
	if hashHex(raw) != it.Blob {
		return nil, fmt.Errorf("item %s: content does not match its hash", it.ID)
	}
	return raw, nil
}

// GoldSecret is what a requester keeps to reveal its gold.
type GoldSecret struct {
	Manifest string           `json:"manifest"`
	Job      uint64           `json:"job,omitempty"`
	Gold     []label.GoldItem `json:"gold"`
	Salt     string           `json:"salt"`
}

// NewGoldSecret draws a random salt for a gold list.
func NewGoldSecret(manifest string, gold []label.GoldItem) (GoldSecret, error) {
	var salt [32]byte
	if _, err := rand.Read(salt[:]); err != nil {
		return GoldSecret{}, fmt.Errorf("gold salt: %w", err)
	}
	return GoldSecret{Manifest: manifest, Gold: gold, Salt: hex.EncodeToString(salt[:])}, nil
}

// Commitment returns the job's gold_commitment (hex).
func (g GoldSecret) Commitment() string {
	var salt [32]byte
	hex.Decode(salt[:], []byte(g.Salt))
	c := label.GoldCommitment(g.Manifest, g.Gold, salt)
	return hex.EncodeToString(c[:])
}

// GoldFromTruth maps truth rows (item id, class name) onto manifest indices
// and class indices.
func GoldFromTruth(m Manifest, classes []string, rows [][2]string) ([]label.GoldItem, error) {
	idx := make(map[string]uint32, len(m.Items))
	for i, it := range m.Items {
		idx[it.ID] = uint32(i)
	}
	var out []label.GoldItem
	seen := map[uint32]bool{}
	for _, r := range rows {
		i, ok := idx[r[0]]
		if !ok {
			return nil, fmt.Errorf("gold item %q is not in the manifest", r[0])
		}
		c := -1
		for k, name := range classes {
			if name == r[1] {
				c = k
			}
		}
		if c < 0 {
			return nil, fmt.Errorf("gold item %q: %q is not one of the classes %v", r[0], r[1], classes)
		}
		if seen[i] {
			return nil, fmt.Errorf("gold item %q listed twice", r[0])
		}
		seen[i] = true
		out = append(out, label.GoldItem{Item: i, Class: uint32(c)})
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Item < out[b].Item })
	return out, nil
}

// ReadPairs reads a two-column CSV (a header line is skipped when its first
// field is "item", "question" or "id").
func ReadPairs(r io.Reader) ([][2]string, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	var out [][2]string
	line := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line++
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) < 2 {
			return nil, fmt.Errorf("line %d: want item,label", line)
		}
		k := strings.TrimSpace(rec[0])
		if line == 1 && (k == "item" || k == "question" || k == "id") {
			continue
		}
		out = append(out, [2]string{k, strings.TrimSpace(rec[1])})
	}
	return out, nil
}

// AnswerSecret is what a labeler keeps between commit and reveal.
type AnswerSecret struct {
	Job     uint64     `json:"job"`
	Labeler tx.Address `json:"labeler"`
	Items   []uint32   `json:"items"`
	Answers []uint32   `json:"answers"`
	Salt    string     `json:"salt"`
}

// NewAnswerSecret draws a salt for a set of answers.
func NewAnswerSecret(job uint64, who tx.Address, items, answers []uint32) (AnswerSecret, error) {
	var salt [32]byte
	if _, err := rand.Read(salt[:]); err != nil {
		return AnswerSecret{}, fmt.Errorf("answer salt: %w", err)
	}
	return AnswerSecret{Job: job, Labeler: who, Items: items, Answers: answers, Salt: hex.EncodeToString(salt[:])}, nil
}

// Commitment returns the commitment (hex) to send in label/commit.
func (a AnswerSecret) Commitment() string {
	var salt [32]byte
	hex.Decode(salt[:], []byte(a.Salt))
	c := label.AnswerCommitment(a.Job, a.Labeler, a.Items, a.Answers, salt)
	return hex.EncodeToString(c[:])
}

// SecretPath is where a labeler's answer secret for a job is kept.
func SecretPath(dir string, job uint64, who tx.Address) string {
	return filepath.Join(dir, fmt.Sprintf("answers-%d-%s.json", job, who))
}

// SaveJSON writes v to path (0600), creating the directory.
func SaveJSON(path string, v any) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	raw, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	return nil
}

// LoadJSON reads v from path.
func LoadJSON(path string, v any) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("load %s: %w", path, err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("load %s: %w", path, err)
	}
	return nil
}

// Answerer picks the class of one item.
type Answerer interface {
	// Answer returns the index into classes of the answer for item it
	// (position pos of n in the assignment).
	Answer(ctx context.Context, pos, n int, it ManifestItem, content []byte, classes []string) (int, error)
}

// Chain is what the worker needs from a node.
type Chain interface {
	Blobs
	Query(ctx context.Context, module, path string, params url.Values, out any) error
	SignAndBroadcast(ctx context.Context, key ed25519.PrivateKey, opts client.TxOptions, msgs ...tx.Msg) (*api.TxResult, error)
	WaitHeight(ctx context.Context, h int64) error
}

var _ Chain = (*client.Client)(nil)

// Worker labels one job for one key.
type Worker struct {
	Chain Chain
	Key   ed25519.PrivateKey
	Job   uint64
	// Answer gives the answers; Out receives progress lines.
	Answer Answerer
	Out    io.Writer
	// StateDir keeps the answer secret between commit and reveal.
	StateDir string
	// Poll is how often to check for the reveal window (default 200ms).
	Poll time.Duration
}

// Report is what Run did.
type Report struct {
	Job       uint64   `json:"job"`
	Labeler   string   `json:"labeler"`
	Items     []uint32 `json:"items"`
	Answers   []uint32 `json:"answers"`
	Committed bool     `json:"committed"`
	Revealed  bool     `json:"revealed"`
}

// ErrNoStake is returned when the labeler's stake is below the job's minimum.
var ErrNoStake = errors.New("stake below the job's minimum")

func (w *Worker) send(ctx context.Context, kind string, v any) error {
	m, err := tx.NewMsg(kind, v)
	if err != nil {
		return fmt.Errorf("%s: %w", kind, err)
	}
	r, err := w.Chain.SignAndBroadcast(ctx, w.Key, client.TxOptions{}, m)
	if err != nil {
		return fmt.Errorf("%s: %w", kind, err)
	}
	if r.Code != 0 {
		return fmt.Errorf("%s failed: %s", kind, r.Log)
	}
	return nil
}

func (w *Worker) printf(format string, args ...any) {
	if w.Out != nil {
		fmt.Fprintf(w.Out, format, args...)
	}
}

// Run requests an assignment (unless one exists), answers every item,
// commits, waits for the reveal window and reveals. It resumes where it
// stopped: an existing commitment is revealed from the saved secret.
func (w *Worker) Run(ctx context.Context) (*Report, error) {
	who := tx.AddressFromPubKey(w.Key.Public().(ed25519.PublicKey))
	rep := &Report{Job: w.Job, Labeler: who.String()}
	var job label.Job
	if err := w.Chain.Query(ctx, label.Name, fmt.Sprintf("job/%d", w.Job), nil, &job); err != nil {
		return rep, fmt.Errorf("job %d: %w", w.Job, err)
	}
	var as label.Assignment
	err := w.Chain.Query(ctx, label.Name, fmt.Sprintf("assignment/%d/%s", w.Job, who), nil, &as)
	if errors.Is(err, client.ErrNotFound) {
		var lb label.Labeler
		if err := w.Chain.Query(ctx, label.Name, "labeler/"+who.String(), nil, &lb); err != nil && !errors.Is(err, client.ErrNotFound) {
			return rep, fmt.Errorf("labeler: %w", err)
		}
		if free := lb.Stake - lb.Locked; free == 0 || free < job.MinStake {
			return rep, fmt.Errorf("%w: free stake %d uemg (%d at risk in open jobs), job %d puts %d uemg at risk", ErrNoStake, free, lb.Locked, job.ID, job.MinStake)
		}
		w.printf("requesting work in job %d...\n", job.ID)
		if err := w.send(ctx, "label/request", label.JobMsg{Job: w.Job}); err != nil {
			return rep, err
		}
		err = w.Chain.Query(ctx, label.Name, fmt.Sprintf("assignment/%d/%s", w.Job, who), nil, &as)
	}
	if err != nil {
		return rep, fmt.Errorf("assignment: %w", err)
	}
	rep.Items = as.Items
	path := SecretPath(w.StateDir, w.Job, who)
	var sec AnswerSecret
	if as.Commitment != "" {
		if err := LoadJSON(path, &sec); err != nil {
			return rep, fmt.Errorf("already committed but the secret is gone: %w", err)
		}
		if sec.Commitment() != as.Commitment {
			return rep, fmt.Errorf("saved secret %s does not match the commitment on chain", path)
		}
		rep.Committed = true
	} else {
		man, err := FetchManifest(ctx, w.Chain, job.Manifest)
		if err != nil {
			return rep, err
		}
		if len(man.Items) != int(job.Items) {
			return rep, fmt.Errorf("manifest lists %d items, job has %d", len(man.Items), job.Items)
		}
		fetch := func(ctx context.Context, mi ManifestItem) ([]byte, error) { return FetchItem(ctx, w.Chain, mi) }
		answers, err := AnswerItems(ctx, w.Answer, man, as.Items, job.Classes, fetch)
		if err != nil {
			return rep, err
		}
		if sec, err = NewAnswerSecret(w.Job, who, as.Items, answers); err != nil {
			return rep, err
		}
		if err := SaveJSON(path, sec); err != nil {
			return rep, err
		}
		w.printf("committing %d answers...\n", len(answers))
		if err := w.send(ctx, "label/commit", label.CommitMsg{Job: w.Job, Commitment: sec.Commitment()}); err != nil {
			return rep, err
		}
		rep.Committed = true
	}
	rep.Answers = sec.Answers
	if as.Revealed {
		rep.Revealed = true
		return rep, nil
	}
	w.printf("waiting for the reveal window (after height %d)...\n", job.CommitDeadline)
	if err := w.Chain.WaitHeight(ctx, job.CommitDeadline); err != nil {
		return rep, err
	}
	w.printf("revealing...\n")
	if err := w.send(ctx, "label/reveal", label.RevealMsg{Job: w.Job, Items: sec.Items, Answers: sec.Answers, Salt: sec.Salt}); err != nil {
		return rep, err
	}
	rep.Revealed = true
	return rep, nil
}

// AutoAnswerer answers from a table of item id (or index) to class name.
type AutoAnswerer struct {
	Labels map[string]string
}

// NewAutoAnswerer reads a CSV of item,label pairs.
func NewAutoAnswerer(r io.Reader) (*AutoAnswerer, error) {
	pairs, err := ReadPairs(r)
	if err != nil {
		return nil, err
	}
	a := &AutoAnswerer{Labels: map[string]string{}}
	for _, p := range pairs {
		a.Labels[p[0]] = p[1]
	}
	return a, nil
}

// Answer implements Answerer.
func (a *AutoAnswerer) Answer(_ context.Context, _, _ int, it ManifestItem, _ []byte, classes []string) (int, error) {
	l, ok := a.Labels[it.ID]
	if !ok {
		return 0, fmt.Errorf("no answer for item %q in the answers file", it.ID)
	}
	for k, c := range classes {
		if c == l {
			return k, nil
		}
	}
	if k, err := strconv.Atoi(l); err == nil && k >= 0 && k < len(classes) {
		return k, nil
	}
	return 0, fmt.Errorf("answer %q for item %q is not one of %v", l, it.ID, classes)
}

// TerminalAnswerer shows text items in the terminal and saves images to a
// directory, then reads the answer (a class number or name) from In.
type TerminalAnswerer struct {
	In       *bufio.Reader
	Out      io.Writer
	ImageDir string
}

// Answer implements Answerer.
func (t *TerminalAnswerer) Answer(_ context.Context, pos, n int, it ManifestItem, content []byte, classes []string) (int, error) {
	fmt.Fprintf(t.Out, "\n[%d/%d] item %s\n", pos+1, n, it.ID)
	if it.Kind == KindImage {
		name := it.Name
		if name == "" {
			name = it.ID
		}
		p := filepath.Join(t.ImageDir, filepath.Base(name))
		if err := os.MkdirAll(t.ImageDir, 0o755); err != nil {
			return 0, fmt.Errorf("save image: %w", err)
		}
		if err := os.WriteFile(p, content, 0o644); err != nil {
			return 0, fmt.Errorf("save image: %w", err)
		}
		fmt.Fprintf(t.Out, "  image saved to %s\n", p)
	} else {
		fmt.Fprintf(t.Out, "  %s\n", strings.ReplaceAll(strings.TrimSpace(string(content)), "\n", "\n  "))
	}
	for {
		for k, c := range classes {
			fmt.Fprintf(t.Out, "  %d) %s", k+1, c)
		}
		fmt.Fprint(t.Out, "\n  answer: ")
		line, err := t.In.ReadString('\n')
		line = strings.TrimSpace(line)
		if line == "" && err != nil {
			return 0, fmt.Errorf("read answer: %w", err)
		}
		if k, e := strconv.Atoi(line); e == nil && k >= 1 && k <= len(classes) {
			return k - 1, nil
		}
		for k, c := range classes {
			if strings.EqualFold(c, line) {
				return k, nil
			}
		}
		fmt.Fprintf(t.Out, "  %q is not a class; type its number or name\n", line)
		if err != nil {
			return 0, fmt.Errorf("read answer: %w", err)
		}
	}
}
