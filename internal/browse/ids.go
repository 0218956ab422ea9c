package browse

import (
	"github.com/hirebridge/hirebridge/schema/events"
	"github.com/hirebridge/hirebridge/sinks"
)

// DeadLetterID is a dead letter's id as the bridge set it (Message.ID): a
// rejected body's events.DeadLetterID, an undeliverable event's
// events.UndeliverableID of the event's id; the id the resolved marks are
// kept under. Every search sets Stored.ID; a reader that leaves it empty
// (a follower, sinks.Reader) has it worked out from the dead letter, whose
// body it needs then.
func DeadLetterID(st sinks.Stored) string {
	if st.ID != "" {
		return st.ID
	}
	return events.StoredDeadLetterID(st.Header(events.HeaderOriginalID), st.Body)
}
