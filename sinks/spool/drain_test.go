package spool_test

import (
	"context"
	"testing"
	"time"

	"github.com/hirebridge/hirebridge/internal/syncbuf"
	"github.com/hirebridge/hirebridge/sinks/natsjs"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
	"github.com/hirebridge/hirebridge/sinks/spool"
)

// Drain on a spool left behind: with the broker away it stops at the
// first failed forward and leaves the file whole; with the broker back it
// forwards everything, in order, once; a second drain finds nothing.
func TestDrain(t *testing.T) {
	srv := natstest.Start(t)
	dir := t.TempDir()
	const n = 300
	sent := leaveSpooledByKeys(t, dir, n, 4)
	var logs syncbuf.Buffer
	cfg := checkedConfig(dir, &logs)

	srv.Stop()
	away := lazyNATS(t, srv.URL())
	t.Cleanup(func() { _ = away.Close(context.Background()) })
	start := time.Now()
	d, err := spool.Drain(context.Background(), cfg, away)
	if err != nil {
		t.Fatalf("Drain with the broker away: %v", err)
	}
	if d.Held != n || d.Left != n || d.Forwarded != 0 || d.Halted == nil {
		t.Errorf("Drain with the broker away: %+v, want all %d left and the broker's error", d, n)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Drain with the broker away took %s; it should stop at the first failure", took)
	}

	srv.Restart(t)
	broker, err := natsjs.Open(context.Background(), natsConfig(srv.URL()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = broker.Close(context.Background()) })
	d, err = spool.Drain(context.Background(), cfg, broker)
	if err != nil {
		t.Fatalf("Drain: %v", err)
	}
	if d.Held != n || d.Forwarded != n || d.Left != 0 || d.LeftBytes != 0 || d.Halted != nil {
		t.Errorf("Drain: %+v, want all %d forwarded", d, n)
	}
	got := streamContents(t, srv.URL())
	checkOnceEach(t, got.ids, sent)
	var bodies [][]byte
	for _, id := range got.ids {
		bodies = append(bodies, got.bodies[id])
	}
	checkKeyOrder(t, bodies)

	d, err = spool.Drain(context.Background(), cfg, broker)
	if err != nil || d.Held != 0 || d.Forwarded != 0 || d.Left != 0 {
		t.Errorf("a second Drain: %+v, %v; want nothing to do", d, err)
	}
	if ids := streamIDs(t, srv.URL()); len(ids) != n {
		t.Errorf("%d messages in the stream after a second drain, want %d", len(ids), n)
	}
}
