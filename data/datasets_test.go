package data_test

import (
	"encoding/hex"
	"fmt"
	"net/url"
	"testing"

	"emergence/app"
	"emergence/data"
)

// TestDatasetsList pages through published datasets by id, each without
// its shard list, and refuses a bad page.
func TestDatasetsList(t *testing.T) {
	n := newNet(t, 3, nil)
	job := n.createJob(2, "http://site.test/")
	rs := map[string]data.Receipt{}
	for _, name := range n.assigned(job, 0) {
		rs[name] = receipt(job, "http://site.test/", "home")
	}
	n.crawl(job, 0, rs, n.assigned(job, 0))
	h := func(s string) string { x := hash(s); return hex.EncodeToString(x[:]) }
	for i := 1; i <= 3; i++ {
		n.c.MustOK(n.deliver("alice", data.MsgPublish, data.Publish{Job: job, Name: fmt.Sprint("site ", i), Root: h(fmt.Sprint("root ", i)),
			Manifest: h(fmt.Sprint("manifest ", i)), Shards: []string{h(fmt.Sprint("shard ", i))}, Records: 1, Licence: "CC-BY-4.0"}))
	}
	var first data.Datasets
	if err := n.c.Query("data/datasets", url.Values{"limit": {"2"}}, &first); err != nil {
		t.Fatal(err)
	}
	if len(first.Datasets) != 2 || first.Datasets[0].ID != 1 || first.Datasets[1].ID != 2 || first.Next != 2 {
		t.Fatalf("first page %+v, want datasets 1 and 2, next 2", first)
	}
	for _, d := range first.Datasets {
		if d.Shards != nil || d.Name != fmt.Sprint("site ", d.ID) || d.Records != 1 || d.Job != job {
			t.Errorf("listed dataset %+v: want its record without shards", d)
		}
	}
	var rest data.Datasets
	if err := n.c.Query("data/datasets", url.Values{"after": {"2"}}, &rest); err != nil {
		t.Fatal(err)
	}
	if len(rest.Datasets) != 1 || rest.Datasets[0].ID != 3 || rest.Next != 0 {
		t.Fatalf("last page %+v, want dataset 3 alone", rest)
	}
	var one data.Dataset
	if err := n.c.Query("data/dataset/3", nil, &one); err != nil || len(one.Shards) != 1 {
		t.Fatalf("dataset/3 %+v, %v: the record keeps its shards", one, err)
	}
	for _, bad := range []url.Values{{"limit": {"0"}}, {"limit": {fmt.Sprint(data.MaxPage + 1)}}, {"after": {"x"}}} {
		if err := n.c.Query("data/datasets", bad, &rest); app.CodeOf(err) != app.CodeBadQuery {
			t.Errorf("datasets %v: %v, want %v", bad, err, app.CodeBadQuery)
		}
	}
}
