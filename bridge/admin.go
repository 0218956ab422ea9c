package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/pprof"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hirebridge/hirebridge/sinks"
)

// Admin serves /livez, /readyz and /metrics on a mux of its own, meant for a
// listener that is never exposed publicly.
type Admin struct {
	ready    sinks.ReadinessChecker
	draining atomic.Bool
	mux      *http.ServeMux
}

// readyTimeout keeps a readiness check inside a kubelet probe's default
// one-second timeout; a healthy broker answers in milliseconds.
const readyTimeout = 900 * time.Millisecond

// NewAdmin returns the admin endpoints. ready may be nil.
func NewAdmin(ready sinks.ReadinessChecker, gatherer prometheus.Gatherer) *Admin {
	a := &Admin{ready: ready, mux: http.NewServeMux()}
	a.mux.HandleFunc("GET /livez", a.livez)
	a.mux.HandleFunc("GET /readyz", a.readyz)
	a.mux.Handle("GET /metrics", promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{}))
	return a
}

func (a *Admin) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

// Mount serves h under pattern on the admin mux, beside the probes: the
// console and its API (package console), which belong on this listener
// and never on the webhook's. The probes' own patterns are more specific,
// so a catch-all "/" leaves them answering.
func (a *Admin) Mount(pattern string, h http.Handler) { a.mux.Handle(pattern, h) }

// EnableProfiling serves net/http/pprof under /debug/pprof/, on the admin
// mux only: never on the public listener.
func (a *Admin) EnableProfiling() {
	a.mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	a.mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	a.mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	a.mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	a.mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
}

// Drain makes readiness fail from now on: shutdown has started.
func (a *Admin) Drain() { a.draining.Store(true) }

// livez fails only when the process cannot recover by itself; a broker
// that is away is readiness's business, and restarting would not help.
func (a *Admin) livez(w http.ResponseWriter, r *http.Request) {
	if lc, ok := a.ready.(sinks.LivenessChecker); ok {
		if err := lc.Live(); err != nil {
			writeError(w, http.StatusServiceUnavailable, codeNotLive, err.Error())
			return
		}
	}
	writeJSON(w, http.StatusOK, []byte(`{"status":"ok"}`))
}

func (a *Admin) readyz(w http.ResponseWriter, r *http.Request) {
	if a.draining.Load() {
		writeError(w, http.StatusServiceUnavailable, codeShutdown, "shutdown in progress")
		return
	}
	if a.ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		if err := a.ready.Ready(ctx); err != nil {
			// Events are still accepted (spooled while the broker is
			// away): the pod keeps its traffic, and the body says why.
			var d *sinks.DegradedError
			if errors.As(err, &d) {
				body, _ := json.Marshal(struct {
					Status string `json:"status"`
					Detail string `json:"detail"`
				}{d.Status, d.Detail})
				writeJSON(w, http.StatusOK, body)
				return
			}
			writeError(w, http.StatusServiceUnavailable, codeUnavailable, err.Error())
			return
		}
	}
	writeJSON(w, http.StatusOK, []byte(`{"status":"ready"}`))
}
