package bridge

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// Error codes of the JSON error body, besides the schema.Reason codes.
const (
	codeMethod       = "method_not_allowed"
	codeUnauthorized = "unauthorized"
	codeTooLarge     = "body_too_large"
	codeUnreadable   = "body_unreadable"
	// codeUnsupportedEncoding is a Content-Encoding other than gzip,
	// deflate and identity (415); codeBadEncoding a body that is not in
	// the coding it names (400).
	codeUnsupportedEncoding = "unsupported_encoding"
	codeBadEncoding         = "invalid_encoding"
	codeUnavailable         = "broker_unavailable"
	codeAbandoned           = "sender_gone"
	codeOverloaded          = "overloaded"
	codeShutdown            = "shutting_down"
	codeNotLive             = "cannot_recover"
	codeNotFound            = "not_found"
)

type errorBody struct {
	Error  string `json:"error"`
	Detail string `json:"detail"`
}

func writeError(w http.ResponseWriter, status int, code, detail string) {
	body, _ := json.Marshal(errorBody{Error: code, Detail: detail})
	writeJSON(w, status, body)
}

func writeUnavailable(w http.ResponseWriter, retryAfter time.Duration, code, detail string) {
	secs := int(retryAfter.Round(time.Second) / time.Second)
	w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	writeError(w, http.StatusServiceUnavailable, code, detail)
}

// writeOutcome answers an event the broker stored (200) or the spool holds
// (202: on the bridge's disk, not yet on the broker). The id is hex, so the
// body is built without an encoder on the hot path.
func writeOutcome(w http.ResponseWriter, code int, status, id string) {
	b := make([]byte, 0, 32+len(status)+len(id))
	b = append(b, `{"status":"`...)
	b = append(b, status...)
	b = append(b, `","id":"`...)
	b = append(b, id...)
	b = append(b, `"}`...)
	writeJSON(w, code, b)
}

func writeChallenge(w http.ResponseWriter, raw []byte) {
	b := make([]byte, 0, len(raw)+14)
	b = append(b, `{"challenge":`...)
	b = append(b, raw...)
	b = append(b, '}')
	writeJSON(w, http.StatusOK, b)
}

// Header values every answer has, shared rather than allocated per
// response: net/http only reads them, and an Add would copy a slice of
// capacity one rather than append to it.
var (
	contentTypeJSON = []string{"application/json"}
	cacheNoStore    = []string{"no-store"}
)

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	// The keys are in canonical form already, as Set would make them.
	h["Content-Type"] = contentTypeJSON
	h["Cache-Control"] = cacheNoStore
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
