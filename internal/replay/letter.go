package replay

import (
	"context"
	"errors"

	"github.com/hirebridge/hirebridge/bridge"
	"github.com/hirebridge/hirebridge/internal/browse"
	"github.com/hirebridge/hirebridge/schema"
	"github.com/hirebridge/hirebridge/schema/events"
	"github.com/hirebridge/hirebridge/sinks"
)

// letter is a dead letter of a run, without its body: what it became, and
// how to find it again when its turn to be published comes.
type letter struct {
	res Result
	// topic and msgID are the message it becomes when it passes now;
	// empty when it does not.
	topic, msgID string
	key          letterKey
	// turn is its place among those to publish, in the order stored.
	turn int
}

// letterKey finds a dead letter again on a later read: when it was stored
// and its id, which derives from its body. Letters that share one (the same
// bytes stored at the same instant) are told apart by the order they are
// read in, the same on every read.
type letterKey struct {
	stored int64
	id     string
}

func keyOf(st sinks.Stored, id string) letterKey {
	return letterKey{stored: st.Time.UnixNano(), id: id}
}

// skipped is the letter of a dead letter marked resolved: left without a
// look at its body.
func skipped(st sinks.Stored, id string, m sinks.Mark) *letter {
	return &letter{
		res: Result{
			ID: id, Stored: st.Time.UTC(), Reason: st.Header(events.HeaderReason),
			Outcome: Resolved, Detail: "skipped: marked resolved", Resolved: &m,
		},
		key:  keyOf(st, id),
		turn: -1,
	}
}

// prepare takes st through the handler's validation and normalization: the
// letter, and the message it becomes when it passes now.
func (r *Replayer) prepare(st sinks.Stored) (*letter, *sinks.Message) {
	id := browse.DeadLetterID(st)
	l := &letter{
		res:  Result{ID: id, Stored: st.Time.UTC(), Reason: st.Header(events.HeaderReason)},
		key:  keyOf(st, id),
		turn: -1,
	}
	// Taken as the source that sent it would take it now.
	src := r.cfg.SourceNamed(st.Header(events.HeaderSource))
	out := schema.Ingest(st.Body, schema.Options{Strict: src.Strict})
	switch {
	case out.Rejection != nil:
		l.res.Outcome, l.res.RejectedAs, l.res.Detail = Rejected, string(out.Rejection.Reason), out.Rejection.Error()
		l.res.Event = out.Rejection.Event
		return l, nil
	case out.Event == nil:
		// A handshake: the handler answers it, and publishes nothing.
		l.res.Outcome = NotAnEvent
		return l, nil
	}
	ev := out.Event
	l.res.Event, l.res.EventID = ev.Name, ev.ID
	msg := r.cfg.EventMessage(ev, src, bridge.StoredTrace(st))
	if orig, ok := sinks.Original(st.Headers, st.Body); ok && orig.ID == ev.ID {
		// An event the broker refused for good (undeliverable):
		// published again as it was then, headers and all.
		msg = orig
	}
	l.topic, l.msgID = msg.Topic, msg.ID
	return l, msg
}

// publish publishes msg and says what became of it.
func (r *Replayer) publish(ctx context.Context, msg *sinks.Message) (outcome, detail string) {
	pctx, cancel := context.WithTimeout(ctx, r.cfg.PublishTimeout)
	defer cancel()
	ack, err := r.broker.Publish(pctx, msg)
	switch {
	case err == nil && ack.Duplicate:
		return AlreadyPublished, ""
	case err == nil:
		return Published, ""
	case errors.Is(err, sinks.ErrTooLarge):
		return TooLarge, err.Error()
	case errors.Is(err, sinks.ErrRefused):
		return Refused, err.Error()
	}
	return Failed, err.Error()
}
