package console

import (
	"context"
	"errors"
	"net/http"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/hirebridge/hirebridge/sinks"
)

// readyTimeout bounds the readiness check, as /readyz's does.
const readyTimeout = 900 * time.Millisecond

type statusAnswer struct {
	Sink      string      `json:"sink"`
	Where     string      `json:"where"`
	Version   string      `json:"version"`
	StartedAt string      `json:"started_at"`
	Broker    brokerState `json:"broker"`
	Spool     spoolState  `json:"spool"`
	Window    window      `json:"window"`
	Latency   latency     `json:"latency"`
	ScanLimit int         `json:"scan_limit"`
}

type brokerState struct {
	// Status is ready, spooling (or another word of a degraded
	// readiness), or unavailable.
	Status string `json:"status"`
	Detail string `json:"detail,omitempty"`
}

type spoolState struct {
	On               bool     `json:"on"`
	Events           *int64   `json:"events,omitempty"`
	Bytes            *int64   `json:"bytes,omitempty"`
	OldestAgeSeconds *float64 `json:"oldest_age_seconds,omitempty"`
}

// status is GET /api/v1/status: the broker's and the spool's state, and
// this process's events and publish latency over the last 15 minutes.
func (c *Console) status(w http.ResponseWriter, r *http.Request) {
	now, mfs, _ := c.hist.take()
	win, lat := c.hist.window(now)
	writeJSON(w, http.StatusOK, statusAnswer{
		Sink:      c.cfg.Sink,
		Where:     c.cfg.Where,
		Version:   c.cfg.Version,
		StartedAt: c.cfg.StartedAt.UTC().Format(time.RFC3339),
		Broker:    c.brokerState(r.Context()),
		Spool:     spoolOf(mfs),
		Window:    win,
		Latency:   lat,
		ScanLimit: sinks.DefaultScan,
	})
}

func (c *Console) brokerState(ctx context.Context) brokerState {
	if c.cfg.Ready == nil {
		return brokerState{Status: "ready"}
	}
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	err := c.cfg.Ready.Ready(ctx)
	var d *sinks.DegradedError
	switch {
	case err == nil:
		return brokerState{Status: "ready"}
	case errors.As(err, &d):
		return brokerState{Status: d.Status, Detail: d.Detail}
	}
	return brokerState{Status: "unavailable", Detail: err.Error()}
}

// spoolOf reads the spool's gauges, registered when it is on.
func spoolOf(mfs []*dto.MetricFamily) spoolState {
	var s spoolState
	for _, mf := range mfs {
		if len(mf.GetMetric()) == 0 {
			continue
		}
		v := mf.GetMetric()[0].GetGauge().GetValue()
		switch mf.GetName() {
		case "hirebridge_spool_events":
			n := int64(v)
			s.On, s.Events = true, &n
		case "hirebridge_spool_bytes":
			n := int64(v)
			s.Bytes = &n
		case "hirebridge_spool_oldest_age_seconds":
			s.OldestAgeSeconds = &v
		}
	}
	if !s.On {
		return spoolState{}
	}
	return s
}
