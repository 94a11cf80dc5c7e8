package labeler_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"emergence/api"
	"emergence/blob"
	"emergence/blob/local"
	"emergence/client"
	"emergence/label"
	"emergence/label/labeler"
)

// blobClient returns a client, signing its uploads, of a real blob store
// behind the real blob HTTP handler: the blob side of a node's API.
func blobClient(t *testing.T) *client.Client {
	t.Helper()
	s, err := local.Open(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(blob.NewHandler(s, &blob.Quota{Bytes: 1 << 20, Window: time.Hour}))
	t.Cleanup(srv.Close)
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return client.New(srv.URL).SignBlobsWith(key)
}

func TestPrepareJob(t *testing.T) {
	ctx := context.Background()
	c := blobClient(t)
	items := []labeler.Item{{ID: "0", Kind: labeler.KindText, Data: []byte("great")}, {ID: "1", Kind: labeler.KindText, Data: []byte("awful")},
		{ID: "2", Kind: labeler.KindText, Data: []byte("fine")}}
	spec := labeler.JobSpec{Classes: []string{"negative", "positive"}, LabelsPerItem: 3, BatchSize: 2, RewardPerLabel: 1000, MinStake: 5, CommitBlocks: 10, RevealBlocks: 5}
	j, err := labeler.PrepareJob(ctx, c, items, [][2]string{{"1", "negative"}}, spec)
	if err != nil {
		t.Fatal(err)
	}
	m := j.Msg
	if m.Manifest != j.Manifest || m.Items != 3 || m.GoldCount != 1 || m.GoldCommitment != j.Secret.Commitment() || m.LabelsPerItem != 3 || m.RewardPerLabel != 1000 {
		t.Errorf("create-job message %+v", m)
	}
	if got := j.Secret.Gold; len(got) != 1 || got[0] != (label.GoldItem{Item: 1, Class: 0}) {
		t.Errorf("gold %+v, want item 1 class 0", got)
	}
	man, err := labeler.FetchManifest(ctx, c, j.Manifest)
	if err != nil || len(man.Items) != 3 {
		t.Fatalf("published manifest: %v %+v", err, man)
	}
	if b, err := labeler.FetchItem(ctx, c, man.Items[1]); err != nil || string(b) != "awful" {
		t.Fatalf("published item 1: %q %v", b, err)
	}
	if j.Gas() != 3*2*label.GasPerItem {
		t.Errorf("gas %d", j.Gas())
	}

	// Bad gold is refused before any upload.
	empty := blobClient(t)
	for _, gold := range [][][2]string{{{"7", "negative"}}, {{"0", "neutral"}}, {{"0", "positive"}, {"0", "negative"}}} {
		_, err := labeler.PrepareJob(ctx, empty, items, gold, spec)
		if !errors.Is(err, labeler.ErrGold) {
			t.Errorf("gold %v: %v, want ErrGold", gold, err)
		}
	}
	if _, err := empty.GetBlob(ctx, j.Manifest); err == nil {
		t.Error("items were uploaded for a job with bad gold")
	}
}

func TestJobID(t *testing.T) {
	ev := []api.Event{{Type: "bank_transfer"}, {Type: "label_job", Attrs: []api.Attribute{{Key: "requester", Value: "x"}, {Key: "id", Value: "42"}}}}
	if id, ok := labeler.JobID(ev); !ok || id != 42 {
		t.Errorf("JobID = %d %v, want 42", id, ok)
	}
	if _, ok := labeler.JobID(ev[:1]); ok {
		t.Error("a job id found in events without label_job")
	}
	if p := labeler.GoldSecretPath("d", 42); p != filepath.Join("d", "gold-42.json") {
		t.Errorf("GoldSecretPath = %s", p)
	}
	if p := labeler.PendingGoldPath("d", strings.Repeat("ab", 32)); p != filepath.Join("d", "gold-pending-abababababababab.json") {
		t.Errorf("PendingGoldPath = %s", p)
	}
}
