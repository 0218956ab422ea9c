package sinks

import (
	"context"
	"time"
)

// Resolutions is implemented by sinks that keep resolved marks on dead
// letters on the broker, outside every subject and topic consumers read
// (a NATS key-value bucket, a compacted Kafka topic), so that every
// replica and every restart sees them: the console's and `hirebridge
// deadletters resolve`'s marks, which `replay` honours.
type Resolutions interface {
	// Resolve marks the dead letter with id (events.DeadLetterID, or
	// UndeliverableID) resolved. Marking it again replaces the mark.
	Resolve(ctx context.Context, id string, m Mark) error
	// Resolved returns every mark, by dead letter id.
	Resolved(ctx context.Context) (map[string]Mark, error)
}

// Mark says that a dead letter was handled, when, by whom and how.
type Mark struct {
	At time.Time `json:"resolved_at"`
	// By is who marked it: "console", or the CLI's user.
	By string `json:"resolved_by,omitempty"`
	// Note is free text from the operator.
	Note string `json:"note,omitempty"`
}
