package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"emergence/client"
	"emergence/device"
	"emergence/device/fleet"
	"emergence/device/ingestd"
	"emergence/tx"
)

// fleetReport is what 'emergence device sim' prints.
type fleetReport struct {
	Epoch      uint64              `json:"epoch"`
	Events     int                 `json:"events"`
	Strategies []fleetStrategy     `json:"strategies"`
	Ingest     []fleetIngestResult `json:"ingest"`
}

type fleetStrategy struct {
	Strategy string `json:"strategy"`
	Devices  int    `json:"devices"`
	// Earned is what the strategy's devices were paid in the epoch (known
	// once it is closed and posted: --close).
	Earned uint64 `json:"earned_uemg"`
}

type fleetIngestResult struct {
	URL     string           `json:"url"`
	Queued  int              `json:"queued"`
	Summary *ingestd.Summary `json:"summary,omitempty"`
}

func newDeviceSimCmd(g *globals) *cobra.Command {
	var f txFlags
	var ingestURLs []string
	var honest, spoofers, replayers, cloners, readings int
	var seed uint64
	var closeEpoch bool
	var fund string
	cmd := &cobra.Command{
		Use:   "sim --ingest URL[,URL...] --from KEY [--honest N --spoofers N --replayers N --cloners N]",
		Short: "Play simulated vehicles on a grid road network and post their signed readings to ingest nodes",
		Long: `Play a fleet of simulated vehicles for one epoch and post their readings.

The --from account registers as a maker (if it is not one), provisions the
fleet's devices and pairs them with itself (device keys are derived from
--seed, so a rerun reuses them). Honest vehicles drive random routes on a
grid of streets (an intersection every 100 m, one signed reading every
10 s at 10 m/s); GPS spoofers report positions kilometres apart, replayers
re-send their first reading's id, cloners sign an honest vehicle's payloads.
The readings are of the last finished epoch (block time), posted to every
--ingest endpoint in batches of 1,000.

With --close the command then closes the epoch on each ingest node in turn
(POST /v1/epochs/N/close): the first posts it on chain, the others check
the chain's root against theirs; it prints what each strategy earned.`,
		Example: "  emergence device sim --ingest http://127.0.0.1:8610 --from alice --honest 47 --close",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(ingestURLs) == 0 {
				return errorf("pass --ingest URL of a running 'emergence ingest' (repeat it or separate with commas for several)", "no --ingest given")
			}
			for _, n := range []int{honest, spoofers, replayers, cloners} {
				if n < 0 || honest+spoofers+replayers+cloners > 5_000 {
					return errorf("pass 0 to 5,000 devices in all", "device counts out of range")
				}
			}
			if honest+spoofers+replayers+cloners == 0 || readings < 1 || readings > int(device.EpochMillis/fleet.ReadingMillis) {
				return errorf(fmt.Sprintf("pass at least one device and --readings 1 to %d (one epoch)", device.EpochMillis/fleet.ReadingMillis), "nothing to play")
			}
			var fundAmt uint64
			if fund != "" {
				var err error
				if fundAmt, err = parseAmount(fund); err != nil {
					return err
				}
			}
			key, from, err := g.signer(f.from)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			if err := g.reachNode(ctx, "device sim"); err != nil {
				return err
			}
			c := g.client()
			fl := fleet.NewFleet(seed, honest, spoofers, replayers, cloners)
			if err := setupFleetOnChain(ctx, c, key, from, fl, fundAmt); err != nil {
				return err
			}
			st, err := c.Status(ctx)
			if err != nil {
				return g.nodeError(err)
			}
			bt, err := time.Parse(time.RFC3339Nano, st.BlockTime)
			if err != nil {
				return failf("", "node's block time %q: %w", st.BlockTime, err)
			}
			epoch := uint64(bt.UnixMilli()/device.EpochMillis) - 1
			events, err := fl.Events(int64(epoch)*device.EpochMillis, readings)
			if err != nil {
				return failf("", "sign readings: %w", err)
			}
			rep := fleetReport{Epoch: epoch, Events: len(events)}
			for _, s := range []string{fleet.Honest, fleet.Spoofer, fleet.Replayer, fleet.Cloner} {
				n := 0
				for _, v := range fl.Vehicles {
					if v.Strategy == s {
						n++
					}
				}
				rep.Strategies = append(rep.Strategies, fleetStrategy{Strategy: s, Devices: n})
			}
			for _, u := range ingestURLs {
				u = strings.TrimRight(u, "/")
				if err := reachIngest(ctx, u, g.stderr); err != nil {
					return failf("start 'emergence ingest' first, or check --ingest", "%w", err)
				}
				q, err := postEvents(ctx, u, events)
				if err != nil {
					return failf("check that 'emergence ingest' runs at "+u, "%w", err)
				}
				rep.Ingest = append(rep.Ingest, fleetIngestResult{URL: u, Queued: q})
			}
			if closeEpoch {
				for i := range rep.Ingest {
					var sum ingestd.Summary
					if err := ingestCall(ctx, http.MethodPost, fmt.Sprintf("%s/v1/epochs/%d/close", rep.Ingest[i].URL, epoch), nil, &sum); err != nil {
						return failf("see the ingest node's log", "close epoch %d on %s: %w", epoch, rep.Ingest[i].URL, err)
					}
					rep.Ingest[i].Summary = &sum
				}
				if err := c.Await(ctx, func() (bool, error) {
					var rec device.EpochRecord
					err := c.Query(ctx, device.Name, fmt.Sprintf("epoch/%d", epoch), url.Values{"limit": {"1"}}, &rec)
					return err == nil && rec.Complete, err
				}); err != nil {
					return g.nodeError(err)
				}
				rec, err := g.epochWithPayouts(ctx, epoch)
				if err != nil {
					return err
				}
				strat := map[string]string{}
				for _, v := range fl.Vehicles {
					strat[v.ID] = v.Strategy
				}
				for _, p := range rec.Payouts {
					for i := range rep.Strategies {
						if rep.Strategies[i].Strategy == strat[p.Device] {
							rep.Strategies[i].Earned += p.Amount
						}
					}
				}
			}
			return g.print(rep, func(w io.Writer) { rep.writeText(w) })
		},
	}
	f.register(cmd, true)
	fl := cmd.Flags()
	fl.StringSliceVar(&ingestURLs, "ingest", nil, "ingest endpoint URLs (http://127.0.0.1:8610)")
	fl.IntVar(&honest, "honest", 47, "honest vehicles")
	fl.IntVar(&spoofers, "spoofers", 1, "GPS spoofers")
	fl.IntVar(&replayers, "replayers", 1, "replayers")
	fl.IntVar(&cloners, "cloners", 1, "cloners")
	fl.IntVar(&readings, "readings", 30, "readings per vehicle (10 s apart)")
	fl.Uint64Var(&seed, "seed", 1, "seed of the device keys and routes")
	fl.BoolVar(&closeEpoch, "close", false, "close the epoch on every ingest node after posting, and print the earnings")
	fl.StringVar(&fund, "fund", "", "first add this much to the device reward pool, e.g. 10emg")
	return cmd
}

