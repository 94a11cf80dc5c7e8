package iris_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"emergence/personhood/iris"
	"emergence/personhood/sealbox"
)

// TestGalleryFiles walks an operator's files: synthetic captures written
// and read back, a gallery created on first save, reopened with its
// passphrase, refusing a wrong one, and finding a second capture of an
// enrolled person but not a stranger.
func TestGalleryFiles(t *testing.T) {
	dir := t.TempDir()
	capPath := filepath.Join(dir, "ann1.bin")
	ann1 := iris.SynthCapture("ann", "1")
	b, err := ann1.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(capPath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	read, err := iris.ReadCapture(capPath)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := read.MarshalBinary(); string(again) != string(b) {
		t.Fatal("capture changed in a write and read")
	}
	same := iris.SynthCapture("ann", "1")
	if again, _ := same.MarshalBinary(); string(again) != string(b) {
		t.Fatal("the same synthetic person and capture number gave another capture")
	}

	gallery := filepath.Join(dir, "op", "gallery.enc")
	pass := []byte("gallery passphrase")
	x, err := iris.OpenGallery(gallery, pass)
	if err != nil || x.Len() != 0 {
		t.Fatalf("a missing gallery opens empty: %v, %d people", err, x.Len())
	}
	x.Add(read)
	if err := iris.SaveGallery(gallery, x, pass); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(gallery + ".tmp"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary file left behind: %v", err)
	}
	if _, err := iris.OpenGallery(gallery, []byte("another passphrase")); !errors.Is(err, sealbox.ErrDecrypt) {
		t.Fatalf("wrong passphrase: %v, want sealbox.ErrDecrypt", err)
	}
	y, err := iris.OpenGallery(gallery, pass)
	if err != nil || y.Len() != 1 {
		t.Fatalf("reopened gallery: %v, %d people", err, y.Len())
	}
	ann2 := iris.SynthCapture("ann", "2")
	if m, _ := y.Search(&ann2); len(m) != 1 || m[0].ID != 0 {
		t.Errorf("second capture of an enrolled person: matches %+v, want person 0", m)
	}
	bob := iris.SynthCapture("bob", "1")
	if m, _ := y.Search(&bob); len(m) != 0 {
		t.Errorf("a stranger matches %+v", m)
	}

	junk := filepath.Join(dir, "junk.bin")
	if err := os.WriteFile(junk, []byte("not a capture"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := iris.ReadCapture(junk); err == nil {
		t.Error("a junk capture file was read")
	}
	if _, err := iris.ReadCapture(filepath.Join(dir, "none.bin")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing capture: %v, want os.ErrNotExist", err)
	}
}
