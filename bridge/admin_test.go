package bridge

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func TestLivez(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	check := func(when string) {
		t.Helper()
		r := h.adminGet(t, "/livez")
		if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/json" {
			t.Errorf("/livez %s: %d %q %s, want 200 JSON", when, r.status, r.header.Get("Content-Type"), r.body)
		}
	}
	check("while connected")
	h.nats.Stop()
	check("while the broker is down")
	h.admin.Drain()
	check("while draining")
}

func TestReadyz(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	if r := h.adminGet(t, "/readyz"); r.status != http.StatusOK {
		t.Fatalf("/readyz %d %s while connected, want 200", r.status, r.body)
	}

	h.nats.Stop()
	eventually(t, 5*time.Second, "readiness failing", func() bool {
		return h.adminGet(t, "/readyz").status == http.StatusServiceUnavailable
	})
	detail := wantError(t, h.adminGet(t, "/readyz"), http.StatusServiceUnavailable, codeUnavailable)
	if !strings.Contains(detail, "NATS") && !strings.Contains(detail, "stream") {
		t.Errorf("/readyz detail %q does not say what is not ready", detail)
	}

	h.nats.Restart(t)
	eventually(t, 10*time.Second, "readiness back", func() bool {
		return h.adminGet(t, "/readyz").status == http.StatusOK
	})

	// From the moment shutdown starts, whatever the broker says.
	h.admin.Drain()
	wantError(t, h.adminGet(t, "/readyz"), http.StatusServiceUnavailable, codeShutdown)
}

func TestAdminRefusesOtherMethods(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, path := range []string{"/livez", "/readyz", "/metrics"} {
		r := h.do(t, http.MethodPost, h.adm.URL+path, nil, nil)
		if r.status != http.StatusMethodNotAllowed {
			t.Errorf("POST %s: %d, want 405", path, r.status)
		}
	}
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	body := payload(t, "applicant_applied")
	wantOutcome(t, h.post(t, body), "published")
	wantOutcome(t, h.post(t, body), "duplicate")
	wantOutcome(t, h.post(t, []byte(`{"event":"candidate_hired","timestamp":"2026-01-30T00:14:56Z"}`)), "published")
	wantError(t, h.post(t, []byte(`{"event":"job_added","timestamp":"2026-01-30T00:14:56Z"}`)), http.StatusUnprocessableEntity, "schema_violation")
	wantError(t, h.post(t, []byte(`[]`)), http.StatusBadRequest, "not_an_object")
	wantError(t, h.do(t, http.MethodPost, h.web.URL+testPath, nil, nil), http.StatusUnauthorized, codeUnauthorized)

	families := h.metrics(t)
	for _, c := range []struct {
		family string
		labels map[string]string
		want   float64
	}{
		{"hirebridge_events_total", map[string]string{"source": DefaultSourceName, "type": "applicant_applied", "outcome": "published"}, 1},
		{"hirebridge_events_total", map[string]string{"source": DefaultSourceName, "type": "applicant_applied", "outcome": "duplicate"}, 1},
		// Undocumented types share one label value, so senders cannot grow
		// the series.
		{"hirebridge_events_total", map[string]string{"source": DefaultSourceName, "type": "other", "outcome": "published"}, 1},
		{"hirebridge_events_total", map[string]string{"source": DefaultSourceName, "type": "job_added", "outcome": "rejected"}, 1},
		{"hirebridge_http_responses_total", map[string]string{"code": "200"}, 3},
		{"hirebridge_http_responses_total", map[string]string{"code": "422"}, 1},
		{"hirebridge_http_responses_total", map[string]string{"code": "400"}, 1},
		{"hirebridge_http_responses_total", map[string]string{"code": "401"}, 1},
		{"hirebridge_dead_letters_total", map[string]string{"source": DefaultSourceName, "reason": "schema_violation", "stored": "true"}, 1},
		{"hirebridge_dead_letters_total", map[string]string{"source": DefaultSourceName, "reason": "not_an_object", "stored": "true"}, 1},
	} {
		m := find(t, families, c.family, c.labels)
		if m == nil {
			continue
		}
		if got := m.GetCounter().GetValue(); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.family, c.labels, got, c.want)
		}
	}
	// Five publishes: three events and two dead letters.
	if m := find(t, families, "hirebridge_publish_duration_seconds", map[string]string{"sink": "nats"}); m != nil {
		if got := m.GetHistogram().GetSampleCount(); got != 5 {
			t.Errorf("publish latency observed %d times, want 5", got)
		}
		if m.GetHistogram().GetSampleSum() <= 0 {
			t.Errorf("publish latency sums to %v, want more than 0", m.GetHistogram().GetSampleSum())
		}
	}
	if m := find(t, families, "hirebridge_requests_in_flight", nil); m != nil && m.GetGauge().GetValue() != 0 {
		t.Errorf("%v requests in flight after all were answered", m.GetGauge().GetValue())
	}
}

