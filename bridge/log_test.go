package bridge

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// logLines decodes the handler's JSON log lines.
func logLines(t testing.TB, logs string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// personalData is what the examples hold about people; none of it may be
// logged above debug.
var personalData = []string{
	"John Doe", "john.doe@example.com", "+14155551234", "johndoe",
	"Jane Smith", "jane.smith@example.com",
}

func TestLogLine(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withoutBroker())
	id := wantOutcome(t, h.post(t, payload(t, "applicant_applied")), "published")

	lines := logLines(t, h.logs.String())
	if len(lines) != 1 {
		t.Fatalf("%d log lines for one request, want 1:\n%s", len(lines), h.logs)
	}
	l := lines[0]
	for k, want := range map[string]any{
		"level":   "info",
		"event":   "applicant_applied",
		"id":      id,
		"status":  float64(http.StatusOK),
		"outcome": "published",
	} {
		if l[k] != want {
			t.Errorf("log %s = %v, want %v", k, l[k], want)
		}
	}
	// The same event again says so.
	wantOutcome(t, h.post(t, payload(t, "applicant_applied")), "duplicate")
	if again := logLines(t, h.logs.String()); len(again) != 2 || again[1]["outcome"] != "duplicate" {
		t.Errorf("log of a duplicate: %v, want outcome duplicate", again[len(again)-1])
	}
	if lat, ok := l["latency_ms"].(float64); !ok || lat <= 0 {
		t.Errorf("log latency_ms = %v, want a positive number", l["latency_ms"])
	}
	for _, pd := range personalData {
		if strings.Contains(h.logs.String(), pd) {
			t.Errorf("log carries personal data %q:\n%s", pd, h.logs)
		}
	}
}

// Rejections are logged with what the sender did wrong, but not with the
// payload values that made it wrong.
func TestLogLineOfRejections(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withoutBroker())
	email := func(member string, v any) []byte {
		doc := decodeObject(t, payload(t, "meeting_booked"))
		doc[member] = v
		return encode(t, doc)
	}
	applicantEmailAsID := decodeObject(t, payload(t, "applicant_applied"))
	applicantEmailAsID["applicant"].(map[string]any)["id"] = map[string]any{"email": "john.doe@example.com"}
	for _, b := range [][]byte{
		email("event", "John Doe <john.doe@example.com>"),
		email("timestamp", "john.doe@example.com"),
		encode(t, applicantEmailAsID),
		[]byte(`{"event":"job_added","name":"John Doe"` + "\x00"),
		[]byte(`John Doe, +14155551234`),
	} {
		r := h.post(t, b)
		if r.status != http.StatusBadRequest && r.status != http.StatusUnprocessableEntity {
			t.Fatalf("status %d for %s, want 400 or 422", r.status, b)
		}
	}
	lines := logLines(t, h.logs.String())
	if len(lines) != 5 {
		t.Fatalf("%d log lines for five requests, want 5:\n%s", len(lines), h.logs)
	}
	for _, l := range lines {
		if l["level"] != "info" || l["error"] == nil {
			t.Errorf("log line %v: want level info with the error code", l)
		}
	}
	for i, field := range map[int]string{0: "/event", 1: "/timestamp", 2: "/applicant/id"} {
		if lines[i]["field"] != field {
			t.Errorf("log line %v: want field %s", lines[i], field)
		}
	}
	for _, pd := range personalData {
		if strings.Contains(h.logs.String(), pd) {
			t.Errorf("log carries personal data %q:\n%s", pd, h.logs)
		}
	}
}

// Answers the sender caused are info, not warnings: a warn-level log stays
// quiet while senders make mistakes.
func TestLogLevelOfClientErrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withoutBroker(), func(o *harnessOptions) { o.logLevel = zerolog.WarnLevel })
	wantOutcome(t, h.post(t, jobAdded(t, "job_quiet")), "published")
	if s := h.logs.String(); s != "" {
		t.Errorf("a 200 logged at warn level: %s", s)
	}
	wantError(t, h.do(t, http.MethodPost, h.webhookURL(), bytes.NewReader([]byte("{}")), nil), http.StatusUnprocessableEntity, "invalid_event")
	if s := h.logs.String(); s != "" {
		t.Errorf("a 422 logged at warn level: %s", s)
	}
}

// At debug, and only there, a rejection's full detail is logged to help
// whoever debugs a sender.
func TestLogDebugDetail(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withoutBroker(), func(o *harnessOptions) { o.logLevel = zerolog.DebugLevel })
	detail := wantError(t, h.post(t, []byte(`{"event":"a b"}`)), http.StatusUnprocessableEntity, "invalid_event")
	var found bool
	for _, l := range logLines(t, h.logs.String()) {
		if l["level"] == "debug" && l["detail"] == detail {
			found = true
		}
		if l["level"] != "debug" && strings.Contains(fmt.Sprint(l), "a b") {
			t.Errorf("log line above debug quotes the payload: %v", l)
		}
	}
	if !found {
		t.Errorf("no debug line with the detail %q:\n%s", detail, h.logs)
	}
}

// Wrong tokens arrive as fast as anyone can send them: their log lines are
// sampled, a few per second, while /metrics counts every one. Not
// parallel: the sampling is by the second, so it measures time.
func TestUnauthorizedLogIsSampled(t *testing.T) {
	h := newHarness(t, withoutBroker())
	const attempts = 200
	start := time.Now()
	for range attempts {
		wantError(t, h.do(t, http.MethodPost, h.web.URL+testPath+"/wrong-token-0123456789", nil, nil),
			http.StatusUnauthorized, codeUnauthorized)
	}
	logged := 0
	for _, l := range logLines(t, h.logs.String()) {
		if l["status"] == float64(http.StatusUnauthorized) {
			logged++
		}
	}
	// A burst a second: as many as the seconds the requests took, and
	// one more for a period begun before the first. A loaded machine
	// takes seconds over them.
	bursts := int(time.Since(start)/time.Second) + 2
	if logged == 0 || logged > bursts*unauthorizedLogBurst {
		t.Errorf("%d of %d wrong-token requests logged in %s, want 1 to %d", logged, attempts, time.Since(start).Round(time.Millisecond), bursts*unauthorizedLogBurst)
	}
	if m := find(t, h.metrics(t), "hirebridge_http_responses_total", map[string]string{"code": "401"}); m != nil && m.GetCounter().GetValue() != attempts {
		t.Errorf("%v 401s counted, want %d", m.GetCounter().GetValue(), attempts)
	}
	// Sampling is for 401s only: the next good request is logged.
	wantOutcome(t, h.post(t, jobAdded(t, "job_logged")), "published")
	if !strings.Contains(h.logs.String(), `"status":200`) {
		t.Error("a published event was not logged")
	}
}
