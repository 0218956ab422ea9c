package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/hirebridge/hirebridge/internal/settings"
)

// Validate checks the binary's own settings, then each part's, and
// reports the first problem: the README promises one line.
func (c *Config) Validate() error {
	if problems := c.Problems(); len(problems) > 0 {
		return problems[0]
	}
	return nil
}

// Problems are the problems of the binary's own settings, all of them,
// then the first of each part's (the parts' Validate stop at their first),
// each a *settings.VarError when a variable is at fault.
func (c *Config) Problems() []error {
	var errs []error
	check := func(ok bool, name, format string, args ...any) {
		if !ok {
			errs = append(errs, &settings.VarError{Var: Prefix + name, Problem: fmt.Sprintf(format, args...)})
		}
	}
	check(c.Sink == "nats" || c.Sink == "kafka", "SINK", "%q is not a sink; use nats or kafka", c.Sink)
	check(strings.HasPrefix(c.WebhookPath, "/") && !strings.HasSuffix(c.WebhookPath, "/") &&
		!strings.ContainsAny(c.WebhookPath, "{} ?#"),
		"WEBHOOK_PATH", "%q must start with / and not end with /, without {, }, spaces, ? or #", c.WebhookPath)
	check(c.Bridge.MaxBodyBytes <= MaxBodyBytes, "MAX_BODY_BYTES", "must be at most %d, got %d", MaxBodyBytes, c.Bridge.MaxBodyBytes)
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"READ_HEADER_TIMEOUT", c.ReadHeaderTimeout}, {"READ_TIMEOUT", c.ReadTimeout},
		{"IDLE_TIMEOUT", c.IdleTimeout}, {"SHUTDOWN_TIMEOUT", c.ShutdownTimeout},
		{"SINK_CLOSE_TIMEOUT", c.SinkCloseTimeout},
	} {
		check(d.v > 0, d.name, "must be a positive duration such as 10s, got %s", d.v)
	}
	check(c.AdminToken == "" || len(c.AdminToken) >= 16, "ADMIN_TOKEN", "must be at least 16 characters")
	check(c.ShutdownDelay >= 0, "SHUTDOWN_DELAY", "must not be negative")
	check(c.MaxConnections >= 0, "MAX_CONNECTIONS", "must not be negative; 0 sizes it to the memory limit")
	_, err := zerolog.ParseLevel(c.LogLevel)
	check(err == nil && c.LogLevel != "", "LOG_LEVEL", "%q is not one of trace, debug, info, warn, error", c.LogLevel)
	check(c.LogFormat == "json" || c.LogFormat == "console", "LOG_FORMAT", "%q is not json or console", c.LogFormat)
	// The embedded server lives in this process, on this disk: a spool
	// beside it would fail with it, and it never goes away on its own.
	check(!c.Spool.On || c.Sink != "nats" || c.NATS.URLs != "", "SPOOL",
		"the spool keeps events while an external broker is away; with the embedded NATS server (HIREBRIDGE_NATS_URL empty) the broker runs in this process and stores on the same disk, so there is nothing for a spool to outlast: set HIREBRIDGE_NATS_URL or turn the spool off")
	part := func(err error) {
		if err != nil {
			errs = append(errs, c.VarError(err))
		}
	}
	part(c.Bridge.Validate())
	part(c.TypeCap.Validate())
	if c.Spool.On {
		part(c.SpoolConfig(zerolog.Nop()).Validate())
	}
	switch c.Sink {
	case "nats":
		part(c.NATSConfig().Validate())
	case "kafka":
		part(c.KafkaConfig(zerolog.Nop()).Validate())
	}
	return errs
}

// VarError names the variable behind a field a part refused (at
// validation, or at open for an unreadable file), as a
// *settings.VarError. The parts name themselves by section; the fields
// the binary sets from settings it shares among parts are named by the
// shared variable.
func (c *Config) VarError(err error) error {
	return settings.NameField(err, settings.Of(c, Prefix),
		map[string]string{"bridge": "Bridge", "nats": "NATS", "kafka": "Kafka", "spool": "Spool", "typecap": "TypeCap"},
		map[string]string{
			"Prefix":      Prefix + "TOPIC_PREFIX",
			"AckTimeout":  Prefix + "PUBLISH_TIMEOUT",
			"MaxInFlight": Prefix + "MAX_CONCURRENT_REQUESTS",
		})
}
