package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"emergence/device"
	"emergence/device/fleet"
	"emergence/device/ingestd"
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
			if err := fleet.SetupOnChain(ctx, c, key, from, fl, fundAmt); err != nil {
				if errors.Is(err, fleet.ErrDeviceTaken) {
					return failf("pass another --seed", "%w", err)
				}
				return failf("check the node, the --from account's balance and the device records", "%w", err)
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
				if err := ingestd.Reach(ctx, u, g.stderr); err != nil {
					return failf("start 'emergence ingest' first, or check --ingest", "%w", err)
				}
				q, err := ingestd.PostEvents(ctx, u, events)
				if err != nil {
					return failf("check that 'emergence ingest' runs at "+u, "%w", err)
				}
				rep.Ingest = append(rep.Ingest, fleetIngestResult{URL: u, Queued: q})
			}
			if closeEpoch {
				for i := range rep.Ingest {
					var sum ingestd.Summary
					if err := ingestd.Call(ctx, http.MethodPost, fmt.Sprintf("%s/v1/epochs/%d/close", rep.Ingest[i].URL, epoch), nil, &sum); err != nil {
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
