package main

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"emergence/device"
	"emergence/device/devkey"
	"emergence/device/keyfile"
)

func init() {
	txTable = append(txTable, deviceTxRows...)
	txCommands = append(txCommands, newDeviceTxCmd)
	queryCommands = append(queryCommands, newDeviceQueryCmd)
}

func newDeviceTxCmd(g *globals) *cobra.Command {
	return txGroup(g, device.Name, "Device data: makers, devices, pairing, ingest nodes, epochs, fraud proofs")
}

var (
	deviceArg     = txArg{name: "DEVICE"}
	deviceKeyFlag = txArg{name: "device-key", usage: "device key file (from 'emergence device keygen')"}
)

// loadDeviceKey reads the --device-key file.
func loadDeviceKey(path string) (*devkey.Signer, string, error) {
	s, id, err := keyfile.Load(path)
	if err != nil {
		return nil, "", errorf("pass --device-key FILE written by 'emergence device keygen'", "%w", err)
	}
	return s, id, nil
}

// readJSONFile decodes a JSON file a command was given.
func readJSONFile(path, what, hint string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return errorf(hint, "read %s: %w", what, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return errorf(hint, "%s %s: %w", what, path, err)
	}
	return nil
}

// deviceTxRows are the device module's one-message transactions.
var deviceTxRows = []txSpec{
	{
		module: device.Name, action: "register-maker", use: "NAME --stake AMOUNT --from KEY",
		short:   "Register the --from account as a device maker, locking --stake",
		example: "  emergence tx device register-maker acme --stake 1emg --from alice --keyring-backend test",
		args:    []txArg{{name: "NAME"}},
		flags:   []txArg{{name: "stake", kind: argAmount, usage: "stake to lock, e.g. 1emg", required: true}},
		build: func(in *txInput) (any, error) {
			return device.RegisterMaker{Name: in.str("NAME"), Stake: in.amount("stake")}, nil
		},
	},
	{
		module: device.Name, action: "provision", use: "--device-key FILE --model M --serial S --from MAKER",
		short: "Register a device's public key as made by the --from maker",
		long: `Register a device's public key with its model and serial. The key comes
from --device-key (a file from 'emergence device keygen'), or from --pub-key
HEX with --key-type when the private key stays on the device.`,
		example: "  emergence tx device provision --device-key car1.json --model obd-2 --serial 0001 --from alice --keyring-backend test",
		flags: []txArg{deviceKeyFlag,
			{name: "pub-key", usage: "device public key (hex), instead of --device-key"},
			{name: "key-type", def: string(devkey.Secp256k1), usage: "key type of --pub-key: secp256k1 or ed25519"},
			{name: "model", usage: "device model", required: true},
			{name: "serial", usage: "device serial number", required: true}},
		build: func(in *txInput) (any, error) {
			msg := device.Provision{Model: in.str("model"), Serial: in.str("serial")}
			switch {
			case in.given["device-key"] == in.given["pub-key"]:
				return nil, errorf("pass one of --device-key FILE or --pub-key HEX", "give the device key exactly once")
			case in.given["device-key"]:
				s, _, err := loadDeviceKey(in.str("device-key"))
				if err != nil {
					return nil, err
				}
				msg.KeyType, msg.PubKey = s.Type, hex.EncodeToString(s.Pub())
			default:
				msg.KeyType, msg.PubKey = devkey.Type(in.str("key-type")), in.str("pub-key")
				pub, err := hex.DecodeString(msg.PubKey)
				if err == nil {
					err = devkey.CheckPub(msg.KeyType, pub)
				}
				if err != nil {
					return nil, errorf("pass a compressed secp256k1 key (33 bytes) or an ed25519 key (32 bytes) in hex", "--pub-key: %w", err)
				}
			}
			return msg, nil
		},
	},
	{
		module: device.Name, action: "pair", use: "(--device-key FILE | --device ID --signature HEX --device-nonce N) --from OWNER",
		short: "Pair a device with the --from owner; the device signs its consent",
		long: `Pair a device with the --from account. The chain needs the device's own
signature over (chain id, device, owner, nonce): with --device-key the
command reads the device's nonce from the node and signs with the key file;
otherwise pass the device id with --device, and the --signature and --device-nonce
the device produced.`,
		example: "  emergence tx device pair --device-key car1.json --from bob --keyring-backend test",
		flags: []txArg{deviceKeyFlag,
			{name: "device", usage: "device id, with --signature"},
			{name: "signature", usage: "the device's pairing signature (hex)"},
			{name: "device-nonce", kind: argUint, usage: "the nonce the device signed, with --signature"}},
		build: func(in *txInput) (any, error) {
			if in.given["device-key"] == in.given["signature"] {
				return nil, errorf("pass --device-key FILE, or --device ID --signature HEX --device-nonce N", "give the device's consent exactly once")
			}
			if in.given["signature"] {
				if !in.given["device"] {
					return nil, errorf("pass --device ID with --signature", "no --device given")
				}
				return device.Pair{Device: in.str("device"), Nonce: in.uint("device-nonce"), Signature: in.str("signature")}, nil
			}
			s, id, err := loadDeviceKey(in.str("device-key"))
			if err != nil {
				return nil, err
			}
			ctx := in.cmd.Context()
			var d device.Device
			if err := in.g.query(ctx, device.Name, "device/"+id, nil, &d); err != nil {
				return nil, withHint(err, "provision the device first with 'emergence tx device provision'")
			}
			st, err := in.g.client().Status(ctx)
			if err != nil {
				return nil, in.g.nodeError(err)
			}
			sig := s.Sign(device.PairingMessage(st.ChainID, id, in.from, d.Nonce))
			return device.Pair{Device: id, Nonce: d.Nonce, Signature: hex.EncodeToString(sig)}, nil
		},
	},
	{
		module: device.Name, action: "transfer", use: "DEVICE TO --from OWNER", short: "Hand a paired device to another owner",
		args: []txArg{deviceArg, {name: "TO", kind: argAddress}},
		build: func(in *txInput) (any, error) {
			return device.Transfer{Device: in.str("DEVICE"), To: in.addr("TO")}, nil
		},
	},
	{
		module: device.Name, action: "unpair", use: "DEVICE --from OWNER", short: "Unpair a device from its owner",
		args:  []txArg{deviceArg},
		build: func(in *txInput) (any, error) { return device.DeviceRef{Device: in.str("DEVICE")}, nil },
	},
	{
		module: device.Name, action: "retire", use: "DEVICE --from OWNER-OR-MAKER", short: "Retire a device for good (its owner or maker)",
		args:  []txArg{deviceArg},
		build: func(in *txInput) (any, error) { return device.DeviceRef{Device: in.str("DEVICE")}, nil },
	},
	{
		module: device.Name, action: "register-ingest", use: "--stake AMOUNT --from KEY",
		short:   "Register the --from account as an ingest node, locking --stake",
		example: "  emergence tx device register-ingest --stake 1emg --from ingest1 --keyring-backend test",
		flags:   []txArg{{name: "stake", kind: argAmount, usage: "stake to lock, e.g. 1emg", required: true}},
		build: func(in *txInput) (any, error) {
			return device.RegisterIngest{Stake: in.amount("stake")}, nil
		},
	},
	{
		module: device.Name, action: "fund-pool", use: "AMOUNT --from KEY", short: "Add tokens to the device reward pool",
		example: "  emergence tx device fund-pool 10emg --from alice --keyring-backend test",
		args:    []txArg{amountArg},
		build: func(in *txInput) (any, error) {
			if in.amount("AMOUNT") == 0 {
				return nil, errorf("fund a positive amount", "amount is zero")
			}
			return device.FundPool{Amount: in.amount("AMOUNT")}, nil
		},
	},
	{
		module: device.Name, action: "post-epoch", use: "--post FILE --from INGEST",
		short: "Post an epoch's root and evidence from a JSON file (the ingest worker does this itself)",
		flags: []txArg{{name: "post", usage: "JSON file of the post (epoch, root, events, evidence)", required: true}},
		build: func(in *txInput) (any, error) {
			var p device.PostEpoch
			if err := readJSONFile(in.str("post"), "epoch post", "pass a JSON file with epoch, root, events and evidence", &p); err != nil {
				return nil, err
			}
			return p, nil
		},
	},
	{
		module: device.Name, action: "claim", use: "--from OWNER [--epochs N]",
		short: "Claim what the --from owner's devices earned in complete epochs",
		long: `Claim device rewards. Epochs are not paid device by device: each earning
device's points are summed into its owner's line of the epoch's owner
tables, and once the epoch is complete its owner claims them here, one
transfer for up to 64 epochs (in the order they were posted, from the
owner's last claim; claim again for more; an epoch the owner earned nothing
in is passed over). 'emergence query device owed OWNER' lists what a claim
would pay.`,
		example: "  emergence tx device claim --from bob --keyring-backend test",
		flags:   []txArg{{name: "epochs", kind: argUint, usage: "claim at most this many epochs (0: up to 64)"}},
		build: func(in *txInput) (any, error) {
			return device.Claim{Epochs: in.uint("epochs")}, nil
		},
	},
	{
		module: device.Name, action: "publish-dataset", use: "--dir DIR --name NAME [--price AMOUNT] --from INGEST",
		short: "Register an epoch's dataset of readings built by 'emergence device dataset build'",
		long: `Register the dataset in DIR (from 'emergence device dataset build --upload'):
its epoch, Merkle root, manifest and shard hashes and record count come from
DIR/manifest.json. Only the ingest node that posted the epoch may publish it,
once the epoch is complete; the record count must be the epoch's events. A
sale pays 20% to the ingest node and 80% to the devices' owners by accepted
events, which they claim with 'emergence tx device claim-sales'.`,
		example: "  emergence tx device publish-dataset --dir drives/ --name drives --price 1emg --from ingest1 --keyring-backend test",
		flags: []txArg{
			{name: "dir", usage: "directory of the built dataset", required: true},
			{name: "name", usage: "dataset name", required: true},
			{name: "price", kind: argAmount, usage: "price of one purchase (0: free)", def: "0uemg"},
		},
		gas: device.GasPublishDataset + device.MaxDatasetShards*device.GasPerDatasetShard + 2_000_000,
		build: func(in *txInput) (any, error) {
			m, mh, err := readDatasetManifest(in.str("dir"))
			if err != nil {
				return nil, err
			}
			msg := device.PublishDataset{Epoch: m.SourceJob, Name: in.str("name"), Root: m.Root, Manifest: mh,
				Records: uint64(m.Records), Price: in.amount("price"), Licence: m.Licence}
			for _, sh := range m.Shards {
				msg.Shards = append(msg.Shards, sh.Hash)
			}
			return msg, nil
		},
	},
	{
		module: device.Name, action: "buy-dataset", use: "EPOCH --from KEY",
		short:   "Buy an epoch's dataset of readings: 20% to its ingest node, 80% to the devices' owners",
		example: "  emergence tx device buy-dataset 490895 --from carol --keyring-backend test",
		args:    []txArg{{name: "EPOCH", kind: argUint}},
		build: func(in *txInput) (any, error) {
			return device.BuyDataset{Epoch: in.uint("EPOCH")}, nil
		},
	},
	{
		module: device.Name, action: "claim-sales", use: "EPOCHS --from OWNER",
		short:   "Claim the --from owner's part of the sales of the datasets of EPOCHS (comma-separated), by its devices' accepted events",
		example: "  emergence tx device claim-sales 490895 --from bob --keyring-backend test",
		args:    []txArg{{name: "EPOCHS"}},
		gas:     device.GasClaimSales + device.MaxClaimEpochs*device.GasPerSalesEpoch + 100_000,
		build: func(in *txInput) (any, error) {
			var msg device.ClaimSales
			for _, f := range strings.Split(in.str("EPOCHS"), ",") {
				n, err := strconv.ParseUint(strings.TrimSpace(f), 10, 64)
				if err != nil {
					return nil, errorf("pass epoch numbers separated by commas, increasing", "epoch %q: %w", f, err)
				}
				msg.Epochs = append(msg.Epochs, n)
			}
			return msg, nil
		},
	},
	{
		module: device.Name, action: "challenge", use: "--proof FILE --from KEY",
		short: "Prove that an epoch's root includes an invalid event: slashes the ingest node",
		long: `Submit a fraud proof: a JSON file with the epoch, the included event and its
inclusion proof, as an ingest node serves it at
GET /v1/epochs/N/events/I/proof. The chain checks the proof against the
epoch's posted root, then the event; if the event could not have been
accepted, the ingest node's stake is slashed, half to you.`,
		flags: []txArg{{name: "proof", usage: "fraud proof JSON file (epoch, event, proof)", required: true}},
		build: func(in *txInput) (any, error) {
			var c device.Challenge
			if err := readJSONFile(in.str("proof"), "fraud proof", "pass the JSON an ingest node serves at /v1/epochs/N/events/I/proof", &c); err != nil {
				return nil, err
			}
			return c, nil
		},
	},
}

