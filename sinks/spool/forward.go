package spool

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/hirebridge/hirebridge/internal/backoff"
	"github.com/hirebridge/hirebridge/sinks"
)

const (
	// readBatch is how many records one read of the store takes.
	readBatch = 256
	// Between failed forwards the forwarder waits, doubling from
	// backoffMin to backoffMax (jittered, internal/backoff): a broker back
	// after an outage is found within a second or so, and a broker still
	// away is not flooded.
	backoffMin = 50 * time.Millisecond
	backoffMax = time.Second
)

// forward publishes the spooled records in order, each removed only after
// the broker acknowledged it: in ordered batches when the broker's sink
// publishes batches (batch.go), otherwise one at a time, where a record is
// sent only once every record before it is stored.
func (sp *Spool) forward(ctx context.Context) {
	defer close(sp.fwdDone)
	var after uint64 // the last record handed to the broker
	retry := backoff.New(backoffMin, backoffMax)
	paused := false
	batcher, _ := sp.inner.(sinks.BatchPublisher)
	// ahead is the next page, read and checked while the page before it
	// is published (batches only). It is waited for before fwdDone
	// closes: nothing reads the store once the forwarder is done.
	var ahead chan page
	defer func() { settleAhead(ahead) }()
	for {
		if sp.backlog.Load() == 0 {
			// Read before the last records were forwarded: read again
			// once woken.
			settleAhead(ahead)
			ahead = nil
			sp.drained()
			if sp.gate.Closed() {
				return
			}
			select {
			case <-sp.wake:
			case <-ctx.Done():
				return
			}
			continue
		}
		var p page
		if ahead != nil {
			p, ahead = <-ahead, nil
			if len(p.entries) == 0 && p.err == nil {
				// Read when the page before it was taken, maybe long
				// ago (that page waited out an outage): the records
				// after it may be committed since. Empty, it says
				// nothing of now; read again, or a stop (gate closed)
				// would take it for the end and leave them.
				p = sp.readPage(ctx, after, true)
			}
		} else {
			p = sp.readPage(ctx, after, batcher != nil)
		}
		entries, err := p.entries, p.err
		if err != nil {
			sp.cfg.Log.Error().Err(err).Msg("reading the spool")
		}
		if len(entries) == 0 {
			// Spooled, not committed yet: the write wakes us.
			if sp.gate.Closed() {
				return
			}
			select {
			case <-sp.wake:
			case <-time.After(backoffMax):
			case <-ctx.Done():
				return
			}
			continue
		}
		if batcher != nil {
			after = entries[len(entries)-1].seq
			ahead = sp.readAhead(ctx, after)
			if !sp.forwardBatches(ctx, batcher, p.items, &paused, retry) {
				return
			}
			continue
		}
		for _, e := range entries {
			if sp.stopRequested() {
				return
			}
			after = e.seq
			m, err := sp.check(e)
			if err != nil {
				sp.quarantine(e, storedSize(e.raw, e.body), reasonOf(err), err, sp.cfg.Log.Error())
				continue
			}
			if !sp.deliver(ctx, e, m, &paused, retry) {
				return
			}
		}
	}
}

// stopRequested says whether Close asked the forwarder to stop before its
// next record.
func (sp *Spool) stopRequested() bool {
	select {
	case <-sp.stopping:
		return true
	default:
		return false
	}
}

// check reads a record back and makes sure it is what was accepted: its
// checksum, its format version, and its body against its id.
func (sp *Spool) check(e entry) (*sinks.Message, error) {
	m, _, err := decode(e.raw, e.body)
	if err == nil && sp.cfg.Verify != nil && !sp.cfg.Verify(m) {
		err = errIDMismatch
	}
	return m, err
}

// deliver publishes m until the broker stores it, or refuses it for good
// and its dead letter is stored (or, refused too, it is quarantined); only
// then is the record removed. It reports false when the spool stops.
func (sp *Spool) deliver(ctx context.Context, e entry, m *sinks.Message, paused *bool, retry *backoff.Backoff) bool {
	// One span for the delivery, its retries included: it ends once the
	// record is settled, or with the error the spool stopped on. A dead
	// letter and the byte count go by m as it was spooled.
	ctx, span, out := sp.spans.startForward(ctx, m)
	return sp.deliverIn(ctx, span, e, m, out, paused, retry)
}

