package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime/metrics"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/rs/zerolog"

	"github.com/hirebridge/hirebridge/bridge"
	"github.com/hirebridge/hirebridge/internal/config"
	"github.com/hirebridge/hirebridge/internal/connlimit"
	"github.com/hirebridge/hirebridge/internal/console"
	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/instrumented"
	"github.com/hirebridge/hirebridge/sinks/traced"
	"github.com/hirebridge/hirebridge/sinks/typecap"
)

// app is the wired service: the webhook and admin servers over one sink.
type app struct {
	sink  *instrumented.Sink
	admin *bridge.Admin
	// console serves the page and /api/v1/ on the admin listener; closed
	// before it stops, so its live feeds end rather than hold Shutdown.
	console  *console.Console
	web      *http.Server
	adminSrv *http.Server
	// webConns and adminConns bound each listener's open connections.
	webConns, adminConns *connlimit.Limiter
	// handler takes the sources again when their file changes, and
	// registry the watcher's metrics.
	handler  *bridge.Handler
	registry *prometheus.Registry
	// stopTracing flushes the spans still buffered, after the sink's last
	// publishes ended theirs.
	stopTracing func(context.Context) error
	log         zerolog.Logger
}

func wire(cfg config.Config, sink sinks.Sink, log zerolog.Logger, tr tracer, adminAddr net.Addr) *app {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// The spool's gauges, when it is on.
	if c, ok := sink.(interface{ Collectors() []prometheus.Collector }); ok {
		reg.MustRegister(c.Collectors()...)
	}
	// The cap on undocumented types stands in front of everything, the
	// spool included: an event beyond it is refused before it is spooled.
	capped := typecap.Wrap(sink, cfg.TypeCapConfig(log), typecap.NewMetrics(reg))
	// Off, no span and no wrapper: the request path is as it was.
	var published sinks.Sink = capped
	if tr.provider != nil {
		published = traced.Wrap(capped, cfg.Sink, tr.provider)
	}
	wrapped := instrumented.Wrap(published, cfg.Sink, instrumented.NewPublishLatency(reg))
	handler := bridge.NewHandler(cfg.Bridge, wrapped, log, bridge.NewMetrics(reg))
	if tr.provider != nil {
		handler.EnableTracing(tr.provider)
	}
	mux := http.NewServeMux()
	handler.Mount(mux, cfg.WebhookPath)
	admin := bridge.NewAdmin(wrapped, reg)
	if cfg.Profiling {
		admin.EnableProfiling()
		log.Warn().Msg("profiling is on: /debug/pprof/ on the admin listener")
	}
	con := newConsole(cfg, sink, wrapped, reg, adminAddr, log)
	admin.Mount("/", con)

	webConns, adminConns := connectionLimits(cfg, reg, log)
	errLog := zerologWriter{log}
	return &app{
		stopTracing: tr.stop,
		log:         log,
		sink:        wrapped,
		admin:       admin,
		console:     con,
		handler:     handler,
		registry:    reg,
		webConns:    webConns,
		adminConns:  adminConns,
		web: &http.Server{
			ConnState:         webConns.ConnState,
			Handler:           mux,
			ReadHeaderTimeout: cfg.ReadHeaderTimeout,
			ReadTimeout:       cfg.ReadTimeout,
			// The write deadline runs from the end of the headers, so it
			// must cover reading the body and waiting for the broker.
			WriteTimeout:   cfg.ReadTimeout + cfg.Bridge.PublishTimeout + 5*time.Second,
			IdleTimeout:    cfg.IdleTimeout,
			MaxHeaderBytes: 64 << 10,
			ErrorLog:       errLog.stdLogger(),
		},
		adminSrv: &http.Server{
			ConnState:         adminConns.ConnState,
			Handler:           admin,
			ReadHeaderTimeout: cfg.ReadHeaderTimeout,
			ReadTimeout:       cfg.ReadTimeout,
			WriteTimeout:      cfg.ReadTimeout,
			IdleTimeout:       cfg.IdleTimeout,
			ErrorLog:          errLog.stdLogger(),
		},
	}
}

// adminStopTimeout bounds the admin endpoints' stop, after the sink
// closed: probes and scrapes take milliseconds; a profile still being
// taken is cut off. The chart's grace period leaves 10 s past the two
// budgets for this and the exit.
const adminStopTimeout = 5 * time.Second

// shutdown stops taking requests and lets those in flight finish, within
// the shutdown timeout; then flushes and closes the sink, within a budget
// of its own (the sink close timeout), so a slow drain cannot leave the
// sink no time to flush, and a request the drain gave up on still gets
// the sink's answer; then ends the console's live feeds, which would
// otherwise hold the admin server's Shutdown to its timeout, and stops the
// admin endpoints, which kept answering probes until the sink closed.
func (a *app) shutdown(cfg config.Config) error {
	a.admin.Drain()
	var errs []error
	drain, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	err := a.web.Shutdown(drain)
	cancel()
	if err != nil {
		errs = append(errs, fmt.Errorf("waiting for in-flight requests (%sSHUTDOWN_TIMEOUT %s): %w", config.Prefix, cfg.ShutdownTimeout, err))
	}
	flush, cancel := context.WithTimeout(context.Background(), cfg.SinkCloseTimeout)
	err = a.sink.Close(flush)
	if err != nil {
		errs = append(errs, fmt.Errorf("flushing the sink (%sSINK_CLOSE_TIMEOUT %s): %w", config.Prefix, cfg.SinkCloseTimeout, err))
	}
	// The spans go last, within what is left of the sink's budget: the
	// publishes that ended during the close have their spans ended too.
	// Spans lost are no event lost, so a collector away is a warning, not
	// a failed shutdown.
	if a.stopTracing != nil {
		if err := a.stopTracing(flush); err != nil {
			a.log.Warn().Err(err).Msg("spans not flushed at shutdown")
		}
	}
	cancel()
	a.console.Close()
	stop, cancel := context.WithTimeout(context.Background(), adminStopTimeout)
	err = a.adminSrv.Shutdown(stop)
	cancel()
	if err != nil {
		_ = a.adminSrv.Close()
		errs = append(errs, fmt.Errorf("stopping the admin endpoints: %w", err))
	}
	return errors.Join(errs...)
}

// gcPercent reads GOGC's effective value; debug.SetGCPercent cannot read
// it without changing it.
func gcPercent() uint64 {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
