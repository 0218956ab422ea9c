package bridge

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"go.opentelemetry.io/otel/trace"

	"github.com/hirebridge/hirebridge/schema"
	"github.com/hirebridge/hirebridge/schema/events"
	"github.com/hirebridge/hirebridge/sinks"
)

// Handler receives Hirempire webhooks. It is safe for concurrent use and
// holds no lock across a publish: each request waits only for its own ack.
type Handler struct {
	cfg     Config
	sink    sinks.Sink
	log     zerolog.Logger
	metrics *Metrics
	// unauthorizedLog is log sampled: wrong tokens come as fast as anyone
	// can send them, and each must stay cheap. Every 401 is still counted
	// on /metrics.
	unauthorizedLog zerolog.Logger
	// sources is swapped whole by SetSources; the request path loads it
	// and takes no lock.
	sources atomic.Pointer[sourceSet]
	slots   chan struct{}
	// unshared turns the fair share off: tests show with it what the
	// share prevents.
	unshared bool
	budget   *memoryBudget
	bodies   bodyPool
	dlq      string
	// tracer is nil when tracing is off: the request path then pays one
	// nil check. route is the path pattern the server span is named by.
	tracer trace.Tracer
	route  string
}

// unauthorizedLogBurst is how many 401 lines are logged per second.
const unauthorizedLogBurst = 5

// NewHandler returns the webhook handler. Mount it with Mount so the token
// path segment is recognized.
func NewHandler(cfg Config, sink sinks.Sink, log zerolog.Logger, metrics *Metrics) *Handler {
	h := &Handler{
		cfg:             cfg,
		sink:            sink,
		log:             log,
		metrics:         metrics,
		unauthorizedLog: log.Sample(&zerolog.BurstSampler{Burst: unauthorizedLogBurst, Period: time.Second}),
		slots:           make(chan struct{}, cfg.MaxConcurrent),
		budget:          newMemoryBudget(cfg.RequestMemory, budgetWait),
		dlq:             events.DeadLetterSubject(cfg.Prefix),
	}
	h.sources.Store(newSourceSet(cfg.SourceList()))
	return h
}

// SetSources replaces the sources, and so the tokens, at once: a request
// already past its token check finishes as the source it was; the next
// one is checked against srcs. Sources that do not validate are refused
// and the current ones kept.
func (h *Handler) SetSources(srcs []Source) error {
	if err := ValidateSources(srcs); err != nil {
		return err
	}
	h.sources.Store(newSourceSet(slices.Clone(srcs)))
	return nil
}

// Mount registers h on mux at path and path/{token}, for every method (405
// is h's answer, with the JSON body every error has). path/ is h's too: a
// URL registered with a trailing slash and the token elsewhere works, and
// without a token it gets h's JSON 401 rather than the mux's plain 404.
func (h *Handler) Mount(mux *http.ServeMux, path string) {
	h.route = path + "/{token}"
	mux.Handle(path, h)
	mux.Handle(path+"/{$}", h)
	mux.Handle(path+"/{token}", h)
	// Deeper paths are nobody's: a JSON 404 rather than the mux's text.
	mux.HandleFunc(path+"/{token}/{rest...}", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, codeNotFound,
			fmt.Sprintf("no such path: Hirempire webhooks are POSTed to %s/<token>", path))
	})
}

