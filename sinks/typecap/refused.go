package typecap

import (
	"fmt"

	"github.com/hirebridge/hirebridge/sinks"
)

// RefusedError is a publish to a new undocumented destination beyond the
// cap. It is a sinks.ErrRefused, so the bridge keeps the event on the dead
// letters (reason undeliverable, this text as the detail) and answers 202.
type RefusedError struct {
	Topic string
	Max   int64
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("%s would be the destination of a new undocumented event type, beyond the %d that %s allows: raise it, then `hirebridge replay -reason undeliverable`",
		e.Topic, e.Max, Variable)
}

// Unwrap makes the refusal permanent (sinks.Permanent): the same event is
// refused again until the cap is raised.
func (e *RefusedError) Unwrap() error { return sinks.ErrRefused }
