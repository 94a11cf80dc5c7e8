package node

import (
	"reflect"
	"sync"

	cmtcfg "github.com/cometbft/cometbft/config"
	nm "github.com/cometbft/cometbft/node"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// The app's own metrics, on the default Prometheus registry next to CometBFT's.
var (
	blocksCommitted = promauto.NewCounter(prometheus.CounterOpts{Namespace: "emergence", Name: "blocks_committed_total", Help: "Blocks committed by this node."})
	txsCommitted    = promauto.NewCounter(prometheus.CounterOpts{Namespace: "emergence", Name: "txs_committed_total", Help: "Transactions committed by this node (any result code)."})
	height          = promauto.NewGauge(prometheus.GaugeOpts{Namespace: "emergence", Name: "height", Help: "Last committed height."})
)

var (
	metricsOnce sync.Once
	metrics     nm.MetricsProvider
)

// metricsProvider returns CometBFT's Prometheus metrics, created once per
// process: they register on the default registry, which allows one set only
// (tests start several nodes in one process). The API serves them at /metrics.
func metricsProvider() nm.MetricsProvider {
	metricsOnce.Do(func() {
		inst := cmtcfg.DefaultInstrumentationConfig()
		inst.Prometheus = true
		p := nm.DefaultMetricsProvider(inst)
		// The provider's result types live in CometBFT's internal packages,
		// so the memoizing wrapper is built with reflection.
		var once sync.Once
		var outs []reflect.Value
		f := reflect.MakeFunc(reflect.TypeOf(p), func(args []reflect.Value) []reflect.Value {
			once.Do(func() { outs = reflect.ValueOf(p).Call(args) })
			return outs
		})
		metrics = f.Interface().(nm.MetricsProvider)
	})
	return metrics
}
