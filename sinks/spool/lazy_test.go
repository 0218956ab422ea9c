package spool_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hirebridge/hirebridge/internal/leakcheck"
	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/natsjs"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
)

// While the broker is away, a publish through the Lazy is unavailable (and
// so spooled); once it is closed, ErrClosed, and nothing of it runs: not
// the background connecting, nor a broker sink it opened.
func TestLazyCloseWhileConnecting(t *testing.T) {
	srv := natstest.Start(t)
	url := srv.URL()
	srv.Stop()
	before := leakcheck.Take()
	var tries atomic.Int64
	l := lazy(t, func(ctx context.Context) (sinks.Sink, error) {
		tries.Add(1)
		return natsjs.Open(ctx, natsConfig(url))
	})
	if _, err := publishWithin(l, event("app-00", 0), time.Second); !errors.Is(err, sinks.ErrUnavailable) {
		t.Errorf("publish while the broker is away: %v, want ErrUnavailable", err)
	}
	eventually(t, 5*time.Second, "a try in the background", func() bool { return tries.Load() >= 2 })
	if err := l.Close(context.Background()); err != nil {
		t.Errorf("Close: %v", err)
	}
	if _, err := publishWithin(l, event("app-00", 1), time.Second); !errors.Is(err, sinks.ErrClosed) {
		t.Errorf("publish after Close: %v, want ErrClosed", err)
	}
	if left := before.Running(2*time.Second, "github.com/hirebridge/hirebridge/sinks/spool.", "github.com/hirebridge/hirebridge/sinks/natsjs.", "github.com/nats-io/nats.go"); len(left) > 0 {
		t.Errorf("%d goroutines still run after Close returned:\n%s", len(left), left)
	}
	n := tries.Load()
	time.Sleep(300 * time.Millisecond)
	if tries.Load() != n {
		t.Error("the Lazy still tries to connect after Close")
	}
}

// Once connected, the Lazy publishes through the broker's sink, and Close
// closes it.
func TestLazyPublishesOnceConnected(t *testing.T) {
	srv := natstest.Start(t)
	before := leakcheck.Take()
	l := lazyNATS(t, srv.URL())
	if _, err := publishWithin(l, event("app-00", 0), 5*time.Second); err != nil {
		t.Fatalf("publish: %v", err)
	}
	if err := l.Close(context.Background()); err != nil {
		t.Errorf("Close: %v", err)
	}
	if _, err := publishWithin(l, event("app-00", 1), time.Second); !errors.Is(err, sinks.ErrClosed) {
		t.Errorf("publish after Close: %v, want ErrClosed", err)
	}
	if left := before.Running(2*time.Second, "github.com/hirebridge/hirebridge/sinks/spool.", "github.com/hirebridge/hirebridge/sinks/natsjs.", "github.com/nats-io/nats.go"); len(left) > 0 {
		t.Errorf("%d goroutines still run after Close returned:\n%s", len(left), left)
	}
}
