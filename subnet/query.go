package subnet

import (
	"net/url"
	"strconv"

	"emergence/app"
	"emergence/store"
	"emergence/tx"
)

// SubnetInfo is the answer to the "subnet/<netuid>" and "subnets" queries.
type SubnetInfo struct {
	Subnet
	// Price is the registration price at the last committed height.
	Price uint64 `json:"price"`
	// NextEpoch is the height at which the next epoch is due.
	NextEpoch int64 `json:"next_epoch"`
}

// NeuronInfo is one uid of a metagraph.
type NeuronInfo struct {
	Neuron
	Weights [][2]uint16 `json:"weights,omitempty"`
	Bonds   [][2]uint16 `json:"bonds,omitempty"`
}

// Metagraph is the answer to "metagraph/<netuid>".
type Metagraph struct {
	NetUID  uint16       `json:"netuid"`
	Epochs  uint64       `json:"epochs"`
	Neurons []NeuronInfo `json:"neurons"`
}

// StakeInfo is one stake record.
type StakeInfo struct {
	Staker tx.Address `json:"staker"`
	Amount uint64     `json:"amount"`
}

// Query implements app.Module:
//
//	subnets                       all subnets
//	subnet/<netuid>               one subnet with its registration price
//	metagraph/<netuid>            per uid: hotkey, stake, permit, consensus, incentive,
//	                              dividends, trust, validator trust, emission, axon
//	                              (?weights=1 adds weight and bond rows)
//	neuron/<netuid>/<uid>         one uid with weights, bonds and its stakers
//	hotkey/<netuid>/<address>     the uid of a hotkey
//	epochs/<netuid>               the last epochs, newest first (?limit=N, default 10)
//	serving/<model>               the uids serving a zkml model commitment (subnet/serve-model),
//	                              with their miner earnings since; at most MaxServing
//
// A path with more or fewer segments than its pattern is CodeBadQuery.
func (m *Module) Query(r store.Reader, path string, params url.Values) (any, error) {
	return m.queries.Query(r, path, params)
}

func (m *Module) routes() *app.Router {
	return app.NewRouter(Name,
		app.Route{Pattern: "subnets", Handle: m.querySubnets},
		app.Route{Pattern: "subnet/{netuid}", Handle: querySubnet},
		app.Route{Pattern: "metagraph/{netuid}", Handle: queryMetagraph},
		app.Route{Pattern: "neuron/{netuid}/{uid}", Handle: queryNeuron},
		app.Route{Pattern: "hotkey/{netuid}/{address}", Handle: queryHotkey},
		app.Route{Pattern: "epochs/{netuid}", Handle: queryEpochs},
		app.Route{Pattern: "serving/{model}", Handle: m.queryServing},
	)
}

// info is a subnet with its price at the last height the module's
// end-of-block work saw (the price decays with height).
func info(r store.Reader, s *Subnet) SubnetInfo {
	h := max(int64(store.GetU64(r, keyHeight)), s.BurnBlock)
	return SubnetInfo{Subnet: *s, Price: s.Price(h), NextEpoch: s.LastEpoch + int64(s.Hyper.Tempo)}
}

func parseNet(s string) (uint16, error) {
	v, err := strconv.ParseUint(s, 10, 16)
	if err != nil {
		return 0, app.CodeBadQuery.Errorf("netuid %q: %v", s, err)
	}
	return uint16(v), nil
}

// querySubnetArg loads the subnet named by args[0]: CodeBadQuery for a bad
// netuid, CodeNotFound for an absent subnet.
func querySubnetArg(r store.Reader, args []string) (uint16, *Subnet, error) {
	id, err := parseNet(args[0])
	if err != nil {
		return 0, nil, err
	}
	s, err := loadSubnet(r, id)
	if err != nil {
		return 0, nil, notFound(err)
	}
	return id, s, nil
}

