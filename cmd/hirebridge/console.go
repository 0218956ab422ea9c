package main

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/hirebridge/hirebridge/internal/config"
	"github.com/hirebridge/hirebridge/internal/connect"
	"github.com/hirebridge/hirebridge/internal/console"
	"github.com/hirebridge/hirebridge/internal/datadir"
	"github.com/hirebridge/hirebridge/sinks"
)

// newConsole is the console over the broker behind sink (the spool's
// broker when the spool is on), mounted on the admin listener only.
// adminAddr is where that listener is bound: off loopback, actions need
// HIREBRIDGE_ADMIN_TOKEN.
func newConsole(cfg config.Config, sink sinks.Sink, ready sinks.ReadinessChecker, reg prometheus.Gatherer, adminAddr net.Addr, log zerolog.Logger) *console.Console {
	loopback := adminAddr == nil || console.Loopback(adminAddr)
	if !loopback && cfg.AdminToken == "" {
		log.Warn().Str("admin_addr", adminAddr.String()).
			Msg("the admin listener is not on loopback and HIREBRIDGE_ADMIN_TOKEN is unset: the console's actions (replay, resolve) and event bodies are refused")
	}
	return console.New(console.Config{
		Broker:    consoleBroker(sink),
		Follower:  func(context.Context) (sinks.Follower, error) { return consoleFollower(cfg) },
		Ready:     ready,
		Gatherer:  reg,
		Bridge:    cfg.Bridge,
		Sink:      cfg.Sink,
		Where:     consoleWhere(cfg),
		Version:   versionString(),
		StartedAt: time.Now(),
		Token:     cfg.AdminToken,
		Loopback:  loopback,
		Log:       log,
	})
}

// consoleBroker reaches the broker's own sink, through the spool when it
// is on: searches and marks read the broker, not the spool's disk.
func consoleBroker(sink sinks.Sink) func() (console.Broker, error) {
	return func() (console.Broker, error) {
		s := sink
		if sp, ok := s.(interface{ Broker() sinks.Sink }); ok {
			if s = sp.Broker(); s == nil {
				return nil, fmt.Errorf("%w: not connected to the broker yet (events are spooled meanwhile)", sinks.ErrUnavailable)
			}
		}
		b, ok := s.(console.Broker)
		if !ok {
			return nil, fmt.Errorf("the %T sink cannot be searched", s)
		}
		return b, nil
	}
}

// consoleFollower follows the broker for one live feed, as `hirebridge
// tail` does: the embedded server at the address the service recorded.
func consoleFollower(cfg config.Config) (sinks.Follower, error) {
	if cfg.Sink == "kafka" {
		return connect.Follower(cfg, strings.Join(cfg.Kafka.Brokers, ","), "")
	}
	return connect.Follower(cfg, cfg.NATS.URLs, cfg.NATS.Stream)
}

// consoleWhere says where the events are, for people: never a credential
// in a server's URL.
func consoleWhere(cfg config.Config) string {
	if cfg.Sink == "kafka" {
		return "Kafka at " + strings.Join(cfg.Kafka.Brokers, ",")
	}
	if cfg.NATS.URLs == "" {
		at := ""
		if u, err := datadir.ReadEmbeddedURL(cfg.DataDir); err == nil {
			at = " at " + u
		}
		return fmt.Sprintf("stream %s on the embedded NATS server%s (store %s)", cfg.NATS.Stream, at, datadir.Abs(cfg.DataDir))
	}
	var servers []string
	for _, s := range strings.Split(cfg.NATS.URLs, ",") {
		s = strings.TrimSpace(s)
		if u, err := url.Parse(s); err == nil && u.Host != "" {
			u.User = nil
			s = u.String()
		} else if _, host, ok := strings.Cut(s, "@"); ok {
			s = host
		}
		servers = append(servers, s)
	}
	return fmt.Sprintf("stream %s at %s", cfg.NATS.Stream, strings.Join(servers, ","))
}
