package console

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hirebridge/hirebridge/bridge"
	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/natsjs"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
)

// natsConsole is a console over a sink on an embedded NATS server.
func natsConsole(t *testing.T) (*Console, *httptest.Server, *natsjs.Sink) {
	t.Helper()
	srv := natstest.Start(t)
	nc := natsjs.Config{
		URLs: srv.URL(), Stream: "HIREMPIRE", Prefix: "hirempire", StreamReplicas: 1,
		DuplicateWindow: time.Minute, MaxPending: 256, AckTimeout: 5 * time.Second, ReconnectWait: 50 * time.Millisecond,
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	sink, err := natsjs.Open(ctx, nc)
	if err != nil {
		t.Fatal(err)
	}
	c := New(Config{
		Broker:   func() (Broker, error) { return sink, nil },
		Follower: func(context.Context) (sinks.Follower, error) { return natsjs.NewFollower(nc, "console-test") },
		Gatherer: prometheus.NewRegistry(),
		Bridge:   bridge.Config{Prefix: "hirempire"},
		Sink:     "nats",
		Loopback: true,
	})
	hs := httptest.NewServer(c)
	t.Cleanup(func() {
		c.Close()
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = sink.Close(ctx)
	})
	return c, hs, sink
}

// An idle live feed sends keep-alive comments, then the events stored
// from now on; Close ends it.
func TestLiveFeedKeepAliveAndClose(t *testing.T) {
	defer func(d time.Duration) { keepAlive = d }(keepAlive)
	keepAlive = 100 * time.Millisecond
	c, hs, sink := natsConsole(t)
	resp, err := http.Get(hs.URL + "/api/v1/events/live")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("live: %d %v", resp.StatusCode, resp.Header)
	}
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	wait := func(want string) string {
		t.Helper()
		deadline := time.After(5 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("the feed ended before %q", want)
				}
				if strings.HasPrefix(l, want) {
					return l
				}
			case <-deadline:
				t.Fatalf("no %q within 5s", want)
			}
		}
	}
	wait(": keep-alive")
	msg := &sinks.Message{Topic: "hirempire.job_added", ID: "ev-1", Body: []byte(`{"secret":"body"}`),
		Event: &sinks.CloudEvent{Type: "com.hirempire.job_added", Source: "https://x", Time: "2026-01-02T03:04:05Z", Subject: "job_1"}}
	if _, err := sink.Publish(t.Context(), msg); err != nil {
		t.Fatal(err)
	}
	data := wait("data: ")
	for _, want := range []string{`"id":"ev-1"`, `"type":"job_added"`, `"subject":"job_1"`, `"dead_letter":false`} {
		if !strings.Contains(data, want) {
			t.Errorf("live item %s lacks %s", data, want)
		}
	}
	if strings.Contains(data, "secret") {
		t.Errorf("live item %s carries the body", data)
	}
	c.Close()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case _, ok := <-lines:
			if !ok {
				// Closed, live feeds are refused.
				r, err := http.Get(hs.URL + "/api/v1/events/live")
				if err != nil {
					t.Fatal(err)
				}
				r.Body.Close()
				if r.StatusCode != http.StatusServiceUnavailable {
					t.Errorf("a live feed after Close: %d", r.StatusCode)
				}
				return
			}
		case <-deadline:
			t.Fatal("the feed did not end at Close")
		}
	}
}

// Not found says how much was searched; ids in the path are bounded.
func TestNotFound(t *testing.T) {
	_, hs, _ := natsConsole(t)
	resp, err := http.Get(hs.URL + "/api/v1/events/nope")
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 512)
	n, _ := resp.Body.Read(b)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(b[:n]), "among the 0 messages held") {
		t.Errorf("not found: %d %s", resp.StatusCode, b[:n])
	}
	resp, err = http.Get(hs.URL + "/api/v1/events/" + strings.Repeat("x", 201))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a long id: %d", resp.StatusCode)
	}
}
