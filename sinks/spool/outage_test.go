package spool_test

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hirebridge/hirebridge/internal/syncbuf"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
)

// Senders that never retry publish through a NATS outage of several
// seconds: none is refused, and afterwards every event is in the stream
// exactly once, in order per key, spooled ones included.
func TestNATSOutageLosesNothing(t *testing.T) {
	srv := natstest.Start(t)
	var logs syncbuf.Buffer
	sp := openSpool(t, spoolConfig(t.TempDir(), 300*time.Millisecond, &logs), lazyNATS(t, srv.URL()))

	stop := make(chan struct{})
	done := make(chan struct{})
	var ta tally
	var sent atomic.Int64
	go func() {
		defer close(done)
		send(t, sp, 8, stop, &ta, &sent)
	}()
	time.Sleep(500 * time.Millisecond)
	srv.Stop()
	time.Sleep(3 * time.Second)
	srv.Restart(t)
	time.Sleep(500 * time.Millisecond)
	close(stop)
	<-done
	drainStart := time.Now()
	waitEmpty(t, sp, 15*time.Second)
	t.Logf("drained %s after the last event", time.Since(drainStart).Round(time.Millisecond))

	if len(ta.failed) > 0 {
		t.Errorf("%d of %d events refused, e.g. %s", len(ta.failed), sent.Load(), ta.failed[0])
	}
	if len(ta.spooled) == 0 {
		t.Error("no event was spooled during a 3 s outage")
	}
	ids := streamIDs(t, srv.URL())
	count := map[string]int{}
	for _, id := range ids {
		count[id]++
	}
	lost := 0
	for _, id := range append(append([]string(nil), ta.published...), ta.spooled...) {
		if count[id] != 1 {
			lost++
			t.Errorf("%s was answered stored but is in the stream %d times", id, count[id])
		}
	}
	checkOrder(t, ids)
	t.Logf("NATS outage of 3s: %d sent, %d published directly, %d spooled, %d in the stream, %d lost",
		sent.Load(), len(ta.published), len(ta.spooled), len(ids), lost)
	for _, want := range []string{"spooling events to disk", "the spool is drained"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("no log line saying %q:\n%s", want, logs.String())
		}
	}
	if strings.Contains(logs.String(), `"body"`) {
		t.Error("a log line carries a body")
	}
}
