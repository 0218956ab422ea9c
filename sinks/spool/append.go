package spool

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hirebridge/hirebridge/sinks"
)

// append writes m to the spool behind everything there, and returns once
// it is synced to disk, or with an unavailable error when ctx ends first
// (the request's deadline: a stalled disk must not hold it longer). cause
// is why the broker did not take it, or nil when it queued behind others.
//
// m's place in the backlog and its bytes are taken before the write and
// settled by the write's outcome, whether or not the request still waits
// (settle): a record committed after its request gave up is a record in
// the spool, forwarded like any other (an event answered 503 that may
// still arrive, which a 503 allows); one whose write failed gives back
// what it took. No request is answered spooled for a record not synced.
func (sp *Spool) append(ctx context.Context, m *sinks.Message, cause error) error {
	n := Size(m)
	if !sp.reserve(n) {
		sp.full.Store(true)
		return fmt.Errorf("publishing %s: %w: the spool is full (%d bytes held, HIREBRIDGE_SPOOL_MAX_BYTES is %d)",
			m.Topic, sinks.ErrUnavailable, sp.reserved.Load(), sp.cfg.MaxBytes)
	}
	// Counted before the write, so messages arriving meanwhile queue
	// behind this one rather than overtake it.
	sp.backlog.Add(1)
	settle := func(err error) { sp.settle(n, cause, err) }
	rec, err := encode(m, time.Now())
	if err != nil {
		settle(err)
	} else {
		err = sp.store.append(ctx, rec, m.Body, n, settle)
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errUnconfirmed):
		return fmt.Errorf("publishing %s: %w: the broker did not take it in time and %w", m.Topic, sinks.ErrUnavailable, err)
	default:
		return fmt.Errorf("publishing %s: %w: the broker did not take it and the spool could not store it: %w", m.Topic, sinks.ErrUnavailable, err)
	}
}

// settle accounts for what became of a record of n bytes that append
// counted: stored (err nil), or not. It runs once per record, in the
// committer for a write that was queued, so it does only quick things.
func (sp *Spool) settle(n int64, cause, err error) {
	if err != nil {
		sp.backlog.Add(-1)
		sp.reserved.Add(-n)
		if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
			// A request that gave up before its write was queued says
			// nothing of the disk; a failed write does.
			sp.writeErr.Store(&err)
		}
		return
	}
	sp.writeErr.Store(nil)
	if sp.spooling.CompareAndSwap(false, true) {
		sp.spoolingSince.Store(time.Now().UnixNano())
		sp.forwardedBefore.Store(sp.forwarded.Load())
		e := sp.cfg.Log.Warn()
		if cause != nil {
			e = e.Err(cause)
		}
		e.Dur("after", sp.cfg.After).Msg("the broker did not take an event in time: spooling events to disk (answered 202) until it does")
	}
	select {
	case sp.wake <- struct{}{}:
	default:
	}
}

// reserve takes n bytes of MaxBytes, or reports there is no room.
func (sp *Spool) reserve(n int64) bool {
	for {
		cur := sp.reserved.Load()
		if cur+n > sp.cfg.MaxBytes {
			return false
		}
		if sp.reserved.CompareAndSwap(cur, cur+n) {
			return true
		}
	}
}
