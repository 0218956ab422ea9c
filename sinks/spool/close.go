package spool

import (
	"context"
	"errors"
	"fmt"
)

// Close refuses new publishes, waits for those in progress, forwards what
// it can within ctx (stopping at once if the broker does not take it),
// leaves the rest on disk for the next start, and closes the broker's
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
	// The forwarder ends by itself once the spool is empty or the broker
	// fails it; the deadline cuts a publish in progress short.
	select {
	case sp.wake <- struct{}{}:
	default:
	}
	select {
	case <-sp.fwdDone:
	case <-ctx.Done():
		sp.stopFwd()
		<-sp.fwdDone
	}
	sp.stopFwd()
	serr := sp.store.close()
	if n, b := sp.Held(); n > 0 {
		sp.cfg.Log.Warn().Int64("events", n).Int64("bytes", b).Str("dir", sp.cfg.Dir).
			Msg("stopping with events in the spool; the next start forwards them")
	}
	if serr != nil {
		serr = fmt.Errorf("closing the spool: %w", serr)
	}
	ierr := sp.inner.Close(ctx)
	if waitErr != nil {
		// Answered by now, or about to be: their store and broker are
		// closed.
		n := sp.gate.Inside()
		_ = sp.gate.Wait(context.Background())
		waitErr = fmt.Errorf("closing the spool: %d publishes were still in progress: %w", n, waitErr)
	}
	return errors.Join(waitErr, serr, ierr)
}
