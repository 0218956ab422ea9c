package natsjs_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/natsjs"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
)

func TestPublishStoresWithHeaders(t *testing.T) {
	srv := natstest.Start(t)
	s := open(t, config(srv.URL()))
	ctx := ctxFor(t, 10*time.Second)

	msg := event("7f3a", "applicant_applied")
	msg.Headers = []sinks.Header{
		{Name: "traceparent", Value: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
		{Name: "hirebridge-validated", Value: "false"},
	}
	ack, err := s.Publish(ctx, msg)
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if ack.Duplicate {
		t.Fatal("first publish acknowledged as a duplicate")
	}

	stored := storedMsgs(t, inspect(t, srv.URL()), testStream)
	if len(stored) != 1 {
		t.Fatalf("stream holds %d messages, want 1", len(stored))
	}
	got := stored[0]
	if got.Subject != "hirempire.applicant_applied" {
		t.Errorf("subject = %q", got.Subject)
	}
	if !bytes.Equal(got.Data, msg.Body) {
		t.Errorf("body = %s, want %s", got.Data, msg.Body)
	}
	// Header names are compared exactly: NATS headers are case-sensitive
	// and consumers look up these names.
	want := map[string]string{
		"ce-specversion":       "1.0",
		"ce-id":                "7f3a",
		"ce-source":            "https://app.hirempire.com",
		"ce-type":              "com.hirempire.applicant_applied",
		"ce-time":              "2026-01-30T00:14:56.395Z",
		"ce-subject":           "app_1",
		"content-type":         "application/json",
		"ce-datacontenttype":   "application/json",
		"Nats-Msg-Id":          "7f3a",
		"traceparent":          "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"hirebridge-validated": "false",
		// Set by the sink so a publish can never land in another stream.
		"Nats-Expected-Stream": testStream,
	}
	for name, value := range want {
		if v := got.Header[name]; len(v) != 1 || v[0] != value {
			t.Errorf("header %s = %q, want %q", name, v, value)
		}
	}
	for name := range got.Header {
		if _, ok := want[name]; !ok {
			t.Errorf("unexpected header %s: %q", name, got.Header[name])
		}
	}
}

// A dead letter is no event: no CloudEvents attributes, no content-type,
// only its own headers and the dedup id.
func TestPublishDeadLetterHeaders(t *testing.T) {
	srv := natstest.Start(t)
	s := open(t, config(srv.URL()))
	msg := &sinks.Message{
		Topic:   "hirempire.dlq",
		ID:      "c0ffee",
		Body:    []byte("not json"),
		Headers: []sinks.Header{{Name: "hirebridge-reason", Value: "malformed_json"}},
	}
	if _, err := s.Publish(ctxFor(t, 10*time.Second), msg); err != nil {
		t.Fatal(err)
	}
	got := storedMsgs(t, inspect(t, srv.URL()), testStream)[0]
	if len(got.Header) != 3 || got.Header.Get("hirebridge-reason") != "malformed_json" || got.Header.Get(nats.MsgIdHdr) != "c0ffee" {
		t.Errorf("dead letter headers = %v", got.Header)
	}
}

func TestPublishSameIDIsDuplicate(t *testing.T) {
	srv := natstest.Start(t)
	s := open(t, config(srv.URL()))
	ctx := ctxFor(t, 10*time.Second)

	for i, wantDup := range []bool{false, true, true} {
		ack, err := s.Publish(ctx, event("same-id", "job_added"))
		if err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
		if ack.Duplicate != wantDup {
			t.Errorf("publish %d: Duplicate = %v, want %v", i, ack.Duplicate, wantDup)
		}
	}
	if _, err := s.Publish(ctx, event("other-id", "job_added")); err != nil {
		t.Fatal(err)
	}
	if n := len(storedMsgs(t, inspect(t, srv.URL()), testStream)); n != 2 {
		t.Errorf("stream holds %d messages, want 2", n)
	}
}

// Concurrent publishes each wait for their own ack; all of them land.
func TestPublishConcurrent(t *testing.T) {
	srv := natstest.Start(t)
	s := open(t, config(srv.URL()))
	ctx := ctxFor(t, 20*time.Second)
	const n = 200
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			if _, err := s.Publish(ctx, event(fmt.Sprintf("id-%d", i), "job_added")); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := len(storedMsgs(t, inspect(t, srv.URL()), testStream)); got != n {
		t.Errorf("stream holds %d messages, want %d", got, n)
	}
}

func TestPublishWhileServerDown(t *testing.T) {
	srv := natstest.Start(t)
	c := config(srv.URL())
	// Long enough that waiting for it would fail the test's patience.
	c.AckTimeout = time.Minute
	s := open(t, c)
	if err := ready(t, s); err != nil {
		t.Fatalf("Ready before the outage: %v", err)
	}

	srv.Stop()
	eventually(t, 10*time.Second, "Ready to fail", func() bool { return ready(t, s) != nil })
	if err := ready(t, s); !errors.Is(err, sinks.ErrUnavailable) {
		t.Errorf("Ready = %v, want ErrUnavailable", err)
	}

	// Without a reconnect buffer the publish fails at once instead of
	// waiting in memory for a server that may never return.
	start := time.Now()
	_, err := s.Publish(ctxFor(t, 30*time.Second), event("down-1", "job_added"))
	if !errors.Is(err, sinks.ErrUnavailable) {
		t.Fatalf("Publish while down = %v, want ErrUnavailable", err)
	}
	if waited := time.Since(start); waited > 10*time.Second {
		t.Errorf("Publish while down took %s; it must not wait for the server", waited)
	}

	srv.Restart(t)
	eventually(t, 10*time.Second, "Ready after restart", func() bool { return ready(t, s) == nil })
	if ack, err := s.Publish(ctxFor(t, 10*time.Second), event("up-1", "job_added")); err != nil || ack.Duplicate {
		t.Fatalf("Publish after restart = %+v, %v", ack, err)
	}
	stored := storedMsgs(t, inspect(t, srv.URL()), testStream)
	if len(stored) != 1 || stored[0].Header.Get(nats.MsgIdHdr) != "up-1" {
		t.Errorf("after the outage the stream holds %d messages, want only up-1", len(stored))
	}
}

// ready asks as the admin endpoint does, with a short deadline: a request
// sent just as the connection dies is never answered.
func ready(t *testing.T, s *natsjs.Sink) error {
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	return s.Ready(ctx)
}

// An ack that never comes is bounded by the caller's deadline, not by the
// sink's own (longer) ack timeout.
func TestPublishRespectsDeadline(t *testing.T) {
	srv := natstest.Start(t)
	c := config(srv.URL())
	c.AckTimeout = time.Minute
	s := open(t, c)

	// With the stream gone and a silent core subscriber on the subjects, the
	// publish is delivered but nobody answers it.
	nc, err := nats.Connect(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js := inspect(t, srv.URL())
	if err := js.DeleteStream(ctxFor(t, 5*time.Second), testStream); err != nil {
		t.Fatal(err)
	}
	sub, err := nc.SubscribeSync(testPrefix + ".>")
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = s.Publish(ctx, event("late", "job_added"))
	if !errors.Is(err, sinks.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Publish = %v, want ErrUnavailable and DeadlineExceeded", err)
	}
	if waited := time.Since(start); waited > 10*time.Second {
		t.Errorf("Publish took %s past a 300ms deadline", waited)
	}
	if _, err := sub.NextMsg(5 * time.Second); err != nil {
		t.Errorf("the publish never reached the server, so the deadline was not what ended it: %v", err)
	}
	// Readiness finds the stream gone and creates it again.
	if err := s.Ready(t.Context()); err != nil {
		t.Errorf("Ready without the stream = %v, want it created again", err)
	}
	if _, err := js.Stream(ctxFor(t, 5*time.Second), testStream); err != nil {
		t.Errorf("the stream after Ready: %v", err)
	}
	// Close does not wait for the ack its caller gave up on: nobody waits
	// for it. A second Close has nothing left to do.
	start = time.Now()
	if err := s.Close(ctxFor(t, 30*time.Second)); err != nil {
		t.Errorf("Close with an abandoned ack outstanding = %v", err)
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Errorf("Close waited %s for an ack nobody waits for (the ack timeout is a minute)", waited)
	}
	start = time.Now()
	if err := s.Close(ctxFor(t, 30*time.Second)); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if waited := time.Since(start); waited > 10*time.Second {
		t.Errorf("second Close waited %s for a connection already closed", waited)
	}
}

// Close waits for publishes in flight: every publish that returned an ack
// is in the stream, the others fail as closed or unavailable, and
// publishing after Close fails.
func TestCloseFlushes(t *testing.T) {
	srv := natstest.Start(t)
	s, err := natsjs.Open(ctxFor(t, 10*time.Second), config(srv.URL()))
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxFor(t, 20*time.Second)
	const n = 500
	acked := make(chan string, n)
	failed := make(chan error, n)
	firstAck := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			id := fmt.Sprintf("id-%d", i)
			if _, err := s.Publish(ctx, event(id, "job_added")); err != nil {
				failed <- err
				return
			}
			acked <- id
			once.Do(func() { close(firstAck) })
		})
	}
	<-firstAck
	if err := s.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	wg.Wait()
	close(acked)
	close(failed)

	stored := map[string]bool{}
	for _, m := range storedMsgs(t, inspect(t, srv.URL()), testStream) {
		stored[m.Header.Get(nats.MsgIdHdr)] = true
	}
	count := 0
	for id := range acked {
		count++
		if !stored[id] {
			t.Errorf("%s was acknowledged but is not in the stream", id)
		}
	}
	for err := range failed {
		if !errors.Is(err, sinks.ErrClosed) && !errors.Is(err, sinks.ErrUnavailable) {
			t.Errorf("publish racing Close failed with %v, want ErrClosed or ErrUnavailable", err)
		}
	}
	t.Logf("%d of %d publishes acknowledged around Close, %d stored", count, n, len(stored))

	_, err = s.Publish(ctx, event("after-close", "job_added"))
	if !errors.Is(err, sinks.ErrClosed) {
		t.Errorf("Publish after Close = %v, want ErrClosed", err)
	}
	if err := s.Ready(ctx); err == nil {
		t.Error("Ready after Close = nil")
	}
}

