package sinks

import "context"

// Follower follows what a broker stores as it arrives, the same on either
// broker: `hirebridge tail` prints one line format from both, and the
// console's live feed reads through it too.
type Follower interface {
	// Follow checks that filter (the subject filter syntax of
	// CheckPattern) can match what the broker holds, then calls started
	// (when not nil) and fn with each message on a topic filter matches,
	// as it is stored, until ctx ends, when it returns nil, or fn fails.
	// With fromStart it begins with the oldest message held, else with the
	// next one stored. A filter that can match nothing is a *FilterError:
	// refused at once, rather than a silent wait.
	//
	// The messages' headers come in one form on both brokers: CloudEvents
	// attributes as ce-<name> with the values the event has (as the
	// binding decodes them), the content type once as content-type, the
	// bridge's own headers as they are, and none of the broker's own.
	Follow(ctx context.Context, filter string, fromStart bool, started func(), fn func(Stored) error) error
	// Where says what is followed, for people: "stream HIREMPIRE at
	// nats://…", "Kafka at b1:9092".
	Where() string
	// Close releases the connection.
	Close() error
}

// FilterError is a filter that can match nothing the broker holds, and
// why.
type FilterError struct {
	Filter string
	Err    error
}

func (e *FilterError) Error() string { return e.Err.Error() }

func (e *FilterError) Unwrap() error { return e.Err }
