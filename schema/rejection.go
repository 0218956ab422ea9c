package schema

import (
	"fmt"
	"strconv"
	"strings"
)

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

// MaxProblems is how many problems a rejection lists. Past it problems are
// only counted (Rejection.More): what rejecting a body costs, and the
// detail that answers it, stay bounded however many problems it holds.
const MaxProblems = 10

// Problem is one thing wrong with a body. Field is a JSON pointer to the
// offending member, when there is one. Detail names types and lengths,
// never the sender's values, which may be personal data.
type Problem struct {
	Reason Reason
	Field  string
	Detail string
}

// Rejection says why a body cannot become an event. Reason, Field and
// Detail are its first problem, the one that decides the answer's code.
type Rejection struct {
	Reason Reason
	Field  string
	Detail string
	// Event is the normalized event name, when the body had a valid one
	// and was rejected for something else: for the caller's logs and
	// metrics, which may not look into the document Normalize rewrote.
	Event string
	// Problems is every problem found, at most MaxProblems, the first one
	// first: the timestamps' (top-level, then meeting.scheduled_at), an
	// undocumented type in strict mode, then the schema's failures in
	// JSON pointer order. A body that is not an I-JSON object, or whose
	// event name is not valid, has that one problem: nothing more can be
	// said of it.
	Problems []Problem
	// More counts the problems found beyond Problems.
	More int
}

// Error is the rejection in one line: the first problem as
// "<reason> at <field>: <detail>", then every other problem's detail
// (each names its own member), then how many more there are.
func (r *Rejection) Error() string {
	first := string(r.Reason) + ": " + r.Detail
	if r.Field != "" {
		first = string(r.Reason) + " at " + r.Field + ": " + r.Detail
	}
	if len(r.Problems) <= 1 && r.More == 0 {
		return first
	}
	var b strings.Builder
	b.WriteString(first)
	for i := 1; i < len(r.Problems); i++ {
		b.WriteString("; ")
		b.WriteString(r.Problems[i].Detail)
	}
	if r.More > 0 {
		b.WriteString("; and ")
		b.WriteString(strconv.Itoa(r.More))
		b.WriteString(" more problem")
		if r.More > 1 {
			b.WriteByte('s')
		}
	}
	return b.String()
}

// Malformed reports whether the body is not an I-JSON object at all, as
// opposed to an object that breaks the event rules. The HTTP side answers
// 400 for the first and 422 for the second.
func (r *Rejection) Malformed() bool {
	return r.Reason == ReasonNotJSON || r.Reason == ReasonNotObject || r.Reason == ReasonNotIJSON
}

// reject is a rejection for one problem.
func reject(reason Reason, field, format string, args ...any) *Rejection {
	return rejection([]Problem{problem(reason, field, format, args...)}, 0)
}

func problem(reason Reason, field, format string, args ...any) Problem {
	return Problem{Reason: reason, Field: field, Detail: fmt.Sprintf(format, args...)}
}

// rejection is the rejection for problems, the first one first, with more
// found beyond them.
func rejection(problems []Problem, more int) *Rejection {
	first := problems[0]
	return &Rejection{Reason: first.Reason, Field: first.Field, Detail: first.Detail, Problems: problems, More: more}
}

// named notes the event name on a rejection that came after the name was
// found valid.
func named(name string, r *Rejection) *Rejection {
	r.Event = name
	return r
}
