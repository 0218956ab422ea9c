package events_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hirebridge/hirebridge/schema/events"
)

func TestContentID(t *testing.T) {
	t.Parallel()
	a := []byte(`{"event":"job_added"}`)
	b := []byte(`{"event": "job_added"}`)
	if events.ContentID(a) != events.ContentID(append([]byte(nil), a...)) {
		t.Error("ContentID differs for equal bytes")
	}
	if events.ContentID(a) == events.ContentID(b) {
		t.Error("ContentID is equal for different bytes")
	}
	// The first half of SHA-256(""), as any consumer computes it.
	if id := events.ContentID(nil); id != "e3b0c44298fc1c149afbf4c8996fb924" {
		t.Errorf("ContentID(nil) = %q; want the first 128 bits of SHA-256 in hex", id)
	}
}

// Every dead letter's id ends with the ContentID of its body, which is how
// a damaged one is told apart (sinks.HoldsItsBody), and the two kinds never
// share an id.
func TestDeadLetterIDsEndWithTheBody(t *testing.T) {
	t.Parallel()
	body := []byte(`{"event":"job_added"}`)
	rejected, undeliverable := events.DeadLetterID(body), events.UndeliverableID(events.ContentID(body))
	for _, id := range []string{rejected, undeliverable} {
		if !strings.HasSuffix(id, events.ContentID(body)) {
			t.Errorf("%s does not end with the body's content id", id)
		}
	}
	if rejected == undeliverable || rejected == events.ContentID(body) {
		t.Errorf("ids %s and %s: a dead letter's id must differ from the event's and from the other kind's", rejected, undeliverable)
	}
}

// A consumer may check that a message is the event its id names: the id is
// the content id of the published body.
func ExampleContentID() {
	body := []byte(`{"event":"job_added","timestamp":"2026-01-30T02:05:17.892Z"}`)
	id := "2872f48dfceceff750e95f40f6dfcd86" // its ce-id header
	fmt.Println(events.ContentID(body) == id)
	// Output: true
}
