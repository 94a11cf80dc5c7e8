package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"emergence/device"
	"emergence/device/fleet"
	"emergence/device/ingest"
	"emergence/device/ingestd"
)

func init() { topCommands = append(topCommands, newIngestCmd) }

// parseBox reads a coverage box "MINLAT,MAXLAT,MINLON,MAXLON" in degrees × 10^7.
func parseBox(s string) (ingest.Box, error) {
	parts := strings.Split(s, ",")
	var v [4]int64
	if len(parts) != 4 {
		return ingest.Box{}, errorf("pass --coverage MINLAT,MAXLAT,MINLON,MAXLON in degrees × 10^7", "--coverage %q: want 4 numbers", s)
	}
	for i, p := range parts {
		n, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64)
		if err != nil {
			return ingest.Box{}, errorf("pass --coverage MINLAT,MAXLAT,MINLON,MAXLON in degrees × 10^7", "--coverage %q: %w", s, err)
		}
		v[i] = n
	}
	if v[0] > v[1] || v[2] > v[3] {
		return ingest.Box{}, errorf("the minimum comes before the maximum", "--coverage %q is empty", s)
	}
	return ingest.Box{MinLatE7: v[0], MaxLatE7: v[1], MinLonE7: v[2], MaxLonE7: v[3]}, nil
}

func boxString(b ingest.Box) string {
	return fmt.Sprintf("%d,%d,%d,%d", b.MinLatE7, b.MaxLatE7, b.MinLonE7, b.MaxLonE7)
}

func newIngestCmd(g *globals) *cobra.Command {
	var f txFlags
	var listen, dir, coverage, stake string
	var grace, poll time.Duration
	cmd := &cobra.Command{
		Use:   "ingest --from KEY [--listen 127.0.0.1:8610] [--dir DIR]",
		Short: "Run an ingest node: take devices' signed events over HTTP, check them, post each epoch's root",
		Long: `Run an ingest node for the device module.

Devices POST signed CloudEvents (one, or a JSON array of up to 1,000) to
http://LISTEN/v1/events. Each event's form is checked at once (malformed ones
are refused with 400 and kept with their reason); the signature, the device's
registration and pairing, duplicates and every validation rule of
device/ingest run when the epoch closes, over the whole epoch at once, so
two ingest nodes fed the same events post the same root whatever the order
they arrived in.

An epoch closes when the chain's block time passes its end plus --grace (or
at once with POST /v1/epochs/N/close): the accepted events go to
DIR/epochs/N/accepted.parquet (sorted by subject and time, 10,000 rows per
row group), the rejected ones to rejected.ndjson with their reasons, and the
root and per-device evidence are posted on chain with the --from key. If
another node posted first, the node records whether the chain's root is its
own. GET /v1/epochs/N shows an epoch, GET /v1/epochs/N/events/I/proof serves
a fraud-proof body for 'emergence tx device challenge'.

The --from account is registered as an ingest node with --stake when it is
not one yet. The endpoint listens on loopback only; its address is written
to DIR/ingest.addr.`,
		Example: "  emergence ingest --from ingest1 --keyring-backend test --listen 127.0.0.1:8610",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			box, err := parseBox(coverage)
			if err != nil {
				return err
			}
			host, _, err := net.SplitHostPort(listen)
			if ip := net.ParseIP(host); err != nil || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
				return errorf("pass a loopback address such as 127.0.0.1:8610; put a proxy in front to take events from elsewhere", "--listen %q is not a loopback address", listen)
			}
			amt, err := parseAmount(stake)
			if err != nil {
				return err
			}
			if grace < 0 || poll <= 0 {
				return errorf("pass --grace 0s or more and a positive --poll", "--grace %s, --poll %s", grace, poll)
			}
			key, from, err := g.signer(f.from)
			if err != nil {
				return err
			}
			if dir == "" {
				dir = filepath.Join(g.home, "ingest", from.String())
			}
			if err := g.reachNode(cmd.Context(), "ingest"); err != nil {
				return err
			}
			c := g.client()
			var in device.Ingest
			if err := c.Query(cmd.Context(), device.Name, "ingest/"+from.String(), nil, &in); err != nil {
				opts, oerr := f.options()
				if oerr != nil {
					return oerr
				}
				m, merr := msg(device.MsgRegisterIngest, device.RegisterIngest{Stake: amt})
				if merr != nil {
					return merr
				}
				fmt.Fprintf(g.stderr, "ingest: registering %s as an ingest node with stake %d uemg\n", from, amt)
				if _, err := g.broadcast(cmd, key, opts, m); err != nil {
					return err
				}
			}
			srv, err := ingestd.New(ingestd.Config{Dir: dir, Coverage: box, Grace: grace, Log: g.stderr}, &ingestd.NodeChain{C: c, Key: key})
			if err != nil {
				return failf("check that --dir is writable", "%w", err)
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return failf("pass a free address with --listen", "listen: %w", err)
			}
			defer ln.Close()
			if err := os.WriteFile(filepath.Join(dir, "ingest.addr"), []byte(ln.Addr().String()+"\n"), 0o644); err != nil {
				return failf("check that --dir is writable", "write address: %w", err)
			}
			hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second}
			errc := make(chan error, 2)
			go func() { errc <- hs.Serve(ln) }()
			ctx, cancel := context.WithCancel(cmd.Context())
			defer cancel()
			go func() { errc <- srv.Run(ctx, poll) }()
			fmt.Fprintf(g.stderr, "ingest %s listening on http://%s (data in %s); Ctrl-C to stop\n", from, ln.Addr(), dir)
			select {
			case <-cmd.Context().Done():
				sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer scancel()
				return hs.Shutdown(sctx)
			case err := <-errc:
				if err == nil || errors.Is(err, http.ErrServerClosed) {
					return nil
				}
				return fmt.Errorf("ingest: %w", err)
			}
		},
	}
	f.register(cmd, true)
	fl := cmd.Flags()
	fl.StringVar(&listen, "listen", "127.0.0.1:8610", "HTTP listen address (loopback)")
	fl.StringVar(&dir, "dir", "", "data directory (default <home>/ingest/<address>)")
	fl.StringVar(&coverage, "coverage", boxString(fleet.Coverage), "coverage box MINLAT,MAXLAT,MINLON,MAXLON in degrees × 10^7")
	fl.StringVar(&stake, "stake", "1emg", "stake to register with, when the key is not an ingest node yet")
	fl.DurationVar(&grace, "grace", 2*time.Minute, "how long after an epoch's end (block time) late events are still taken")
	fl.DurationVar(&poll, "poll", time.Second, "how often to check the block time")
	return cmd
}
