package config

import (
	"strings"

	"github.com/rs/zerolog"

	"github.com/hirebridge/hirebridge/schema"
	"github.com/hirebridge/hirebridge/schema/events"
	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/kafka"
	"github.com/hirebridge/hirebridge/sinks/natsjs"
	"github.com/hirebridge/hirebridge/sinks/spool"
	"github.com/hirebridge/hirebridge/sinks/typecap"
)

// The parts' configurations: each part's own settings, and those the
// binary shares among parts (the prefix, the publish timeout).

// NATSConfig is the NATS sink's configuration, and tail's.
func (c Config) NATSConfig() natsjs.Config {
	nc := c.NATS
	nc.Prefix = c.Bridge.Prefix
	nc.AckTimeout = c.Bridge.PublishTimeout
	return nc
}

// KafkaConfig is the Kafka sink's configuration, and tail's.
func (c Config) KafkaConfig(log zerolog.Logger) kafka.Config {
	kc := c.Kafka
	brokers := make([]string, 0, len(kc.Brokers))
	for _, b := range kc.Brokers {
		if b = strings.TrimSpace(b); b != "" {
			brokers = append(brokers, b)
		}
	}
	kc.Brokers = brokers
	kc.Prefix = c.Bridge.Prefix
	kc.KnownTypes = schema.KnownTypes()
	kc.AckTimeout = c.Bridge.PublishTimeout
	// Every request may be waiting on a record, and no more.
	kc.MaxInFlight = c.Bridge.MaxConcurrent
	kc.Log = log.With().Str("component", "kafka").Logger()
	return kc
}

// SpoolConfig is the spool's configuration.
func (c Config) SpoolConfig(log zerolog.Logger) spool.Config {
	sc := c.Spool
	sc.AckTimeout = c.Bridge.PublishTimeout
	sc.DeadLetters = events.DeadLetterSubject(c.Bridge.Prefix)
	sc.Verify = sinks.HoldsItsBody
	sc.Log = log.With().Str("component", "spool").Logger()
	return sc
}

// TypeCapConfig is the cap on undocumented event types: the documented
// types' destinations and the dead letters are never counted.
func (c Config) TypeCapConfig(log zerolog.Logger) typecap.Config {
	tc := c.TypeCap
	for _, t := range schema.KnownTypes() {
		tc.Exempt = append(tc.Exempt, events.Subject(c.Bridge.Prefix, t))
	}
	tc.Exempt = append(tc.Exempt, events.DeadLetterSubject(c.Bridge.Prefix))
	tc.SeedTimeout = c.Bridge.PublishTimeout
	tc.Log = log.With().Str("component", "typecap").Logger()
	return tc
}
