package backoff_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/hirebridge/hirebridge/internal/backoff"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// Each wait lies in the upper half of its step; the steps double from the
// floor to the ceiling and stay there; Reset starts again from the floor.
func TestWaitsDoubleWithinTheirHalf(t *testing.T) {
	t.Parallel()
	const floor, ceiling = 20 * time.Millisecond, 200 * time.Millisecond
	b := backoff.New(floor, ceiling)
	steps := []time.Duration{20, 40, 80, 160, 200, 200, 200}
	for round := range 2 {
		for i, step := range steps {
			step *= time.Millisecond
			if d := b.Next(); d < step/2 || d > step {
				t.Errorf("round %d, wait %d: %s, want within [%s, %s]", round, i, d, step/2, step)
			}
		}
		b.Reset()
	}
}

// The waits are spread, not one value: loops that failed together do not
// try again together.
func TestWaitsAreJittered(t *testing.T) {
	t.Parallel()
	seen := map[time.Duration]bool{}
	for range 100 {
		seen[backoff.New(time.Second, time.Second).Next()] = true
	}
	if len(seen) < 50 {
		t.Errorf("100 waits took only %d values", len(seen))
	}
}

// Values that make no sense still give waits: never zero (no spinning), and
// a ceiling below the floor is the floor.
func TestOddBounds(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ floor, ceiling time.Duration }{{0, 0}, {-time.Second, 0}, {time.Second, time.Millisecond}} {
		b := backoff.New(c.floor, c.ceiling)
		for range 5 {
			if d := b.Next(); d <= 0 || d > max(c.floor, c.ceiling, 1) {
				t.Errorf("New(%s, %s): wait %s", c.floor, c.ceiling, d)
			}
		}
	}
}

// Wait returns false as soon as its context ends, its timer stopped.
func TestWaitEndsWithItsContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if backoff.New(time.Hour, time.Hour).Wait(ctx) {
		t.Error("Wait reported a full wait with its context over")
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("Wait took %s with its context over", took)
	}
	if !backoff.New(time.Millisecond, time.Millisecond).Wait(context.Background()) {
		t.Error("Wait of a millisecond reported its context ended")
	}
}
