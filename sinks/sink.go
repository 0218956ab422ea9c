// Package sinks defines what the bridge needs from a broker: publish one
// message and return only once the broker has durably stored it, and close
// after flushing. Each broker lives in a package of its own beneath this one.
package sinks

import (
	"context"
	"errors"
)

// Sink publishes messages to a broker.
type Sink interface {
	// Publish returns once the broker acknowledged m as stored, or with an
	// error. It must be safe for concurrent use and must not serialize
	// concurrent callers behind one another's acknowledgements.
	Publish(ctx context.Context, m *Message) (Ack, error)
	// Close refuses new publishes (ErrClosed), waits for those in
	// progress and flushes, bounded by ctx, and releases the connection.
	// When ctx ends first it ends what is still in flight (each caller
	// then gets an error; what was sent may yet be stored). Once it
	// returns, no publish is inside the sink and none of its goroutines
	// runs, whatever ctx did (internal/closing).
	Close(ctx context.Context) error
}

// ReadinessChecker is implemented by sinks that can tell whether a publish
// would succeed now (connected, destinations present).
type ReadinessChecker interface {
	Ready(ctx context.Context) error
}

// LivenessChecker is implemented by sinks that can tell when the process
// cannot recover by itself (an embedded broker that will not come back), so
// the orchestrator restarts it. A broker that is away is not such a case:
// readiness says that.
type LivenessChecker interface {
	Live() error
}

// Destinations is implemented by sinks that can list the subjects or
// topics the broker already holds under their prefix, dead letters
// included, so that what counts destinations (sinks/typecap) starts from
// the broker's state rather than from nothing at every restart.
type Destinations interface {
	Destinations(ctx context.Context) ([]string, error)
}

// Ack is the broker's answer to a stored message.
type Ack struct {
	// Duplicate is true when the broker already held a message with the same
	// ID and stored nothing new.
	Duplicate bool
	// Spooled is true when the message is not on the broker yet but on a
	// local durable spool (synced to disk), which forwards it once the
	// broker takes it: the bridge answers 202 rather than 200.
	Spooled bool
}

// DegradedError is a readiness answer that still takes traffic: the sink
// accepts messages, though not the way it normally does (a spool holds
// them while the broker is away). Readiness stays 200 and says so.
type DegradedError struct {
	// Status is the one word readiness answers with, such as "spooling".
	Status string
	// Detail says why and what is done instead.
	Detail string
}

func (e *DegradedError) Error() string { return e.Status + ": " + e.Detail }

var (
	// ErrUnavailable wraps every failure that a later retry may cure: the
	// broker is down, slow or refused for now.
	ErrUnavailable = errors.New("broker unavailable")
	// ErrTooLarge means the broker will never accept a message this big.
	ErrTooLarge = errors.New("message larger than the broker accepts")
	// ErrClosed is returned by Publish after Close.
	ErrClosed = errors.New("sink closed")
)
