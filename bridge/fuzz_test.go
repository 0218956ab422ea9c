package bridge

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hirebridge/hirebridge/schema"
)

const fuzzBodyLimit = 8 << 10

// fuzzRequest turns the selector byte into the parts of a request the body
// does not decide: bits 0-1 where the token goes (path, query, bearer,
// nowhere), bit 2 a method other than POST, bit 3 chunked transfer.
func fuzzRequest(sel byte, body []byte) (req *http.Request, authorized, post bool) {
	target := testPath + "/" + url.PathEscape(testToken)
	var bearer string
	authorized = true
	switch sel & 3 {
	case 1:
		target = testPath + "?token=" + url.QueryEscape(testToken)
	case 2:
		target, bearer = testPath, "Bearer "+testToken
	case 3:
		target, authorized = testPath, false
	}
	method := http.MethodPost
	if sel&4 != 0 {
		method = []string{http.MethodGet, http.MethodPut, http.MethodDelete, http.MethodPatch}[sel>>4&3]
	}
	req = httptest.NewRequest(method, target, bytes.NewReader(body))
	if bearer != "" {
		req.Header.Set("Authorization", bearer)
	}
	if sel&8 != 0 {
		req.ContentLength = -1
	}
	return req, authorized, method == http.MethodPost
}

// FuzzWebhook sends arbitrary bodies through the mounted handler into a
// real JetStream server. Whatever the body, the handler answers one of the
// README's statuses with a well-formed body, and never a 2xx it should not.
func FuzzWebhook(f *testing.F) {
	h := newHarness(f, withConfig(func(c *Config) { c.MaxBodyBytes = fuzzBodyLimit }))

	examples := examplePayloads(f)
	// Sorted, so a seed's number names the same input on every run.
	for _, name := range slices.Sorted(maps.Keys(examples)) {
		for _, sel := range []byte{0, 1, 2, 3, 4, 8} {
			f.Add(sel, examples[name])
		}
	}
	for _, s := range []string{
		"", " ", "null", "[]", "{}", `"x"`, "1e400", "\xef\xbb\xbf{}",
		`{"challenge":"\u00e9\n"}`,
		`{"challenge":{"a":[1,2.50,{"b":null}]}}`,
		`{"challenge":1,"challenge":2}`,
		`{"event":"job_added","timestamp":"2026-01-30T02:05:17.892Z","company":{"id":"c"},"job":{"id":"j"}}`,
		`{"event":" JOB_ADDED ","timestamp":1769739917892,"company":{"id":"c"},"job":{"id":"j"}}`,
		`{"event":"job.*","timestamp":"2026-01-30T02:05:17Z"}`,
		`{"event":"hirempire.>","timestamp":"2026-01-30T02:05:17Z"}`,
		`{"event":"x","timestamp":"2026-01-30T02:05:17"}`,
		`{"event":"x","timestamp":-62135596801}`,
		`{"event":"x","timestamp":1e20}`,
		`{"event":"x","timestamp":"2026-01-30T02:05:17Z","id":"\xff\xfe"}`,
		`{"event":"meeting_booked","timestamp":"2026-01-30T02:05:17Z","company":{"id":"c"},"meeting":{"id":"m","scheduled_at":"never"}}`,
		`{"event":"x","timestamp":"2026-01-30T02:05:17Z","company":{"company":"Acme"}}`,
		`{"event":"x","timestamp":"2026-01-30T02:05:17Z"}` + strings.Repeat(" ", fuzzBodyLimit),
		strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
		`{"a":` + strings.Repeat(`{"a":`, 5000) + "1" + strings.Repeat("}", 5001),
	} {
		f.Add(byte(0), []byte(s))
	}

	// The value behind each id answered, across the whole run: an id shared
	// by two bodies that do not stand for the same JSON value would mean one
	// of them was rewritten into the other.
	values := map[string]string{}
	var valuesMu sync.Mutex

	f.Fuzz(func(t *testing.T, sel byte, body []byte) {
		req, authorized, post := fuzzRequest(sel, body)
		rec := httptest.NewRecorder()
		h.mux.ServeHTTP(rec, req)
		r := response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}

		switch {
		case !post:
			wantError(t, r, http.StatusMethodNotAllowed, codeMethod)
			return
		case !authorized:
			wantError(t, r, http.StatusUnauthorized, codeUnauthorized)
			return
		case len(body) > fuzzBodyLimit:
			wantError(t, r, http.StatusRequestEntityTooLarge, codeTooLarge)
			return
		}
		// rej is set only when the body is not an I-JSON object at all.
		rej := schema.Ingest(body, schema.Options{}).Rejection
		if rej != nil && !rej.Malformed() {
			rej = nil
		}
		switch r.status {
		case http.StatusOK:
			if rej != nil {
				t.Fatalf("200 for a body that is not a JSON object (%v): %s", rej, r.body)
			}
			if id := checkOK(t, body, r); id != "" {
				if err := pythonStrict(body); err != nil {
					t.Fatalf("accepted a body a strict consumer refuses (%v): %q", err, body)
				}
				value, err := normalizedValue(body)
				if err != nil {
					t.Fatalf("accepted body does not normalize apart from the bridge: %v", err)
				}
				valuesMu.Lock()
				prev, seen := values[id]
				values[id] = value
				valuesMu.Unlock()
				if seen && prev != value {
					t.Fatalf("id %s answered for two different values:\n%s\n%s", id, prev, value)
				}
			}
		case http.StatusBadRequest:
			if rej == nil {
				t.Fatalf("400 for a JSON object: %s", r.body)
			}
			wantError(t, r, http.StatusBadRequest, string(rej.Reason))
		case http.StatusUnprocessableEntity:
			if rej != nil {
				t.Fatalf("422 for a body that is not a JSON object (%v)", rej)
			}
			var e errorBody
			_ = json.Unmarshal(r.body, &e)
			wantError(t, r, http.StatusUnprocessableEntity, e.Error)
		case http.StatusServiceUnavailable:
			var e errorBody
			_ = json.Unmarshal(r.body, &e)
			wantError(t, r, http.StatusServiceUnavailable, e.Error)
			if r.header.Get("Retry-After") == "" {
				t.Errorf("503 without Retry-After")
			}
		default:
			t.Fatalf("status %d is not one of the README's; body %s", r.status, r.body)
		}
	})
}

// checkOK accepts a 200 that is either the echo of the challenge member,
// byte for byte, or an event's outcome, whose id it returns.
func checkOK(t *testing.T, body []byte, r response) string {
	t.Helper()
	var members map[string]json.RawMessage
	if err := json.Unmarshal(body, &members); err != nil {
		t.Fatalf("200 for a body that is not an object: %v", err)
	}
	if raw, ok := members["challenge"]; ok {
		if _, event := members["event"]; !event {
			if want := `{"challenge":` + string(raw) + `}`; string(r.body) != want {
				t.Fatalf("challenge answer %s, want %s", r.body, want)
			}
			return ""
		}
	}
	var o outcomeBody
	if err := json.Unmarshal(r.body, &o); err != nil || (o.Status != "published" && o.Status != "duplicate") {
		t.Fatalf("200 answer %s is neither a challenge echo nor an outcome", r.body)
	}
	return wantOutcome(t, r, o.Status)
}
