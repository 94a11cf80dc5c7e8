package aggregate

import "fmt"

// SyntheticConfig describes a synthetic labelling job.
type SyntheticConfig struct {
	Items, Workers, Classes int
	// LabelsPerItem distinct workers label every item.
	LabelsPerItem int
	// MinAccuracy and MaxAccuracy bound the honest workers' accuracies,
	// drawn uniformly (defaults 0.55 and 0.95); errors are uniform over the
	// other classes.
	MinAccuracy, MaxAccuracy float64
	// SpammerShare is the share of workers answering uniformly at random.
	SpammerShare float64
	// Seed makes the data reproducible.
	Seed uint64
}

// Synthetic generates a dataset and its true classes (one per item) from cfg,
// deterministically from cfg.Seed. Class priors are uniform.
func Synthetic(cfg SyntheticConfig) (*Dataset, []int, error) {
	if cfg.Items <= 0 || cfg.Workers <= 0 || cfg.Classes < 2 || cfg.LabelsPerItem <= 0 || cfg.LabelsPerItem > cfg.Workers {
		return nil, nil, fmt.Errorf("synthetic: bad sizes %+v", cfg)
	}
	if cfg.MinAccuracy == 0 && cfg.MaxAccuracy == 0 {
		cfg.MinAccuracy, cfg.MaxAccuracy = 0.55, 0.95
	}
	rng := splitmix64{state: cfg.Seed}
	acc := make([]float64, cfg.Workers)
	for w := range acc {
		if rng.float() < cfg.SpammerShare {
			acc[w] = -1 // spammer
			continue
		}
		acc[w] = cfg.MinAccuracy + (cfg.MaxAccuracy-cfg.MinAccuracy)*rng.float()
	}
	K := cfg.Classes
	truth := make([]int, cfg.Items)
	labels := make([]Label, 0, cfg.Items*cfg.LabelsPerItem)
	picked := make([]int, 0, cfg.LabelsPerItem)
	for i := range truth {
		t := int(rng.next() % uint64(K))
		truth[i] = t
		picked = picked[:0]
		for len(picked) < cfg.LabelsPerItem {
			w := int(rng.next() % uint64(cfg.Workers))
			dup := false
			for _, p := range picked {
				if p == w {
					dup = true
					break
				}
			}
			if dup {
				continue
			}
			picked = append(picked, w)
			var c int
			switch {
			case acc[w] < 0:
				c = int(rng.next() % uint64(K))
			case rng.float() < acc[w]:
				c = t
			default:
				c = (t + 1 + int(rng.next()%uint64(K-1))) % K
			}
			labels = append(labels, Label{Worker: int32(w), Item: int32(i), Class: int32(c)})
		}
	}
	d, err := FromIndices(cfg.Workers, cfg.Items, K, labels)
	if err != nil {
		return nil, nil, err
	}
	return d, truth, nil
}