func (m *Module) querySubnets(r store.Reader, _ []string, _ url.Values) (any, error) {
	all, err := m.allSubnets(r)
	if err != nil {
		return nil, err
	}
	out := make([]SubnetInfo, 0, len(all))
	for _, s := range all {
		out = append(out, info(r, s))
	}
	return out, nil
}

func querySubnet(r store.Reader, args []string, _ url.Values) (any, error) {
	_, s, err := querySubnetArg(r, args)
	if err != nil {
		return nil, err
	}
	return info(r, s), nil
}

func queryMetagraph(r store.Reader, args []string, params url.Values) (any, error) {
	id, s, err := querySubnetArg(r, args)
	if err != nil {
		return nil, err
	}
	withRows := params.Get("weights") == "1"
	mg := Metagraph{NetUID: id, Epochs: s.Epochs, Neurons: make([]NeuronInfo, 0, s.N)}
	for uid := uint16(0); uid < s.N; uid++ {
		ni, err := neuronInfo(r, id, uid, withRows)
		if err != nil {
			return nil, err
		}
		mg.Neurons = append(mg.Neurons, ni)
	}
	return mg, nil
}

func queryNeuron(r store.Reader, args []string, _ url.Values) (any, error) {
	id, s, err := querySubnetArg(r, args)
	if err != nil {
		return nil, err
	}
	uid, err := strconv.ParseUint(args[1], 10, 16)
	if err != nil || uid >= uint64(s.N) {
		return nil, app.CodeNotFound.Errorf("no uid %s on subnet %d", args[1], id)
	}
	ni, err := neuronInfo(r, id, uint16(uid), true)
	if err != nil {
		return nil, err
	}
	stakers, err := stakersOf(r, id, ni.Hotkey)
	if err != nil {
		return nil, err
	}
	return struct {
		NeuronInfo
		Stakers []StakeInfo `json:"stakers"`
	}{ni, stakers}, nil
}

func queryHotkey(r store.Reader, args []string, _ url.Values) (any, error) {
	id, err := parseNet(args[0])
	if err != nil {
		return nil, err
	}
	a, err := tx.ParseAddress(args[1])
	if err != nil {
		return nil, app.CodeBadQuery.Errorf("%v", err)
	}
	uid, ok := uidOf(r, id, a)
	if !ok {
		return nil, app.CodeNotFound.Errorf("%s is not registered on subnet %d", a, id)
	}
	return struct {
		UID uint16 `json:"uid"`
	}{uid}, nil
}

func queryEpochs(r store.Reader, args []string, params url.Values) (any, error) {
	id, s, err := querySubnetArg(r, args)
	if err != nil {
		return nil, err
	}
	limit := 10
	if v := params.Get("limit"); v != "" {
		l, err := strconv.Atoi(v)
		if err != nil || l <= 0 {
			return nil, app.CodeBadQuery.Errorf("limit %q: want a positive integer", v)
		}
		limit = min(l, EpochHistory)
	}
	out := []EpochRecord{}
	for e := s.Epochs; e > 0 && len(out) < limit; e-- {
		var rec EpochRecord
		ok, err := store.GetJSON(r, epochKey(id, e-1), &rec)
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		out = append(out, rec)
	}
	return out, nil
}

func notFound(err error) error {
	if app.CodeOf(err) == CodeSubnetNotFound {
		return app.CodeNotFound.Errorf("%v", err)
	}
	return err
}

func neuronInfo(r store.Reader, net, uid uint16, rows bool) (NeuronInfo, error) {
	n, err := loadNeuron(r, net, uid)
	if err != nil {
		return NeuronInfo{}, err
	}
	ni := NeuronInfo{Neuron: *n}
	if rows {
		for _, e := range decodeRow(r.Get(weightKey(net, uid))) {
			ni.Weights = append(ni.Weights, [2]uint16{e.UID, e.Value})
		}
		for _, e := range decodeRow(r.Get(bondKey(net, uid))) {
			ni.Bonds = append(ni.Bonds, [2]uint16{e.UID, e.Value})
		}
	}
	return ni, nil
}
