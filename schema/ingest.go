package schema

import (
	"encoding/json"
	"fmt"

	"github.com/hirebridge/hirebridge/schema/events"
)

// Event is a normalized Hirempire event, ready to publish.
type Event struct {
	// Name is the normalized event type, e.g. "applicant_applied".
	Name string
	// ID is derived from Body alone: the same event re-sent, in any
	// whitespace or key order, gets the same id.
	ID string
	// Key is the entity the event is about (see the message contract,
	// docs/messages.md), or ID.
	Key string
	// Time is the normalized timestamp.
	Time string
	// Validated is true when Name is a documented type and Body passed its
	// schema.
	Validated bool
	// Body is the normalized object in canonical form: compact, keys sorted.
	Body []byte
}

// Options change how Ingest treats what it does not know.
type Options struct {
	// Strict rejects event types that are not in the catalog.
	Strict bool
}

// Outcome is what a body comes to: exactly one of its fields is set.
type Outcome struct {
	// Event is an event ready to publish.
	Event *Event
	// Challenge is the handshake's challenge value, raw as sent: a body
	// with a "challenge" member and no "event" member is the handshake.
	Challenge json.RawMessage
	// Rejection says why the body is neither.
	Rejection *Rejection
}

// Ingest decodes, checks and normalizes a request body in one pass over
// its bytes: the I-JSON rules, the event name and timestamps, company.name,
// the JSON Schema of a documented type, then the canonical encoding and
// the event id, as the message contract (docs/messages.md) says.
func Ingest(body []byte, opts Options) Outcome {
	o, _ := IngestMetered(body, opts, nil)
	return o
}

// IngestMetered is Ingest that reports the heap the decoded body is about
// to take: charge is called with an estimate of the bytes since its last
// call, every few tens of kilobytes and once at the end. When charge
// returns an error, Ingest stops and returns it: the body may be fine, the
// process just cannot afford it now.
func IngestMetered(body []byte, opts Options, charge func(bytes int64) error) (Outcome, error) {
	t := getTree()
	defer t.release()
	rej, err := decode(t, body, charge)
	switch {
	case err != nil:
		return Outcome{}, err
	case rej != nil:
		return Outcome{Rejection: rej}, nil
	}
	if challenge, _ := t.member(0, "challenge"); challenge >= 0 {
		if event, _ := t.member(0, "event"); event < 0 {
			if raw, ok := challengeValue(body); ok {
				return Outcome{Challenge: raw}, nil
			}
		}
	}
	ev, rej := t.normalize(opts)
	if rej != nil {
		return Outcome{Rejection: rej}, nil
	}
	return Outcome{Event: ev}, nil
}

// normalize checks the decoded body against the event rules and rewrites
// it as the message contract (docs/messages.md) says: event name trimmed and
// lowercased, timestamps in UTC with milliseconds, company.name filled
// from company.company. Without a valid event name nothing more can be
// said of a body; past it, every problem is reported: the timestamps',
// an undocumented type's in strict mode, the schema's failures.
func (t *tree) normalize(opts Options) (*Event, *Rejection) {
	event, at := t.member(0, "event")
	if event < 0 {
		return nil, reject(ReasonBadEvent, "/event", "the event member is missing")
	}
	if t.nodes[event].kind != '"' {
		return nil, reject(ReasonBadEvent, "/event", "the event member is not a string")
	}
	raw := t.str(event)
	name, known := knownName(raw)
	if !known {
		var ok bool
		if name, ok = NormalizeName(string(raw)); !ok {
			return nil, reject(ReasonBadEvent, "/event",
				"%q is not a valid event name: lowercase letters, digits, '_', '-' and '.', at most %d, starting with a letter or digit, no empty dot-separated part",
				truncate(string(raw), 64), MaxNameLength)
		}
		if IsDeadLetterName(name) {
			return nil, reject(ReasonBadEvent, "/event", "%q is reserved: dlq and names starting dlq. are the dead-letter topic", name)
		}
		t.setString(at, name)
	}

	// From here on a problem does not hide the next: each is noted and
	// the checks go on, so the sender learns of them all in one answer.
	var problems []Problem
	ts, at := t.member(0, "timestamp")
	var when string
	if ts < 0 {
		problems = append(problems, problem(ReasonBadTimestamp, "/timestamp", "the timestamp member is missing"))
	} else if norm, err := t.normalizeTime(ts); err != nil {
		problems = append(problems, problem(ReasonBadTimestamp, "/timestamp", "the timestamp is %v", err))
	} else {
		when = norm
		t.setString(at, when)
	}

	if meeting, _ := t.member(0, "meeting"); meeting >= 0 && t.nodes[meeting].kind == '{' {
		if scheduled, at := t.member(meeting, "scheduled_at"); scheduled >= 0 && t.nodes[scheduled].kind != 'n' {
			if norm, err := t.normalizeTime(scheduled); err != nil {
				problems = append(problems, problem(ReasonBadTimestamp, "/meeting/scheduled_at", "meeting.scheduled_at is %v", err))
			} else {
				t.setString(at, norm)
			}
		}
	}

	if company, _ := t.member(0, "company"); company >= 0 && t.nodes[company].kind == '{' {
		// Absent or null: either way the event names no company.
		companyName, at := t.member(company, "name")
		if companyName < 0 || t.nodes[companyName].kind == 'n' {
			if alias, _ := t.member(company, "company"); alias >= 0 {
				if companyName < 0 {
					t.addMember(company, "name", alias)
				} else {
					t.kids[at+1] = alias
				}
			}
		}
	}

	t.sortMembers()
	rules, known := catalog[name]
	switch {
	case known:
		if rej := t.validate(name, rules, problems); rej != nil {
			return nil, named(name, rej)
		}
	case opts.Strict:
		problems = append(problems, problem(ReasonUnknownType, "/event", "%q is not a documented event type and strict mode is on", name))
	}
	// An undocumented type has no schema to add failures to.
	if len(problems) > 0 {
		return nil, named(name, rejection(problems, 0))
	}

	body := t.canonical()
	id := eventID(body)
	return &Event{
		Name:      name,
		ID:        id,
		Key:       t.entityKey(name, id),
		Time:      when,
		Validated: known,
		Body:      body,
	}, nil
}

// knownName returns the catalog's own string for a name already in
// normalized form, which is how senders write it: no allocation.
func knownName(raw []byte) (string, bool) {
	for _, name := range knownTypes {
		if string(raw) == name {
			return name, true
		}
	}
	return "", false
}

// eventID is the ContentID of the canonical body: consumers may check a
// message against it, and the spool checks a record's body against it
// before forwarding.
func eventID(body []byte) string { return events.ContentID(body) }

// ContentID is events.ContentID.
//
// Deprecated: kept for callers not yet moved; use events.ContentID, or
// events.DeadLetterID for a dead letter's id.
func ContentID(raw []byte) string { return events.ContentID(raw) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return fmt.Sprintf("%s...", s[:n])
}

// normalizeTime normalizes a string or number node as NormalizeTime does.
func (t *tree) normalizeTime(i int32) (string, error) {
	switch t.nodes[i].kind {
	case '"':
		return NormalizeTime(string(t.str(i)))
	case '0':
		return NormalizeTime(json.Number(t.number(i)))
	}
	return "", errNotDateTime
}
