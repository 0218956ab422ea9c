package bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"go.opentelemetry.io/otel/trace"

	"github.com/hirebridge/hirebridge/internal/syncbuf"
	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/instrumented"
	"github.com/hirebridge/hirebridge/sinks/natsjs"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
	"github.com/hirebridge/hirebridge/sinks/traced"
)

const (
	testPrefix = "hirempire"
	testStream = "HIREMPIRE_TEST"
	testPath   = "/webhooks/hirempire"
	testSource = "https://app.hirempire.com"
	// The token holds characters that need care in a path or a query, so
	// that all three places are tested with the escaping they need.
	testToken = "tok-3n_Q~x.9+z"
	dlq       = testPrefix + ".dlq"
)

// harness is the bridge as the binary wires it, against a real JetStream
// server: handler and admin on their own httptest servers, the sink wrapped
// in instrumented.Wrap, metrics on a registry of their own.
type harness struct {
	t       testing.TB
	nats    *natstest.Server
	handler *Handler
	cfg     Config
	sink    sinks.Sink
	log     zerolog.Logger
	admin   *Admin
	mux     *http.ServeMux
	web     *httptest.Server
	adm     *httptest.Server
	reg     *prometheus.Registry
	logs    *syncbuf.Buffer
	reader  jetstream.Stream
	// recorded is the recorder in the broker's place, withoutBroker.
	recorded *recorder
}

type harnessOptions struct {
	cfg      Config
	logLevel zerolog.Level
	// noBroker puts a recorder in the broker's place, for tests of what
	// the handler answers before or without a broker round trip.
	noBroker bool
	// inProcess connects to the server without a socket, as the service
	// does to its embedded server.
	inProcess bool
	// tracer, when set, wires tracing as the service does with it on.
	tracer trace.TracerProvider
}

// inProcess: the sink reaches the test server as the service reaches its
// embedded one, so a benchmark measures what runs in production.
func inProcess() option { return func(o *harnessOptions) { o.inProcess = true } }

// withoutBroker: the test is about the handler alone (methods, tokens,
// logs); what a broker does is for the tests that start one.
func withoutBroker() option { return func(o *harnessOptions) { o.noBroker = true } }

type option func(*harnessOptions)

// withTracing: the handler starts server spans of tp and the sink
// producer spans, as the service wires them when tracing is on.
func withTracing(tp trace.TracerProvider) option { return func(o *harnessOptions) { o.tracer = tp } }

func withConfig(f func(*Config)) option { return func(o *harnessOptions) { f(&o.cfg) } }

// newHarnessConfig is the handler's configuration in a harness, before
// its options.
func newHarnessConfig() Config {
	return Config{
		Token:          testToken,
		MaxBodyBytes:   1 << 20,
		Prefix:         testPrefix,
		Source:         testSource,
		PublishTimeout: 5 * time.Second,
		RetryAfter:     3 * time.Second,
		MaxConcurrent:  64,
		RequestMemory:  64 << 20,
	}
}

func newHarness(t testing.TB, opts ...option) *harness {
	t.Helper()
	o := harnessOptions{
		cfg:      newHarnessConfig(),
		logLevel: zerolog.InfoLevel,
	}
	for _, opt := range opts {
		opt(&o)
	}
	if o.noBroker {
		return newHarnessOver(t, o, &recorder{}, nil)
	}

	srv := natstest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var local nats.InProcessConnProvider
	if o.inProcess {
		local = srv.Server
	}
	sink, err := natsjs.Open(ctx, natsjs.Config{
		InProcess:       local,
		URLs:            srv.URL(),
		Stream:          testStream,
		Prefix:          testPrefix,
		StreamReplicas:  1,
		DuplicateWindow: time.Minute,
		// The bridge's own window of acknowledged ids on, as in production.
		RememberIDs: 100_000,
		RememberFor: 10 * time.Minute,
		MaxPending:  1024,
		AckTimeout:  o.cfg.PublishTimeout,
		// Short, so a test that restarts the server does not wait long for
		// the sink to come back.
		ReconnectWait: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatalf("opening the JetStream sink: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := sink.Close(ctx); err != nil {
			t.Errorf("closing the sink: %v", err)
		}
	})

	h := newHarnessOver(t, o, sink, srv)
	h.reader = openReader(t, srv.URL())
	return h
}

