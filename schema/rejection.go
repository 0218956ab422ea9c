package schema

import "fmt"

// Reason is a short, stable code for why a body was rejected. It is the
// "error" member of the HTTP error body and the hirebridge-reason header of
// the dead letter.
type Reason string

const (
	ReasonNotJSON   Reason = "invalid_json"
	ReasonNotObject Reason = "not_an_object"
	// ReasonNotIJSON is JSON that breaks I-JSON (RFC 7493), which the
	// bridge publishes so that every consumer's parser reads it the same.
	ReasonNotIJSON     Reason = "not_i_json"
	ReasonBadEvent     Reason = "invalid_event"
	ReasonBadTimestamp Reason = "invalid_timestamp"
	ReasonSchema       Reason = "schema_violation"
	ReasonUnknownType  Reason = "unknown_event_type"
)

// Rejection says why a body cannot become an event. Field is a JSON pointer
// to the offending member, when there is one.
type Rejection struct {
	Reason Reason
	Field  string
	Detail string
	// Event is the normalized event name, when the body had a valid one
	// and was rejected for something else: for the caller's logs and
	// metrics, which may not look into the document Normalize rewrote.
	Event string
}

func (r *Rejection) Error() string {
	if r.Field == "" {
		return fmt.Sprintf("%s: %s", r.Reason, r.Detail)
	}
	return fmt.Sprintf("%s at %s: %s", r.Reason, r.Field, r.Detail)
}

// Malformed reports whether the body is not an I-JSON object at all, as
// opposed to an object that breaks the event rules. The HTTP side answers
// 400 for the first and 422 for the second.
func (r *Rejection) Malformed() bool {
	return r.Reason == ReasonNotJSON || r.Reason == ReasonNotObject || r.Reason == ReasonNotIJSON
}

func reject(reason Reason, field, format string, args ...any) *Rejection {
	return &Rejection{Reason: reason, Field: field, Detail: fmt.Sprintf(format, args...)}
}

// named notes the event name on a rejection that came after the name was
// found valid.
func named(name string, r *Rejection) *Rejection {
	r.Event = name
	return r
}
