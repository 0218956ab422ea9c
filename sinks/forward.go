package sinks

import "github.com/hirebridge/hirebridge/schema/events"

// Names that moved to package events, the one home of the names on the
// wire, which consumers import too. Each is kept for callers not yet moved
// (cmd/hirebridge, sinks/kafka, sinks/natsjs, sinks/sinktest); delete this
// file once none uses them.

// DeadLetterName is events.DeadLetters.
//
// Deprecated: kept for callers not yet moved; use events.DeadLetters.
const DeadLetterName = events.DeadLetters

// Topic is events.Subject.
//
// Deprecated: kept for callers not yet moved; use events.Subject.
func Topic(prefix, event string) string { return events.Subject(prefix, event) }

// DeadLetterTopic is events.DeadLetterSubject.
//
// Deprecated: kept for callers not yet moved; use events.DeadLetterSubject.
func DeadLetterTopic(prefix string) string { return events.DeadLetterSubject(prefix) }

// ContentID is events.ContentID.
//
// Deprecated: kept for callers not yet moved; use events.ContentID.
func ContentID(b []byte) string { return events.ContentID(b) }

// UndeliverableID is events.UndeliverableID.
//
// Deprecated: kept for callers not yet moved; use events.UndeliverableID.
func UndeliverableID(eventID string) string { return events.UndeliverableID(eventID) }

// HeaderReason is events.HeaderReason.
//
// Deprecated: kept for callers not yet moved; use events.HeaderReason.
const HeaderReason = events.HeaderReason

// HeaderDetail is events.HeaderDetail.
//
// Deprecated: kept for callers not yet moved; use events.HeaderDetail.
const HeaderDetail = events.HeaderDetail

// OriginalPrefix is events.HeaderOriginalPrefix.
//
// Deprecated: kept for callers not yet moved; use events.HeaderOriginalPrefix.
const OriginalPrefix = events.HeaderOriginalPrefix

// ReasonUndeliverable is events.ReasonUndeliverable.
//
// Deprecated: kept for callers not yet moved; use events.ReasonUndeliverable.
const ReasonUndeliverable = events.ReasonUndeliverable

// SpecVersion is events.SpecVersion.
//
// Deprecated: kept for callers not yet moved; use events.SpecVersion.
const SpecVersion = events.SpecVersion

// DataContentType is events.DataContentType.
//
// Deprecated: kept for callers not yet moved; use events.DataContentType.
const DataContentType = events.DataContentType
