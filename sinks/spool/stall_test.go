package spool_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hirebridge/hirebridge/internal/syncbuf"
	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
	"github.com/hirebridge/hirebridge/sinks/spool"
)

// A stalled disk does not hold a request past its deadline: the publish is
// answered unavailable when its context ends. The write, committed after
// the request gave up, is a record in the spool like any other: counted
// once, forwarded once the broker is back, and then counted no more.
func TestAppendGivesUpWithItsRequest(t *testing.T) {
	srv := natstest.Start(t)
	var logs syncbuf.Buffer
	sp := openSpool(t, spoolConfig(t.TempDir(), 200*time.Millisecond, &logs), lazyNATS(t, srv.URL()))
	srv.Stop()

	release := sp.StallCommits(nil)
	defer release()
	m := event("app-00", 0)
	start := time.Now()
	ack, err := publishWithin(sp, m, time.Second)
	took := time.Since(start)
	if err == nil {
		t.Fatalf("a publish whose write was never synced was answered %+v", ack)
	}
	if !errors.Is(err, sinks.ErrUnavailable) || !strings.Contains(err.Error(), "may yet be stored") {
		t.Errorf("the publish: %v, want unavailable, saying the event may yet be stored", err)
	}
	if took > 3*time.Second {
		t.Errorf("the publish took %s with a one-second deadline", took)
	}
	checkCounts(t, sp, "while the write is held", 1, spool.Size(m), 0)

	release()
	eventually(t, 5*time.Second, "the held write to be committed", func() bool { n, _ := sp.Held(); return n == 1 })
	checkCounts(t, sp, "once the write is committed", 1, spool.Size(m), 1)

	srv.Restart(t)
	waitEmpty(t, sp, 10*time.Second)
	checkCounts(t, sp, "once forwarded", 0, 0, 0)
	if ids := streamIDs(t, srv.URL()); len(ids) != 1 || ids[0] != m.ID {
		t.Errorf("the stream holds %v, want the one event answered 503 whose write was committed later", ids)
	}
}

// A held write that then fails gives back what it counted, whether its
// request gave up or still waits: the one that waits is answered with the
// failure, never spooled, and the next write goes through.
func TestFailedWriteCountsNothing(t *testing.T) {
	srv := natstest.Start(t)
	var logs syncbuf.Buffer
	sp := openSpool(t, spoolConfig(t.TempDir(), 200*time.Millisecond, &logs), lazyNATS(t, srv.URL()))
	srv.Stop()

	diskGone := errors.New("input/output error")
	release := sp.StallCommits(diskGone)
	defer release()
	if _, err := publishWithin(sp, event("app-00", 0), 500*time.Millisecond); !errors.Is(err, sinks.ErrUnavailable) {
		t.Fatalf("the publish that gave up: %v, want unavailable", err)
	}
	waited := make(chan error, 1)
	go func() {
		ack, err := publishWithin(sp, event("app-00", 1), time.Minute)
		if err == nil {
			err = errors.New("answered " + map[bool]string{true: "spooled", false: "published"}[ack.Spooled])
		}
		waited <- err
	}()
	eventually(t, 5*time.Second, "the second write to be queued", func() bool { backlog, _ := sp.Counted(); return backlog == 2 })
	release()
	select {
	case err := <-waited:
		if !errors.Is(err, diskGone) {
			t.Errorf("the publish that waited for its failed write: %v, want the write's error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the publish that waited had no answer 10s after its write failed")
	}
	eventually(t, 5*time.Second, "the failed writes to give back their counts", func() bool {
		backlog, reserved := sp.Counted()
		return backlog == 0 && reserved == 0
	})
	checkCounts(t, sp, "after the failed writes", 0, 0, 0)

	sp.HealCommits()
	m := event("app-00", 2)
	if ack, err := publishWithin(sp, m, 5*time.Second); err != nil || !ack.Spooled {
		t.Fatalf("the write after the failed ones: %+v, %v; want spooled", ack, err)
	}
	checkCounts(t, sp, "after a write that passed", 1, spool.Size(m), 1)
	srv.Restart(t)
	waitEmpty(t, sp, 10*time.Second)
	if ids := streamIDs(t, srv.URL()); len(ids) != 1 || ids[0] != m.ID {
		t.Errorf("the stream holds %v, want only the event whose write passed", ids)
	}
}

// checkCounts fails unless the spool counts backlog records of reserved
// bytes, of which the store holds held.
func checkCounts(t *testing.T, sp *spool.Spool, when string, backlog, reserved, held int64) {
	t.Helper()
	b, r := sp.Counted()
	h, _ := sp.Held()
	if b != backlog || r != reserved || h != held {
		t.Errorf("%s: backlog %d, reserved %d bytes, %d held; want %d, %d, %d", when, b, r, h, backlog, reserved, held)
	}
}

// eventually polls cond until it holds, or fails the test after within.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
