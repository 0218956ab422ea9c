package console

import (
	"context"
	"net/http"
	"time"

	"github.com/hirebridge/hirebridge/internal/browse"
)

// listEvents is GET /api/v1/events: events only, newest first, no bodies.
func (c *Console) listEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sq, err := common(q, time.Now())
	if err == nil {
		sq.ID, err = text(q, "id")
	}
	if err == nil {
		sq.Type, err = text(q, "type")
	}
	if err == nil {
		sq.Subject, err = text(q, "subject")
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, codeBadRequest, err.Error())
		return
	}
	c.answer(w, r, brokerTimeout, "searching the events", func(ctx context.Context, b Broker) (any, error) {
		return browse.ListEvents(ctx, b, c.prefix(), sq)
	})
}

// getEvent is GET /api/v1/events/{id}: one event or dead letter, with its
// body. Never logged; answered no-store.
func (c *Console) getEvent(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if id == "" || len(id) > maxIDLen {
		writeError(w, http.StatusBadRequest, codeBadRequest, "the id is empty or longer than 200 bytes")
		return
	}
	c.answer(w, r, brokerTimeout, "looking for the event", func(ctx context.Context, b Broker) (any, error) {
		ev, _, err := browse.Get(ctx, b, b, c.prefix(), id, 0)
		return ev, err
	})
}
