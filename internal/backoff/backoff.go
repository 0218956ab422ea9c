// Package backoff is the wait between tries of every retry loop (the
// Kafka sink's writes, read-backs and followers, the spool's forwarder, the
// broker opened in the background): doubling from a floor to a ceiling,
// each wait drawn at random from the upper half of its step.
//
// The randomness is the point: loops that failed together (every record
// in flight when a broker went away, every partition of a topic) would
// otherwise try again together, in bursts at the moments the broker is
// least able to take them. Drawing from the upper half ("equal jitter")
// rather than from zero up keeps a wait from ever being close to nothing,
// so a loop cannot spin, and never makes one longer than the step, so a
// broker back is found as soon as without jitter.
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Backoff is one loop's waits. Not safe for concurrent use: each loop has
// its own.
type Backoff struct {
	floor, ceiling time.Duration
	step           time.Duration
}

// New returns waits doubling from floor to ceiling. floor is raised to a
// nanosecond and ceiling to floor, so any values give a usable Backoff.
func New(floor, ceiling time.Duration) *Backoff {
	lo := max(floor, 1)
	b := &Backoff{floor: lo, ceiling: max(ceiling, lo)}
	b.Reset()
	return b
}

// Next is the wait before the next try, between half the current step and
// the step, and doubles the step up to the ceiling.
func (b *Backoff) Next() time.Duration {
	step := b.step
	b.step = b.ceiling
	if step < b.ceiling/2 {
		b.step = 2 * step
	}
	half := step / 2
	return step - half + rand.N(half+1)
}

// Reset starts the waits from the floor again, after a try that
// succeeded.
func (b *Backoff) Reset() { b.step = b.floor }

// Wait sleeps for Next, and reports false, at once, when ctx ends first.
func (b *Backoff) Wait(ctx context.Context) bool {
	return sleep(ctx, b.Next())
}

// sleep waits d, and reports false, at once, when ctx ends first. Its
// timer is stopped either way, not left to fire for nobody.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
