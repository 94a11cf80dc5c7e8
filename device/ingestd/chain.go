package ingestd

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"emergence/app"
	"emergence/client"
	"emergence/device"
	"emergence/tx"
)

// NodeChain is the Chain of a node reached through its HTTP API, posting
// with the ingest node's key.
type NodeChain struct {
	C   *client.Client
	Key ed25519.PrivateKey
}

var _ Chain = (*NodeChain)(nil)

// absent reports whether err is the API's answer that a record does not
// exist (a 4xx), as opposed to a failure to ask.
func absent(err error) bool {
	var ae *client.APIError
	return errors.As(err, &ae) && ae.Status/100 == 4
}

// BlockTime implements Chain.
func (c *NodeChain) BlockTime(ctx context.Context) (time.Time, error) {
	st, err := c.C.Status(ctx)
	if err != nil {
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339Nano, st.BlockTime)
	if err != nil {
		return time.Time{}, fmt.Errorf("node's block time %q: %w", st.BlockTime, err)
	}
	return t, nil
}

// Device implements Chain.
func (c *NodeChain) Device(ctx context.Context, id string) (device.Device, bool, error) {
	var d device.Device
	err := c.C.Query(ctx, device.Name, "device/"+id, nil, &d)
	if absent(err) {
		return d, false, nil
	}
	return d, err == nil, err
}

// Epoch implements Chain.
func (c *NodeChain) Epoch(ctx context.Context, n uint64) (device.EpochRecord, bool, error) {
	var rec device.EpochRecord
	err := c.C.Query(ctx, device.Name, "epoch/"+strconv.FormatUint(n, 10), url.Values{"limit": {"1"}}, &rec)
	if absent(err) {
		return rec, false, nil
	}
	return rec, err == nil, err
}

// Self implements Chain.
func (c *NodeChain) Self() tx.Address {
	return tx.AddressFromPubKey(c.Key.Public().(ed25519.PublicKey))
}

// evidenceFile is an epoch's evidence.json: what its posts carry, the
// evidence readable (a post packs it, device.PackEvidence).
type evidenceFile struct {
	Epoch    uint64            `json:"epoch"`
	Root     string            `json:"root"`
	Events   uint64            `json:"events"`
	Evidence []device.Evidence `json:"evidence"`
}

// PostGas is the gas limit of a post of evidence ev (its items, cell ids
// and pages of cells, and the bytes of its packed evidence at the default
// gas per byte).
func PostGas(ev []device.Evidence) uint64 {
	var cells uint64
	for _, e := range ev {
		cells += uint64(len(e.CellIDs))
	}
	bytes := uint64(base64.StdEncoding.EncodedLen(len(device.PackEvidence(ev))))
	return device.GasPostEpoch + device.GasPerEvidence*uint64(len(ev)) + device.GasPerCell*cells + device.GasPerCellPage*device.CellPages(ev) + app.DefaultParams().GasPerByte*bytes + 1_000_000
}

// Post implements Chain: an epoch the chain already records is not sent again.
func (c *NodeChain) Post(ctx context.Context, p device.PostEpoch) (string, error) {
	if p.Part == 0 {
		if _, ok, err := c.Epoch(ctx, p.Epoch); err != nil {
			return "", err
		} else if ok {
			return "", ErrPosted
		}
	}
	m, err := tx.NewMsg(device.MsgPostEpoch, p)
	if err != nil {
		return "", fmt.Errorf("encode post: %w", err)
	}
	ev, err := device.UnpackEvidence(p.Evidence, device.MaxEvidence)
	if err != nil {
		return "", fmt.Errorf("post evidence: %w", err)
	}
	res, err := c.C.SignAndBroadcast(ctx, c.Key, client.TxOptions{GasLimit: PostGas(ev)}, m)
	if err != nil {
		return "", err
	}
	if res.Codespace == device.CodeEpochPosted.Space && res.Code == device.CodeEpochPosted.Num {
		return res.Hash, ErrPosted
	}
	if res.Code != 0 {
		return res.Hash, fmt.Errorf("post refused: %s/%d: %s", res.Codespace, res.Code, res.Log)
	}
	return res.Hash, nil
}
