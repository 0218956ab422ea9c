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
)

// serve runs the receiver until ctx is cancelled (SIGTERM or SIGINT), then
// shuts down in the order that loses nothing: readiness fails, the listener
// stops, in-flight requests finish, the sink flushes.
func serve(ctx context.Context, cfg Config, stdout io.Writer) error {
	log := newLogger(cfg, stdout)
	if len(cfg.ignoredVars) > 0 {
		log.Warn().Strs("ignored", cfg.ignoredVars).Str("sink", cfg.Sink).
			Msg("these variables configure the other sink and are ignored")
	}
	log.Info().Str("version", versionString()).Object("config", cfg).
		Uint64("gc_percent", gcPercent()).Int64("memory_limit_bytes", debug.SetMemoryLimit(-1)).
		Msg("starting")

	// Listen first: a taken address is a start-up error, reported before any
	// broker work.
	webLn, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("%sHTTP_ADDR: %w", envPrefix, err)
	}
	defer webLn.Close()
	adminLn, err := net.Listen("tcp", cfg.AdminAddr)
	if err != nil {
		return fmt.Errorf("%sADMIN_ADDR: %w", envPrefix, err)
	}
	defer adminLn.Close()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	sink, closeBroker, err := openSink(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeBroker()
	instrumented := sinks.Instrument(sink, cfg.Sink, sinks.NewPublishLatency(reg))

	handler := bridge.NewHandler(bridge.Config{
		Token:          cfg.WebhookToken,
		MaxBodyBytes:   cfg.MaxBodyBytes,
		Prefix:         cfg.TopicPrefix,
		Source:         cfg.EventSource,
		Strict:         cfg.Strict,
		PublishTimeout: cfg.PublishTimeout,
		RetryAfter:     cfg.RetryAfter,
		MaxConcurrent:  cfg.MaxConcurrent,
		RequestMemory:  cfg.RequestMemory,
	}, instrumented, log, bridge.NewMetrics(reg))
	mux := http.NewServeMux()
	handler.Mount(mux, cfg.WebhookPath)
	admin := bridge.NewAdmin(instrumented, reg)

	errLog := zerologWriter{log}
	web := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		// The write deadline runs from the end of the headers, so it must
		// cover reading the body and waiting for the broker.
		WriteTimeout:   cfg.ReadTimeout + cfg.PublishTimeout + 5*time.Second,
		IdleTimeout:    cfg.IdleTimeout,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       errLog.stdLogger(),
	}
	adminSrv := &http.Server{
		Handler:           admin,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.ReadTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		ErrorLog:          errLog.stdLogger(),
	}
	serveErr := make(chan error, 2)
	go func() { serveErr <- web.Serve(webLn) }()
	go func() { serveErr <- adminSrv.Serve(adminLn) }()

	logWebhookURL(log, cfg, webLn.Addr())
	log.Info().Str("admin_addr", adminLn.Addr().String()).Msg("admin endpoints: /livez /readyz /metrics")

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		return fmt.Errorf("serving HTTP: %w", err)
	}

	log.Info().Msg("shutting down: readiness fails, then in-flight requests finish")
	admin.Drain()
	if cfg.ShutdownDelay > 0 {
		// Give load balancers time to see the failing readiness before the
		// listener closes.
		time.Sleep(cfg.ShutdownDelay)
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	var errs []error
	if err := web.Shutdown(shutdownCtx); err != nil {
		errs = append(errs, fmt.Errorf("waiting for in-flight requests: %w", err))
	}
	if err := instrumented.Close(shutdownCtx); err != nil {
		errs = append(errs, fmt.Errorf("flushing the sink: %w", err))
	}
	if err := adminSrv.Shutdown(shutdownCtx); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	log.Info().Msg("stopped")
	return nil
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
		token = cfg.WebhookToken
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
