package spool

import (
	"time"

	"github.com/rs/zerolog"
	"go.opentelemetry.io/otel/trace"

	"github.com/hirebridge/hirebridge/sinks"
)

// Config is the spool's settings. The env tags name each variable (under
// the binary's prefix) and hold its default; fields without one are set by
// the binary.
type Config struct {
	// On turns the spool on.
	On bool `env:"SPOOL" envDefault:"false"`
	// Dir holds the store; empty means <data dir>/spool, which the binary
	// resolves. One process per directory.
	Dir string `env:"SPOOL_DIR"`
	// MaxBytes bounds what the spool holds, counted as the messages' bodies,
	// headers, CloudEvents attributes, topics, ids and keys (the store's own
	// overhead comes on top). A message that would pass it is refused as
	// unavailable, as without a spool.
	MaxBytes int64 `env:"SPOOL_MAX_BYTES" envDefault:"1073741824"`
	// After is how long a publish waits for the broker's ack before the
	// message is spooled instead.
	After time.Duration `env:"SPOOL_AFTER" envDefault:"2s"`

	// AckTimeout bounds each forwarded publish; the binary gives the
	// publish timeout. After must be shorter, or the request's own deadline
	// would end before anything is spooled.
	AckTimeout time.Duration
	// DeadLetters is the dead letters' subject or topic, where a spooled
	// event the broker refuses for good goes (reason undeliverable); the
	// binary gives <prefix>.dlq.
	DeadLetters string
	// Verify, when set, tells whether a message read back still holds the
	// body its id was derived from (the binary gives
	// sinks.HoldsItsBody); one that does not is quarantined, never
	// published under that id. The record's checksum is checked either
	// way.
	Verify func(*sinks.Message) bool
	// TracerProvider, when set, gives the spool's append and forwarding
	// spans (tracing on); MessagingSystem is their messaging.system, nats
	// or kafka.
	TracerProvider  trace.TracerProvider
	MessagingSystem string
	// Log receives the spool's state changes: spooling started, drained,
	// forwarding paused, records dead-lettered or quarantined. Never
	// payloads.
	Log zerolog.Logger
}

// Validate reports the first field that cannot work, as a
// *sinks.FieldError.
func (c Config) Validate() error {
	bad := func(field, format string, args ...any) error {
		return sinks.FieldErrorf("spool", field, format, args...)
	}
	switch {
	case c.MaxBytes <= 0:
		return bad("MaxBytes", "must be a positive number of bytes, got %d", c.MaxBytes)
	case c.After <= 0:
		return bad("After", "must be a positive duration such as 2s, got %s", c.After)
	case c.AckTimeout > 0 && c.After >= c.AckTimeout:
		// The request waits at most the publish timeout: the spool must
		// get its turn before that.
		return bad("After", "must be shorter than the publish timeout (%s), got %s", c.AckTimeout, c.After)
	case c.On && c.Dir == "":
		return bad("Dir", "must not be empty")
	case c.On && c.DeadLetters == "":
		return bad("DeadLetters", "must not be empty")
	}
	return nil
}