// outcome is what one request came to, for the log line.
type outcome struct {
	status int
	// result is what became of a stored event: published or duplicate.
	result string
	code   string
	event  string
	id     string
	detail string
	// field points at the member a rejected body got wrong. A rejection's
	// detail may quote the sender's values, which can be personal data, so
	// it goes only to the debug line in payloadDetail.
	field         string
	payloadDetail string
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	var span trace.Span
	if h.tracer != nil {
		r, span = h.startServerSpan(r)
	}
	o := h.serve(w, r)
	h.metrics.response(o.status)
	level := zerolog.InfoLevel
	if o.status >= 500 {
		level = zerolog.WarnLevel
	}
	log := &h.log
	if o.status == http.StatusUnauthorized {
		log = &h.unauthorizedLog
	}
	e := log.WithLevel(level).
		Int("status", o.status).
		Dur("latency_ms", time.Since(start))
	for _, f := range [...][2]string{
		{"event", o.event}, {"id", o.id}, {"outcome", o.result},
		{"error", o.code}, {"field", o.field}, {"detail", o.detail},
	} {
		if f[1] != "" {
			e = e.Str(f[0], f[1])
		}
	}
	if span != nil {
		e = logTrace(e, span)
		endServerSpan(span, o)
	}
	e.Msg("webhook")
	if o.payloadDetail != "" {
		h.log.Debug().Str("error", o.code).Str("detail", o.payloadDetail).Msg("webhook rejected")
	}
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) outcome {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return h.fail(w, http.StatusMethodNotAllowed, codeMethod, fmt.Sprintf("%s is not allowed; Hirempire webhooks are POSTed", r.Method))
	}
	set := h.sources.Load()
	idx := set.tokens.source(r)
	if idx < 0 {
		// Closed after the answer: a client without the token has nothing
		// to send next, and a kept-alive connection of one would hold a
		// goroutine and buffers for the idle timeout, free to flood.
		w.Header().Set("Connection", "close")
		return h.fail(w, http.StatusUnauthorized, codeUnauthorized, "missing or wrong token: give it as the last path segment, ?token= or Authorization: Bearer")
	}
	if r.ContentLength > h.cfg.MaxBodyBytes {
		return h.tooLarge(w)
	}
	coding, err := parseContentEncoding(r.Header)
	if err != nil {
		// RFC 7694: the answer says which codings would do.
		w.Header().Set("Accept-Encoding", acceptedEncodings)
		return h.fail(w, http.StatusUnsupportedMediaType, codeUnsupportedEncoding, err.Error())
	}
	fair := set.fair
	if h.unshared || len(set.sources) == 1 {
		fair = nil // one source has everything to itself
	} else {
		fair.seen(idx, time.Now().UnixNano())
	}
	res := h.budget.reserve(r.Context(), fair, idx)
	defer res.release()
	buf, err := h.bodies.readBody(w, r, h.cfg.MaxBodyBytes, res, coding)
	if err != nil {
		return h.unreadable(w, err)
	}
	defer h.bodies.put(buf)
	body := *buf

	// The slot is taken once the body is in: senders still uploading hold
	// connections and their bytes, never the capacity of fast ones.
	if fair != nil {
		if !fair.takeSlot(idx, h.cfg.MaxConcurrent) {
			writeUnavailable(w, h.cfg.RetryAfter, codeOverloaded, "this source holds its share of the requests in progress while other sources are sending")
			return outcome{status: http.StatusServiceUnavailable, code: codeOverloaded}
		}
		defer fair.releaseSlot(idx)
	}
	select {
	case h.slots <- struct{}{}:
		defer func() { <-h.slots }()
	default:
		writeUnavailable(w, h.cfg.RetryAfter, codeOverloaded, "too many requests in progress")
		return outcome{status: http.StatusServiceUnavailable, code: codeOverloaded}
	}
	h.metrics.inFlight.Inc()
	defer h.metrics.inFlight.Dec()

	src := sourceOf{set, idx}
	o, err := schema.IngestMetered(body, schema.Options{Strict: src.Strict()}, res.grow)
	switch {
	case err != nil:
		return h.overBudget(w, err)
	case o.Challenge != nil:
		writeChallenge(w, o.Challenge)
		return outcome{status: http.StatusOK, event: "challenge"}
	case o.Rejection != nil && o.Rejection.Malformed():
		return h.reject(w, r, src, http.StatusBadRequest, o.Rejection, body, "")
	case o.Rejection != nil:
		return h.reject(w, r, src, http.StatusUnprocessableEntity, o.Rejection, body, o.Rejection.Event)
	}
	ev := o.Event
	return h.publish(w, r, src, ev)
}

