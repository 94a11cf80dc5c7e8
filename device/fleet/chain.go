package fleet

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"

	"emergence/client"
	"emergence/device"
	"emergence/tx"
)

// ErrDeviceTaken is returned by SetupOnChain when one of the fleet's
// devices is retired or paired with another owner (another seed gives
// other devices).
var ErrDeviceTaken = errors.New("fleet device is retired or paired with another owner")

// SetupOnChain makes from a maker (if it is not one), provisions the
// fleet's devices not provisioned yet, pairs the unpaired ones with from,
// and, when fund is positive, adds fund to the reward pool, through the
// node c with from's key.
func SetupOnChain(ctx context.Context, c *client.Client, key ed25519.PrivateKey, from tx.Address, fl *Fleet, fund uint64) error {
	send := func(what string, gasEach uint64, msgs []tx.Msg) error {
		for len(msgs) > 0 {
			n := min(len(msgs), 50)
			res, err := c.SignAndBroadcast(ctx, key, client.TxOptions{GasLimit: uint64(n)*gasEach + 1_000_000}, msgs[:n]...)
			if err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
			if res.Code != 0 {
				return fmt.Errorf("%s: %s/%d: %s", what, res.Codespace, res.Code, res.Log)
			}
			msgs = msgs[n:]
		}
		return nil
	}
	var mk device.Maker
	if err := c.Query(ctx, device.Name, "maker/"+from.String(), nil, &mk); err != nil {
		if !absent(err) {
			return fmt.Errorf("read maker: %w", err)
		}
		var p device.Params
		if err := c.Query(ctx, device.Name, "params", nil, &p); err != nil {
			return fmt.Errorf("read device params: %w", err)
		}
		m, _ := tx.NewMsg(device.MsgRegisterMaker, device.RegisterMaker{Name: "sim-fleet", Stake: p.MakerStake})
		if err := send("register maker", device.GasRegisterMaker, []tx.Msg{m}); err != nil {
			return err
		}
	}
	st, err := c.Status(ctx)
	if err != nil {
		return fmt.Errorf("node status: %w", err)
	}
	var prov, pair []tx.Msg
	for i, v := range fl.Vehicles {
		var d device.Device
		err := c.Query(ctx, device.Name, "device/"+v.ID, nil, &d)
		switch {
		case absent(err):
			m, _ := tx.NewMsg(device.MsgProvision, device.Provision{KeyType: v.Signer.Type, PubKey: hex.EncodeToString(v.Signer.Pub()), Model: "sim-vehicle", Serial: fmt.Sprintf("%d-%d", fl.Seed, i)})
			prov = append(prov, m)
		case err != nil:
			return fmt.Errorf("read device %s: %w", v.ID, err)
		case d.Retired:
			return fmt.Errorf("device %s is retired: %w", v.ID, ErrDeviceTaken)
		case d.Paired():
			if d.Owner != from {
				return fmt.Errorf("device %s is paired with %s: %w", v.ID, d.Owner, ErrDeviceTaken)
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

// absent reports whether err is the node's answer that a record does not exist.
func absent(err error) bool {
	var ae *client.APIError
	return errors.As(err, &ae) && ae.Status/100 == 4
}
