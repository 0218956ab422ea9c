package bridge

import (
	"net/http"
	"strings"
	"testing"

	"github.com/hirebridge/hirebridge/schema"
)

func TestUnprocessableEvent(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	withMember := func(name string, v any) []byte {
		doc := decodeObject(t, payload(t, "job_added"))
		if v == nil {
			delete(doc, name)
		} else {
			doc[name] = v
		}
		return encode(t, doc)
	}
	withoutJobID := func() []byte {
		doc := decodeObject(t, payload(t, "job_added"))
		delete(doc["job"].(map[string]any), "id")
		return encode(t, doc)
	}
	applicantIDNumber := func() []byte {
		doc := decodeObject(t, payload(t, "applicant_applied"))
		doc["applicant"].(map[string]any)["id"] = 17
		return encode(t, doc)
	}
	cases := []struct {
		name string
		body []byte
		code schema.Reason
		// field must be named in the detail, so the sender can fix it.
		field string
	}{
		{"event missing", withMember("event", nil), schema.ReasonBadEvent, "/event"},
		{"event a number", withMember("event", 5), schema.ReasonBadEvent, "/event"},
		{"event null", []byte(`{"event":null,"timestamp":"2026-01-30T02:05:17.892Z"}`), schema.ReasonBadEvent, "/event"},
		{"event an object", withMember("event", map[string]any{"name": "job_added"}), schema.ReasonBadEvent, "/event"},
		{"event empty", withMember("event", " "), schema.ReasonBadEvent, "/event"},
		{"event wildcard", withMember("event", "job.*"), schema.ReasonBadEvent, "/event"},
		{"event full wildcard", withMember("event", ">"), schema.ReasonBadEvent, "/event"},
		{"event with a space", withMember("event", "a b"), schema.ReasonBadEvent, "/event"},
		{"event a path", withMember("event", "../x"), schema.ReasonBadEvent, "/event"},
		{"event with a slash", withMember("event", "job/added"), schema.ReasonBadEvent, "/event"},
		{"event with empty part", withMember("event", "job..added"), schema.ReasonBadEvent, "/event"},
		{"event ending in a dot", withMember("event", "job_added."), schema.ReasonBadEvent, "/event"},
		{"event too long", withMember("event", strings.Repeat("j", schema.MaxNameLength+1)), schema.ReasonBadEvent, "/event"},
		// The dead letters' own names: an event there would mix with them.
		{"event dlq", withMember("event", "dlq"), schema.ReasonBadEvent, "/event"},
		{"event DLQ", withMember("event", "DLQ"), schema.ReasonBadEvent, "/event"},
		{"event Dlq spaced", withMember("event", " Dlq "), schema.ReasonBadEvent, "/event"},
		{"event under dlq", withMember("event", "dlq.x"), schema.ReasonBadEvent, "/event"},
		{"timestamp missing", withMember("timestamp", nil), schema.ReasonBadTimestamp, "/timestamp"},
		{"timestamp not a date", withMember("timestamp", "yesterday"), schema.ReasonBadTimestamp, "/timestamp"},
		{"timestamp a date only", withMember("timestamp", "2026-01-30"), schema.ReasonBadTimestamp, "/timestamp"},
		{"timestamp a boolean", withMember("timestamp", true), schema.ReasonBadTimestamp, "/timestamp"},
		{"job id missing", withoutJobID(), schema.ReasonSchema, "/job/id"},
		{"company missing", withMember("company", nil), schema.ReasonSchema, "/company"},
		{"applicant id a number", applicantIDNumber(), schema.ReasonSchema, "/applicant/id"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := len(h.messages(t, dlq))
			stored := h.stored(t)
			r := h.post(t, c.body)
			detail := wantError(t, r, http.StatusUnprocessableEntity, string(c.code))
			if !strings.Contains(detail, c.field) {
				t.Errorf("detail %q does not name %s", detail, c.field)
			}
			h.wantDeadLetter(t, before, c.body, string(c.code), detail)
			if n := h.stored(t); n != stored+1 {
				t.Errorf("%d messages stored, want %d: the dead letter only", n, stored+1)
			}
		})
	}
}
