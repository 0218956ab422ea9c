package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"runtime/metrics"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/rs/zerolog"

	"github.com/hirebridge/hirebridge/bridge"
	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/instrumented"
)

// serve runs the receiver until ctx is cancelled (SIGTERM or SIGINT), then
// shuts down in the order that loses nothing: readiness fails, the listener
// stops, in-flight requests finish, the sink flushes. Whatever it opened is
// closed on every path out, and every close error is reported.
func serve(ctx context.Context, cfg Config, stdout io.Writer) (err error) {
	log := newLogger(cfg, stdout)
	if len(cfg.ignoredVars) > 0 {
		log.Warn().Strs("ignored", cfg.ignoredVars).Str("sink", cfg.Sink).
			Msg("these variables configure the other sink and are ignored")
	}
	log.Info().Str("version", versionString()).Object("config", &cfg).
		Uint64("gc_percent", gcPercent()).Int64("memory_limit_bytes", debug.SetMemoryLimit(-1)).
		Msg("starting")

	lns, err := listen(cfg)
	if err != nil {
		return err
	}
	defer lns.close()
	sink, closeBroker, err := openSink(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeBroker()
	app := wire(cfg, sink, log)
	defer func() {
		if err = errors.Join(err, app.shutdown(cfg)); err == nil {
			log.Info().Msg("stopped")
		}
	}()

	serveErr := make(chan error, 2)
	go func() { serveErr <- app.web.Serve(lns.web) }()
	go func() { serveErr <- app.adminSrv.Serve(lns.admin) }()
	logWebhookURL(log, cfg, lns.web.Addr())
	log.Info().Str("admin_addr", lns.admin.Addr().String()).Msg("admin endpoints: /livez /readyz /metrics")
	if hook, ok := ctx.Value(listeningKey{}).(func(web, admin net.Addr)); ok {
		hook(lns.web.Addr(), lns.admin.Addr())
	}

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		return fmt.Errorf("serving HTTP: %w", err)
	}
	log.Info().Msg("shutting down: readiness fails, then in-flight requests finish")
	app.admin.Drain()
	if cfg.ShutdownDelay > 0 {
		// Give load balancers time to see the failing readiness before the
		// listener closes.
		time.Sleep(cfg.ShutdownDelay)
	}
	return nil
}

// listeningKey carries, in serve's context, a function told the addresses
// the listeners bound: tests reach the service through it rather than by
// reading its logs.
type listeningKey struct{}

// withListening returns ctx with fn to be told the bound addresses.
func withListening(ctx context.Context, fn func(web, admin net.Addr)) context.Context {
	return context.WithValue(ctx, listeningKey{}, fn)
}

type listeners struct{ web, admin net.Listener }

// listen binds both listeners first: a taken address is a start-up error,
// reported before any broker work.
func listen(cfg Config) (*listeners, error) {
	web, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return nil, fmt.Errorf("%sHTTP_ADDR: %w", envPrefix, err)
	}
	admin, err := net.Listen("tcp", cfg.AdminAddr)
	if err != nil {
		web.Close()
		return nil, fmt.Errorf("%sADMIN_ADDR: %w", envPrefix, err)
	}
	return &listeners{web: web, admin: admin}, nil
}

// close releases listeners a server never took over (a start-up error);
// Shutdown closes those it did, and closing again is harmless.
func (l *listeners) close() {
	l.web.Close()
	l.admin.Close()
}

// app is the wired service: the webhook and admin servers over one sink.
type app struct {
	sink     *instrumented.Sink
	admin    *bridge.Admin
	web      *http.Server
	adminSrv *http.Server
}

func wire(cfg Config, sink sinks.Sink, log zerolog.Logger) *app {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// The spool's gauges, when it is on.
	if c, ok := sink.(interface{ Collectors() []prometheus.Collector }); ok {
		reg.MustRegister(c.Collectors()...)
	}
	wrapped := instrumented.Wrap(sink, cfg.Sink, instrumented.NewPublishLatency(reg))
	handler := bridge.NewHandler(cfg.Bridge, wrapped, log, bridge.NewMetrics(reg))
	mux := http.NewServeMux()
	handler.Mount(mux, cfg.WebhookPath)
	admin := bridge.NewAdmin(wrapped, reg)
	if cfg.Profiling {
		admin.EnableProfiling()
		log.Warn().Msg("profiling is on: /debug/pprof/ on the admin listener")
	}

	errLog := zerologWriter{log}
	return &app{
		sink:  wrapped,
		admin: admin,
		web: &http.Server{
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
			Handler:           admin,
			ReadHeaderTimeout: cfg.ReadHeaderTimeout,
			ReadTimeout:       cfg.ReadTimeout,
			WriteTimeout:      cfg.ReadTimeout,
			IdleTimeout:       cfg.IdleTimeout,
			ErrorLog:          errLog.stdLogger(),
		},
	}
}

// shutdown stops taking requests, lets those in flight finish, flushes the
// sink, then stops the admin endpoints, all within the shutdown timeout.
func (a *app) shutdown(cfg Config) error {
	a.admin.Drain()
	ctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	var errs []error
	if err := a.web.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("waiting for in-flight requests: %w", err))
	}
	if err := a.sink.Close(ctx); err != nil {
		errs = append(errs, fmt.Errorf("flushing the sink: %w", err))
	}
	if err := a.adminSrv.Shutdown(ctx); err != nil {
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

func newLogger(cfg Config, stdout io.Writer) zerolog.Logger {
	level, _ := zerolog.ParseLevel(cfg.LogLevel)
	var w io.Writer = stdout
	if cfg.LogFormat == "console" {
		// Colours only for a terminal: escape codes in a file or a pipe
		// are noise.
		w = zerolog.ConsoleWriter{Out: stdout, TimeFormat: time.TimeOnly, NoColor: !isTerminal(stdout)}
	}
	return zerolog.New(w).Level(level).With().Timestamp().Logger()
}

// logWebhookURL tells the user what to register at Hirempire. A generated
// token is shown, since nobody else knows it; a configured one is not.
func logWebhookURL(log zerolog.Logger, cfg Config, addr net.Addr) {
	host := "localhost"
	if tcp, ok := addr.(*net.TCPAddr); ok && !tcp.IP.IsUnspecified() {
		host = tcp.IP.String()
	}
	port := addr.(*net.TCPAddr).Port
	token := "<HIREBRIDGE_WEBHOOK_TOKEN>"
	if cfg.tokenGenerated {
		token = cfg.Bridge.Token
	}
	url := fmt.Sprintf("http://%s%s/%s", net.JoinHostPort(host, fmt.Sprint(port)), cfg.WebhookPath, token)
	e := log.Info().Str("webhook_url", url)
	if cfg.tokenGenerated {
		e = e.Str("note", "token generated for this run; set HIREBRIDGE_WEBHOOK_TOKEN to keep one")
	}
	e.Msg("register this URL at Hirempire")
}

// embeddedURLFile is where the embedded server's address is written, so
// `hirebridge tail` finds it even when it took a free port.
func embeddedURLFile(dataDir string) string {
	return filepath.Join(dataDir, "embedded-nats.url")
}

func writeEmbeddedURL(dataDir, url string) error {
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return err
	}
	return os.WriteFile(embeddedURLFile(dataDir), []byte(url+"\n"), 0o640)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isatty.IsTerminal(f.Fd())
}
