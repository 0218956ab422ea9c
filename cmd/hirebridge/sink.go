package main

import (
	"context"
	"fmt"

	"github.com/rs/zerolog"

	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/natsjs"
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
	default:
		return nil, nil, fmt.Errorf("%sSINK: %q is not a sink", envPrefix, cfg.Sink)
	}
}

func openNATS(ctx context.Context, cfg Config, log zerolog.Logger) (sinks.Sink, func(), error) {
	nc := natsjs.Config{
		URLs:            cfg.NATS.URL,
		Stream:          cfg.NATS.Stream,
		Prefix:          cfg.TopicPrefix,
		StreamReplicas:  cfg.NATS.StreamReplicas,
		StreamMaxAge:    cfg.NATS.StreamMaxAge,
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
	release := func() {}
	if cfg.NATS.URL == "" {
		emb, err := natsjs.StartEmbedded(natsjs.EmbeddedConfig{
			Addr:               cfg.NATS.EmbeddedAddr,
			FallbackToFreePort: !cfg.embeddedAddrSet,
			DataDir:            cfg.DataDir,
			MaxPayload:         int32(cfg.MaxBodyBytes + headerAllowance),
			Log:                log.With().Str("component", "nats-server").Logger(),
		})
		if err != nil {
			return nil, nil, fmt.Errorf("%sNATS_EMBEDDED_ADDR: %w", envPrefix, err)
		}
		release = emb.Stop
		url := emb.ClientURL()
		if emb.FellBack {
			log.Warn().Str("wanted", cfg.NATS.EmbeddedAddr).Str("nats_url", url).
				Msg("the default NATS address is taken (is a NATS server running?); the embedded server took a free port")
		}
		if err := writeEmbeddedURL(cfg.DataDir, url); err != nil {
			log.Warn().Err(err).Msg("could not record the embedded server's address for `hirebridge tail`")
		}
		log.Info().Str("nats_url", url).Str("store", cfg.DataDir).
			Str("subscribe", fmt.Sprintf("go run ./cmd/hirebridge tail   (or: nats --server %s sub '%s.>')", url, cfg.TopicPrefix)).
			Msg("embedded NATS JetStream server running")
		nc.InProcess = emb.Server
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
