package bridge

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hirebridge/hirebridge/sinks"
)

// An event the sink spooled (on local disk, not yet on the broker) is
// answered 202 spooled with its id, and counted as such.
func TestSpooledIsAccepted(t *testing.T) {
	t.Parallel()
	var published *sinks.Message
	mux, metrics := handlerOver(t, sinkFunc(func(_ context.Context, m *sinks.Message) (sinks.Ack, error) {
		published = m
		return sinks.Ack{Spooled: true}, nil
	}))
	r := serveDirect(mux, payload(t, "job_added"))
	if r.status != http.StatusAccepted {
		t.Fatalf("status %d, want 202; body %s", r.status, r.body)
	}
	var o outcomeBody
	if err := json.Unmarshal(r.body, &o); err != nil || o.Status != outcomeSpooled || published == nil || o.ID != published.ID {
		t.Errorf("answer %s (%v), want status spooled and the event's id", r.body, err)
	}
	if n := counterValue(t, metrics.events.WithLabelValues(DefaultSourceName, "job_added", outcomeSpooled)); n != 1 {
		t.Errorf("hirebridge_events_total{outcome=spooled} = %v, want 1", n)
	}
}

type readiness struct{ err error }

func (r readiness) Ready(context.Context) error { return r.err }

// While the sink is degraded but takes events (spooling), /readyz stays
// 200 and says so; a plain failure is 503.
func TestReadyzWhileSpooling(t *testing.T) {
	t.Parallel()
	admin := NewAdmin(readiness{&sinks.DegradedError{Status: "spooling", Detail: "the broker is unavailable"}}, prometheus.NewRegistry())
	rec := httptest.NewRecorder()
	admin.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"status":"spooling"`) ||
		!strings.Contains(rec.Body.String(), "broker is unavailable") {
		t.Errorf("/readyz while spooling: %d %s, want 200 saying events are spooled", rec.Code, rec.Body)
	}
}
