package sinks

// Where messages go, named in one place: NATS subjects and Kafka topics
// share the names.

// DeadLetterName is the last part of the dead letters' subject or topic;
// no event may be named so, or below it.
const DeadLetterName = "dlq"

// Topic is the subject or topic of events of one type:
// <prefix>.<event>, e.g. hirempire.applicant_applied.
func Topic(prefix, event string) string { return prefix + "." + event }

// DeadLetterTopic is the subject or topic of rejected bodies: <prefix>.dlq.
func DeadLetterTopic(prefix string) string { return Topic(prefix, DeadLetterName) }

// AllTopics is the NATS subject filter matching every message under
// prefix, dead letters included: <prefix>.>.
func AllTopics(prefix string) string { return prefix + ".>" }
