// Package connect opens the broker the configuration names: for the
// service, behind the spool when it is on and with the embedded NATS
// server when no broker is given (Sink); and for the commands that reach
// the service's broker, whether the service runs or not (ServiceBroker,
// Follower).
package connect

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/rs/zerolog"
	"go.opentelemetry.io/otel/trace"

	"github.com/hirebridge/hirebridge/internal/config"
	"github.com/hirebridge/hirebridge/internal/datadir"
	"github.com/hirebridge/hirebridge/schema/events"
	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/kafka"
	"github.com/hirebridge/hirebridge/sinks/natsjs"
	"github.com/hirebridge/hirebridge/sinks/natsjs/embedded"
)

// Sink connects the configured sink, behind the spool when it is on. The
// returned func releases what the sink itself does not own (the embedded
// server, the data or spool directory's lock), after the sink closed. tp,
// nil when tracing is off, gives the spool its spans.
func Sink(ctx context.Context, cfg config.Config, log zerolog.Logger, tp trace.TracerProvider) (sinks.Sink, func(), error) {
	if cfg.Spool.On {
		return openSpooled(ctx, cfg, log, tp)
	}
	return openBroker(ctx, cfg, log)
}

// openBroker connects the configured broker's sink.
func openBroker(ctx context.Context, cfg config.Config, log zerolog.Logger) (sinks.Sink, func(), error) {
	switch cfg.Sink {
	case "nats":
		return openNATS(ctx, cfg, log)
	case "kafka":
		return openKafka(ctx, cfg, log)
	default:
		return nil, nil, fmt.Errorf("%sSINK: %q is not a sink", config.Prefix, cfg.Sink)
	}
}

func openNATS(ctx context.Context, cfg config.Config, log zerolog.Logger) (sinks.Sink, func(), error) {
	nc := cfg.NATSConfig()
	nc.Log = log
	release := func() {}
	if cfg.NATS.URLs == "" {
		emb, stop, err := startEmbedded(cfg, log)
		if err != nil {
			return nil, nil, err
		}
		release = stop
		nc.InProcess = emb.Server
		nc.Local = emb
		if nc.StreamMaxBytes == 0 {
			nc.StreamMaxBytes = embedded.AutomaticStreamMaxBytes(cfg.DataDir)
		}
	}
	sink, err := natsjs.Open(ctx, nc)
	if err != nil {
		release()
		return nil, nil, err
	}
	if max := sink.MaxPayload(); max < cfg.Bridge.MaxBodyBytes+config.HeaderAllowance {
		log.Warn().Int64("nats_max_payload", max).Int64("max_body_bytes", cfg.Bridge.MaxBodyBytes).
			Msg("the NATS server accepts smaller messages than HIREBRIDGE_MAX_BODY_BYTES allows; larger events will get 413")
	}
	if cfg.NATS.URLs != "" {
		log.Info().Str("server", sink.ConnectedURL()).Str("stream", cfg.NATS.Stream).Msg("publishing to NATS JetStream")
	}
	return sink, release, nil
}

// startEmbedded starts the embedded server on the data directory, under
// its lock, and records its address for the commands; stop undoes all
// three.
func startEmbedded(cfg config.Config, log zerolog.Logger) (*embedded.Server, func(), error) {
	lock, err := datadir.Take(cfg.DataDir, config.Prefix+"DATA_DIR", "data directory")
	if err != nil {
		return nil, nil, err
	}
	emb, err := embedded.Start(embedded.Config{
		Addr:               cfg.Embedded.Addr,
		FallbackToFreePort: !cfg.EmbeddedAddrSet,
		DataDir:            cfg.DataDir,
		MaxPayload:         int32(cfg.Bridge.MaxBodyBytes + config.HeaderAllowance),
		Log:                log.With().Str("component", "nats-server").Logger(),
	})
	if err != nil {
		_ = lock.Unlock()
		return nil, nil, fmt.Errorf("%sNATS_EMBEDDED_ADDR: %w", config.Prefix, err)
	}
	stop := func() {
		emb.Stop()
		datadir.RemoveEmbeddedURL(cfg.DataDir)
		if err := lock.Unlock(); err != nil {
			log.Warn().Err(err).Msg("unlocking the data directory")
		}
	}
	url := emb.ClientURL()
	if emb.FellBack {
		log.Warn().Str("wanted", cfg.Embedded.Addr).Str("nats_url", url).
			Msg("the default NATS address is taken (is a NATS server running?); the embedded server took a free port")
	}
	if err := datadir.WriteEmbeddedURL(cfg.DataDir, url); err != nil {
		log.Warn().Err(err).Msg("could not record the embedded server's address for `hirebridge tail`")
	}
	log.Info().Str("nats_url", url).Str("store", cfg.DataDir).
		Str("subscribe", fmt.Sprintf("%s tail   (or: nats --server %s sub '%s.>')", SelfCommand(), url, cfg.Bridge.Prefix)).
		Msg("embedded NATS JetStream server running")
	return emb, stop, nil
}

func openKafka(ctx context.Context, cfg config.Config, log zerolog.Logger) (sinks.Sink, func(), error) {
	kc := cfg.KafkaConfig(log)
	sink, err := kafka.Open(ctx, kc)
	if err != nil {
		return nil, nil, cfg.VarError(err)
	}
	// tail reads the service's own settings: in another shell it needs
	// those that make it follow Kafka rather than NATS.
	brokers := strings.Join(kc.Brokers, ",")
	env := fmt.Sprintf("%sSINK=kafka %sKAFKA_BROKERS=%s ", config.Prefix, config.Prefix, brokers)
	if cfg.Bridge.Prefix != events.DefaultPrefix {
		env += fmt.Sprintf("%sTOPIC_PREFIX=%s ", config.Prefix, cfg.Bridge.Prefix)
	}
	log.Info().Strs("brokers", kc.Brokers).Str("topics", events.Subject(cfg.Bridge.Prefix, "<event>")).
		Str("subscribe", fmt.Sprintf("%s%s tail   (or: kcat -b %s -C -t %s.applicant_applied -f '%%k %%h %%s\\n')", env, SelfCommand(), brokers, cfg.Bridge.Prefix)).
		Msg("publishing to Kafka")
	return sink, func() {}, nil
}

// SelfCommand is how the user started this binary, for hints to run it
// again: `go run` builds into a temporary directory that means nothing to
// type.
func SelfCommand() string {
	exe := os.Args[0]
	if strings.Contains(exe, "go-build") {
		return "go run ./cmd/hirebridge"
	}
	return filepath.Base(exe)
}