func newDeviceQueryCmd(g *globals) *cobra.Command {
	var limit int
	var after string
	cmd := &cobra.Command{
		Use:   "device WHAT [ARG]",
		Short: "Query devices: params, makers, device ID, maker ADDR, maker-devices ADDR, owner-devices ADDR, epochs, epoch N, ingest ADDR, owed ADDR, dataset N",
		Long: `Query the device module.

  params                 the module's parameters
  makers                 registered makers in address order, a page at a time (--limit, --after)
  device ID              one device
  maker ADDR             a maker (address or key name)
  maker-devices ADDR     a maker's devices, a page at a time (--limit, --after)
  owner-devices ADDR     an owner's devices, a page at a time
  epochs                 posted epochs in epoch order, without payouts, a page at a time (--limit, --after)
  epoch N                a posted epoch: its root, budget and payouts
  ingest ADDR            an ingest node and its stake
  owed ADDR              an owner's unclaimed epochs and what claiming pays
  dataset N              epoch N's published dataset of readings`,
		Example: "  emergence query device owner-devices bob --limit 10\n  emergence query device epoch 490895 -o json",
		Args:    cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			what := args[0]
			arity := map[string]int{"params": 1, "makers": 1, "epochs": 1, "device": 2, "maker": 2, "maker-devices": 2, "owner-devices": 2, "epoch": 2, "ingest": 2, "owed": 2, "dataset": 2}
			n, ok := arity[what]
			if !ok {
				return errorf("see 'emergence query device --help'", "unknown device query %q", what)
			}
			if len(args) != n {
				return errorf("see 'emergence query device --help'", "query device %s takes %d argument(s)", what, n-1)
			}
			params := url.Values{}
			var path string
			var out any
			switch what {
			case "params":
				path, out = "params", new(device.Params)
			case "makers":
				path, out = "makers", new(device.MakerPage)
			case "epochs":
				path, out = "epochs", new(device.EpochPage)
			case "device":
				path, out = "device/"+args[1], new(device.Device)
			case "dataset":
				path, out = "dataset/"+args[1], new(device.EpochDataset)
			case "epoch":
				if _, err := strconv.ParseUint(args[1], 10, 64); err != nil {
					return errorf("epochs are numbered by block time: unix ms / 3,600,000", "epoch %q: %w", args[1], err)
				}
				path, out = "epoch/"+args[1], new(device.EpochRecord)
			default:
				a, err := g.addressOrKey(args[1])
				if err != nil {
					return err
				}
				switch what {
				case "maker":
					path, out = "maker/"+a.String(), new(device.Maker)
				case "ingest":
					path, out = "ingest/"+a.String(), new(device.Ingest)
				case "maker-devices":
					path, out = "maker/"+a.String()+"/devices", new(device.Page)
				case "owner-devices":
					path, out = "owner/"+a.String()+"/devices", new(device.Page)
				case "owed":
					path, out = "owed/"+a.String(), new(device.OwedPage)
				}
			}
			if _, isEpoch := out.(*device.EpochRecord); isEpoch && after != "" {
				params.Set("after", after)
			}
			_, isPage := out.(*device.Page)
			_, isMakers := out.(*device.MakerPage)
			_, isEpochs := out.(*device.EpochPage)
			if _, isOwed := out.(*device.OwedPage); isPage || isOwed || isMakers || isEpochs {
				if limit < 1 || limit > device.MaxPage {
					return errorf(fmt.Sprintf("pass --limit 1 to %d", device.MaxPage), "--limit %d out of range", limit)
				}
				params.Set("limit", strconv.Itoa(limit))
				if after != "" {
					params.Set("after", after)
				}
			}
			if err := g.query(cmd.Context(), device.Name, path, params, out); err != nil {
				if exitCode(err) == exitUsage {
					return withHint(err, deviceQueryHints[what])
				}
				return err
			}
			return g.print(out, func(w io.Writer) { printDeviceQuery(w, out) })
		},
	}
	cmd.Flags().IntVar(&limit, "limit", device.MaxPage, "most devices per page")
	cmd.Flags().StringVar(&after, "after", "", "the previous page's next id")
	return cmd
}

