package bridge

import (
	"bytes"
	"context"
	"net/http"
	"strconv"

	"github.com/hirebridge/hirebridge/schema"
	"github.com/hirebridge/hirebridge/schema/events"
	"github.com/hirebridge/hirebridge/sinks"
)

// reject answers a body that cannot become an event and keeps a copy of it
// on the dead-letter topic, so nothing the sender sent is lost without a
// trace. The answer does not depend on the dead letter being stored: the
// sender's retry would be rejected the same way.
func (h *Handler) reject(w http.ResponseWriter, r *http.Request, src sourceOf, status int, rej *schema.Rejection, body []byte, event string) outcome {
	// Worded once: a rejection lists every problem found, up to
	// schema.MaxProblems, and the answer, the dead letter and the log
	// line say the same.
	detail := rej.Error()
	h.deadLetter(r, src, rej.Reason, detail, body)
	if event != "" {
		h.metrics.event(src.Name(), event, outcomeRejected)
	}
	writeError(w, status, string(rej.Reason), detail)
	return outcome{status: status, code: string(rej.Reason), event: event, field: rej.Field, payloadDetail: detail}
}

func (h *Handler) deadLetter(r *http.Request, src sourceOf, reason schema.Reason, detail string, body []byte) {
	msg := &sinks.Message{
		Topic: h.dlq,
		// A sender's retries of the same rejected bytes dedupe, apart from
		// event ids (see events.DeadLetterID).
		ID: events.DeadLetterID(body),
		// The raw buffer goes back to the pool after the request; a sink may
		// hold the body until its batch is written.
		Body: bytes.Clone(body),
		Headers: append(traceHeaders(r),
			sinks.Header{Name: events.HeaderReason, Value: string(reason)},
			sinks.Header{Name: events.HeaderDetail, Value: detail},
			sinks.Header{Name: events.HeaderContentType, Value: r.Header.Get("Content-Type")},
			src.header(),
		),
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.cfg.PublishTimeout)
	defer cancel()
	_, err := h.sink.Publish(ctx, msg)
	h.metrics.deadLetters.WithLabelValues(src.Name(), string(reason), strconv.FormatBool(err == nil)).Inc()
	if err != nil {
		h.log.Warn().Err(err).Str("reason", string(reason)).Msg("dead letter not stored")
	}
}