func (r fleetReport) writeText(w io.Writer) {
	fmt.Fprintf(w, "epoch %d: %d signed readings posted\n", r.Epoch, r.Events)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "strategy\tdevices\tearned (uemg)\n")
	for _, s := range r.Strategies {
		fmt.Fprintf(tw, "%s\t%d\t%d\n", s.Strategy, s.Devices, s.Earned)
	}
	tw.Flush()
	for _, in := range r.Ingest {
		fmt.Fprintf(w, "ingest %s: %d queued", in.URL, in.Queued)
		if s := in.Summary; s != nil {
			verdict := "agrees with the chain"
			if !s.Agrees {
				verdict = "DIFFERS from the chain"
			}
			fmt.Fprintf(w, "; %d accepted, %d rejected, root %s, posted %v, %s", s.Accepted, s.Rejected, s.Root, s.Posted, verdict)
		}
		fmt.Fprintln(w)
	}
}

// setupFleetOnChain makes from a maker, provisions the fleet's devices it
// has not provisioned yet and pairs the unpaired ones with from.
func setupFleetOnChain(ctx context.Context, c *client.Client, key ed25519.PrivateKey, from tx.Address, fl *fleet.Fleet, fund uint64) error {
	send := func(what string, gasEach uint64, msgs []tx.Msg) error {
		for len(msgs) > 0 {
			n := min(len(msgs), 50)
			res, err := c.SignAndBroadcast(ctx, key, client.TxOptions{GasLimit: uint64(n)*gasEach + 1_000_000}, msgs[:n]...)
			if err != nil {
				return failf("check the node and the --from account's balance", "%s: %w", what, err)
			}
			if res.Code != 0 {
				return failf("check the --from account's balance and the device records", "%s: %s/%d: %s", what, res.Codespace, res.Code, res.Log)
			}
			msgs = msgs[n:]
		}
		return nil
	}
	var mk device.Maker
	if err := c.Query(ctx, device.Name, "maker/"+from.String(), nil, &mk); err != nil {
		if !absentErr(err) {
			return failf("", "read maker: %w", err)
		}
		var p device.Params
		if err := c.Query(ctx, device.Name, "params", nil, &p); err != nil {
			return failf("", "read device params: %w", err)
		}
		m, _ := tx.NewMsg(device.MsgRegisterMaker, device.RegisterMaker{Name: "sim-fleet", Stake: p.MakerStake})
		if err := send("register maker", device.GasRegisterMaker, []tx.Msg{m}); err != nil {
			return err
		}
	}
	st, err := c.Status(ctx)
	if err != nil {
		return failf("", "node status: %w", err)
	}
	var prov, pair []tx.Msg
	for i, v := range fl.Vehicles {
		var d device.Device
		err := c.Query(ctx, device.Name, "device/"+v.ID, nil, &d)
		switch {
		case absentErr(err):
			m, _ := tx.NewMsg(device.MsgProvision, device.Provision{KeyType: v.Signer.Type, PubKey: hex.EncodeToString(v.Signer.Pub()), Model: "sim-vehicle", Serial: fmt.Sprintf("%d-%d", fl.Seed, i)})
			prov = append(prov, m)
		case err != nil:
			return failf("", "read device %s: %w", v.ID, err)
		case d.Retired:
			return failf("pass another --seed", "device %s is retired", v.ID)
		case d.Paired():
			if d.Owner != from {
				return failf("pass another --seed", "device %s is paired with %s", v.ID, d.Owner)
			}
			continue
		}
		sig := v.Signer.Sign(device.PairingMessage(st.ChainID, v.ID, from, d.Nonce))
		m, _ := tx.NewMsg(device.MsgPair, device.Pair{Device: v.ID, Nonce: d.Nonce, Signature: hex.EncodeToString(sig)})
		pair = append(pair, m)
	}
	if err := send("provision devices", device.GasProvision, prov); err != nil {
		return err
	}
	if err := send("pair devices", device.GasPair, pair); err != nil {
		return err
	}
	if fund > 0 {
		m, _ := tx.NewMsg(device.MsgFundPool, device.FundPool{Amount: fund})
		return send("fund the pool", device.GasRegisterMaker, []tx.Msg{m})
	}
	return nil
}