// deliverIn is deliver within span, already started (with ctx its
// context), out being m with the span's trace context.
func (sp *Spool) deliverIn(ctx context.Context, span trace.Span, e entry, m, out *sinks.Message, paused *bool, retry *backoff.Backoff) (delivered bool) {
	var last error
	defer func() {
		if delivered {
			last = nil
		}
		endForward(span, last)
	}()
	for {
		pctx, cancel := context.WithTimeout(ctx, sp.cfg.AckTimeout)
		_, err := sp.inner.Publish(pctx, out)
		cancel()
		forwarded := err == nil
		if sinks.Permanent(err) {
			err = sp.deadLetter(ctx, e, m, err)
		}
		last = err
		if err == nil {
			sp.resumed(paused)
			if forwarded {
				sp.done(e.seq, Size(m))
				sp.forwarded.Add(1)
			}
			retry.Reset()
			return true
		}
		if ctx.Err() != nil || sp.gate.Closed() {
			// Shutting down: the rest waits on disk rather than for the
			// broker.
			if ctx.Err() == nil {
				sp.halted.Store(&err)
			}
			return false
		}
		if !*paused {
			sp.cfg.Log.Warn().Err(err).Int64("events", sp.backlog.Load()).
				Msg("the broker does not take spooled events; trying again")
			*paused = true
		}
		if !retry.Wait(ctx) {
			return false
		}
	}
}

// resumed logs, once per pause, that the broker takes events again.
func (sp *Spool) resumed(paused *bool) {
	if *paused {
		sp.cfg.Log.Info().Int64("events", sp.backlog.Load()).Msg("the broker takes events again; forwarding the spool")
		*paused = false
	}
}

// deadLetter keeps m, which the broker refused for good with cause, on the
// dead letters (reason undeliverable, its original headers kept, so
// `hirebridge replay` restores it once the deployment is fixed), then
// removes its record. Refused there too, or a dead letter itself, it goes
// to the quarantine. Either way forwarding goes on with the next record at
// once; only a dead-letter publish that may yet pass (the broker away)
// returns its error, to be tried again.
func (sp *Spool) deadLetter(ctx context.Context, e entry, m *sinks.Message, cause error) error {
	size := Size(m)
	if m.Event == nil || m.Topic == sp.cfg.DeadLetters {
		sp.quarantine(e, size, QuarantineRefused, cause, sp.cfg.Log.Error().Str("id", m.ID).Str("topic", m.Topic))
		return nil
	}
	pctx, cancel := context.WithTimeout(ctx, sp.cfg.AckTimeout)
	_, err := sp.inner.Publish(pctx, sinks.Undeliverable(m, sp.cfg.DeadLetters, cause))
	cancel()
	switch {
	case err == nil:
		sp.done(e.seq, size)
		sp.deadLettered.Add(1)
		sp.cfg.Log.Warn().Err(cause).Str("id", m.ID).Str("topic", m.Topic).Str("dead_letters", sp.cfg.DeadLetters).
			Msg("the broker refuses a spooled event for good: kept on the dead letters (reason undeliverable; `hirebridge replay -reason undeliverable` publishes it once the deployment is fixed); forwarding goes on")
		return nil
	case sinks.Permanent(err):
		sp.quarantine(e, size, QuarantineRefused, fmt.Errorf("%w; and its dead letter: %w", cause, err),
			sp.cfg.Log.Error().Str("id", m.ID).Str("topic", m.Topic))
		return nil
	default:
		return err
	}
}

// done removes a forwarded record: the next commit deletes it.
func (sp *Spool) done(seq uint64, n int64) {
	sp.store.remove(seq, n)
	sp.reserved.Add(-n)
	sp.full.Store(false)
	sp.backlog.Add(-1)
}

// drained logs the end of spooling, once per episode. While closing, the
// line Close writes says it instead: events are not published directly
// again.
func (sp *Spool) drained() {
	if sp.backlog.Load() != 0 || !sp.spooling.CompareAndSwap(true, false) || sp.gate.Closed() {
		return
	}
	sp.cfg.Log.Info().Int64("forwarded", sp.forwarded.Load()-sp.forwardedBefore.Load()).
		Dur("spooling_for", time.Since(time.Unix(0, sp.spoolingSince.Load()))).
		Msg("the spool is drained: every spooled event is on the broker; events are published directly again")
}
