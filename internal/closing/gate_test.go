package closing_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/hirebridge/hirebridge/internal/closing"
)

// TestMain fails the package when a goroutine outlives its tests: a Wait
// that gave up must not leave one waiting for the publishes.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestCloseRefusesNewPublishes(t *testing.T) {
	t.Parallel()
	var g closing.Gate
	if !g.Enter() {
		t.Fatal("an open gate refused a publish")
	}
	g.Leave()
	if g.Closed() {
		t.Fatal("closed before Close")
	}
	if !g.Close() {
		t.Error("the first Close did not report it began closing")
	}
	if g.Close() {
		t.Error("a second Close reported it began closing")
	}
	if g.Enter() {
		t.Error("a publish was admitted after Close")
	}
	if !g.Closed() || g.Inside() != 0 {
		t.Errorf("Closed %v, Inside %d; want true, 0", g.Closed(), g.Inside())
	}
	if err := g.Wait(context.Background()); err != nil {
		t.Errorf("Wait with nothing inside: %v", err)
	}
}

// Close waits for the publishes inside, and only for them.
func TestWaitReturnsWhenTheLastLeaves(t *testing.T) {
	t.Parallel()
	var g closing.Gate
	const inside = 3
	for range inside {
		if !g.Enter() {
			t.Fatal("refused before Close")
		}
	}
	g.Close()
	waited := make(chan error, 1)
	go func() { waited <- g.Wait(context.Background()) }()
	for i := range inside {
		select {
		case err := <-waited:
			t.Fatalf("Wait returned (%v) with %d publishes inside", err, inside-i)
		case <-time.After(20 * time.Millisecond):
		}
		g.Leave()
	}
	select {
	case err := <-waited:
		if err != nil {
			t.Errorf("Wait: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Wait did not return once every publish left")
	}
}

// A Wait whose context ends returns its error at once and leaves nothing
// behind (TestMain checks); a later Wait still sees the gate go idle.
func TestWaitGivesUpWithItsContext(t *testing.T) {
	t.Parallel()
	var g closing.Gate
	g.Enter()
	g.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if err := g.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait: %v, want the context's deadline", err)
	}
	if g.Inside() != 1 {
		t.Errorf("Inside %d, want 1", g.Inside())
	}
	g.Leave()
	if err := g.Wait(ctx); err != nil {
		t.Errorf("Wait once idle, with its context over: %v; idle must win", err)
	}
}

// Publishers racing Close: every admitted publish is waited for, none is
// admitted after Close returned, and Wait returns exactly when the last
// one left.
func TestEnterRacingClose(t *testing.T) {
	t.Parallel()
	for range 200 {
		var g closing.Gate
		var inside atomic.Int64
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range 8 {
			wg.Go(func() {
				<-start
				for g.Enter() {
					inside.Add(1)
					inside.Add(-1)
					g.Leave()
				}
			})
		}
		close(start)
		g.Close()
		if g.Enter() {
			t.Fatal("admitted after Close returned")
		}
		if err := g.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n := inside.Load(); n != 0 {
			t.Fatalf("Wait returned with %d publishes inside", n)
		}
		wg.Wait()
	}
}
