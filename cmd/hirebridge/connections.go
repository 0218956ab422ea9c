package main

import (
	"runtime/debug"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/hirebridge/hirebridge/internal/config"
	"github.com/hirebridge/hirebridge/internal/connlimit"
)

// adminConnections bounds the admin listener on its own: probes and
// scrapes need a handful, and the webhook listener's flood, bounded by
// its own limit, never takes these.
const adminConnections = 64

// connectionLimits are the limiters of the webhook and admin listeners,
// their figures on /metrics.
func connectionLimits(cfg config.Config, reg prometheus.Registerer, log zerolog.Logger) (web, admin *connlimit.Limiter) {
	max := cfg.MaxConnections
	if max == 0 {
		max = config.AutomaticMaxConnections(debug.SetMemoryLimit(-1), cfg.Bridge.RequestMemory, openFileLimit())
	}
	log.Info().Int("max_connections", max).Msg("webhook connections are limited; at the limit the longest idle one is closed for a new one")
	web, admin = connlimit.New(max), connlimit.New(adminConnections)
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "hirebridge_connections_open", Help: "Open webhook connections."},
			func() float64 { return float64(web.Open()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "hirebridge_connections_limit", Help: "The webhook connection limit (HIREBRIDGE_MAX_CONNECTIONS, or sized to the memory limit)."},
			func() float64 { return float64(web.Max()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "hirebridge_connections_evicted_total", Help: "Webhook connections without a request in progress closed at the limit to make room for a new one."},
			func() float64 { return float64(web.Evicted()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "hirebridge_connections_refused_total", Help: "Webhook connections refused (503) at the limit, every open one having a request in progress."},
			func() float64 { return float64(web.Refused()) }),
	)
	return web, admin
}

// openFileLimit is the process's descriptor limit (Go raises the soft
// limit to the hard one at start), or 0 when it cannot be read.
func openFileLimit() int64 {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil || r.Cur > 1<<40 {
		return 0
	}
	return int64(r.Cur)
}
