package sinks

import (
	"context"
	"time"
)

// Browser is implemented by sinks that can search what they stored, newest
// first: the console (/api/v1/events, /api/v1/deadletters) and
// `hirebridge events` and `hirebridge deadletters` read through it. A
// search reads at most Query.Scan messages, so its cost is bounded
// whatever the broker holds, and says when it stopped at that bound.
type Browser interface {
	Search(ctx context.Context, q Query) (Found, error)
}

// DefaultScan is how many messages a search reads at most, newest first,
// when Query.Scan is zero: the newest 100,000, which covers an id lookup
// among the newest 100,000 events (SPEC 12) and keeps a search within a
// second on the embedded default.
const DefaultScan = 100_000

// DefaultLimit is how many matches a search answers when Query.Limit is
// zero.
const DefaultLimit = 50

// Query chooses messages. Every non-empty field must match.
type Query struct {
	// Filter is the subjects or topics searched, in the filter syntax of
	// CheckPattern: "hirempire.>" for every event and dead letter,
	// "hirempire.dlq" for the dead letters. Required.
	Filter string
	// ID is a CloudEvents id (ce-id / ce_id), or a dead letter's id
	// (events.DeadLetterID of its body).
	ID string
	// Type is the CloudEvents type (ce-type).
	Type string
	// Subject is the CloudEvents subject, the entity key.
	Subject string
	// Since keeps messages stored at or after it; zero keeps all.
	Since time.Time
	// Until keeps messages stored before it; zero keeps all. A page of
	// older results asks with Until set to the oldest time it has.
	Until time.Time
	// Limit is how many matches to answer, newest first; 0 is
	// DefaultLimit.
	Limit int
	// Scan bounds the messages read, newest first; 0 is DefaultScan.
	Scan int
	// Bodies asks for each match's body; without it Stored.Body is nil
	// and a sink may read headers only.
	Bodies bool
	// Match, when not nil, is one more test each candidate must pass
	// (a dead letter's resolved mark): applied before Limit. It must be
	// a pure predicate, neither counting nor keeping what it is shown: a
	// search may call it on messages its answer leaves out (older than
	// the Limit matches it keeps), and, on Kafka, from several
	// goroutines at once. What is counted is counted from Found.Messages.
	Match func(Stored) bool
}

// Found is a search's answer.
type Found struct {
	// Messages are the matches, newest first, at most Query.Limit.
	Messages []Stored
	// Scanned is how many messages were read.
	Scanned int
	// Truncated is true when the search stopped at Query.Scan with older
	// messages left unread: a match may be among them.
	Truncated bool
}
