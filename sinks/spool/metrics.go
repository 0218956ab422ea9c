package spool

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Collectors are the spool's series, read from the store's totals at each
// scrape: hirebridge_spool_events, hirebridge_spool_bytes and
// hirebridge_spool_oldest_age_seconds.
func (sp *Spool) Collectors() []prometheus.Collector {
	return []prometheus.Collector{
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
	}
}
