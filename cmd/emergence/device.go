package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"emergence/device"
)

func init() {
	topCommands = append(topCommands, newDeviceCmd)
}

// newDeviceCmd is "emergence device": device-data tools that need no key.
func newDeviceCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "device", Short: "Device data (DePIN) tools: device keys, offline reward recomputation"}
	cmd.AddCommand(newDeviceRewardsCmd(g), newDeviceKeygenCmd(g), newDeviceSimCmd(g), newDeviceDatasetCmd(g))
	return cmd
}

// deviceRewards is the offline recomputation of one epoch's payouts.
type deviceRewards struct {
	Epoch   uint64          `json:"epoch"`
	Budget  uint64          `json:"budget"`
	Payouts []device.Payout `json:"payouts"`
	// Recomputed are the amounts device.Split gives from the record's
	// budget and points, in payout order.
	Recomputed []uint64 `json:"recomputed"`
	Match      bool     `json:"match"`
}

// epochWithPayouts reads epoch n's record with every payout, a page at a time.
func (g *globals) epochWithPayouts(ctx context.Context, n uint64) (device.EpochRecord, error) {
	var all []device.Payout
	after := ""
	for {
		var rec device.EpochRecord
		q := url.Values{}
		if after != "" {
			q.Set("after", after)
		}
		if err := g.query(ctx, device.Name, "epoch/"+strconv.FormatUint(n, 10), q, &rec); err != nil {
			return rec, withHint(err, "an epoch has a record once an ingest node posted it, after it ended")
		}
		all = append(all, rec.Payouts...)
		if rec.NextPayout == "" {
			rec.Payouts = all
			return rec, nil
		}
		after = rec.NextPayout
	}
}

func newDeviceRewardsCmd(g *globals) *cobra.Command {
	var epoch int64
	cmd := &cobra.Command{
		Use:     "rewards --epoch N",
		Short:   "Recompute an epoch's device rewards from its posted evidence and compare with what the chain paid",
		Example: "  emergence device rewards --epoch 490895",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if epoch < 0 {
				return errorf("pass --epoch N, the epoch number of a posted epoch", "no --epoch given")
			}
			rec, err := g.epochWithPayouts(cmd.Context(), uint64(epoch))
			if err != nil {
				return err
			}
			if !rec.Complete {
				return errorf("wait for the epoch's last part (at most 100 blocks after its first), then run this again", "epoch %d is not complete yet (%d of %d parts)", rec.Epoch, rec.Received, rec.Parts)
			}
			points := make([]uint64, len(rec.Payouts))
			for i, p := range rec.Payouts {
				points[i] = p.Points
			}
			out := deviceRewards{Epoch: rec.Epoch, Budget: rec.Budget, Payouts: rec.Payouts, Recomputed: device.Split(rec.Budget, points), Match: true}
			for i, p := range rec.Payouts {
				if out.Recomputed[i] != p.Amount {
					out.Match = false
				}
			}
			err = g.print(out, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintf(tw, "device\towner\tpoints\tpaid\trecomputed\n")
				for i, p := range out.Payouts {
					fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\n", p.Device, p.Owner, p.Points, p.Amount, out.Recomputed[i])
				}
				tw.Flush()
				if out.Match {
					fmt.Fprintf(w, "epoch %d: the recomputation matches the chain\n", out.Epoch)
				} else {
					fmt.Fprintf(w, "epoch %d: the recomputation DIFFERS from the chain\n", out.Epoch)
				}
			})
			if err == nil && !out.Match {
				return failf("report this: the chain paid other amounts than its own rule gives", "epoch %d: payouts differ from the recomputation", out.Epoch)
			}
			return err
		},
	}
	cmd.Flags().Int64Var(&epoch, "epoch", -1, "epoch number")
	return cmd
}