func (h *Handler) publish(w http.ResponseWriter, r *http.Request, src sourceOf, ev *schema.Event) outcome {
	msg := h.cfg.eventMessage(ev, src.EventSource(), append(traceHeaders(r), src.header()))
	ctx, cancel := context.WithTimeout(r.Context(), h.cfg.PublishTimeout)
	ack, err := h.sink.Publish(ctx, msg)
	cancel()
	o := outcome{event: ev.Name, id: ev.ID}
	switch {
	case err == nil && ack.Spooled:
		h.metrics.event(src.Name(), ev.Name, outcomeSpooled)
		writeOutcome(w, http.StatusAccepted, outcomeSpooled, ev.ID)
		o.status, o.result = http.StatusAccepted, outcomeSpooled
	case err == nil && ack.Duplicate:
		h.metrics.event(src.Name(), ev.Name, outcomeDuplicate)
		writeOutcome(w, http.StatusOK, outcomeDuplicate, ev.ID)
		o.status, o.result = http.StatusOK, outcomeDuplicate
	case err == nil:
		h.metrics.event(src.Name(), ev.Name, outcomePublished)
		writeOutcome(w, http.StatusOK, outcomePublished, ev.ID)
		o.status, o.result = http.StatusOK, outcomePublished
	case errors.Is(err, sinks.ErrTooLarge):
		h.metrics.event(src.Name(), ev.Name, outcomeRejected)
		o.status, o.code, o.detail = http.StatusRequestEntityTooLarge, codeTooLarge, err.Error()
		writeError(w, o.status, o.code, "the event is larger than the broker accepts")
	case errors.Is(err, sinks.ErrRefused):
		return h.undeliverable(w, r, src, ev.Name, msg, err)
	case r.Context().Err() != nil:
		h.metrics.event(src.Name(), ev.Name, outcomeAbandoned)
		o.status, o.code, o.detail = http.StatusServiceUnavailable, codeAbandoned, "the sender hung up before the broker answered"
		writeUnavailable(w, h.cfg.RetryAfter, o.code, o.detail)
	default:
		h.metrics.event(src.Name(), ev.Name, outcomeUnavailable)
		o.status, o.code, o.detail = http.StatusServiceUnavailable, codeUnavailable, err.Error()
		writeUnavailable(w, h.cfg.RetryAfter, o.code, "the broker did not store the event; retry later")
	}
	return o
}

// traceHeaders copies the sender's W3C trace context, so a consumer's span
// joins the sender's trace. When tracing is on, the producer span
// (sinks/traced) replaces them with its own, a child of the sender's.
func traceHeaders(r *http.Request) []sinks.Header {
	var hs []sinks.Header
	if tp := r.Header.Get(events.HeaderTraceParent); tp != "" {
		hs = append(hs, sinks.Header{Name: events.HeaderTraceParent, Value: tp})
		if ts := r.Header.Get(events.HeaderTraceState); ts != "" {
			hs = append(hs, sinks.Header{Name: events.HeaderTraceState, Value: ts})
		}
	}
	return hs
}

func (h *Handler) fail(w http.ResponseWriter, status int, code, detail string) outcome {
	writeError(w, status, code, detail)
	return outcome{status: status, code: code, detail: detail}
}

// unreadable answers a body that could not be read in full.
func (h *Handler) unreadable(w http.ResponseWriter, err error) outcome {
	var tooBig *http.MaxBytesError
	var badEncoding *errBadEncoding
	switch {
	case errors.As(err, &tooBig):
		return h.tooLarge(w)
	case errors.Is(err, errInflatedTooLarge):
		return h.fail(w, http.StatusRequestEntityTooLarge, codeTooLarge,
			fmt.Sprintf("the body is larger than %d bytes once decompressed", h.cfg.MaxBodyBytes))
	case errors.As(err, &badEncoding):
		return h.fail(w, http.StatusBadRequest, codeBadEncoding, err.Error())
	case errors.Is(err, errOverBudget), errors.Is(err, errBeyondBudget):
		return h.overBudget(w, err)
	}
	return h.fail(w, http.StatusBadRequest, codeUnreadable, "the body could not be read: "+err.Error())
}

// overBudget answers a request the memory budget cannot take: 503 while
// others hold it, 413 when the request alone needs more than all of it.
func (h *Handler) overBudget(w http.ResponseWriter, err error) outcome {
	if errors.Is(err, errBeyondBudget) {
		return h.fail(w, http.StatusRequestEntityTooLarge, codeTooLarge,
			"reading and decoding the body takes more memory than all requests in progress may hold together")
	}
	writeUnavailable(w, h.cfg.RetryAfter, codeOverloaded, err.Error()+"; retry later")
	return outcome{status: http.StatusServiceUnavailable, code: codeOverloaded}
}

func (h *Handler) tooLarge(w http.ResponseWriter) outcome {
	return h.fail(w, http.StatusRequestEntityTooLarge, codeTooLarge,
		fmt.Sprintf("the body is larger than %d bytes", h.cfg.MaxBodyBytes))
}
