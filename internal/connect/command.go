package connect

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/rs/zerolog"

	"github.com/hirebridge/hirebridge/internal/config"
	"github.com/hirebridge/hirebridge/internal/datadir"
	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/kafka"
	"github.com/hirebridge/hirebridge/sinks/natsjs"
)

// ServiceBroker reaches the broker the service publishes to, for a command
// (replay, spool salvage), and says where, for people. With the embedded
// default, while the service runs it holds the data directory: the
// command then goes through the server the service runs, found as tail
// finds it. While the service is stopped, the command takes the directory
// itself, under its lock, and starts the embedded server on it for the
// time it runs; a service started meanwhile says the directory is in use.
//
// Commands publish to the broker itself, never through the spool: the
// running service holds the spool's directory, and an event counts only
// once the broker has it.
func ServiceBroker(ctx context.Context, cfg config.Config, log zerolog.Logger) (sink sinks.Sink, where string, release func(), err error) {
	switch {
	case cfg.Sink == "kafka":
		sink, release, err := openKafka(ctx, cfg, log)
		return sink, "on Kafka at " + strings.Join(cfg.Kafka.Brokers, ","), release, err
	case cfg.Sink != "nats":
		return nil, "", nil, fmt.Errorf("%sSINK: %q is not a sink", config.Prefix, cfg.Sink)
	case cfg.NATS.URLs != "":
		sink, release, err := openNATS(ctx, cfg, log)
		return sink, fmt.Sprintf("on NATS stream %s at %s", cfg.NATS.Stream, cfg.NATS.URLs), release, err
	}
	own := cfg
	if !own.EmbeddedAddrSet {
		// Nobody needs to reach this server but the command, which
		// connects in process: a free port cannot collide with anything.
		own.Embedded.Addr = "127.0.0.1:0"
	}
	sink, release, err = openNATS(ctx, own, log)
	if err == nil {
		return sink, fmt.Sprintf("on NATS stream %s in %s (the service is stopped; its data directory is locked while replay runs)", cfg.NATS.Stream, datadir.Abs(cfg.DataDir)), release, nil
	}
	if !errors.Is(err, datadir.ErrInUse) {
		return nil, "", nil, err
	}
	url, rerr := datadir.ReadEmbeddedURL(cfg.DataDir)
	if rerr != nil {
		return nil, "", nil, fmt.Errorf("%w; and its embedded server's address is not recorded (%w): is the service still starting?", err, rerr)
	}
	running := cfg
	running.NATS.URLs = url
	sink, release, err = openNATS(ctx, running, log)
	return sink, fmt.Sprintf("on NATS stream %s at %s (the running service's embedded server)", cfg.NATS.Stream, url), release, err
}

// Follower connects a follower of the configured broker at server: Kafka
// brokers, comma-separated, or NATS servers, where empty means the
// embedded server the service recorded under its data directory; stream
// is the NATS stream to follow.
func Follower(cfg config.Config, server, stream string) (sinks.Follower, error) {
	if cfg.Sink == "kafka" {
		kc := cfg.KafkaConfig(zerolog.Nop())
		kc.Brokers = nil
		for _, b := range strings.Split(server, ",") {
			if b = strings.TrimSpace(b); b != "" {
				kc.Brokers = append(kc.Brokers, b)
			}
		}
		f, err := kafka.NewFollower(kc, cfg.Bridge.Prefix)
		if err != nil {
			return nil, cfg.VarError(err)
		}
		return f, nil
	}
	nc := cfg.NATSConfig()
	nc.URLs, nc.Stream = server, stream
	if nc.URLs == "" {
		url, err := datadir.ReadEmbeddedURL(cfg.DataDir)
		if err != nil {
			return nil, fmt.Errorf("no NATS URL: set HIREBRIDGE_NATS_URL or -server, or start `hirebridge` with the embedded default first (%w)", err)
		}
		nc.URLs = url
	}
	return natsjs.NewFollower(nc, "hirebridge-tail")
}
