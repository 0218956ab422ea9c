package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime/debug"
	"time"

	"github.com/rs/zerolog"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"

	"github.com/hirebridge/hirebridge/internal/config"
	"github.com/hirebridge/hirebridge/internal/connect"
	"github.com/hirebridge/hirebridge/internal/sources"
	"github.com/hirebridge/hirebridge/internal/tracing"
)

// serveCommand is `hirebridge serve`. listening, when not nil, is told the
// addresses the listeners bound: tests reach the service through it rather
// than by reading its logs.
func serveCommand(ctx context.Context, environ []string, stdout io.Writer, listening func(web, admin net.Addr)) error {
	cfg, err := config.Load(environ)
	if err != nil {
		return err
	}
	tuneGC()
	// OTEL_* are read from environ, as HIREBRIDGE_* are: a test passes
	// them without touching the process's environment.
	tp, stopTracing, err := tracing.Setup(ctx, environ, versionString())
	if err != nil {
		return fmt.Errorf("tracing: %w", err)
	}
	return serve(ctx, cfg, config.Unknown(environ), stdout, listening, tracer{tp, stopTracing})
}

// tracer is the tracing the OTEL_* variables set up: provider nil when off.
type tracer struct {
	provider trace.TracerProvider
	stop     func(context.Context) error
}

// serve runs the receiver until ctx is cancelled (SIGTERM or SIGINT), then
// shuts down in the order that loses nothing: readiness fails, the listener
// stops, in-flight requests finish, the sink flushes. Whatever it opened is
// closed on every path out, and every close error is reported. unknown are
// the HIREBRIDGE_* variables nothing reads, warned of at start.
func serve(ctx context.Context, cfg config.Config, unknown []config.UnknownVar, stdout io.Writer, listening func(web, admin net.Addr), tr tracer) (err error) {
	log := newLogger(cfg, stdout)
	// Flushed by app.shutdown when the service gets that far; on an early
	// return there is nothing to flush, but the exporter still stops.
	stopTracing := tr.stop
	defer func() {
		if stopTracing != nil {
			_ = stopTracing(context.Background())
		}
	}()
	if len(cfg.IgnoredVars) > 0 {
		log.Warn().Strs("ignored", cfg.IgnoredVars).Str("sink", cfg.Sink).
			Msg("these variables configure the other sink and are ignored")
	}
	logUnknownVars(log, unknown)
	logDeprecatedVars(log, cfg.DeprecatedVars)
	if tr.provider != nil {
		// The exporter's failures (a collector away) as log lines of
		// ours rather than the SDK's plain text on stderr.
		otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
			log.Warn().Err(err).Str("component", "tracing").Msg("exporting spans")
		}))
	}
	log.Info().Str("version", versionString()).Object("config", &cfg).
		Uint64("gc_percent", gcPercent()).Int64("memory_limit_bytes", debug.SetMemoryLimit(-1)).
		Bool("tracing", tr.provider != nil).Msg("starting")

	lns, err := listen(cfg)
	if err != nil {
		return err
	}
	defer lns.close()
	sink, closeBroker, err := connect.Sink(ctx, cfg, log, tr.provider)
	if err != nil {
		return err
	}
	defer closeBroker()
	app := wire(cfg, sink, log, tr, lns.admin.Addr())
	stopTracing = nil
	defer func() {
		if err = errors.Join(err, app.shutdown(cfg)); err == nil {
			log.Info().Msg("stopped")
		}
	}()

	if cfg.SourcesFile != "" {
		watchCtx, stopWatching := context.WithCancel(ctx)
		defer stopWatching()
		if _, err := sources.Watch(watchCtx, sources.Options{
			Path: cfg.SourcesFile, Defaults: cfg.SourceDefaults(), Apply: app.handler.SetSources,
			Log: log.With().Str("component", "sources").Logger(), Registerer: app.registry,
		}); err != nil {
			return err
		}
	}

	serveErr := make(chan error, 2)
	go func() { serveErr <- app.web.Serve(app.webConns.Listener(lns.web)) }()
	go func() { serveErr <- app.adminSrv.Serve(app.adminConns.Listener(lns.admin)) }()
	logWebhookURL(log, cfg, lns.web.Addr())
	log.Info().Str("admin_addr", lns.admin.Addr().String()).Str("console", "http://"+lns.admin.Addr().String()+"/").
		Msg("admin endpoints: / (the console) /api/v1/ /livez /readyz /metrics")
	if listening != nil {
		listening(lns.web.Addr(), lns.admin.Addr())
	}

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		return fmt.Errorf("serving HTTP: %w", err)
	}
	// The cause names the signal (SIGTERM, SIGINT, SIGHUP) where one
	// stopped the service.
	log.Info().Str("because", context.Cause(ctx).Error()).Msg("shutting down: readiness fails, then in-flight requests finish")
	app.admin.Drain()
	if cfg.ShutdownDelay > 0 {
		// Give load balancers time to see the failing readiness before the
		// listener closes.
		time.Sleep(cfg.ShutdownDelay)
	}
	return nil
}

type listeners struct{ web, admin net.Listener }

// listen binds both listeners first: a taken address is a start-up error,
// reported before any broker work.
func listen(cfg config.Config) (*listeners, error) {
	web, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return nil, fmt.Errorf("%sHTTP_ADDR: %w", config.Prefix, err)
	}
	admin, err := net.Listen("tcp", cfg.AdminAddr)
	if err != nil {
		web.Close()
		return nil, fmt.Errorf("%sADMIN_ADDR: %w", config.Prefix, err)
	}
	return &listeners{web: web, admin: admin}, nil
}

// close releases listeners a server never took over (a start-up error);
// Shutdown closes those it did, and closing again is harmless.
func (l *listeners) close() {
	l.web.Close()
	l.admin.Close()
}

// logWebhookURL tells the user what to register at Hirempire. A generated
// token is shown, since nobody else knows it; a configured one is not.
func logWebhookURL(log zerolog.Logger, cfg config.Config, addr net.Addr) {
	host := "localhost"
	if tcp, ok := addr.(*net.TCPAddr); ok && !tcp.IP.IsUnspecified() {
		host = tcp.IP.String()
	}
	port := addr.(*net.TCPAddr).Port
	token := "<HIREBRIDGE_WEBHOOK_TOKEN>"
	if cfg.SourcesFile != "" {
		token = "<a token of the source in HIREBRIDGE_SOURCES_FILE>"
	}
	if cfg.TokenGenerated {
		token = cfg.Bridge.Token
	}
	url := fmt.Sprintf("http://%s%s/%s", net.JoinHostPort(host, fmt.Sprint(port)), cfg.WebhookPath, token)
	e := log.Info().Str("webhook_url", url)
	if cfg.TokenGenerated {
		e = e.Str("note", "token generated for this run; set HIREBRIDGE_WEBHOOK_TOKEN to keep one")
	}
	e.Msg("register this URL at Hirempire")
}
