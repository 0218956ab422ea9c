package bridge

import (
	"bytes"
	"io"
	"net/http"
	"testing"
)

func TestBodyTooLarge(t *testing.T) {
	t.Parallel()
	const limit = 4096
	h := newHarness(t, withConfig(func(c *Config) { c.MaxBodyBytes = limit }))

	// An event padded with trailing whitespace, which JSON allows, to an
	// exact size: the limit itself is accepted, one byte more is not.
	sized := func(t *testing.T, id string, n int) []byte {
		b := jobAdded(t, id)
		if len(b) > n {
			t.Fatalf("event of %d bytes does not fit in %d", len(b), n)
		}
		return append(b, bytes.Repeat([]byte(" "), n-len(b))...)
	}
	// post sends with Content-Length, or chunked so that the handler learns
	// the size only by reading.
	post := func(t *testing.T, body []byte, chunked bool) response {
		req, err := http.NewRequest(http.MethodPost, h.webhookURL(), bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if chunked {
			req.Body = io.NopCloser(bytes.NewReader(body))
			req.ContentLength = -1
			req.TransferEncoding = []string{"chunked"}
		}
		return send(t, req)
	}

	for _, chunked := range []bool{false, true} {
		name := "content-length"
		if chunked {
			name = "chunked"
		}
		t.Run(name, func(t *testing.T) {
			stored := h.stored(t)
			wantError(t, post(t, sized(t, "job_over_"+name, limit+1), chunked), http.StatusRequestEntityTooLarge, codeTooLarge)
			wantError(t, post(t, sized(t, "job_far_over_"+name, 4*limit), chunked), http.StatusRequestEntityTooLarge, codeTooLarge)
			if n := h.stored(t); n != stored {
				t.Fatalf("%d messages stored after 413s, want %d: not even a dead letter", n, stored)
			}
			wantOutcome(t, post(t, sized(t, "job_at_limit_"+name, limit), chunked), "published")
		})
	}
	if n := len(h.messages(t, testPrefix+".job_added")); n != 2 {
		t.Errorf("%d events stored, want the 2 at the limit", n)
	}
}
