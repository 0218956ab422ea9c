package sinks

import (
	"context"
	"time"
)

// Stored is a message as a broker holds it, read back.
type Stored struct {
	// Topic is the subject or topic it is on.
	Topic string
	// ID is the message's id as the bridge set it (Message.ID): the
	// CloudEvents id of an event, a dead letter's own id. Set by
	// Browser.Search; other readers may leave it empty.
	ID string
	// Headers are as the broker holds them, in the binding's names
	// (ce-id on NATS, ce_id on Kafka) and encodings.
	Headers []Header
	Body    []byte
	// Time is when the broker stored it: the server's time on NATS, the
	// record's timestamp on Kafka.
	Time time.Time
}

// Header returns the first value of the header name, or "".
func (s *Stored) Header(name string) string {
	for _, h := range s.Headers {
		if h.Name == name {
			return h.Value
		}
	}
	return ""
}

// Reader is implemented by sinks that can read back what they published:
// `hirebridge replay` reads the dead letters through it, and looks for the
// events it would publish on their destinations.
type Reader interface {
	// DeadLetters calls fn for each dead letter stored at or after since
	// (every one when since is zero), up to those stored when the call
	// began, so a service still dead-lettering does not keep it going.
	DeadLetters(ctx context.Context, since time.Time, fn func(Stored) error) error
	// Holding returns which of ids the messages on topic carry as their
	// CloudEvents id, reading the whole topic.
	Holding(ctx context.Context, topic string, ids map[string]bool) (map[string]bool, error)
}
