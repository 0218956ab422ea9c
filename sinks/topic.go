package sinks

import "github.com/hirebridge/hirebridge/schema/events"

// Where messages go is named in package events (events.Subject,
// events.DeadLetterSubject), which consumers import too.

// AllTopics is the NATS subject filter matching every message under
// prefix, dead letters included: <prefix>.>.
func AllTopics(prefix string) string { return events.Subject(prefix, ">") }
