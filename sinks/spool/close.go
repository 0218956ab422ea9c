package spool

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// maxCloseReserve bounds the part of Close's time kept from forwarding for
// closing the broker's sink after it. The forwarder publishes one event or
// one batch at a time and waits for its acks, so once it stops nothing is left to flush
// and closing takes milliseconds; but a connection drained with no time
// left at all fails the close, and the process would exit with an error.
const maxCloseReserve = time.Second

// Close refuses new publishes, waits for those in progress, forwards what
// the spool holds within ctx (stopping at once if the broker does not take
// it), leaves the rest on disk for the next start, and closes the broker's
// sink. When ctx ends before the publishes in progress did, closing the
// store and the broker's sink answers them (their writes are committed or
// refused, the broker's sink ends its publishes), and Close waits for that
// rather than leave them running. The one wait ctx cannot cut short is a
// commit already writing to disk: the file is closed after its last
// transaction, never under it.
func (sp *Spool) Close(ctx context.Context) error {
	if !sp.gate.Close() {
		return nil
	}
	waitErr := sp.gate.Wait(ctx)
	f := sp.finish(ctx, true)
	sp.reportFinish(f)
	ierr := sp.inner.Close(ctx)
	if waitErr != nil {
		// Answered by now, or about to be: their store and broker are
		// closed.
		n := sp.gate.Inside()
		_ = sp.gate.Wait(context.Background())
		waitErr = fmt.Errorf("closing the spool: %d publishes were still in progress: %w", n, waitErr)
	}
	return errors.Join(waitErr, f.err, ierr)
}

// finished is what finish did.
type finished struct {
	// held is how many events the spool held when finish began.
	held int64
	did  Outcomes
	took time.Duration
	// cut is the forwarding time's error when it ran out first.
	cut error
	// err is closing the store's.
	err error
}

// finish lets the forwarder forward what the spool holds until it is
// empty, the broker fails a forward, or forwardingTime runs out (the
// publish in progress then finishes, within ctx); then it closes the
// store, what is left staying on disk. The gate is closed: nothing new
// arrives meanwhile. announce logs what it is about to do: the service
// stopping, not a drain, whose command says it.
func (sp *Spool) finish(ctx context.Context, announce bool) finished {
	// The backlog, not the store's count: records forwarded a moment ago
	// are still counted there until their removal's commit.
	f := finished{held: sp.backlog.Load()}
	start := time.Now()
	before := sp.outcomes()
	fctx, cancel := forwardingTime(ctx)
	defer cancel()
	if announce && f.held > 0 {
		e := sp.cfg.Log.Info().Int64("events", f.held).Str("dir", sp.cfg.Dir)
		if deadline, ok := fctx.Deadline(); ok {
			e = e.Dur("within", time.Until(deadline).Round(time.Millisecond))
		}
		e.Msg("stopping: forwarding what the spool holds to the broker before exit")
	}
	// The forwarder ends by itself once the spool is empty or the broker
	// fails it.
	select {
	case sp.wake <- struct{}{}:
	default:
	}
	select {
	case <-sp.fwdDone:
	case <-fctx.Done():
		// Time to stop: the forwarder ends once the publish in progress
		// is answered. Cut short, a record the broker stores anyway would
		// be sent again by the next start, and Kafka cannot tell it is a
		// duplicate; only ctx's own end cuts it short.
		close(sp.stopping)
		select {
		case <-sp.fwdDone:
		case <-ctx.Done():
			sp.stopFwd()
			<-sp.fwdDone
		}
		f.cut = fctx.Err()
	}
	sp.stopFwd()
	if err := sp.store.close(); err != nil {
		f.err = fmt.Errorf("closing the spool: %w", err)
	}
	f.did, f.took = sp.outcomes().since(before), time.Since(start)
	return f
}

// forwardingTime is ctx less what Close keeps for closing the broker's
// sink: maxCloseReserve, or a fifth of the time left when that is less.
func forwardingTime(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	reserve := min(maxCloseReserve, time.Until(deadline)/5)
	return context.WithDeadline(ctx, deadline.Add(-reserve))
}

// reportFinish logs what closing did with the events the spool held:
// forwarded every one, or left some on disk, and why.
func (sp *Spool) reportFinish(f finished) {
	left, bytes := sp.Held()
	if left == 0 {
		if f.held > 0 {
			sp.cfg.Log.Info().Int64("forwarded", f.did.Forwarded).Int64("dead_lettered", f.did.DeadLettered).
				Int64("quarantined", f.did.Quarantined).Dur("took", f.took.Round(time.Millisecond)).Str("dir", sp.cfg.Dir).
				Msg("the spool is forwarded: every event it held is on the broker, nothing is left on disk")
		}
		return
	}
	e := sp.cfg.Log.Warn().Int64("events", left).Int64("bytes", bytes).Int64("forwarded", f.did.Forwarded).
		Dur("took", f.took.Round(time.Millisecond)).Str("dir", sp.cfg.Dir)
	switch p := sp.halted.Load(); {
	case p != nil:
		e = e.AnErr("broker_error", *p)
	case f.cut != nil:
		e = e.Str("cause", "the time to stop ran out")
	}
	e.Msg("stopping with events in the spool; the next start forwards them " +
		"(or `hirebridge spool drain` where no bridge will run on this directory again)")
}
