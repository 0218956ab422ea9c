package bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hirebridge/hirebridge/schema"
)

// While the broker is down every event gets a 503 the sender will retry,
// never a 2xx; once it is back, the same request is stored.
func TestBrokerDown(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withConfig(func(c *Config) { c.PublishTimeout = 2 * time.Second }))
	wantOutcome(t, h.post(t, jobAdded(t, "job_before")), "published")

	h.nats.Stop()
	body := jobAdded(t, "job_while_down")
	r := h.post(t, body)
	wantError(t, r, http.StatusServiceUnavailable, codeUnavailable)
	if got := r.header.Get("Retry-After"); got != "3" {
		t.Errorf("Retry-After %q, want 3 (the configured seconds)", got)
	}

	// A rejection does not depend on its dead letter being stored: the
	// sender's retry would be rejected the same way.
	wantError(t, h.post(t, []byte("not json")), http.StatusBadRequest, string(schema.ReasonNotJSON))
	// The handshake needs no broker.
	if r := h.post(t, payload(t, "challenge")); r.status != http.StatusOK {
		t.Errorf("challenge while the broker is down: %d %s", r.status, r.body)
	}

	// The client notices the closed socket on its own goroutine.
	eventually(t, 5*time.Second, "readiness failing", func() bool {
		return h.adminGet(t, "/readyz").status == http.StatusServiceUnavailable
	})
	wantError(t, h.adminGet(t, "/readyz"), http.StatusServiceUnavailable, codeUnavailable)
	if r := h.adminGet(t, "/livez"); r.status != http.StatusOK {
		t.Errorf("/livez %d while the broker is down, want 200: liveness never checks the broker", r.status)
	}

	h.nats.Restart(t)
	var id string
	eventually(t, 10*time.Second, "the event stored after the broker came back", func() bool {
		r := h.post(t, body)
		if r.status == http.StatusOK {
			id = wantOutcome(t, r, "published")
			return true
		}
		wantError(t, r, http.StatusServiceUnavailable, codeUnavailable)
		return false
	})
	ms := h.messages(t, testPrefix+".job_added")
	if len(ms) != 2 {
		t.Fatalf("%d messages stored, want 2: one before and one after the outage", len(ms))
	}
	if got := header(t, ms[1], "ce-id"); got != id {
		t.Errorf("stored ce-id %q, want %q", got, id)
	}
	eventually(t, 5*time.Second, "readiness back", func() bool {
		return h.adminGet(t, "/readyz").status == http.StatusOK
	})
}

// An ack that comes too late is a 503: the sender retries, and the retry of
// an event the broker did store after all is a duplicate, not a second copy.
func TestAckTooLate(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	impatient := h.sibling(func(c *Config) { c.PublishTimeout, c.RetryAfter = time.Nanosecond, time.Second })

	// The ack needs a round trip to the server, so the 1ns deadline passes
	// first, all but always; an ack that wins the race is a fair 200, and
	// the test tries another event.
	for i := 0; ; i++ {
		if i == 20 {
			t.Fatal("the broker acked within 1ns twenty times")
		}
		body := jobAdded(t, fmt.Sprintf("job_late_%d", i))
		r := serveDirect(impatient, body)
		if r.status == http.StatusOK {
			wantOutcome(t, r, "published")
			continue
		}
		wantError(t, r, http.StatusServiceUnavailable, codeUnavailable)
		if got := r.header.Get("Retry-After"); got != "1" {
			t.Errorf("Retry-After %q, want 1", got)
		}
		// The retry reaches the patient handler; the event is stored once.
		retry := h.post(t, body)
		if retry.status != http.StatusOK {
			t.Fatalf("retry: %d %s", retry.status, retry.body)
		}
		var o outcomeBody
		if err := json.Unmarshal(retry.body, &o); err != nil {
			t.Fatal(err)
		}
		wantOutcome(t, retry, o.Status)
		n := 0
		for _, m := range h.messages(t, testPrefix+".job_added") {
			if header(t, m, "ce-id") == o.ID {
				n++
			}
		}
		if n != 1 {
			t.Errorf("the event is stored %d times, want once", n)
		}
		return
	}
}

// A sender that hangs up while its event waits for the broker is counted
// apart from broker failures: nobody heard a 503, and the event may have
// been stored.
func TestSenderGoneWhilePublishing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.nats.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec := httptest.NewRecorder()
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, testPath+"/"+testToken, bytes.NewReader(jobAdded(t, "job_abandoned")))
	h.mux.ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", rec.Code)
	}
	families := h.metrics(t)
	if m := find(t, families, "hirebridge_events_total", map[string]string{"source": DefaultSourceName, "type": "job_added", "outcome": "abandoned"}); m != nil && m.GetCounter().GetValue() != 1 {
		t.Errorf("abandoned events counted %v, want 1", m.GetCounter().GetValue())
	}
	if m := findOptional(families, "hirebridge_events_total", map[string]string{"source": DefaultSourceName, "type": "job_added", "outcome": "unavailable"}); m != nil {
		t.Errorf("a sender hanging up counted as the broker's failure: %v", m)
	}
}
