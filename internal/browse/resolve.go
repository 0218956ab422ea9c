package browse

import (
	"context"
	"errors"
	"fmt"

	"github.com/hirebridge/hirebridge/schema/events"
	"github.com/hirebridge/hirebridge/sinks"
)

// Resolution is the answer of POST /api/v1/deadletters/{id}/resolve and
// of deadletters resolve -json: the mark kept.
type Resolution struct {
	ID       string     `json:"id"`
	Resolved sinks.Mark `json:"resolved"`
}

// Marks are r's resolved marks, by dead letter id: none when r is nil (a
// broker that keeps none).
func Marks(ctx context.Context, r sinks.Resolutions) (map[string]sinks.Mark, error) {
	if r == nil {
		return map[string]sinks.Mark{}, nil
	}
	// The sinks' errors say they were reading the marks, and where.
	return r.Resolved(ctx)
}

// FindDeadLetter returns the dead letter of prefix with id, among the
// newest sinks.DefaultScan dead letters, with its body when bodies; a
// *NotFoundError when none has the id.
func FindDeadLetter(ctx context.Context, b sinks.Browser, prefix, id string, bodies bool) (sinks.Stored, error) {
	found, err := b.Search(ctx, sinks.Query{Filter: events.DeadLetterSubject(prefix), ID: id, Limit: 1, Bodies: bodies})
	if err != nil {
		return sinks.Stored{}, fmt.Errorf("looking for dead letter %s: %w", id, err)
	}
	if len(found.Messages) == 0 {
		return sinks.Stored{}, &NotFoundError{What: "dead letter", ID: id, Searched: "dead letters", Found: found}
	}
	return found.Messages[0], nil
}

// Resolve keeps m on the dead letter of prefix with id, which must exist:
// a mark on an id no dead letter has (a mistyped one) would sit there
// unseen, so it is a *NotFoundError instead. Marking again replaces the
// mark.
func Resolve(ctx context.Context, b sinks.Browser, r sinks.Resolutions, prefix, id string, m sinks.Mark) (Resolution, error) {
	if r == nil {
		return Resolution{}, errors.New("the broker keeps no resolved marks")
	}
	if _, err := FindDeadLetter(ctx, b, prefix, id, false); err != nil {
		return Resolution{}, err
	}
	if err := r.Resolve(ctx, id, m); err != nil {
		return Resolution{}, fmt.Errorf("keeping the resolved mark of %s: %w", id, err)
	}
	return Resolution{ID: id, Resolved: m}, nil
}
