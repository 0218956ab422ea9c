package natsjs_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hirebridge/hirebridge/sinks/natsjs"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
)

func TestOpenCreatesStream(t *testing.T) {
	srv := natstest.Start(t)
	c := config(srv.URL())
	c.Prefix = "acme.hirempire"
	c.StreamMaxAge = 72 * time.Hour
	c.DuplicateWindow = 90 * time.Second
	open(t, c)

	s, err := inspect(t, srv.URL()).Stream(ctxFor(t, 5*time.Second), testStream)
	if err != nil {
		t.Fatalf("the stream was not created: %v", err)
	}
	got := s.CachedInfo().Config
	if len(got.Subjects) != 1 || got.Subjects[0] != "acme.hirempire.>" {
		t.Errorf("subjects = %v, want [acme.hirempire.>]", got.Subjects)
	}
	if got.Storage != jetstream.FileStorage {
		t.Errorf("storage = %v, want file", got.Storage)
	}
	if got.Replicas != 1 {
		t.Errorf("replicas = %d, want 1", got.Replicas)
	}
	if got.MaxAge != c.StreamMaxAge {
		t.Errorf("max age = %s, want %s", got.MaxAge, c.StreamMaxAge)
	}
	if got.Duplicates != c.DuplicateWindow {
		t.Errorf("duplicate window = %s, want %s", got.Duplicates, c.DuplicateWindow)
	}
}

// A standalone server cannot hold three replicas; the refusal proves the
// configured count reaches the server instead of a silent 1.
func TestOpenPassesReplicas(t *testing.T) {
	srv := natstest.Start(t)
	c := config(srv.URL())
	c.StreamReplicas = 3
	_, err := natsjs.Open(ctxFor(t, 10*time.Second), c)
	if err == nil || !strings.Contains(err.Error(), "replicas") {
		t.Fatalf("Open with 3 replicas on one server: err = %v, want the server's replicas refusal", err)
	}
}

// An existing stream is used as it is, whatever its settings, when one of
// its subjects captures the prefix.
func TestOpenUsesCapturingStream(t *testing.T) {
	tests := []struct {
		name     string
		prefix   string
		subjects []string
	}{
		{"exact", "hirempire", []string{"hirempire.>"}},
		{"among others", "hirempire", []string{"audit.>", "hirempire.>"}},
		{"wider prefix", "acme.hirempire", []string{"acme.>"}},
		{"wildcard token", "acme.hirempire", []string{"acme.*.>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := natstest.Start(t)
			js := inspect(t, srv.URL())
			ctx := ctxFor(t, 10*time.Second)
			_, err := js.CreateStream(ctx, jetstream.StreamConfig{
				Name:       testStream,
				Subjects:   tt.subjects,
				Storage:    jetstream.MemoryStorage,
				Duplicates: 5 * time.Minute,
			})
			if err != nil {
				t.Fatal(err)
			}
			c := config(srv.URL())
			c.Prefix = tt.prefix
			s := open(t, c)
			msg := event("id-1", "job_added")
			msg.Topic = tt.prefix + ".job_added"
			ack, err := s.Publish(ctx, msg)
			if err != nil || ack.Duplicate {
				t.Fatalf("Publish = %+v, %v", ack, err)
			}

			st, err := js.Stream(ctx, testStream)
			if err != nil {
				t.Fatal(err)
			}
			got := st.CachedInfo().Config
			if got.Storage != jetstream.MemoryStorage || got.Duplicates != 5*time.Minute ||
				strings.Join(got.Subjects, " ") != strings.Join(tt.subjects, " ") {
				t.Errorf("the existing stream was changed: %+v", got)
			}
			if n := st.CachedInfo().State.Msgs; n != 1 {
				t.Errorf("stream holds %d messages, want 1", n)
			}
		})
	}
}

func TestOpenRefusesStreamNotCapturingPrefix(t *testing.T) {
	tests := []struct {
		name     string
		subjects []string
	}{
		{"other prefix", []string{"other.>"}},
		{"one token only", []string{"hirempire.*"}},
		{"literal subject", []string{"hirempire.applicant_applied"}},
		{"deeper", []string{"hirempire.jobs.>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := natstest.Start(t)
			ctx := ctxFor(t, 10*time.Second)
			if _, err := inspect(t, srv.URL()).CreateStream(ctx, jetstream.StreamConfig{
				Name: testStream, Subjects: tt.subjects,
			}); err != nil {
				t.Fatal(err)
			}
			_, err := natsjs.Open(ctx, config(srv.URL()))
			if !errors.Is(err, natsjs.ErrStreamMismatch) {
				t.Fatalf("Open = %v, want ErrStreamMismatch", err)
			}
			// The message must tell the operator what to change.
			for _, want := range []string{testStream, "hirempire.>", tt.subjects[0], "HIREBRIDGE_NATS_STREAM"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
		})
	}
}

// The server lets a stream capture everything only with no-ack set. Such a
// stream matches every prefix but never acknowledges a publish, so every
// event would time out into a 503: Open must refuse it at start instead.
func TestOpenRefusesNoAckStream(t *testing.T) {
	for _, subjects := range [][]string{{">"}, {"hirempire.>"}} {
		t.Run(subjects[0], func(t *testing.T) {
			srv := natstest.Start(t)
			ctx := ctxFor(t, 10*time.Second)
			if _, err := inspect(t, srv.URL()).CreateStream(ctx, jetstream.StreamConfig{
				Name: testStream, Subjects: subjects, NoAck: true,
			}); err != nil {
				t.Fatal(err)
			}
			_, err := natsjs.Open(ctx, config(srv.URL()))
			if !errors.Is(err, natsjs.ErrStreamMismatch) {
				t.Fatalf("Open = %v, want ErrStreamMismatch", err)
			}
			if !strings.Contains(err.Error(), "no-ack") {
				t.Errorf("error %q does not say the stream does not acknowledge", err)
			}
		})
	}
}
