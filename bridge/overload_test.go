package bridge

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// gateBody holds the handler in its first Read, which comes after the
// handler took its concurrency slot, until the test opens the gate. That
// makes "one request in progress" a fact the test waits for, not a sleep.
type gateBody struct {
	r       io.Reader
	reading chan struct{}
	release chan struct{}
	first   bool
}

func newGateBody(b []byte) *gateBody {
	return &gateBody{r: bytes.NewReader(b), reading: make(chan struct{}), release: make(chan struct{}), first: true}
}

func (g *gateBody) Read(p []byte) (int, error) {
	if g.first {
		g.first = false
		close(g.reading)
		<-g.release
	}
	return g.r.Read(p)
}

func (g *gateBody) Close() error { return nil }

func TestOverloaded(t *testing.T) {
	h := newHarness(t, withConfig(func(c *Config) { c.MaxConcurrent = 1 }))

	gate := newGateBody(jobAdded(t, "job_slow"))
	req := httptest.NewRequest(http.MethodPost, testPath+"/"+url.PathEscape(testToken), gate)
	req.ContentLength = -1
	slow := httptest.NewRecorder()
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.mux.ServeHTTP(slow, req)
	}()
	select {
	case <-gate.reading:
	case <-done:
		t.Fatalf("the slow request finished before reading its body: %d %s", slow.Code, slow.Body)
	}

	r := h.post(t, jobAdded(t, "job_refused"))
	wantError(t, r, http.StatusServiceUnavailable, codeOverloaded)
	if r.header.Get("Retry-After") == "" {
		t.Errorf("overloaded 503 without Retry-After")
	}
	// Authentication comes first: a stranger learns nothing about load.
	wantError(t, h.do(t, http.MethodPost, h.web.URL+testPath, bytes.NewReader(jobAdded(t, "job_x")), nil),
		http.StatusUnauthorized, codeUnauthorized)
	// Load is not a broker problem: readiness holds.
	if r := h.adminGet(t, "/readyz"); r.status != http.StatusOK {
		t.Errorf("/readyz %d while overloaded, want 200", r.status)
	}

	close(gate.release)
	<-done
	wantOutcome(t, response{status: slow.Code, header: slow.Header(), body: slow.Body.Bytes()}, "published")
	// The slot is free again.
	wantOutcome(t, h.post(t, jobAdded(t, "job_after")), "published")
	if n := len(h.messages(t, testPrefix+".job_added")); n != 2 {
		t.Errorf("%d events stored, want 2: the refused one is not", n)
	}
}
