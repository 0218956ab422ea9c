package events

import "slices"

// DeadLetters is the last part of the dead letters' subject or topic; no
// event may be named so, or below it.
const DeadLetters = "dlq"

// DeadLetterSubject is the NATS subject or Kafka topic of the dead letters:
// <prefix>.dlq.
func DeadLetterSubject(prefix string) string { return Subject(prefix, DeadLetters) }

// Headers of dead letters, on both brokers. Dead letters are not
// CloudEvents: they carry these and the trace context, no ce- headers.
const (
	// HeaderReason is the short code of why a body became a dead letter:
	// the error code the sender was answered with, or ReasonUndeliverable.
	HeaderReason = "hirebridge-reason"
	// HeaderDetail says what was wrong, in words.
	HeaderDetail = "hirebridge-detail"
	// HeaderContentType is the Content-Type of the webhook request the
	// body came with; DataContentType on an undeliverable event's.
	HeaderContentType = "hirebridge-content-type"
)

// ReasonUndeliverable is the reason of dead letters of events that were
// valid but that the broker refused for good.
const ReasonUndeliverable = "undeliverable"

// deadLetterReasons are the hirebridge-reason codes the bridge writes: the
// rejection codes the sender is answered with (package schema's Reason
// values, named again here because this package imports nothing of the
// bridge; a test holds the two to each other), then ReasonUndeliverable.
var deadLetterReasons = []string{
	"invalid_json",
	"not_an_object",
	"not_i_json",
	"invalid_event",
	"invalid_timestamp",
	"schema_violation",
	"unknown_event_type",
	ReasonUndeliverable,
}

// DeadLetterReasons is every value the hirebridge-reason header of a dead
// letter can hold, so a consumer or a command can tell a reason from a
// typo. The slice is the caller's own.
func DeadLetterReasons() []string { return slices.Clone(deadLetterReasons) }

// An undeliverable event's dead letter keeps every part of the message it
// was under HeaderOriginalPrefix, so it can be published again whole: its
// subject or topic, id and key, each CloudEvents attribute but id and
// specversion (HeaderOriginalAttributePrefix and the attribute's name) and
// each of its headers (HeaderOriginalPrefix and the header's name). Values
// a sender wrote (the key, the attributes, the headers) are
// percent-encoded as the CloudEvents NATS binding does, on both brokers.
const (
	HeaderOriginalPrefix          = "hirebridge-original-"
	HeaderOriginalTopic           = HeaderOriginalPrefix + "topic"
	HeaderOriginalID              = HeaderOriginalPrefix + "id"
	HeaderOriginalKey             = HeaderOriginalPrefix + "key"
	HeaderOriginalAttributePrefix = HeaderOriginalPrefix + "ce-"
)

// The ids of dead letters are apart from event ids, which share the
// stream's duplicate window: a body already in canonical form has an event
// id equal to the content id of its bytes, and the same body accepted
// later (strict mode off, a schema relaxed) would otherwise be taken for a
// duplicate of its dead letter and never stored. Each ends with the
// ContentID of the dead letter's body.
const (
	deadLetterIDPrefix    = "dlq-"
	undeliverableIDPrefix = "dlq-undeliverable-"
)

// DeadLetterID is the id of the dead letter of a rejected body, raw as the
// sender sent it: a sender's retries of the same bytes dedupe.
func DeadLetterID(body []byte) string { return deadLetterIDPrefix + ContentID(body) }

// UndeliverableID is the id of the dead letter of the event with id eventID
// that the broker refused for good: apart from the ids of rejected bodies
// too, so the two never dedupe against each other.
func UndeliverableID(eventID string) string { return undeliverableIDPrefix + eventID }

// StoredDeadLetterID is the id of a dead letter read back from what the
// broker stores: an undeliverable event's, from its HeaderOriginalID
// (originalID), else a rejected body's, from the body. For readers of
// brokers whose records carry no id header (Kafka).
func StoredDeadLetterID(originalID string, body []byte) string {
	if originalID != "" {
		return UndeliverableID(originalID)
	}
	return DeadLetterID(body)
}
