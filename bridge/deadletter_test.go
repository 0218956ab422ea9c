package bridge

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/hirebridge/hirebridge/schema"
	"github.com/hirebridge/hirebridge/schema/events"
)

// A dead letter shares the stream, and so the duplicate window, with the
// events. A body that is already in canonical form has an event id equal
// to the content id of its raw bytes; if a dead letter of it were stored
// under that id, the same body accepted later (strict mode turned off, a
// schema relaxed, within the window) would be answered "duplicate" and
// never stored.
func TestDeadLetterDoesNotShadowEvent(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withConfig(func(c *Config) { c.Strict = true }))
	body := []byte(`{"event":"candidate_hired","timestamp":"2026-01-30T00:14:56.395Z"}`)
	wantError(t, h.post(t, body), http.StatusUnprocessableEntity, string(schema.ReasonUnknownType))
	h.only(t, dlq)

	// The same deployment restarted without strict mode, on the same stream.
	r := serveDirect(h.sibling(func(c *Config) { c.Strict = false }), body)

	if r.status == http.StatusOK && bytes.Contains(r.body, []byte(`"duplicate"`)) {
		t.Fatalf("the event was answered %s but never stored: its id is the dead letter's", r.body)
	}
	id := wantOutcome(t, r, "published")
	if id != events.ContentID(body) {
		t.Fatalf("premise: the body is not canonical (id %s, content id %s)", id, events.ContentID(body))
	}
	h.only(t, testPrefix+".candidate_hired")
}

// A sender retries what it was refused; the dead-letter topic keeps one
// copy per distinct body within the duplicate window.
func TestDeadLetterRetriesStoredOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for range 3 {
		wantError(t, h.post(t, []byte("not json")), http.StatusBadRequest, string(schema.ReasonNotJSON))
	}
	wantError(t, h.post(t, []byte("not json either")), http.StatusBadRequest, string(schema.ReasonNotJSON))
	if n := len(h.messages(t, dlq)); n != 2 {
		t.Errorf("%d dead letters, want 2: one per distinct body", n)
	}
}
