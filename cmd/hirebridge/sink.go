package main

import (
	"context"
	"errors"
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

// openSink connects the configured sink. The returned func releases what
// the sink itself does not own (the embedded server), after the sink closed.
func openSink(ctx context.Context, cfg Config, log zerolog.Logger) (sinks.Sink, func(), error) {
	switch cfg.Sink {
	case "nats":
		return openNATS(ctx, cfg, log)
	case "kafka":
		return openKafka(ctx, cfg, log)
	default:
		return nil, nil, fmt.Errorf("%sSINK: %q is not a sink", envPrefix, cfg.Sink)
	}
}

// natsConfig is the NATS sink's configuration, shared with `tail`.
func natsConfig(cfg Config) natsjs.Config {
	return natsjs.Config{
		URLs:            cfg.NATS.URL,
		Stream:          cfg.NATS.Stream,
		Prefix:          cfg.TopicPrefix,
		StreamReplicas:  cfg.NATS.StreamReplicas,
		StreamMaxAge:    cfg.NATS.StreamMaxAge,
		StreamMaxBytes:  cfg.NATS.StreamMaxBytes,
		DuplicateWindow: cfg.NATS.DuplicateWindow,
		MaxPending:      cfg.NATS.MaxPending,
		AckTimeout:      cfg.PublishTimeout,
		ReconnectWait:   cfg.NATS.ReconnectWait,
		Auth: natsjs.Auth{
			CredsFile:    cfg.NATS.CredsFile,
			NkeySeedFile: cfg.NATS.NkeySeedFile,
			User:         cfg.NATS.User,
			Password:     cfg.NATS.Password,
			Token:        cfg.NATS.Token,
		},
		TLS: natsjs.TLS{CAFile: cfg.NATS.TLSCAFile, CertFile: cfg.NATS.TLSCertFile, KeyFile: cfg.NATS.TLSKeyFile},
	}
}

func openNATS(ctx context.Context, cfg Config, log zerolog.Logger) (sinks.Sink, func(), error) {
	nc := natsConfig(cfg)
	nc.Log = log
	release := func() {}
	if cfg.NATS.URL == "" {
		lock, err := lockDataDir(cfg.DataDir)
		if err != nil {
			return nil, nil, err
		}
		emb, err := embedded.Start(embedded.Config{
			Addr:               cfg.NATS.EmbeddedAddr,
			FallbackToFreePort: !cfg.embeddedAddrSet,
			DataDir:            cfg.DataDir,
			MaxPayload:         int32(cfg.MaxBodyBytes + headerAllowance),
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
			log.Warn().Str("wanted", cfg.NATS.EmbeddedAddr).Str("nats_url", url).
				Msg("the default NATS address is taken (is a NATS server running?); the embedded server took a free port")
		}
		if err := writeEmbeddedURL(cfg.DataDir, url); err != nil {
			log.Warn().Err(err).Msg("could not record the embedded server's address for `hirebridge tail`")
		}
		log.Info().Str("nats_url", url).Str("store", cfg.DataDir).
			Str("subscribe", fmt.Sprintf("%s tail   (or: nats --server %s sub '%s.>')", selfCommand(), url, cfg.TopicPrefix)).
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
	if max := sink.MaxPayload(); max < cfg.MaxBodyBytes+headerAllowance {
		log.Warn().Int64("nats_max_payload", max).Int64("max_body_bytes", cfg.MaxBodyBytes).
			Msg("the NATS server accepts smaller messages than HIREBRIDGE_MAX_BODY_BYTES allows; larger events will get 413")
	}
	if cfg.NATS.URL != "" {
		log.Info().Str("server", sink.ConnectedURL()).Str("stream", cfg.NATS.Stream).Msg("publishing to NATS JetStream")
	}
	return sink, release, nil
}

// kafkaFieldVars names the variable behind each kafka.Config field, so a
// configuration the sink refuses is reported by the name the user set.
var kafkaFieldVars = map[string]string{
	"Brokers":           "KAFKA_BROKERS",
	"Prefix":            "TOPIC_PREFIX",
	"Partitions":        "KAFKA_PARTITIONS",
	"ReplicationFactor": "KAFKA_REPLICATION_FACTOR",
	"BatchTimeout":      "KAFKA_BATCH_TIMEOUT",
	"AckTimeout":        "PUBLISH_TIMEOUT",
	"DedupSize":         "KAFKA_DEDUP_WINDOW_SIZE",
	"DedupAge":          "KAFKA_DEDUP_WINDOW_AGE",
	"SASL.Mechanism":    "KAFKA_SASL_MECHANISM",
	"SASL.Username":     "KAFKA_SASL_USERNAME",
	"SASL.Password":     "KAFKA_SASL_PASSWORD",
	"TLS.CAFile":        "KAFKA_TLS_CA_FILE",
	"TLS.CertFile":      "KAFKA_TLS_CERT_FILE",
	"TLS.KeyFile":       "KAFKA_TLS_KEY_FILE",
}

func kafkaConfig(cfg Config, log zerolog.Logger) kafka.Config {
	k := cfg.Kafka
	brokers := make([]string, 0, len(k.Brokers))
	for _, b := range k.Brokers {
		if b = strings.TrimSpace(b); b != "" {
			brokers = append(brokers, b)
		}
	}
	return kafka.Config{
		Brokers:           brokers,
		ClientID:          k.ClientID,
		Prefix:            cfg.TopicPrefix,
		KnownTypes:        schema.KnownTypes(),
		Partitions:        k.Partitions,
		ReplicationFactor: k.ReplicationFactor,
		BatchTimeout:      k.BatchTimeout,
		AckTimeout:        cfg.PublishTimeout,
		// Every request may be waiting on a record, and no more.
		MaxInFlight: cfg.MaxConcurrent,
		DedupSize:   k.DedupWindowSize,
		DedupAge:    k.DedupWindowAge,
		SASL:        kafka.SASL{Mechanism: k.SASLMechanism, Username: k.SASLUsername, Password: k.SASLPassword},
		TLS:         kafka.TLS{Enabled: k.TLS, CAFile: k.KafkaTLSCAFile, CertFile: k.KafkaTLSCertFile, KeyFile: k.KafkaTLSKeyFile},
		Log:         log.With().Str("component", "kafka").Logger(),
	}
}

func openKafka(ctx context.Context, cfg Config, log zerolog.Logger) (sinks.Sink, func(), error) {
	kc := kafkaConfig(cfg, log)
	sink, err := kafka.Open(ctx, kc)
	if err != nil {
		return nil, nil, kafkaVarError(err)
	}
	log.Info().Strs("brokers", kc.Brokers).Str("topics", sinks.Topic(cfg.TopicPrefix, "<event>")).
		Str("subscribe", fmt.Sprintf("kcat -b %s -C -t %s.applicant_applied -f '%%k %%h %%s\\n'", strings.Join(kc.Brokers, ","), cfg.TopicPrefix)).
		Msg("publishing to Kafka")
	return sink, func() {}, nil
}

// kafkaVarError names the variable behind a field the Kafka sink refused
// (at validation, or at Open for an unreadable certificate file).
func kafkaVarError(err error) error {
	var fe *kafka.FieldError
	if errors.As(err, &fe) {
		if name, ok := kafkaFieldVars[fe.Field]; ok {
			return fmt.Errorf("%s%s: %s", envPrefix, name, fe.Problem)
		}
	}
	return err
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
