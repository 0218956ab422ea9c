package browse

import (
	"cmp"
	"context"
	"strings"
	"time"

	"github.com/hirebridge/hirebridge/schema/events"
	"github.com/hirebridge/hirebridge/sinks"
)

// EventItem is an event in a list: its attributes, never its body.
type EventItem struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Subject string `json:"subject"`
	Source  string `json:"source"`
	// Time is the event's own time attribute (ce-time); StoredAt the
	// broker's.
	Time             string `json:"time"`
	Topic            string `json:"topic"`
	StoredAt         string `json:"stored_at"`
	HirebridgeSource string `json:"hirebridge_source"`
}

// EventItemOf is st as a list shows it. A reader that leaves Stored.ID
// empty (a follower) has the CloudEvents id taken from the headers.
func EventItemOf(st sinks.Stored) EventItem {
	return EventItem{
		ID:               cmp.Or(st.ID, st.Header("ce-id")),
		Type:             strings.TrimPrefix(st.Header("ce-type"), events.CloudEventsTypePrefix),
		Subject:          st.Header("ce-subject"),
		Source:           st.Header("ce-source"),
		Time:             st.Header("ce-time"),
		Topic:            st.Topic,
		StoredAt:         StoredAt(st.Time),
		HirebridgeSource: st.Header(events.HeaderSource),
	}
}

// EventList is the answer of GET /api/v1/events and of events list -json.
type EventList struct {
	Events    []EventItem `json:"events"`
	Scanned   int         `json:"scanned"`
	ScanLimit int         `json:"scan_limit"`
	// Truncated is true when the search stopped at the scan bound with
	// older messages unread: a match may be among them.
	Truncated bool `json:"truncated"`
	// More is true when the answer holds limit events: older ones may
	// match too (ask again with until = the oldest's stored_at).
	More bool `json:"more"`
}

// ListEvents answers q among the events of prefix, newest first, without
// the dead letters and without bodies. q's Filter and Match are set here;
// its Type may name an event (applicant_applied) as the lists show it, or
// be the whole CloudEvents type.
func ListEvents(ctx context.Context, b sinks.Browser, prefix string, q sinks.Query) (EventList, error) {
	dlq := events.DeadLetterSubject(prefix)
	q.Filter = sinks.AllTopics(prefix)
	q.Type = ceType(q.Type)
	q.Match = func(st sinks.Stored) bool { return st.Topic != dlq }
	q.Bodies = false
	q.Limit = cmp.Or(q.Limit, sinks.DefaultLimit)
	if q.ID != "" {
		// An id names one event: the search stops at it rather than
		// read on to the scan bound for more.
		q.Limit = 1
	}
	found, err := b.Search(ctx, q)
	if err != nil {
		return EventList{}, err
	}
	l := EventList{Events: make([]EventItem, 0, len(found.Messages)), Scanned: found.Scanned, ScanLimit: ScanLimit(q.Scan),
		Truncated: found.Truncated, More: q.ID == "" && len(found.Messages) == q.Limit}
	for _, st := range found.Messages {
		l.Events = append(l.Events, EventItemOf(st))
	}
	return l, nil
}

// ceType is the CloudEvents type a type parameter names: an event's name
// (applicant_applied), or the whole CloudEvents type.
func ceType(t string) string {
	if t == "" || strings.HasPrefix(t, events.CloudEventsTypePrefix) {
		return t
	}
	return events.CloudEventsType(t)
}

// ScanLimit is how many messages a search with Query.Scan scan reads at
// most.
func ScanLimit(scan int) int {
	if scan <= 0 {
		return sinks.DefaultScan
	}
	return scan
}

// StoredAt is a broker's time as the answers carry it: RFC 3339 with
// nanoseconds, in UTC; empty when unknown.
func StoredAt(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}
