package natsjs_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/natsjs"
)

const (
	testStream = "HB_TEST"
	testPrefix = "hirempire"
)

// config is a sink configuration for tests: quick reconnects, so a restarted
// server is found again within the test's patience.
func config(url string) natsjs.Config {
	return natsjs.Config{
		URLs:            url,
		Stream:          testStream,
		Prefix:          testPrefix,
		StreamReplicas:  1,
		StreamMaxAge:    0,
		DuplicateWindow: time.Minute,
		// The bridge's own window on, as in production.
		RememberIDs:   100_000,
		RememberFor:   10 * time.Minute,
		MaxPending:    256,
		AckTimeout:    5 * time.Second,
		ReconnectWait: 50 * time.Millisecond,
	}
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

// open opens a sink that is closed when the test ends.
func open(t *testing.T, c natsjs.Config) *natsjs.Sink {
	t.Helper()
	s, err := natsjs.Open(ctxFor(t, 10*time.Second), c)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Close(ctx)
	})
	return s
}

// inspect connects a second client, as a consumer would, to look at what
// the sink left on the server.
func inspect(t *testing.T, url string, opts ...nats.Option) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		t.Fatalf("connecting the inspecting client: %v", err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// event is a message as the bridge builds one for an event.
func event(id, name string) *sinks.Message {
	return &sinks.Message{
		Topic: testPrefix + "." + name,
		ID:    id,
		Key:   "app_1",
		Body:  []byte(`{"event":"` + name + `","id":"` + id + `"}`),
		Event: &sinks.CloudEvent{
			Type:    "com.hirempire." + name,
			Source:  "https://app.hirempire.com",
			Time:    "2026-01-30T00:14:56.395Z",
			Subject: "app_1",
		},
	}
}

// storedMsgs returns every message in the stream, in order.
func storedMsgs(t *testing.T, js jetstream.JetStream, stream string) []*jetstream.RawStreamMsg {
	t.Helper()
	ctx := ctxFor(t, 10*time.Second)
	s, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatalf("stream %s: %v", stream, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []*jetstream.RawStreamMsg
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			t.Fatalf("message %d: %v", seq, err)
		}
		out = append(out, m)
	}
	return out
}

// eventually polls cond until it holds or the test's patience runs out.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startServer runs a server with options a test needs beyond natstest's,
// such as authentication or a small max payload. It returns the client URL.
func startServer(t *testing.T, opts *server.Options) string {
	t.Helper()
	srv, err := server.NewServer(opts)
	if err != nil {
		t.Fatalf("nats-server: %v", err)
	}
	srv.Start()
	t.Cleanup(func() {
		srv.Shutdown()
		srv.WaitForShutdown()
	})
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start")
	}
	return srv.ClientURL()
}
