package schema

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// Event is a normalized Hirempire event, ready to publish.
type Event struct {
	// Name is the normalized event type, e.g. "applicant_applied".
	Name string
	// ID is derived from Body alone: the same event re-sent, in any
	// whitespace or key order, gets the same id.
	ID string
	// Key is the entity the event is about (see EntityKey), or ID.
	Key string
	// Time is the normalized timestamp.
	Time string
	// Validated is true when Name is a documented type and Body passed its
	// schema.
	Validated bool
	// Body is the normalized object in canonical form: compact, keys sorted.
	Body []byte
}

// Options change how Normalize treats what it does not know.
type Options struct {
	// Strict rejects event types that are not in the catalog.
	Strict bool
}

// Normalize checks a decoded object against the event rules and rewrites it
// in place as the README's message contract says: event name trimmed and lowercased, timestamps
// in UTC with milliseconds, company.name filled from company.company. doc
// must not be used afterwards.
func Normalize(doc Document, opts Options) (*Event, *Rejection) {
	rawName, ok := doc["event"].(string)
	if !ok {
		if _, present := doc["event"]; !present {
			return nil, reject(ReasonBadEvent, "/event", "the event member is missing")
		}
		return nil, reject(ReasonBadEvent, "/event", "the event member is not a string")
	}
	name, ok := NormalizeName(rawName)
	if !ok {
		return nil, reject(ReasonBadEvent, "/event",
			"%q is not a valid event name: lowercase letters, digits, '_', '-' and '.', at most %d, starting with a letter or digit, no empty dot-separated part",
			truncate(rawName, 64), MaxNameLength)
	}
	if IsDeadLetterName(name) {
		return nil, reject(ReasonBadEvent, "/event", "%q is reserved: dlq and names starting dlq. are the dead-letter topic", name)
	}
	doc["event"] = name

	ts, present := doc["timestamp"]
	if !present {
		return nil, named(name, reject(ReasonBadTimestamp, "/timestamp", "the timestamp member is missing"))
	}
	when, err := NormalizeTime(ts)
	if err != nil {
		return nil, named(name, reject(ReasonBadTimestamp, "/timestamp", "the timestamp is %v", err))
	}
	doc["timestamp"] = when

	if meeting, ok := doc["meeting"].(map[string]any); ok {
		if at, present := meeting["scheduled_at"]; present && at != nil {
			norm, err := NormalizeTime(at)
			if err != nil {
				return nil, named(name, reject(ReasonBadTimestamp, "/meeting/scheduled_at", "meeting.scheduled_at is %v", err))
			}
			meeting["scheduled_at"] = norm
		}
	}

	if company, ok := doc["company"].(map[string]any); ok {
		// Absent or null: either way the event names no company.
		if name, hasName := company["name"]; !hasName || name == nil {
			if alias, hasAlias := company["company"]; hasAlias {
				company["name"] = alias
			}
		}
	}

	sch, known := catalog[name]
	switch {
	case known:
		if err := sch.Validate(map[string]any(doc)); err != nil {
			return nil, named(name, schemaRejection(name, err))
		}
	case opts.Strict:
		return nil, named(name, reject(ReasonUnknownType, "/event", "%q is not a documented event type and strict mode is on", name))
	}

	body := canonical(doc)
	id := eventID(body)
	return &Event{
		Name:      name,
		ID:        id,
		Key:       EntityKey(name, doc, id),
		Time:      when,
		Validated: known,
		Body:      body,
	}, nil
}

// eventID is the first 128 bits of the SHA-256 of the canonical body, in
// hex: ample against collisions, short enough for a header and a log line.
func eventID(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:16])
}

// ContentID is the id of bytes that are not an event, such as a dead
// letter's raw body, so a sender's retry of the same bytes dedupes too.
func ContentID(raw []byte) string { return eventID(raw) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return fmt.Sprintf("%s...", s[:n])
}
