package console

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/hirebridge/hirebridge/internal/browse"
	"github.com/hirebridge/hirebridge/sinks"
	"github.com/rs/zerolog"
)

// Error codes of the API's JSON errors, in the webhook's shape
// {"error":"<code>","detail":"<text>"}.
const (
	codeBadRequest    = "bad_request"
	codeNotFound      = "not_found"
	codeMethod        = "method_not_allowed"
	codeUnavailable   = "broker_unavailable"
	codeRefused       = "broker_refused"
	codeTimeout       = "broker_timeout"
	codeTokenRequired = "admin_token_required"
	codeUnauthorized  = "unauthorized"
	codeCrossOrigin   = "cross_origin"
	codeMediaType     = "unsupported_media_type"
	codeShutdown      = "shutting_down"
	codeOverloaded    = "overloaded"
)

type errorBody struct {
	Error  string `json:"error"`
	Detail string `json:"detail"`
}

func writeError(w http.ResponseWriter, status int, code, detail string) {
	writeJSON(w, status, errorBody{Error: code, Detail: detail})
}

// writeJSON answers v. Every answer is no-store: lists name people's
// entities, and one event's answer is its body.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body, _ = json.Marshal(errorBody{Error: "internal", Detail: err.Error()})
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeBrokerError answers a broker call that failed: 503, as the webhook
// answers a broker away, saying what was being done. A refusal for good
// (the broker's ACLs) is broker_refused, without Retry-After: asking again
// changes nothing until an operator does.
func writeBrokerError(w http.ResponseWriter, doing string, err error) {
	code := codeUnavailable
	switch {
	case errors.Is(err, sinks.ErrRefused):
		code = codeRefused
	case errors.Is(err, context.DeadlineExceeded):
		code = codeTimeout
	}
	if code != codeRefused {
		w.Header().Set("Retry-After", "5")
	}
	writeError(w, http.StatusServiceUnavailable, code, doing+": "+err.Error())
}

// answer does the broker's work of a request, within timeout, and answers
// what do returns as JSON: 503 when the broker is away or fails (saying
// what was being done), 404 when no message read has the id asked for.
func (c *Console) answer(w http.ResponseWriter, r *http.Request, timeout time.Duration, doing string, do func(context.Context, Broker) (any, error)) {
	b, ok := c.broker(w)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	v, err := do(ctx, b)
	if nf, ok := errors.AsType[*browse.NotFoundError](err); ok {
		writeError(w, http.StatusNotFound, codeNotFound, nf.Error())
		return
	}
	if err != nil {
		writeBrokerError(w, doing, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// recorder keeps the status for the request's log line. Unwrap lets
// http.NewResponseController reach the connection's own writer (the live
// feed's flushes and write deadline).
type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// logged logs one line per request at debug: method, path, status and
// duration; never a query (it may carry an entity key) nor a body.
func (c *Console) logged(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c.cfg.Log.GetLevel() > zerolog.DebugLevel || zerolog.GlobalLevel() > zerolog.DebugLevel {
			h.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		c.cfg.Log.Debug().Str("component", "console").Str("method", r.Method).Str("path", r.URL.Path).
			Int("status", rec.status).Dur("took", time.Since(start)).Msg("console request")
	})
}
