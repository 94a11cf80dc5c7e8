package classify_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"emergence/bank"
	"emergence/client"
	"emergence/node/nodetest"
	"emergence/subnet"
	"emergence/subnet/classify"
	"emergence/tx"
	"emergence/zkml/model"
)

// trainDigits trains and quantizes a small MLP on the digits set and
// returns it with the held-out part.
func trainDigits(t *testing.T) (*model.Model, *model.Dataset) {
	t.Helper()
	d, err := model.ReadCSVFile(filepath.Join("..", "..", "dataset", "digits.csv.gz"), 16)
	if err != nil {
		t.Fatal(err)
	}
	train, test := d.Split(0.8, 1)
	f, err := model.Train(train, []int{d.Features, 16, d.Classes}, model.TrainConfig{Epochs: 8, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	salt, err := model.NewSalt()
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.Quantize(f, model.QuantConfig{}, salt)
	if err != nil {
		t.Fatal(err)
	}
	return m, test
}

func TestMinerHTTP(t *testing.T) {
	m, test := trainDigits(t)
	srv := httptest.NewServer(classify.NewMiner(m, test.Classes, 0, 1))
	defer srv.Close()
	body, _ := json.Marshal(classify.Request{Inputs: test.X[:50]})
	resp, err := http.Post(srv.URL+"/v1/classify", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r classify.Response
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	correct := 0
	for i, l := range r.Labels {
		if l == test.Y[i] {
			correct++
		}
	}
	if len(r.Labels) != 50 || correct < 40 {
		t.Fatalf("%d labels, %d correct", len(r.Labels), correct)
	}
	// Bad requests.
	for _, tc := range []struct{ method, path, body string }{
		{"GET", "/v1/classify", ""},
		{"POST", "/v1/classify", "{"},
		{"POST", "/v1/classify", `{"inputs": [[1, 2]]}`},
		{"POST", "/other", "{}"},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Fatalf("%s %s %q: status 200", tc.method, tc.path, tc.body)
		}
	}
}

// TestSubnetIncentiveFollowsQuality runs a real node with the subnet
// module, four miners of decreasing quality (the last answers at random)
// and two honest validators, and checks that after a few epochs incentive
// ranks the miners by quality and the random miner earns about nothing.
func TestSubnetIncentiveFollowsQuality(t *testing.T) {
	m, test := trainDigits(t)
	miners := []string{"m0", "m1", "m2", "mrand"}
	noise := []float64{0, 0.35, 0.7, 1}
	vals := []string{"v0", "v1"}
	nw := nodetest.Start(t, nodetest.Options{
		ExtraKeys: append(append([]string{}, miners...), vals...),
		BlockTime: 50 * time.Millisecond,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	send := func(who, kind string, v any) {
		t.Helper()
		msg, err := tx.NewMsg(kind, v)
		if err != nil {
			t.Fatal(err)
		}
		res, err := nw.Client.SignAndBroadcast(ctx, nw.Key(who), client.TxOptions{}, msg)
		if err != nil {
			t.Fatal(err)
		}
		if res.Code != 0 {
			t.Fatalf("%s by %s: %s", kind, who, res.Log)
		}
	}
	h := subnet.DefaultHyperparams()
	h.Tempo, h.MaxUIDs, h.MaxValidators = 12, 16, 2
	send("alice", "subnet/create", subnet.CreateMsg{Name: "classify", Hyper: &h})
	for i, name := range miners {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: classify.NewMiner(m, test.Classes, noise[i], uint64(i+1))}
		go srv.Serve(ln)
		t.Cleanup(func() { srv.Close() })
		send(name, "subnet/register", subnet.RegisterMsg{NetUID: 0, Axon: ln.Addr().String()})
	}
	for _, v := range vals {
		send(v, "subnet/register", subnet.RegisterMsg{NetUID: 0})
		send(v, "subnet/stake", subnet.StakeMsg{NetUID: 0, Hotkey: nw.Addr(v), Amount: 1000 * bank.UnitsPerEMG})
	}
	var wg sync.WaitGroup
	runCtx, stop := context.WithCancel(ctx)
	for i, v := range vals {
		val := &classify.Validator{Client: nw.Client, Key: nw.Key(v), NetUID: 0, Data: test, Sample: 64}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = i
			val.Run(runCtx, 40*time.Millisecond)
		}()
	}
	// Wait for enough epochs with weights in force.
	var mg subnet.Metagraph
	waitCtx, cancelWait := context.WithTimeout(ctx, 3*time.Minute)
	defer cancelWait()
	var s subnet.SubnetInfo
	if err := nw.Client.Await(waitCtx, func() (bool, error) {
		err := nw.Client.Query(waitCtx, "subnet", "subnet/0", nil, &s)
		return err == nil && s.Epochs >= 7, err
	}); err != nil {
		t.Fatalf("only %d epochs ran: %v", s.Epochs, err)
	}
	stop()
	wg.Wait()
	if err := nw.Client.Query(ctx, "subnet", "metagraph/0", nil, &mg); err != nil {
		t.Fatal(err)
	}
	inc := make([]uint16, len(miners))
	for i := range miners {
		inc[i] = mg.Neurons[i].Incentive
	}
	t.Logf("incentive by miner quality: %v", inc)
	if !(inc[0] > inc[1] && inc[1] > inc[2] && inc[2] >= inc[3]) {
		t.Fatalf("incentive does not follow quality: %v", inc)
	}
	if inc[3] > 65535/50 {
		t.Fatalf("random miner incentive %d, want about 0", inc[3])
	}
}
