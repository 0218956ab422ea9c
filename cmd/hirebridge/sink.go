package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/rs/zerolog"

	"github.com/hirebridge/hirebridge/schema"
	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/kafka"
	"github.com/hirebridge/hirebridge/sinks/natsjs"
	"github.com/hirebridge/hirebridge/sinks/natsjs/embedded"
)

// headerAllowance is room for headers above the body limit: the embedded
// server's max payload is the body limit plus this, since NATS's own default
// of 1 MiB equals the default body limit and would leave none.
const headerAllowance = 16 << 10

// openSink connects the configured sink, behind the spool when it is on.
// The returned func releases what the sink itself does not own (the
// embedded server, the spool directory's lock), after the sink closed.
func openSink(ctx context.Context, cfg Config, log zerolog.Logger) (sinks.Sink, func(), error) {
	if cfg.Spool.On {
		return openSpooled(ctx, cfg, log)
	}
	return openBroker(ctx, cfg, log)
}

// openBroker connects the configured broker's sink.
func openBroker(ctx context.Context, cfg Config, log zerolog.Logger) (sinks.Sink, func(), error) {
	switch cfg.Sink {
	case "nats":
		return openNATS(ctx, cfg, log)
	case "kafka":
		return openKafka(ctx, cfg, log)
	default:
		return nil, nil, fmt.Errorf("%sSINK: %q is not a sink", envPrefix, cfg.Sink)
	}
}

// natsConfig is the NATS sink's configuration, shared with `tail`: its own
// settings, and those the binary shares among parts.
func natsConfig(cfg Config) natsjs.Config {
	nc := cfg.NATS
	nc.Prefix = cfg.Bridge.Prefix
	nc.AckTimeout = cfg.Bridge.PublishTimeout
	return nc
}

func openNATS(ctx context.Context, cfg Config, log zerolog.Logger) (sinks.Sink, func(), error) {
	nc := natsConfig(cfg)
	nc.Log = log
	release := func() {}
	if cfg.NATS.URLs == "" {
		lock, err := lockDataDir(cfg.DataDir)
		if err != nil {
			return nil, nil, err
		}
		emb, err := embedded.Start(embedded.Config{
			Addr:               cfg.Embedded.Addr,
			FallbackToFreePort: !cfg.embeddedAddrSet,
			DataDir:            cfg.DataDir,
			MaxPayload:         int32(cfg.Bridge.MaxBodyBytes + headerAllowance),
			Log:                log.With().Str("component", "nats-server").Logger(),
		})
		if err != nil {
			_ = lock.unlock()
			return nil, nil, fmt.Errorf("%sNATS_EMBEDDED_ADDR: %w", envPrefix, err)
		}
		release = func() {
			emb.Stop()
			// The address is stale once the server is gone: `tail` would
			// wait on it for nothing.
			_ = os.Remove(embeddedURLFile(cfg.DataDir))
			if err := lock.unlock(); err != nil {
				log.Warn().Err(err).Msg("unlocking the data directory")
			}
		}
		url := emb.ClientURL()
		if emb.FellBack {
			log.Warn().Str("wanted", cfg.Embedded.Addr).Str("nats_url", url).
				Msg("the default NATS address is taken (is a NATS server running?); the embedded server took a free port")
		}
		if err := writeEmbeddedURL(cfg.DataDir, url); err != nil {
			log.Warn().Err(err).Msg("could not record the embedded server's address for `hirebridge tail`")
		}
		log.Info().Str("nats_url", url).Str("store", cfg.DataDir).
			Str("subscribe", fmt.Sprintf("%s tail   (or: nats --server %s sub '%s.>')", selfCommand(), url, cfg.Bridge.Prefix)).
			Msg("embedded NATS JetStream server running")
		nc.InProcess = emb.Server
		nc.Local = emb
		if nc.StreamMaxBytes == 0 {
			nc.StreamMaxBytes = embeddedStreamMaxBytes(emb)
		}
	}
	sink, err := natsjs.Open(ctx, nc)
	if err != nil {
		release()
		return nil, nil, err
	}
	if max := sink.MaxPayload(); max < cfg.Bridge.MaxBodyBytes+headerAllowance {
		log.Warn().Int64("nats_max_payload", max).Int64("max_body_bytes", cfg.Bridge.MaxBodyBytes).
			Msg("the NATS server accepts smaller messages than HIREBRIDGE_MAX_BODY_BYTES allows; larger events will get 413")
	}
	if cfg.NATS.URLs != "" {
		log.Info().Str("server", sink.ConnectedURL()).Str("stream", cfg.NATS.Stream).Msg("publishing to NATS JetStream")
	}
	return sink, release, nil
}

// kafkaConfig is the Kafka sink's configuration: its own settings, and
// those the binary shares among parts.
func kafkaConfig(cfg Config, log zerolog.Logger) kafka.Config {
	kc := cfg.Kafka
	brokers := make([]string, 0, len(kc.Brokers))
	for _, b := range kc.Brokers {
		if b = strings.TrimSpace(b); b != "" {
			brokers = append(brokers, b)
		}
	}
	kc.Brokers = brokers
	kc.Prefix = cfg.Bridge.Prefix
	kc.KnownTypes = schema.KnownTypes()
	kc.AckTimeout = cfg.Bridge.PublishTimeout
	// Every request may be waiting on a record, and no more.
	kc.MaxInFlight = cfg.Bridge.MaxConcurrent
	kc.Log = log.With().Str("component", "kafka").Logger()
	return kc
}

func openKafka(ctx context.Context, cfg Config, log zerolog.Logger) (sinks.Sink, func(), error) {
	kc := kafkaConfig(cfg, log)
	sink, err := kafka.Open(ctx, kc)
	if err != nil {
		return nil, nil, cfg.varError(err)
	}
	log.Info().Strs("brokers", kc.Brokers).Str("topics", sinks.Topic(cfg.Bridge.Prefix, "<event>")).
		Str("subscribe", fmt.Sprintf("kcat -b %s -C -t %s.applicant_applied -f '%%k %%h %%s\\n'", strings.Join(kc.Brokers, ","), cfg.Bridge.Prefix)).
		Msg("publishing to Kafka")
	return sink, func() {}, nil
}

// embeddedStreamMaxBytes caps a stream the embedded server creates at half
// the free space under the data directory: the server acknowledges before
// its write completes, so a full disk can lose a few acknowledged events.
// With the cap, a full stream refuses new events (503) long before the
// disk fills. Where free space cannot be read, there is no cap.
func embeddedStreamMaxBytes(emb *embedded.Server) int64 {
	free, ok := emb.FreeSpace()
	if !ok {
		return -1
	}
	return int64(free / 2)
}

// selfCommand is how the user started this binary, for hints to run it
// again: `go run` builds into a temporary directory that means nothing to
// type.
func selfCommand() string {
	exe := os.Args[0]
	if strings.Contains(exe, "go-build") {
		return "go run ./cmd/hirebridge"
	}
	return filepath.Base(exe)
}
