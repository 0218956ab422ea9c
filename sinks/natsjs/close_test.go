package natsjs_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hirebridge/hirebridge/internal/leakcheck"
	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/natsjs"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
)

// sinkPackages are where the sink's goroutines run: its own code and the
// NATS client's (not the server's, which stays up through the test).
var sinkPackages = []string{"github.com/hirebridge/hirebridge/sinks/natsjs.", "github.com/nats-io/nats.go"}

// A publish waits for the ack of a server that stopped answering, and
// Close's deadline passes meanwhile: Close ends the publish, which gets its
// answer at once rather than at its ack timeout a minute later, returns
// soon after its deadline, and leaves none of the sink's goroutines
// running, while the server is still stopped.
func TestCloseEndsPublishesStuckOnAPausedServer(t *testing.T) {
	srv := natstest.Start(t)
	proxy := natstest.StartProxy(t, srv.Addr().String())
	before := leakcheck.Take()
	c := config(proxy.URL())
	c.AckTimeout = time.Minute
	s, err := natsjs.Open(ctxFor(t, 10*time.Second), c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Publish(ctxFor(t, 10*time.Second), event("close-warm", "applicant_applied")); err != nil {
		t.Fatalf("publishing before the pause: %v", err)
	}

	proxy.Pause()
	answered := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, err := s.Publish(ctx, event("close-stuck", "applicant_applied"))
		answered <- err
	}()
	eventually(t, 5*time.Second, "the publish to be in progress", func() bool { return s.PublishesInside() == 1 })

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = s.Close(ctx)
	took := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close: %v, want its deadline's error", err)
	}
	if took > 3*time.Second {
		t.Errorf("Close took %s with a 300ms deadline", took)
	}
	select {
	case err := <-answered:
		if !errors.Is(err, sinks.ErrClosed) {
			t.Errorf("the stuck publish: %v, want ErrClosed", err)
		}
	case <-time.After(time.Second):
		t.Fatal("the stuck publish had no answer a second after Close returned")
	}
	if left := before.Running(2*time.Second, sinkPackages...); len(left) > 0 {
		t.Errorf("%d of the sink's goroutines still run after Close returned:\n%s", len(left), left)
	}
	if _, err := s.Publish(ctxFor(t, time.Second), event("close-after", "applicant_applied")); !errors.Is(err, sinks.ErrClosed) {
		t.Errorf("publish after Close: %v, want ErrClosed", err)
	}
}

// Close with nothing in flight and time to spare drains and returns nil,
// leaving nothing behind; a second Close is harmless.
func TestCloseLeavesNothingBehind(t *testing.T) {
	srv := natstest.Start(t)
	before := leakcheck.Take()
	s, err := natsjs.Open(ctxFor(t, 10*time.Second), config(srv.ClientURL()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Publish(ctxFor(t, 10*time.Second), event("close-one", "applicant_applied")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(ctxFor(t, 5*time.Second)); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := s.Close(ctxFor(t, 5*time.Second)); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if left := before.Running(2*time.Second, sinkPackages...); len(left) > 0 {
		t.Errorf("%d of the sink's goroutines still run after Close returned:\n%s", len(left), left)
	}
}
