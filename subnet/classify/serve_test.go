package classify_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"

	"emergence/subnet/classify"
)

// TestServe runs the miner's serve loop on a real listener: publish runs
// once the server answers, cancelling the context stops it cleanly, and a
// failed publish stops the server and is returned.
func TestServe(t *testing.T) {
	m, test := trainDigits(t)
	body, _ := json.Marshal(classify.Request{Inputs: test.X[:3]})
	ask := func(addr string) error {
		resp, err := http.Post("http://"+addr+"/v1/classify", "application/json", strings.NewReader(string(body)))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var r classify.Response
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
			return err
		}
		if len(r.Labels) != 3 {
			return errors.New("wrong number of labels")
		}
		return nil
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	published := false
	err = classify.Serve(ctx, ln, classify.NewMiner(m, test.Classes, 0, 1), func(context.Context) error {
		published = true
		if err := ask(addr); err != nil {
			t.Errorf("miner does not answer when published: %v", err)
		}
		cancel()
		return nil
	})
	if err != nil || !published {
		t.Fatalf("serve after cancel: %v (published %v)", err, published)
	}
	if err := ask(addr); err == nil {
		t.Fatal("miner still answers after its context ended")
	}

	ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr = ln.Addr().String()
	refused := errors.New("serve tx refused")
	err = classify.Serve(context.Background(), ln, classify.NewMiner(m, test.Classes, 0, 1), func(context.Context) error { return refused })
	if !errors.Is(err, refused) {
		t.Fatalf("serve with a failing publish: %v", err)
	}
	if err := ask(addr); err == nil {
		t.Fatal("miner still answers after publishing failed")
	}
}
