package spool

import (
	"context"
	"errors"
	"time"

	"github.com/hirebridge/hirebridge/sinks"
)

const (
	// readBatch is how many records one read of the store takes.
	readBatch = 256
	// Between failed forwards the forwarder waits, doubling from
	// backoffMin to backoffMax: a broker back after an outage is found
	// within a second or so, and a broker still away is not flooded.
	backoffMin = 50 * time.Millisecond
	backoffMax = time.Second
)

// forward publishes the spooled records in order, one at a time, each
// removed only after the broker acknowledged it. One at a time keeps the
// order: a record is sent only once every record before it is stored.
func (sp *Spool) forward(ctx context.Context) {
	defer close(sp.fwdDone)
	var after uint64 // the last record handed to the broker
	backoff := backoffMin
	paused := false
	for {
		if sp.backlog.Load() == 0 {
			sp.drained()
			if sp.isClosing() {
				return
			}
			select {
			case <-sp.wake:
			case <-ctx.Done():
				return
			}
			continue
		}
		entries, err := sp.store.read(after, readBatch)
		if err != nil {
			sp.cfg.Log.Error().Err(err).Msg("reading the spool")
		}
		if len(entries) == 0 {
			// Spooled, not committed yet: the write wakes us.
			if sp.isClosing() {
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
		for _, e := range entries {
			m, _, err := decode(e.raw, e.body)
			if err != nil {
				// Nothing can ever forward it; keeping it would stop the
				// spool for good.
				sp.cfg.Log.Error().Err(err).Uint64("seq", e.seq).Msg("removed an unreadable record from the spool")
				sp.done(e.seq, int64(len(e.raw)))
				after = e.seq
				continue
			}
			for {
				pctx, cancel := context.WithTimeout(ctx, sp.cfg.AckTimeout)
				_, err := sp.inner.Publish(pctx, m)
				cancel()
				if err == nil || errors.Is(err, sinks.ErrTooLarge) {
					if err != nil {
						// Spooled while the broker's limit was unknown (it
						// was away), and over it: it can never be stored.
						sp.cfg.Log.Error().Err(err).Str("id", m.ID).Str("topic", m.Topic).Int("bytes", len(m.Body)).
							Msg("a spooled event is larger than the broker accepts; removed from the spool")
					}
					if paused {
						sp.cfg.Log.Info().Int64("events", sp.backlog.Load()).Msg("the broker takes events again; forwarding the spool")
						paused = false
					}
					sp.done(e.seq, Size(m))
					sp.forwarded.Add(1)
					after, backoff = e.seq, backoffMin
					break
				}
				if ctx.Err() != nil {
					return
				}
				if sp.isClosing() {
					// Shutting down: the rest waits on disk rather than
					// for the broker.
					return
				}
				if !paused {
					sp.cfg.Log.Warn().Err(err).Int64("events", sp.backlog.Load()).
						Msg("the broker does not take spooled events; trying again")
					paused = true
				}
				select {
				case <-time.After(backoff):
				case <-ctx.Done():
					return
				}
				backoff = min(2*backoff, backoffMax)
			}
		}
	}
}

// done removes a forwarded record: the next commit deletes it.
func (sp *Spool) done(seq uint64, n int64) {
	sp.store.remove(seq, n)
	sp.reserved.Add(-n)
	sp.full.Store(false)
	sp.backlog.Add(-1)
}

// drained logs the end of spooling, once per episode.
func (sp *Spool) drained() {
	if sp.backlog.Load() != 0 || !sp.spooling.CompareAndSwap(true, false) {
		return
	}
	sp.cfg.Log.Info().Int64("forwarded", sp.forwarded.Load()).
		Dur("spooling_for", time.Since(time.Unix(0, sp.spoolingSince.Load()))).
		Msg("the spool is drained: every spooled event is on the broker; events are published directly again")
}

func (sp *Spool) isClosing() bool {
	sp.mu.RLock()
	defer sp.mu.RUnlock()
	return sp.closing
}
