package spool_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hirebridge/hirebridge/internal/syncbuf"
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