func TestPublishTooLarge(t *testing.T) {
	opts := &server.Options{
		Host:       "127.0.0.1",
		Port:       server.RANDOM_PORT,
		JetStream:  true,
		StoreDir:   t.TempDir(),
		NoSigs:     true,
		NoLog:      true,
		MaxPayload: 4 << 10,
	}
	url := startServer(t, opts)
	s := open(t, config(url))
	if got := s.MaxPayload(); got != 4<<10 {
		t.Errorf("MaxPayload = %d, want the server's %d", got, 4<<10)
	}
	msg := event("big", "job_added")
	msg.Body = bytes.Repeat([]byte("x"), 8<<10)
	_, err := s.Publish(ctxFor(t, 10*time.Second), msg)
	if !errors.Is(err, sinks.ErrTooLarge) {
		t.Fatalf("Publish of %d bytes = %v, want ErrTooLarge", len(msg.Body), err)
	}
	if errors.Is(err, sinks.ErrUnavailable) {
		t.Error("a message too large for the server is not a retryable outage")
	}
	// The connection survives the refusal.
	if _, err := s.Publish(ctxFor(t, 10*time.Second), event("small", "job_added")); err != nil {
		t.Errorf("Publish after the refusal: %v", err)
	}
}

// Attribute values are percent-encoded as the CloudEvents NATS binding
// asks: a conforming decoder reads back exactly what the event holds, and
// nothing in a value can break a header line.
func TestAttributesPercentEncoded(t *testing.T) {
	srv := natstest.Start(t)
	s := open(t, config(srv.URL()))
	msg := event("enc-1", "applicant_applied")
	key := "app 1 é %41\"\r\nx"
	msg.Key, msg.Event.Subject = key, key
	if _, err := s.Publish(ctxFor(t, 10*time.Second), msg); err != nil {
		t.Fatal(err)
	}
	got := storedMsgs(t, inspect(t, srv.URL()), testStream)[0].Header.Get("ce-subject")
	if want := "app%201%20%C3%A9%20%2541%22%0D%0Ax"; got != want {
		t.Errorf("ce-subject %q, want %q", got, want)
	}
	if back := natsjs.DecodeAttribute(got); back != key {
		t.Errorf("decoded ce-subject %q, want %q", back, key)
	}
	for _, plain := range []string{"7f3a9c", "com.hirempire.job_added", "2026-01-30T00:14:56.395Z", "https://app.hirempire.com"} {
		if natsjs.DecodeAttribute(plain) != plain {
			t.Errorf("%q does not read back as itself", plain)
		}
	}
}
