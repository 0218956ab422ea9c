package events

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrUnknownType is a type this package has no Go type for: an
	// undocumented one, published as it came.
	ErrUnknownType = errors.New("not a documented event type")
	// ErrDeadLetter is a message on the dead letters: a rejected body, not
	// an event.
	ErrDeadLetter = errors.New("a dead letter, not an event")
)

// Decode turns a received message into its typed event: *JobEvent,
// *ApplicantEvent or *MeetingEvent. name is what the message says of its
// type, in any of its forms: the type ("applicant_applied"), the ce-type
// ("com.hirempire.applicant_applied") or the subject or topic
// ("hirempire.applicant_applied", under any prefix).
func Decode(name string, body []byte) (any, error) {
	t := TypeOf(name)
	var v any
	switch t {
	case JobAdded, JobActivated, JobDeactivated, JobDeleted:
		v = new(JobEvent)
	case ApplicantApplied, CVUploadCompleted:
		v = new(ApplicantEvent)
	case MeetingBooked:
		v = new(MeetingEvent)
	case DeadLetters:
		return nil, fmt.Errorf("%s: %w", name, ErrDeadLetter)
	default:
		return nil, fmt.Errorf("%s: %w", name, ErrUnknownType)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", t, err)
	}
	// The body names its type too: a subject of an undocumented type that
	// only ends like a documented one ("hirempire.x.job_added") is told
	// apart here.
	if got := eventOf(v); got != t {
		return nil, fmt.Errorf("%s: the body is a %q event: %w", name, got, ErrUnknownType)
	}
	return v, nil
}

func eventOf(v any) string {
	switch v := v.(type) {
	case *JobEvent:
		return v.Event
	case *ApplicantEvent:
		return v.Event
	case *MeetingEvent:
		return v.Event
	}
	return ""
}

// TypeOf is the event type a ce-type, a subject or a type names: the part
// after "com.hirempire.", else after the last dot.
func TypeOf(name string) string {
	if t, ok := strings.CutPrefix(name, CloudEventsTypePrefix); ok {
		return t
	}
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i+1:]
	}
	return name
}
