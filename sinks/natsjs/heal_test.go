package natsjs_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
)

func publish(t *testing.T, s sinks.Sink, m *sinks.Message, within time.Duration) (sinks.Ack, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), within)
	defer cancel()
	return s.Publish(ctx, m)
}

// wantStreamAsConfigured checks the stream the sink created (again).
func wantStreamAsConfigured(t *testing.T, js jetstream.JetStream) {
	t.Helper()
	st, err := js.Stream(ctxFor(t, 5*time.Second), testStream)
	if err != nil {
		t.Fatalf("the stream: %v", err)
	}
	c := config("").DuplicateWindow
	got := st.CachedInfo().Config
	if len(got.Subjects) != 1 || got.Subjects[0] != testPrefix+".>" || got.Duplicates != c ||
		got.Storage != jetstream.FileStorage || got.Discard != jetstream.DiscardNew {
		t.Errorf("stream created with %+v, not the configured settings", got)
	}
}

// A stream deleted by hand while the bridge runs is created again by the
// publish that finds it missing, which then succeeds within its deadline.
func TestStreamDeletedIsCreatedAgain(t *testing.T) {
	srv := natstest.Start(t)
	s := open(t, config(srv.URL()))
	js := inspect(t, srv.URL())
	if _, err := publish(t, s, event("before", "job_added"), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := js.DeleteStream(ctxFor(t, 5*time.Second), testStream); err != nil {
		t.Fatal(err)
	}
	ack, err := publish(t, s, event("after", "job_added"), 5*time.Second)
	if err != nil || ack.Duplicate {
		t.Fatalf("publish after the stream was deleted: %+v, %v; want it stored", ack, err)
	}
	wantStreamAsConfigured(t, js)
	if msgs := storedMsgs(t, js, testStream); len(msgs) != 1 || msgs[0].Header.Get("Nats-Msg-Id") != "after" {
		t.Errorf("%d messages in the new stream, want the one published after", len(msgs))
	}
	if err := ready(t, s); err != nil {
		t.Errorf("Ready = %v", err)
	}
}

// A server restarted with an empty store: readiness fails while it is
// away, then the sink creates the stream again by itself, with no publish
// needed, and publishing works without reopening the sink.
func TestServerRestartedEmptyHeals(t *testing.T) {
	srv := natstest.Start(t)
	s := open(t, config(srv.URL()))
	if _, err := publish(t, s, event("before", "job_added"), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	eventually(t, 10*time.Second, "readiness to fail while the server is down", func() bool { return ready(t, s) != nil })
	srv.RestartEmpty(t)
	eventually(t, 15*time.Second, "readiness to come back by itself", func() bool { return ready(t, s) == nil })
	js := inspect(t, srv.URL())
	wantStreamAsConfigured(t, js)
	if ack, err := publish(t, s, event("before", "job_added"), 5*time.Second); err != nil || ack.Duplicate {
		t.Errorf("publish on the emptied server: %+v, %v; want stored anew", ack, err)
	}
}

// The stream's byte limit reached: publishes are refused at once as
// unavailable, readiness says why, nothing is dropped to make room, and
// storing resumes by itself once space is freed.
func TestStreamFullRefusesThenRecovers(t *testing.T) {
	srv := natstest.Start(t)
	c := config(srv.URL())
	c.StreamMaxBytes = 4 << 10
	s := open(t, c)
	js := inspect(t, srv.URL())

	var stored []string
	var fullErr error
	for i := range 100 {
		id := fmt.Sprintf("e%d", i)
		if _, err := publish(t, s, event(id, "job_added"), 5*time.Second); err != nil {
			fullErr = err
			break
		}
		stored = append(stored, id)
	}
	if fullErr == nil || !errors.Is(fullErr, sinks.ErrUnavailable) {
		t.Fatalf("100 events into a 4 KiB stream: last error %v, want ErrUnavailable", fullErr)
	}
	err := ready(t, s)
	if err == nil || !strings.Contains(err.Error(), "maximum bytes") {
		t.Errorf("Ready of a full stream = %v, want the reason", err)
	}
	// Later publishes are answered from what the sink knows, long before
	// their deadline.
	start := time.Now()
	if _, err := publish(t, s, event("refused", "job_added"), 10*time.Second); !errors.Is(err, sinks.ErrUnavailable) {
		t.Errorf("publish to the full stream = %v, want ErrUnavailable", err)
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Errorf("a publish to the full stream waited %v of its 10s", waited)
	}
	if n := len(storedMsgs(t, js, testStream)); n != len(stored) {
		t.Errorf("%d messages stored, want the %d acknowledged: none dropped for room", n, len(stored))
	}

	st, err := js.Stream(ctxFor(t, 5*time.Second), testStream)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Purge(ctxFor(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "readiness after space was freed", func() bool { return ready(t, s) == nil })
	if _, err := publish(t, s, event("after", "job_added"), 5*time.Second); err != nil {
		t.Errorf("publish after space was freed: %v", err)
	}
}
