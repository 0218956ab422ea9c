package bridge

import (
	"bytes"
	"net/http"
	"testing"
)

// The method is checked first: a GET without any token is a 405, not a
// 401, so a browser opening the URL learns what the endpoint wants.
func TestMethodNotAllowed(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withoutBroker())
	body := payload(t, "job_added")
	for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions} {
		for _, url := range []string{h.webhookURL(), h.web.URL + testPath} {
			t.Run(method, func(t *testing.T) {
				r := h.do(t, method, url, bytes.NewReader(body), nil)
				wantError(t, r, http.StatusMethodNotAllowed, codeMethod)
				if got := r.header.Get("Allow"); got != http.MethodPost {
					t.Errorf("Allow %q, want POST", got)
				}
			})
		}
	}
	if n := h.stored(t); n != 0 {
		t.Errorf("%d messages stored after refused methods, want none", n)
	}
}

// A path deeper than the token is nobody's, and says so in JSON like every
// other answer.
func TestExtraPathSegmentIsJSONNotFound(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withoutBroker())
	r := h.do(t, http.MethodPost, h.webhookURL()+"/extra", bytes.NewReader(payload(t, "job_added")), nil)
	wantError(t, r, http.StatusNotFound, codeNotFound)
	if n := h.stored(t); n != 0 {
		t.Errorf("%d messages stored, want none", n)
	}
}