// newHarnessOver wires the handler and admin endpoints over sink; srv is
// the broker behind it, or nil for a recorder.
func newHarnessOver(t testing.TB, o harnessOptions, sink sinks.Sink, srv *natstest.Server) *harness {
	t.Helper()
	h := &harness{t: t, nats: srv, reg: prometheus.NewRegistry(), logs: &syncbuf.Buffer{}}
	if o.tracer != nil {
		sink = traced.Wrap(sink, "nats", o.tracer)
	}
	wrapped := instrumented.Wrap(sink, "nats", instrumented.NewPublishLatency(h.reg))
	h.sink, h.cfg = wrapped, o.cfg
	h.log = zerolog.New(h.logs).Level(o.logLevel).With().Timestamp().Logger()
	h.handler = NewHandler(o.cfg, wrapped, h.log, NewMetrics(h.reg))
	if o.tracer != nil {
		h.handler.EnableTracing(o.tracer)
	}
	h.mux = http.NewServeMux()
	h.handler.Mount(h.mux, testPath)
	h.web = httptest.NewServer(h.mux)
	t.Cleanup(h.web.Close)
	h.admin = NewAdmin(wrapped, h.reg)
	h.adm = httptest.NewServer(h.admin)
	t.Cleanup(h.adm.Close)
	if rec, ok := sink.(*recorder); ok {
		h.recorded = rec
	}
	return h
}

// openReader connects a consumer-side client of its own, so what a test
// reads is what the broker stored, not what the sink believes it sent.
func openReader(t testing.TB, url string) jetstream.Stream {
	t.Helper()
	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(20*time.Millisecond))
	if err != nil {
		t.Fatalf("reader connection: %v", err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("reader JetStream: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	stream, err := js.Stream(ctx, testStream)
	if err != nil {
		t.Fatalf("reader stream: %v", err)
	}
	return stream
}

// webhookURL is the registered URL with the token as the last path segment.
func (h *harness) webhookURL() string {
	return h.web.URL + testPath + "/" + url.PathEscape(testToken)
}

// response is what a test inspects of an HTTP answer.
type response struct {
	status int
	header http.Header
	body   []byte
	// closes is the server's word that it closes the connection after
	// this answer (Connection: close, which the client takes out of the
	// headers).
	closes bool
}

// do sends one request; header values are set as given.
func (h *harness) do(t testing.TB, method, url string, body io.Reader, header map[string]string) response {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatalf("building request: %v", err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return send(t, req)
}

func send(t testing.TB, req *http.Request) response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Redacted(), err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the response: %v", err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b, closes: resp.Close}
}

// post sends body to the registered URL.
func (h *harness) post(t testing.TB, body []byte) response {
	t.Helper()
	return h.do(t, http.MethodPost, h.webhookURL(), bytes.NewReader(body), nil)
}

// wantError checks an error answer: the status, a JSON content type, and a
// body of exactly {"error":code,"detail":<non-empty>}. It returns the detail.
func wantError(t testing.TB, r response, status int, code string) string {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &members); err != nil {
		t.Fatalf("error body %q is not a JSON object: %v", r.body, err)
	}
	if len(members) != 2 {
		t.Errorf("error body %s has %d members, want error and detail only", r.body, len(members))
	}
	var e struct {
		Error  *string `json:"error"`
		Detail *string `json:"detail"`
	}
	if err := json.Unmarshal(r.body, &e); err != nil || e.Error == nil || e.Detail == nil {
		t.Fatalf("error body %s: want string members error and detail (%v)", r.body, err)
	}
	if *e.Error != code {
		t.Errorf("error %q, want %q (detail %q)", *e.Error, code, *e.Detail)
	}
	if *e.Detail == "" {
		t.Errorf("error %q has an empty detail", *e.Error)
	}
	return *e.Detail
}

// outcomeBody is a 200 answer to an event.
type outcomeBody struct {
	Status string `json:"status"`
	ID     string `json:"id"`
}

// wantOutcome checks a 200 answer of exactly {"status":status,"id":<id>}
// and returns the id.
func wantOutcome(t testing.TB, r response, status string) string {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d, want 200; body %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	var o outcomeBody
	if err := dec.Decode(&o); err != nil {
		t.Fatalf("answer %s: %v", r.body, err)
	}
	if o.Status != status {
		t.Errorf("status %q, want %q", o.Status, status)
	}
	if !isEventID(o.ID) {
		t.Errorf("id %q is not 32 lower-case hex digits", o.ID)
	}
	return o.ID
}

func isEventID(id string) bool {
	if len(id) != 32 {
		return false
	}
	for _, c := range id {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}

// messages returns what the stream holds on subject, oldest first, read
// one sequence at a time: exact, and cheap for the few messages a test
// stores.
func (h *harness) messages(t testing.TB, subject string) []*jetstream.RawStreamMsg {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	info, err := h.reader.Info(ctx)
	if err != nil {
		t.Fatalf("stream info: %v", err)
	}
	var out []*jetstream.RawStreamMsg
	for seq := max(info.State.FirstSeq, 1); seq <= info.State.LastSeq; seq++ {
		m, err := h.reader.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			t.Fatalf("reading message %d: %v", seq, err)
		}
		if m.Subject == subject {
			out = append(out, m)
		}
	}
	return out
}

// stored is the number of messages in the stream on any subject.
func (h *harness) stored(t testing.TB) uint64 {
	t.Helper()
	if h.recorded != nil {
		return h.recorded.count()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	info, err := h.reader.Info(ctx)
	if err != nil {
		t.Fatalf("stream info: %v", err)
	}
	return info.State.Msgs
}

// only returns the one message on subject, failing when there is not
// exactly one.
func (h *harness) only(t testing.TB, subject string) *jetstream.RawStreamMsg {
	t.Helper()
	ms := h.messages(t, subject)
	if len(ms) != 1 {
		t.Fatalf("%d messages on %s, want 1", len(ms), subject)
	}
	return ms[0]
}

// header returns the single value of a NATS header, by its exact name.
func header(t testing.TB, m *jetstream.RawStreamMsg, name string) string {
	t.Helper()
	vs := m.Header[name]
	if len(vs) != 1 {
		t.Errorf("header %s: %q, want exactly one value (headers %v)", name, vs, m.Header)
		return ""
	}
	return vs[0]
}

// wantDeadLetter checks that the last dead letter holds body byte for byte,
// with the reason and detail the sender was answered with.
func (h *harness) wantDeadLetter(t testing.TB, before int, body []byte, reason, detail string) {
	t.Helper()
	ms := h.messages(t, dlq)
	if len(ms) != before+1 {
		t.Fatalf("%d dead letters, want %d", len(ms), before+1)
	}
	m := ms[len(ms)-1]
	if !bytes.Equal(m.Data, body) {
		t.Errorf("dead letter body %q, want the raw body %q", m.Data, body)
	}
	if got := header(t, m, "hirebridge-reason"); got != reason {
		t.Errorf("hirebridge-reason %q, want %q", got, reason)
	}
	if got := header(t, m, "hirebridge-detail"); got != detail {
		t.Errorf("hirebridge-detail %q, want the detail of the answer %q", got, detail)
	}
	if _, ok := m.Header["ce-type"]; ok {
		t.Errorf("a dead letter is not an event, yet carries ce-type")
	}
}

// payload reads a documented example payload.
func payload(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "hirempire", name+".json"))
	if err != nil {
		t.Fatalf("reading example payload: %v", err)
	}
	return b
}