// deviceQueryHints say what to try when a query finds nothing.
var deviceQueryHints = map[string]string{
	"params":        "see 'emergence query device --help'",
	"makers":        "--after takes the previous page's next address",
	"epochs":        "--after takes the previous page's next epoch",
	"device":        "device ids are 40 hex digits; list them with 'emergence query device owner-devices ADDR'",
	"maker":         "register a maker with 'emergence tx device register-maker'",
	"maker-devices": "pass a maker's address or key name",
	"owner-devices": "pass an owner's address or key name",
	"epoch":         "an epoch has a record once an ingest node posted it, after it ended",
	"ingest":        "register an ingest node with 'emergence tx device register-ingest'",
	"owed":          "pass an owner's address or key name",
	"dataset":       "an epoch's ingest node publishes its dataset with 'emergence tx device publish-dataset'",
}

func printDeviceQuery(w io.Writer, v any) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	defer tw.Flush()
	switch x := v.(type) {
	case *device.Params:
		fmt.Fprintf(tw, "maker stake\t%d uemg\n", x.MakerStake)
	case *device.Device:
		printDevice(tw, *x)
	case *device.MakerPage:
		fmt.Fprintf(tw, "maker\tname\tstake\tdevices\n")
		for _, mk := range x.Makers {
			fmt.Fprintf(tw, "%s\t%s\t%d uemg\t%d\n", mk.Address, mk.Name, mk.Stake, mk.Devices)
		}
		if x.Next != "" {
			fmt.Fprintf(tw, "next\t%s\n", x.Next)
		}
	case *device.EpochPage:
		fmt.Fprintf(tw, "epoch\tingest\tdevices\tpoints\tbudget\tcomplete\n")
		for _, e := range x.Epochs {
			fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%d uemg\t%t\n", e.Epoch, e.Ingest, e.Devices, e.TotalPoints, e.Budget, e.Complete)
		}
		if x.Next != "" {
			fmt.Fprintf(tw, "next\t%s\n", x.Next)
		}
	case *device.Maker:
		fmt.Fprintf(tw, "maker\t%s\nname\t%s\nstake\t%d uemg\ndevices\t%d\n", x.Address, x.Name, x.Stake, x.Devices)
	case *device.Ingest:
		fmt.Fprintf(tw, "ingest\t%s\nstake\t%d uemg\n", x.Address, x.Stake)
	case *device.Page:
		fmt.Fprintf(tw, "device\tkey\tmodel\tserial\towner\tretired\n")
		for _, d := range x.Devices {
			owner := "-"
			if d.Paired() {
				owner = d.Owner.String()
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%v\n", d.ID, d.KeyType, d.Model, d.Serial, owner, d.Retired)
		}
		if x.Next != "" {
			fmt.Fprintf(tw, "next page: --after %s\n", x.Next)
		}
	case *device.EpochDataset:
		fmt.Fprintf(tw, "epoch\t%d\nname\t%s\ningest\t%s\nroot\t%s\nepoch root\t%s\nmanifest\t%s\nshards\t%d\nrecords\t%d\nprice\t%d uemg\nlicence\t%s\nbuyers\t%d\nowners' revenue\t%d uemg (claimed %d)\n",
			x.Epoch, x.Name, x.Ingest, x.Root, x.EpochRoot, x.Manifest, len(x.Shards), x.Records, x.Price, x.Licence, x.Buyers, x.Revenue, x.OwnersPaid)
	case *device.OwedPage:
		fmt.Fprintf(tw, "epoch\tpoints\tcomplete\tclaim pays (uemg)\n")
		for _, o := range x.Owed {
			fmt.Fprintf(tw, "%d\t%d\t%v\t%d\n", o.Epoch, o.Points, o.Complete, o.Amount)
		}
		fmt.Fprintf(tw, "total\t\t\t%d\n", x.Total)
		if x.Next != "" {
			fmt.Fprintf(tw, "next page: --after %s\n", x.Next)
		}
	case *device.EpochRecord:
		fmt.Fprintf(tw, "epoch\t%d\ningest\t%s\nroot\t%s\nevents\t%d\nbudget\t%d uemg\npaid\t%d uemg\nheight\t%d\nslashed\t%v\n",
			x.Epoch, x.Ingest, x.Root, x.Events, x.Budget, x.Paid, x.Height, x.Slashed)
		fmt.Fprintf(tw, "parts\t%d of %d\ndevices\t%d\ntotal points\t%d\nclaimed points\t%d\ncomplete\t%v\npaid out\t%v\n", x.Received, x.Parts, x.Devices, x.TotalPoints, x.ClaimedPoints, x.Complete, x.PaidOut)
		fmt.Fprintf(tw, "device\towner\tpoints\tamount\n")
		for _, p := range x.Payouts {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\n", p.Device, p.Owner, p.Points, p.Amount)
		}
		if x.NextPayout != "" {
			fmt.Fprintf(tw, "next page: --after %s\n", x.NextPayout)
		}
	}
}

