package bridge

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hirebridge/hirebridge/sinks"
)

// gateBody holds the handler in its first Read until the test opens the
// gate: a sender still uploading, as a fact the test waits for, not a sleep.
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

// gatedSink holds the first publish until the test opens the gate, then
// passes it, and every other, to the real sink: a request being processed,
// holding its slot, for as long as the test needs.
type gatedSink struct {
	sinks.Sink
	once       sync.Once
	publishing chan struct{}
	release    chan struct{}
}

func newGatedSink(s sinks.Sink) *gatedSink {
	return &gatedSink{Sink: s, publishing: make(chan struct{}), release: make(chan struct{})}
}

func (g *gatedSink) Publish(ctx context.Context, m *sinks.Message) (sinks.Ack, error) {
	first := false
	g.once.Do(func() { first = true })
	if first {
		close(g.publishing)
		<-g.release
	}
	return g.Sink.Publish(ctx, m)
}

// serveInBackground sends req to mux and returns the recorder and a channel
// closed when the handler returns.
func serveInBackground(mux http.Handler, req *http.Request) (*httptest.ResponseRecorder, chan struct{}) {
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() {
		defer close(done)
		mux.ServeHTTP(rec, req)
	}()
	return rec, done
}

func TestOverloaded(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	cfg := h.cfg
	cfg.MaxConcurrent = 1
	gated := newGatedSink(h.sink)
	mux := http.NewServeMux()
	NewHandler(cfg, gated, h.log, NewMetrics(prometheus.NewRegistry())).Mount(mux, testPath)
	web := httptest.NewServer(mux)
	t.Cleanup(web.Close)
	target := web.URL + testPath + "/" + url.PathEscape(testToken)

	req := httptest.NewRequest(http.MethodPost, testPath+"/"+url.PathEscape(testToken), bytes.NewReader(jobAdded(t, "job_slow")))
	slow, done := serveInBackground(mux, req)
	select {
	case <-gated.publishing:
	case <-done:
		t.Fatalf("the first request finished before publishing: %d %s", slow.Code, slow.Body)
	}

	r := h.do(t, http.MethodPost, target, bytes.NewReader(jobAdded(t, "job_refused")), nil)
	wantError(t, r, http.StatusServiceUnavailable, codeOverloaded)
	if r.header.Get("Retry-After") == "" {
		t.Errorf("overloaded 503 without Retry-After")
	}
	// Authentication comes first: a stranger learns nothing about load.
	wantError(t, h.do(t, http.MethodPost, web.URL+testPath, bytes.NewReader(jobAdded(t, "job_x")), nil),
		http.StatusUnauthorized, codeUnauthorized)
	// Load is not a broker problem: readiness holds.
	if r := h.adminGet(t, "/readyz"); r.status != http.StatusOK {
		t.Errorf("/readyz %d while overloaded, want 200", r.status)
	}

	close(gated.release)
	<-done
	wantOutcome(t, response{status: slow.Code, header: slow.Header(), body: slow.Body.Bytes()}, "published")
	// The slot is free again.
	wantOutcome(t, h.do(t, http.MethodPost, target, bytes.NewReader(jobAdded(t, "job_after")), nil), "published")
	if n := len(h.messages(t, testPrefix+".job_added")); n != 2 {
		t.Errorf("%d events stored, want 2: the refused one is not", n)
	}
}

// A sender still uploading its body holds a connection, not a processing
// slot: with every slot's worth of senders stuck mid-body, a fast sender is
// served.
func TestSlowUploadsDoNotTakeSlots(t *testing.T) {
	t.Parallel()
	const slowSenders = 4
	h := newHarness(t)
	mux := h.sibling(func(c *Config) { c.MaxConcurrent = 1 })

	var gates []*gateBody
	var dones []chan struct{}
	var recs []*httptest.ResponseRecorder
	for i := range slowSenders {
		gate := newGateBody(jobAdded(t, "job_slow_"+string(rune('a'+i))))
		req := httptest.NewRequest(http.MethodPost, testPath+"/"+url.PathEscape(testToken), gate)
		req.ContentLength = -1
		rec, done := serveInBackground(mux, req)
		<-gate.reading
		gates, dones, recs = append(gates, gate), append(dones, done), append(recs, rec)
	}

	wantOutcome(t, serveDirect(mux, jobAdded(t, "job_fast")), "published")

	for i, gate := range gates {
		close(gate.release)
		<-dones[i]
		wantOutcome(t, response{status: recs[i].Code, header: recs[i].Header(), body: recs[i].Body.Bytes()}, "published")
	}
	if n := len(h.messages(t, testPrefix+".job_added")); n != slowSenders+1 {
		t.Errorf("%d events stored, want %d", n, slowSenders+1)
	}
}
