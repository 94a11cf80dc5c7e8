package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"emergence/label"
	"emergence/label/labeler"
)

// imageItems are the pictures of testdata/label/images (Fashion-MNIST test
// images 2, 3, 0 and 23, see its README) and their classes.
var imageItems = map[string]int{"trouser-1.png": 0, "trouser-2.png": 0, "boot-1.png": 1, "boot-2.png": 1}

// htmlItem is a copy of boot-1.png whose file name, hence item id, is an
// HTML tag: the pages must show it as text.
const htmlItem = `<img src=x onerror=window.pwned=1>.png`

// waitImage waits until the first image matching sel has loaded and
// decoded (naturalWidth > 0), found and read in one step inside the browser
// as text does, and returns its alt text and natural size.
func (b *browser) waitImage(sel string) (alt string, w, h int) {
	b.t.Helper()
	js := fmt.Sprintf(`(() => { const i = document.querySelector(%q); return !!i && i.complete && i.naturalWidth > 0 && [i.alt, String(i.naturalWidth), String(i.naturalHeight)]; })()`, sel)
	s, err := chromedp.Run(b.ctx, chromedp.Poll[[]string](js, chromedp.WithPollingTimeout(60*time.Second)))
	if err != nil || len(s) != 3 {
		b.t.Fatalf("wait for the image %s to render: %v", sel, err)
	}
	fmt.Sscan(s[1], &w)
	fmt.Sscan(s[2], &h)
	return s[0], w, h
}

// TestWebLabelingImages labels a job of image items end to end through the
// labeler's page with the keyboard: every item is shown as a decoded image
// (naturalWidth > 0), the answers typed are committed and revealed on
// chain, and the explorer's job page shows the items as images from their
// blobs. An item id holding HTML is shown as text on both pages.
func TestWebLabelingImages(t *testing.T) {
	unsetPassphraseEnv(t)
	home, dir := t.TempDir(), t.TempDir()
	base := devnetProcess(t, home)
	common := []string{"--home", home, "--keyring-backend", "test", "--node", base}
	itemsDir := filepath.Join(dir, "items")
	if err := os.Mkdir(itemsDir, 0o755); err != nil {
		t.Fatal(err)
	}
	truth := map[string]int{htmlItem: imageItems["boot-1.png"]}
	for name, class := range imageItems {
		b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "label", "images", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(itemsDir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
		if name == "boot-1.png" {
			if err := os.WriteFile(filepath.Join(itemsDir, htmlItem), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		truth[name] = class
	}
	goldF := filepath.Join(dir, "gold.csv")
	if err := os.WriteFile(goldF, []byte("trouser-1.png,trouser\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustCLI(t, append([]string{"tx", "label", "create-job", "--from", "governance", "--items", itemsDir, "--classes", "trouser,ankle boot", "--gold", goldF,
		"--batch", "5", "--labels-per-item", "1", "--reward", "1000uemg", "--commit-blocks", "80", "--reveal-blocks", "20"}, common...)...)

	pageURL, exit := workerProcess(t, regexp.MustCompile(`labeling page: (http://\S+)`),
		append([]string{"labeler", "--from", "bob", "--job", "1", "--stake", "2emg", "--ui", "127.0.0.1:0"}, common...)...)
	b := newBrowser(t)
	b.run("open the labeling page", chromedp.Navigate(pageURL))
	b.waitText("#title", "Labeling job #1")
	seen := map[string]bool{}
	for k := 0; k < len(truth); k++ {
		head := b.waitText("#item", fmt.Sprintf("item %d of %d", k+1, len(truth)))
		alt, w, h := b.waitImage("#item img")
		class, ok := truth[alt]
		if !ok || seen[alt] || !strings.Contains(head, alt) {
			t.Fatalf("item %d shows the image %q (%q), not one of the job's items not yet shown", k+1, alt, head)
		}
		seen[alt] = true
		if w != 28 || h != 28 {
			t.Errorf("item %s rendered %dx%d, want the picture's 28x28", alt, w, h)
		}
		if alt == htmlItem {
			if n := eval[int](b, `document.querySelectorAll("#item img").length`); n != 1 {
				t.Errorf("the item named %s put %d images on the page", htmlItem, n)
			}
			b.shot("labeler-image-item")
		}
		b.run("answer with the keyboard", chromedp.KeyEvent(fmt.Sprint(class+1)), chromedp.KeyEvent("\r"))
		b.waitText("#message", fmt.Sprintf("item %d answered", k+1))
	}
	if eval[bool](b, `window.pwned !== undefined || document.querySelector('img[src="x"]') !== null`) {
		t.Error("an item's name ran as HTML in the labeling page")
	}
	b.waitText("#phase", "committ")
	e := <-exit
	if e.err != nil || !strings.Contains(e.stdout, fmt.Sprintf("%d items answered, committed and revealed", len(truth))) {
		t.Fatalf("labeler: %v\nstdout %s\nstderr %s", e.err, e.stdout, e.stderr)
	}

	// On chain: bob's revealed answers are the classes typed for each item.
	var job struct {
		Manifest string `json:"manifest"`
	}
	getJSON(t, base+"/v1/query/label/job/1", &job)
	var man labeler.Manifest
	if code := getJSON(t, base+"/v1/blobs/"+job.Manifest, &man); code != 200 || len(man.Items) != len(truth) {
		t.Fatalf("manifest %s: %d %+v", job.Manifest, code, man)
	}
	bob := strings.TrimSpace(mustCLI(t, append([]string{"keys", "show", "bob", "--address"}, common...)...))
	var as label.Assignment
	getJSON(t, base+"/v1/query/label/assignment/1/"+bob, &as)
	if as.Commitment == "" || !as.Revealed || len(as.Answers) != len(truth) || len(as.Items) != len(truth) {
		t.Fatalf("assignment on chain %+v: want the page's %d answers committed and revealed", as, len(truth))
	}
	for k, it := range as.Items {
		if id := man.Items[it].ID; int(as.Answers[k]) != truth[id] {
			t.Errorf("item %d (%s): answer %d on chain, typed %d", it, id, as.Answers[k], truth[id])
		}
	}

	// The explorer's job page shows every item as its image, ids as text.
	b.run("open the job page", chromedp.Navigate(base+"/label/job/1"))
	items := b.waitText("#items", htmlItem)
	js := `(() => { const im = [...document.querySelectorAll("#items img.thumb")]; return im.length > 0 && im.every((i) => i.complete && i.naturalWidth > 0) && im.map((i) => i.alt + "|" + i.naturalWidth); })()`
	shown, err := chromedp.Run(b.ctx, chromedp.Poll[[]string](js, chromedp.WithPollingTimeout(60*time.Second)))
	if err != nil {
		t.Fatalf("the job page's item images did not render: %v", err)
	}
	if len(shown) != len(man.Items) {
		t.Errorf("job page shows %d item images %q, want %d", len(shown), shown, len(man.Items))
	}
	for i, it := range man.Items {
		if i < len(shown) && shown[i] != it.ID+"|28" {
			t.Errorf("item %d image %q, want %s at 28 px", i, shown[i], it.ID)
		}
		if !strings.Contains(items, it.ID) {
			t.Errorf("items table %q: want %s", items, it.ID)
		}
	}
	if eval[bool](b, `window.pwned !== undefined || document.querySelector('img[src="x"]') !== null`) {
		t.Error("an item's name ran as HTML in the job page")
	}
	b.checkErrors()
	b.shot("market-labeling-images")
	raw, _ := json.Marshal(shown)
	t.Logf("job page item images: %s", raw)
}
