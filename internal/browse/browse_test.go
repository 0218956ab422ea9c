package browse_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hirebridge/hirebridge/internal/browse"
	"github.com/hirebridge/hirebridge/schema/events"
	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/natsjs"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
)

const prefix = "hirempire"

// openNATS is a sink on an embedded NATS server of the test's own.
func openNATS(t *testing.T) *natsjs.Sink {
	t.Helper()
	srv := natstest.Start(t)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	s, err := natsjs.Open(ctx, natsjs.Config{
		URLs: srv.URL(), Stream: "HIREMPIRE", Prefix: prefix, StreamReplicas: 1, DuplicateWindow: time.Minute,
		MaxPending: 16, AckTimeout: 5 * time.Second, ReconnectWait: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatalf("opening the NATS sink: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Close(ctx)
	})
	return s
}

func publish(t *testing.T, s sinks.Sink, m *sinks.Message) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if _, err := s.Publish(ctx, m); err != nil {
		t.Fatalf("publishing %s: %v", m.ID, err)
	}
}

// rejected is the dead letter of a body rejected for reason, as the
// handler stores it.
func rejected(i int, reason string) *sinks.Message {
	body := fmt.Appendf(nil, `{"n":%d}`, i)
	return &sinks.Message{Topic: events.DeadLetterSubject(prefix), ID: events.DeadLetterID(body), Body: body, Headers: []sinks.Header{
		{Name: events.HeaderReason, Value: reason},
		{Name: events.HeaderDetail, Value: reason + " in body " + fmt.Sprint(i)},
		{Name: events.HeaderSource, Value: "default"},
	}}
}

func event(i int) *sinks.Message {
	id := fmt.Sprintf("ev-%03d", i)
	return &sinks.Message{Topic: prefix + ".job_added", ID: id, Key: "job_1", Body: []byte(`{"event":"job_added"}`),
		Event: &sinks.CloudEvent{Type: "com.hirempire.job_added", Source: "https://app.hirempire.com", Time: "2026-01-30T00:14:56.395Z", Subject: "job_1"}}
}

func dlIDs(l browse.DeadLetterList) []string {
	var ids []string
	for _, d := range l.DeadLetters {
		ids = append(ids, d.ID)
	}
	return ids
}

// The dead letters are counted by reason among all those of the status
// the scan reads, whatever the reason and limit keep, and only those: not
// those a search reads beyond its scan bound (a NATS window reads more
// than a small bound), nor those of another status.
func TestListDeadLetters(t *testing.T) {
	s := openNATS(t)
	// Oldest first: a, b, a, b, a, b, a; the newest of the a's marked
	// resolved.
	var ids []string
	for i := range 7 {
		reason := []string{"invalid_json", "unknown_event_type"}[i%2]
		m := rejected(i, reason)
		publish(t, s, m)
		ids = append(ids, m.ID)
	}
	publish(t, s, event(0)) // not a dead letter: never listed nor counted
	slices.Reverse(ids)     // newest first
	mark := sinks.Mark{At: time.Now().UTC().Truncate(time.Millisecond), By: "test", Note: "fixed"}
	if _, err := browse.Resolve(t.Context(), s, s, prefix, ids[0], mark); err != nil {
		t.Fatal(err)
	}

	counts := func(kv ...any) []browse.ReasonCount {
		var rc []browse.ReasonCount
		for i := 0; i < len(kv); i += 2 {
			rc = append(rc, browse.ReasonCount{Reason: kv[i].(string), Count: kv[i+1].(int)})
		}
		if rc == nil {
			rc = []browse.ReasonCount{}
		}
		return rc
	}
	for _, c := range []struct {
		name      string
		q         browse.DeadLetterQuery
		ids       []string
		reasons   []browse.ReasonCount
		more      bool
		scanned   int
		truncated bool
	}{
		{"open", browse.DeadLetterQuery{}, ids[1:], counts("invalid_json", 3, "unknown_event_type", 3), false, 7, false},
		{"open, limit", browse.DeadLetterQuery{Limit: 2}, ids[1:3], counts("invalid_json", 3, "unknown_event_type", 3), true, 7, false},
		{"open, a reason", browse.DeadLetterQuery{Reason: "invalid_json"}, []string{ids[2], ids[4], ids[6]},
			counts("invalid_json", 3, "unknown_event_type", 3), false, 7, false},
		{"open, a reason, limit", browse.DeadLetterQuery{Reason: "invalid_json", Limit: 1}, []string{ids[2]},
			counts("invalid_json", 3, "unknown_event_type", 3), true, 7, false},
		{"resolved", browse.DeadLetterQuery{Status: browse.Resolved}, ids[:1], counts("invalid_json", 1), false, 7, false},
		{"all", browse.DeadLetterQuery{Status: browse.All}, ids, counts("invalid_json", 4, "unknown_event_type", 3), false, 7, false},
		{"all within a scan of 3", browse.DeadLetterQuery{Status: browse.All, Scan: 3}, ids[:3],
			counts("invalid_json", 2, "unknown_event_type", 1), false, 3, true},
		{"open within a scan of 3, limit 1", browse.DeadLetterQuery{Scan: 3, Limit: 1}, ids[1:2],
			counts("invalid_json", 1, "unknown_event_type", 1), true, 3, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			l, err := browse.ListDeadLetters(t.Context(), s, s, prefix, c.q)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(dlIDs(l), c.ids) || !slices.Equal(l.Reasons, c.reasons) || l.More != c.more ||
				l.Scanned != c.scanned || l.Truncated != c.truncated {
				t.Errorf("%v %v more %v scanned %d truncated %v; want %v %v more %v scanned %d truncated %v",
					dlIDs(l), l.Reasons, l.More, l.Scanned, l.Truncated, c.ids, c.reasons, c.more, c.scanned, c.truncated)
			}
			for _, d := range l.DeadLetters {
				if (d.ID == ids[0]) != (d.Resolved != nil) || d.Detail == "" || d.StoredAt == "" || d.HirebridgeSource != "default" ||
					d.Topic != prefix+".dlq" {
					t.Errorf("dead letter %+v", d)
				}
			}
		})
	}
}

