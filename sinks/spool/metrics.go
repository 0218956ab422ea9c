package spool

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Collectors are the spool's series, read from the store's totals and the
// spool's counters at each scrape.
func (sp *Spool) Collectors() []prometheus.Collector {
	cs := []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "hirebridge_spool_events",
			Help: "Events in the spool: accepted (202) while the broker was away, not yet on the broker.",
		}, func() float64 { return float64(sp.store.count.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "hirebridge_spool_bytes",
			Help: "Bytes of the events in the spool (bodies and headers), held to HIREBRIDGE_SPOOL_MAX_BYTES.",
		}, func() float64 { return float64(sp.store.bytes.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "hirebridge_spool_oldest_age_seconds",
			Help: "Age of the oldest event in the spool; 0 when it is empty.",
		}, func() float64 {
			at := sp.store.oldest.Load()
			if at == 0 || sp.store.count.Load() == 0 {
				return 0
			}
			return time.Since(time.Unix(0, at)).Seconds()
		}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "hirebridge_spool_dead_lettered_total",
			Help: "Spooled events the broker refused for good, moved to the dead letters (reason undeliverable) by this process.",
		}, func() float64 { return float64(sp.deadLettered.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "hirebridge_spool_quarantine_events",
			Help: "Records in the spool's quarantine: corrupt, of an unknown format version, or refused by the broker and its dead letters. `hirebridge spool list` shows them.",
		}, func() float64 { return float64(sp.store.quarantined.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "hirebridge_spool_salvageable_events",
			Help: "Records still readable in the damaged spool file moved aside at start, until `hirebridge spool salvage` forwarded it.",
		}, func() float64 {
			if _, done := sp.salvaged.totals(); done[sp.recovery.MovedAside] {
				return 0
			}
			return float64(sp.recovery.Readable)
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "hirebridge_spool_salvaged_events",
			Help: "Records of damaged spool files moved aside in the spool directory that `hirebridge spool salvage` put on the broker (published, found there already, or dead-lettered).",
		}, func() float64 {
			n, _ := sp.salvaged.totals()
			return float64(n)
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "hirebridge_spool_missing_events",
			Help: "Events the spool held when last seen whose file was missing, empty or unreadable at start (minus those still readable in it).",
		}, func() float64 { return float64(sp.recovery.Missing()) }),
	}
	for _, reason := range quarantineReasons {
		n := sp.quarantines.of(reason)
		cs = append(cs, prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "hirebridge_spool_quarantined_total",
			Help:        "Spooled records this process moved to the quarantine, by reason.",
			ConstLabels: prometheus.Labels{"reason": reason},
		}, func() float64 { return float64(n.Load()) }))
	}
	return cs
}