// examplePayloads lists the documented example payloads by file name.
func examplePayloads(t testing.TB) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "testdata", "hirempire", "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no example payloads (%v)", err)
	}
	out := make(map[string][]byte, len(paths))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("reading example payload: %v", err)
		}
		out[strings.TrimSuffix(filepath.Base(p), ".json")] = b
	}
	return out
}

// decodeObject decodes a JSON object keeping numbers as written.
func decodeObject(t testing.TB, b []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("decoding %q: %v", b, err)
	}
	return m
}

func encode(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encoding: %v", err)
	}
	return b
}

// eventually polls cond until it holds or the deadline passes: for states
// that another goroutine reaches (a client noticing a dead socket), never as
// a stand-in for a timing assertion.
func eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// jobAdded is the documented job_added example about job id, so tests can
// send distinct events that are not duplicates of each other.
func jobAdded(t testing.TB, id string) []byte {
	t.Helper()
	doc := decodeObject(t, payload(t, "job_added"))
	doc["job"].(map[string]any)["id"] = id
	return encode(t, doc)
}

// adminGet GETs path on the admin listener.
func (h *harness) adminGet(t testing.TB, path string) response {
	t.Helper()
	return h.do(t, http.MethodGet, h.adm.URL+path, nil, nil)
}

// sibling is another handler on the same sink and stream, configured as the
// harness's with change applied: the same deployment restarted with other
// settings. Its metrics go to a registry of their own.
func (h *harness) sibling(change func(*Config)) *http.ServeMux {
	cfg := h.cfg
	change(&cfg)
	mux := http.NewServeMux()
	NewHandler(cfg, h.sink, h.log, NewMetrics(prometheus.NewRegistry())).Mount(mux, testPath)
	return mux
}

// serveDirect posts body, with the token in the path, straight to mux.
func serveDirect(mux http.Handler, body []byte) response {
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, testPath+"/"+url.PathEscape(testToken), bytes.NewReader(body)))
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

// recorder stands in for a broker in tests of the handler alone: it keeps
// what it is given and answers a repeated id as a duplicate.
type recorder struct {
	mu   sync.Mutex
	seen map[string]bool
	msgs []*sinks.Message
}

func (r *recorder) Publish(_ context.Context, m *sinks.Message) (sinks.Ack, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen[m.ID] {
		return sinks.Ack{Duplicate: true}, nil
	}
	if r.seen == nil {
		r.seen = map[string]bool{}
	}
	r.seen[m.ID] = true
	r.msgs = append(r.msgs, m)
	return sinks.Ack{}, nil
}

func (r *recorder) Close(context.Context) error { return nil }

func (r *recorder) count() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return uint64(len(r.msgs))
}
