package spool_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hirebridge/hirebridge/internal/syncbuf"
	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
	"github.com/hirebridge/hirebridge/sinks/spool"
)

func publishWithin(s sinks.Sink, m *sinks.Message, d time.Duration) (sinks.Ack, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return s.Publish(ctx, m)
}

func ready(s interface {
	Ready(context.Context) error
}) error {
	ctx, cancel := context.WithTimeout(context.Background(), 900*time.Millisecond)
	defer cancel()
	return s.Ready(ctx)
}

// While the broker is away readiness says events are spooled; a full
// spool refuses events as unavailable, as without a spool, and readiness
// fails; once the broker is back the spool drains and takes events again.
func TestFullSpoolRefuses(t *testing.T) {
	srv := natstest.Start(t)
	var logs syncbuf.Buffer
	cfg := spoolConfig(t.TempDir(), 300*time.Millisecond, &logs)
	cfg.MaxBytes = 10 * spool.Size(event("app-00", 0))
	sp := openSpool(t, cfg, lazyNATS(t, srv.URL()))
	srv.Stop()

	spooled := 0
	var refusal error
	for n := range 20 {
		ack, err := publishWithin(sp, event("app-00", n), 5*time.Second)
		if err != nil {
			refusal = err
			break
		}
		if !ack.Spooled {
			t.Fatalf("event %d answered %+v with the broker down, want spooled", n, ack)
		}
		spooled++
		if n == 0 {
			var d *sinks.DegradedError
			if err := ready(sp); !errors.As(err, &d) || d.Status != "spooling" {
				t.Errorf("Ready while spooling = %v, want a DegradedError saying so", err)
			}
		}
	}
	if spooled != 10 {
		t.Errorf("%d events spooled before the spool was full, want 10", spooled)
	}
	if !errors.Is(refusal, sinks.ErrUnavailable) || !strings.Contains(refusal.Error(), "full") {
		t.Fatalf("publish to a full spool = %v, want ErrUnavailable saying it is full", refusal)
	}
	var d *sinks.DegradedError
	if err := ready(sp); err == nil || errors.As(err, &d) || !strings.Contains(err.Error(), "full") {
		t.Errorf("Ready with a full spool and no broker = %v, want a failure saying it is full", err)
	}

	srv.Restart(t)
	waitEmpty(t, sp, 10*time.Second)
	if ack, err := publishWithin(sp, event("app-00", 99), 5*time.Second); err != nil || ack.Spooled {
		t.Errorf("publish after the drain = %+v, %v; want published directly", ack, err)
	}
	if ids := streamIDs(t, srv.URL()); len(ids) != 11 {
		t.Errorf("%d events in the stream, want the 10 spooled and the last", len(ids))
	}
	if err := ready(sp); err != nil {
		t.Errorf("Ready after the drain = %v", err)
	}
}

// An event larger than the broker accepts gets ErrTooLarge as without a
// spool: spooling it would only defer the refusal.
func TestTooLargeIsNotSpooled(t *testing.T) {
	srv := natstest.Start(t)
	sp := openSpool(t, spoolConfig(t.TempDir(), time.Second, &syncbuf.Buffer{}), lazyNATS(t, srv.URL()))
	m := event("app-00", 0)
	m.Body = bytes.Repeat([]byte{'x'}, 9<<20)
	if _, err := publishWithin(sp, m, 5*time.Second); !errors.Is(err, sinks.ErrTooLarge) {
		t.Errorf("publish of 9 MiB = %v, want ErrTooLarge", err)
	}
	if n, _ := sp.Held(); n != 0 {
		t.Errorf("the spool holds %d events, want none", n)
	}
}
