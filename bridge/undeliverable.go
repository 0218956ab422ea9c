package bridge

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/hirebridge/hirebridge/schema/events"
	"github.com/hirebridge/hirebridge/sinks"
)

// outcomeDeadLettered is a valid event the broker refused for good (a
// subject the credentials may not write, a topic it will not create),
// kept on the dead letters and answered 202: stored, and recoverable with
// `hirebridge replay` once the deployment is fixed.
const outcomeDeadLettered = "dead_lettered"

// codeUndeliverable answers an event the broker refused for good whose
// dead letter could not be stored either.
const codeUndeliverable = "undeliverable"

// undeliverable keeps msg, which the broker refused for good with cause,
// (an event named event) on the dead letters, and answers 202 once they hold it. Only when the
// dead letters refuse too is the answer a 503: nothing was stored, and the
// sender's retry may find the deployment fixed.
func (h *Handler) undeliverable(w http.ResponseWriter, r *http.Request, src sourceOf, event string, msg *sinks.Message, cause error) outcome {
	o := outcome{event: event, id: msg.ID, detail: cause.Error()}
	dl := sinks.Undeliverable(msg, h.dlq, cause)
	// As every dead letter does, beside the original's copy of it.
	dl.Headers = append(dl.Headers, src.header())
	ctx, cancel := context.WithTimeout(r.Context(), h.cfg.PublishTimeout)
	_, err := h.sink.Publish(ctx, dl)
	cancel()
	h.metrics.deadLetters.WithLabelValues(src.Name(), events.ReasonUndeliverable, strconv.FormatBool(err == nil)).Inc()
	if err == nil {
		h.metrics.event(src.Name(), o.event, outcomeDeadLettered)
		writeOutcome(w, http.StatusAccepted, outcomeDeadLettered, msg.ID)
		o.status, o.result = http.StatusAccepted, outcomeDeadLettered
		return o
	}
	h.metrics.event(src.Name(), o.event, outcomeUnavailable)
	o.status, o.code = http.StatusServiceUnavailable, codeUndeliverable
	o.detail = errors.Join(cause, err).Error()
	writeUnavailable(w, h.cfg.RetryAfter, codeUndeliverable,
		"the broker refuses this event for good ("+cause.Error()+"), and its dead letter could not be stored either: "+err.Error())
	return o
}
