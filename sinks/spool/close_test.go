package spool_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hirebridge/hirebridge/internal/leakcheck"
	"github.com/hirebridge/hirebridge/internal/syncbuf"
	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/natsjs"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
	"github.com/hirebridge/hirebridge/sinks/spool"
)

// Closing while the broker is away does not wait for it: the spool keeps
// what it holds on disk, and the next start forwards it, in order, once.
func TestCloseLeavesTheRestForTheNextStart(t *testing.T) {
	srv := natstest.Start(t)
	dir := t.TempDir()
	var logs syncbuf.Buffer
	sp, err := spool.Open(spoolConfig(dir, 300*time.Millisecond, &logs), lazyNATS(t, srv.URL()))
	if err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	const n = 20
	for i := range n {
		if ack, err := publishWithin(sp, event("app-00", i), 5*time.Second); err != nil || !ack.Spooled {
			t.Fatalf("event %d: %+v, %v; want spooled", i, ack, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	start := time.Now()
	_ = sp.Close(ctx)
	cancel()
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Close took %v with the broker away; it should leave the spool at once", took)
	}
	if !strings.Contains(logs.String(), "the next start forwards them") {
		t.Errorf("no log line about the events left:\n%s", logs.String())
	}

	srv.Restart(t)
	again := openSpool(t, spoolConfig(dir, 300*time.Millisecond, &logs), lazyNATS(t, srv.URL()))
	waitEmpty(t, again, 10*time.Second)
	ids := streamIDs(t, srv.URL())
	if len(ids) != n {
		t.Fatalf("%d events in the stream after the restart, want %d: %v", len(ids), n, ids)
	}
	checkOrder(t, ids)
}

// The broker stops answering while a publish waits for its ack, and
// Close's deadline passes meanwhile: Close ends the publish (the broker's
// sink fails it, and the spool, closed, does not take it), returns soon
// after its deadline, and leaves none of its goroutines, nor the broker
// sink's, running, while the broker is still stopped.
func TestCloseEndsPublishesStuckOnAPausedBroker(t *testing.T) {
	srv := natstest.Start(t)
	proxy := natstest.StartProxy(t, srv.Addr().String())
	before := leakcheck.Take()
	var logs syncbuf.Buffer
	// The broker has the whole request to answer: the publish is inside
	// the broker's sink when Close comes.
	cfg := spoolConfig(t.TempDir(), 30*time.Second, &logs)
	cfg.AckTimeout = time.Minute
	broker := lazy(t, func(ctx context.Context) (sinks.Sink, error) {
		c := natsConfig(proxy.URL())
		c.AckTimeout = time.Minute
		return natsjs.Open(ctx, c)
	})
	sp, err := spool.Open(cfg, broker)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := publishWithin(sp, event("app-00", 0), 10*time.Second); err != nil {
		t.Fatalf("publishing before the pause: %v", err)
	}

	proxy.Pause()
	answered := make(chan error, 1)
	go func() {
		_, err := publishWithin(sp, event("app-00", 1), time.Minute)
		answered <- err
	}()
	eventually(t, 5*time.Second, "the publish to be in progress", func() bool { return sp.PublishesInside() == 1 })

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = sp.Close(ctx)
	took := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close: %v, want its deadline's error", err)
	}
	if took > 3*time.Second {
		t.Errorf("Close took %s with a 300ms deadline", took)
	}
	select {
	case err := <-answered:
		if err == nil {
			t.Error("the stuck publish was answered stored or spooled")
		}
	case <-time.After(time.Second):
		t.Fatal("the stuck publish had no answer a second after Close returned")
	}
	if left := before.Running(2*time.Second,
		"github.com/hirebridge/hirebridge/sinks/spool.", "github.com/hirebridge/hirebridge/sinks/natsjs.", "github.com/nats-io/nats.go"); len(left) > 0 {
		t.Errorf("%d goroutines of the spool or the broker's sink still run after Close returned:\n%s", len(left), left)
	}
}
