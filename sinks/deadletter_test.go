package sinks

import (
	"errors"
	"reflect"
	"testing"

	"github.com/hirebridge/hirebridge/schema/events"
)

// An undeliverable event's dead letter gives back the message it was,
// whole: what `hirebridge replay` publishes again.
func TestOriginalRestoresUndeliverable(t *testing.T) {
	body := []byte(`{"event":"job_added"}`)
	m := &Message{
		Topic: events.Subject("acme", events.JobAdded),
		ID:    events.ContentID(body),
		Key:   "job 1/ü",
		Body:  body,
		Event: &CloudEvent{Type: events.CloudEventsType(events.JobAdded), Source: "https://app.hirempire.com",
			Time: "2026-01-30T02:05:17.892Z", Subject: "job 1/ü", DataSchema: "https://example.com/job_added.json"},
		Headers: []Header{{events.HeaderTraceParent, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}, {events.HeaderValidated, "false"}},
	}
	dl := Undeliverable(m, events.DeadLetterSubject("acme"), errors.New("permissions\nviolation"))
	if dl.ID != events.UndeliverableID(m.ID) || !HoldsItsBody(dl) || dl.Event != nil {
		t.Errorf("dead letter id %s, event %v: want %s, holding its body, not a CloudEvent", dl.ID, dl.Event, events.UndeliverableID(m.ID))
	}
	got, ok := Original(dl.Headers, dl.Body)
	if !ok || !reflect.DeepEqual(got, m) {
		t.Errorf("Original = %+v (%v); want %+v", got, ok, m)
	}
	if _, ok := Original([]Header{{events.HeaderReason, "invalid_json"}}, body); ok {
		t.Error("Original found a message in a rejected body's dead letter")
	}
}