func printDevice(w io.Writer, d device.Device) {
	owner := "(unpaired)"
	if d.Paired() {
		owner = d.Owner.String()
	}
	fmt.Fprintf(w, "device\t%s\nkey\t%s %s\nmaker\t%s\nmodel\t%s\nserial\t%s\nowner\t%s\nnonce\t%d\nretired\t%v\nprovisioned at\t%d\n",
		d.ID, d.KeyType, d.PubKey, d.Maker, d.Model, d.Serial, owner, d.Nonce, d.Retired, d.Provisioned)
}

// newDeviceKeygenCmd is "emergence device keygen": a device key file.
func newDeviceKeygenCmd(g *globals) *cobra.Command {
	var typ, out string
	cmd := &cobra.Command{
		Use:   "keygen --out FILE [--type secp256k1|ed25519]",
		Short: "Make a device key file (a stand-in for a device's secure element)",
		Long: `Write a new random device key to --out (mode 0600) and print its device id and
public key. Provision it with 'emergence tx device provision --device-key FILE'
and pair it with 'emergence tx device pair --device-key FILE'.`,
		Example: "  emergence device keygen --out car1.json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return errorf("pass --out FILE", "no --out given")
			}
			s, id, err := keyfile.Generate(out, devkey.Type(typ))
			if errors.Is(err, keyfile.ErrExists) {
				return errorf("pick another --out; a key file is never overwritten", "%w", err)
			}
			if err != nil {
				return errorf("pass --type secp256k1 or ed25519 and a writable --out", "%w", err)
			}
			res := struct {
				ID     string      `json:"id"`
				Type   devkey.Type `json:"type"`
				PubKey string      `json:"pub_key"`
				File   string      `json:"file"`
			}{id, s.Type, hex.EncodeToString(s.Pub()), out}
			return g.print(res, func(w io.Writer) {
				fmt.Fprintf(w, "device %s (%s %s) written to %s\n", res.ID, res.Type, res.PubKey, res.File)
			})
		},
	}
	cmd.Flags().StringVar(&typ, "type", string(devkey.Secp256k1), "key type: secp256k1 or ed25519")
	cmd.Flags().StringVar(&out, "out", "", "key file to write")
	return cmd
}
