package kafka

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// readyTTL is how long a readiness answer is reused: short enough that
// readiness follows the broker within seconds both ways, long enough that a
// burst of probes costs one round trip.
const readyTTL = time.Second

// readiness caches the outcome of probe.
type readiness struct {
	probe func(context.Context) error
	// stale is set by publishes that found the broker changed (a topic
	// gone), so the next check probes again; it takes no lock, as a
	// publish must not wait for a probe in progress.
	stale atomic.Bool

	mu  sync.Mutex
	at  time.Time
	err error
}

func (r *readiness) check(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.stale.Swap(false) && !r.at.IsZero() && time.Since(r.at) < readyTTL {
		return r.err
	}
	err := r.probe(ctx)
	if ctx.Err() != nil && err != nil {
		// The caller's deadline, not the broker, ended the probe: do not
		// let one impatient caller decide the next second's answer.
		r.at = time.Time{}
		return err
	}
	r.at, r.err = time.Now(), err
	return err
}

// reset drops the cached answer.
func (r *readiness) reset() { r.stale.Store(true) }