// absentErr reports whether err is the node's answer that a record does not exist.
func absentErr(err error) bool {
	var ae *client.APIError
	return errors.As(err, &ae) && ae.Status/100 == 4
}

// reachIngest waits, up to a minute, for an ingest endpoint to answer
// (it may still be starting), saying so on stderr.
func reachIngest(ctx context.Context, base string, stderr io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	wait := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v1/epochs/0", nil)
		if err != nil {
			return fmt.Errorf("ingest URL %q: %w", base, err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			return nil
		}
		if attempt == 3 {
			fmt.Fprintf(stderr, "device sim: waiting for the ingest node at %s\n", base)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no ingest node answers at %s: %w", base, err)
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// postEvents posts events to an ingest endpoint in batches and returns how
// many it queued.
func postEvents(ctx context.Context, base string, events [][]byte) (int, error) {
	queued := 0
	for start := 0; start < len(events); start += ingestd.MaxBatch {
		batch := events[start:min(start+ingestd.MaxBatch, len(events))]
		raws := make([]json.RawMessage, len(batch))
		for i, e := range batch {
			raws[i] = e
		}
		body, _ := json.Marshal(raws)
		var res []ingestd.Result
		if err := ingestCall(ctx, http.MethodPost, base+"/v1/events", body, &res); err != nil {
			return queued, err
		}
		for _, r := range res {
			if r.Status == "queued" {
				queued++
			}
		}
	}
	return queued, nil
}

// ingestCall sends one request to an ingest endpoint and decodes its JSON answer.
func ingestCall(ctx context.Context, method, url string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, url, err)
	}
	if resp.StatusCode/100 != 2 {
		var e struct{ Error string }
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			return fmt.Errorf("%s %s: %s (HTTP %d)", method, url, e.Error, resp.StatusCode)
		}
		return fmt.Errorf("%s %s: HTTP %d", method, url, resp.StatusCode)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", method, url, err)
	}
	return nil
}
