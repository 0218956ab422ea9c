package browse

import (
	"fmt"

	"github.com/hirebridge/hirebridge/sinks"
)

// NotFoundError is an id no message read has: the API answers it 404, the
// CLI exits 1 with it.
type NotFoundError struct {
	// What was looked for ("dead letter"), among which Searched
	// ("messages", "dead letters").
	What, ID, Searched string
	// Found says how many were read, and whether the scan bound left
	// older ones unread.
	Found sinks.Found
}

func (e *NotFoundError) Error() string {
	if e.Found.Truncated {
		return fmt.Sprintf("no %s with id %s among the newest %d %s", e.What, e.ID, e.Found.Scanned, e.Searched)
	}
	return fmt.Sprintf("no %s with id %s among the %d %s held", e.What, e.ID, e.Found.Scanned, e.Searched)
}
