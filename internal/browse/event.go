package browse

import (
	"cmp"
	"context"
	"encoding/json"

	"github.com/hirebridge/hirebridge/schema/events"
	"github.com/hirebridge/hirebridge/sinks"
)

// Event is one event or dead letter, with its headers and body: the
// answer of GET /api/v1/events/{id} and of events get -json.
type Event struct {
	ID       string            `json:"id"`
	Topic    string            `json:"topic"`
	StoredAt string            `json:"stored_at"`
	Headers  map[string]string `json:"headers"`
	// Body is the JSON body as it is, or a string when it is not JSON.
	Body       any  `json:"body"`
	DeadLetter bool `json:"dead_letter"`
	// Resolved is a dead letter's mark; absent while open, and for an
	// event.
	Resolved *sinks.Mark `json:"resolved,omitempty"`
}

// Get finds the event or dead letter with id among the newest scan
// messages of prefix (0: sinks.DefaultScan), with its body and, for a dead
// letter, its resolved mark from r (nil: a broker that keeps none). It
// returns the message as stored too, and a *NotFoundError when no message
// read has the id.
func Get(ctx context.Context, b sinks.Browser, r sinks.Resolutions, prefix, id string, scan int) (Event, sinks.Stored, error) {
	found, err := b.Search(ctx, sinks.Query{Filter: sinks.AllTopics(prefix), ID: id, Limit: 1, Scan: scan, Bodies: true})
	if err != nil {
		return Event{}, sinks.Stored{}, err
	}
	if len(found.Messages) == 0 {
		return Event{}, sinks.Stored{}, &NotFoundError{What: "event or dead letter", ID: id, Searched: "messages", Found: found}
	}
	st := found.Messages[0]
	ev := Event{
		ID:         cmp.Or(st.ID, id),
		Topic:      st.Topic,
		StoredAt:   StoredAt(st.Time),
		Headers:    headerMap(st.Headers),
		Body:       bodyOf(st.Body),
		DeadLetter: st.Topic == events.DeadLetterSubject(prefix),
	}
	if ev.DeadLetter {
		marks, err := Marks(ctx, r)
		if err != nil {
			return Event{}, st, err
		}
		if m, ok := marks[ev.ID]; ok {
			ev.Resolved = &m
		}
	}
	return ev, st, nil
}

// headerMap is headers as one map, the values of a name repeated joined
// with commas, as tail prints them.
func headerMap(headers []sinks.Header) map[string]string {
	m := make(map[string]string, len(headers))
	for _, h := range headers {
		if prev, ok := m[h.Name]; ok {
			h.Value = prev + "," + h.Value
		}
		m[h.Name] = h.Value
	}
	return m
}

// bodyOf is a body as the answer carries it: JSON as it is, else a string.
func bodyOf(body []byte) any {
	if json.Valid(body) {
		return json.RawMessage(body)
	}
	return string(body)
}