// Get answers an event or a dead letter whole, with a dead letter's mark;
// Resolve refuses an id no dead letter has; both say how many were read.
func TestGetAndResolve(t *testing.T) {
	s := openNATS(t)
	dl := rejected(1, "invalid_json")
	publish(t, s, event(1))
	publish(t, s, dl)
	publish(t, s, event(2))

	ev, st, err := browse.Get(t.Context(), s, s, prefix, "ev-001", 0)
	if err != nil {
		t.Fatal(err)
	}
	if ev.ID != "ev-001" || ev.DeadLetter || ev.Resolved != nil || ev.Headers["ce-type"] != "com.hirempire.job_added" ||
		!bodyIs(ev.Body, `{"event":"job_added"}`) || string(st.Body) != `{"event":"job_added"}` {
		t.Errorf("the event: %+v", ev)
	}

	if _, err := browse.Resolve(t.Context(), s, s, prefix, "ev-001", sinks.Mark{At: time.Now()}); !isNotFound(err, "no dead letter with id ev-001 among the 1 dead letters held") {
		t.Errorf("resolving an event: %v", err)
	}
	res, err := browse.Resolve(t.Context(), s, s, prefix, dl.ID, sinks.Mark{At: time.Now().UTC(), By: "test"})
	if err != nil || res.ID != dl.ID || res.Resolved.By != "test" {
		t.Fatalf("resolving the dead letter: %+v, %v", res, err)
	}
	ev, _, err = browse.Get(t.Context(), s, s, prefix, dl.ID, 0)
	if err != nil || !ev.DeadLetter || ev.Resolved == nil || ev.Resolved.By != "test" || ev.Headers[events.HeaderReason] != "invalid_json" {
		t.Errorf("the dead letter: %+v, %v", ev, err)
	}
	// Without marks (a broker that keeps none): no mark, no error.
	if ev, _, err := browse.Get(t.Context(), s, nil, prefix, dl.ID, 0); err != nil || ev.Resolved != nil {
		t.Errorf("the dead letter without marks: %+v, %v", ev, err)
	}

	if _, _, err := browse.Get(t.Context(), s, s, prefix, "ev-nope", 0); !isNotFound(err, "no event or dead letter with id ev-nope among the 3 messages held") {
		t.Errorf("an id not there: %v", err)
	}
	if _, _, err := browse.Get(t.Context(), s, s, prefix, "ev-001", 2); !isNotFound(err, "no event or dead letter with id ev-001 among the newest 2 messages") {
		t.Errorf("an id beyond the scan: %v", err)
	}
}

// bodyIs reports whether an answer's body is the JSON want, as it is.
func bodyIs(body any, want string) bool {
	raw, ok := body.(json.RawMessage)
	return ok && string(raw) == want
}

func isNotFound(err error, want string) bool {
	nf, ok := errors.AsType[*browse.NotFoundError](err)
	return ok && nf.Error() == want
}

// Events are listed without the dead letters, by the event's name or its
// CloudEvents type; an id stops the search at it, with no "more".
func TestListEvents(t *testing.T) {
	s := openNATS(t)
	publish(t, s, event(1))
	publish(t, s, rejected(1, "invalid_json"))
	publish(t, s, event(2))
	for _, c := range []struct {
		name string
		q    sinks.Query
		ids  []string
		more bool
	}{
		{"all", sinks.Query{}, []string{"ev-002", "ev-001"}, false},
		{"limit", sinks.Query{Limit: 1}, []string{"ev-002"}, true},
		{"a name", sinks.Query{Type: "job_added"}, []string{"ev-002", "ev-001"}, false},
		{"a CloudEvents type", sinks.Query{Type: "com.hirempire.job_added", Limit: 2}, []string{"ev-002", "ev-001"}, true},
		{"another type", sinks.Query{Type: "job_deleted"}, nil, false},
		{"an id", sinks.Query{ID: "ev-001"}, []string{"ev-001"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			l, err := browse.ListEvents(t.Context(), s, prefix, c.q)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, e := range l.Events {
				ids = append(ids, e.ID)
				if e.Type != "job_added" || e.Subject != "job_1" || e.StoredAt == "" || e.Topic != prefix+".job_added" {
					t.Errorf("item %+v", e)
				}
			}
			if !slices.Equal(ids, c.ids) || l.More != c.more || l.Events == nil || l.ScanLimit != sinks.DefaultScan {
				t.Errorf("%v more %v (%+v); want %v more %v", ids, l.More, l, c.ids, c.more)
			}
		})
	}
}