// metrics scrapes /metrics as Prometheus would and parses the text format.
func (h *harness) metrics(t testing.TB) map[string]*dto.MetricFamily {
	t.Helper()
	r := h.adminGet(t, "/metrics")
	if r.status != http.StatusOK {
		t.Fatalf("/metrics %d", r.status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(bytes.NewReader(r.body))
	if err != nil {
		t.Fatalf("/metrics is not the Prometheus text format: %v", err)
	}
	return families
}

// find returns the series of family with exactly labels, or reports it
// missing.
func find(t testing.TB, families map[string]*dto.MetricFamily, family string, labels map[string]string) *dto.Metric {
	t.Helper()
	if _, ok := families[family]; !ok {
		t.Errorf("/metrics has no %s", family)
		return nil
	}
	m := findOptional(families, family, labels)
	if m == nil {
		t.Errorf("/metrics has no %s%v", family, labels)
	}
	return m
}

// findOptional is the series of family with exactly labels, or nil.
func findOptional(families map[string]*dto.MetricFamily, family string, labels map[string]string) *dto.Metric {
	for _, m := range families[family].GetMetric() {
		if len(m.GetLabel()) != len(labels) {
			continue
		}
		match := true
		for _, l := range m.GetLabel() {
			if labels[l.GetName()] != l.GetValue() {
				match = false
			}
		}
		if match {
			return m
		}
	}
	return nil
}

// livenessOf is a sink's liveness as the admin endpoints see it, for the
// one case no test broker can produce on demand: a process that cannot
// recover by itself.
type livenessOf struct{ err error }

func (l livenessOf) Ready(context.Context) error { return nil }
func (l livenessOf) Live() error                 { return l.err }

// /livez fails, with the reason, only when the sink says the process
// cannot recover by itself; readiness is unaffected.
func TestLivezFailsWhenTheSinkCannotRecover(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		err    error
		status int
	}{{nil, http.StatusOK}, {errors.New("the embedded store could not be restarted"), http.StatusServiceUnavailable}} {
		admin := NewAdmin(livenessOf{c.err}, prometheus.NewRegistry())
		rec := httptest.NewRecorder()
		admin.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/livez", nil))
		r := response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
		if c.err == nil {
			if r.status != http.StatusOK {
				t.Errorf("/livez %d with a live sink", r.status)
			}
			continue
		}
		if detail := wantError(t, r, http.StatusServiceUnavailable, codeNotLive); !strings.Contains(detail, c.err.Error()) {
			t.Errorf("/livez detail %q does not say why", detail)
		}
	}
}

// The profiler is off unless asked for, and then on the admin mux only.
func TestProfilingOnlyWhenEnabled(t *testing.T) {
	t.Parallel()
	admin := NewAdmin(livenessOf{}, prometheus.NewRegistry())
	get := func() int {
		rec := httptest.NewRecorder()
		admin.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/debug/pprof/", nil))
		return rec.Code
	}
	if code := get(); code != http.StatusNotFound {
		t.Errorf("/debug/pprof/ answered %d with profiling off, want 404", code)
	}
	admin.EnableProfiling()
	if code := get(); code != http.StatusOK {
		t.Errorf("/debug/pprof/ answered %d with profiling on, want 200", code)
	}
}
