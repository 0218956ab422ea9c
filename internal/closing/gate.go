// Package closing is the one way every sink closes: new publishes are
// refused from the moment Close starts, and Close waits for those already
// in, bounded by its context, without a goroutine left waiting when the
// context ends first.
//
// A sink's Close then goes: Close on its Gate (refuse), Wait (bounded by
// ctx), and when Wait gives up, end what the publishes still inside wait on
// (the broker's connection, the store) so they return at once, and Wait
// again: a Close that returns has nothing of the sink's still running.
package closing

import (
	"context"
	"sync"
	"sync/atomic"
)

// closedBit marks state once Close began; the bits below count the
// publishes inside.
const closedBit = int64(1) << 62

// Gate admits publishes until Close, and lets Close wait for those
// admitted. Enter and Leave are one atomic addition each, so publishers
// never wait for one another. The zero Gate is open.
type Gate struct {
	state atomic.Int64

	// idle is closed once Close began and no publish is inside: the last
	// Leave closes it, or Close itself when none was inside. A channel
	// rather than a sync.WaitGroup, so a Wait that gives up leaves nothing
	// behind (waiting on a WaitGroup with a deadline needs a goroutine that
	// outlives the deadline).
	idle     chan struct{}
	makeIdle sync.Once
	markIdle sync.Once
}

// Enter admits a publish, or reports false once Close began. Every Enter
// that reports true is paired with one Leave.
func (g *Gate) Enter() bool {
	if g.state.Add(1)&closedBit != 0 {
		// Counted for a moment: leaving may be what makes the gate idle.
		g.Leave()
		return false
	}
	return true
}

// Leave ends a publish Enter admitted.
func (g *Gate) Leave() {
	if g.state.Add(-1) == closedBit {
		g.signalIdle()
	}
}

// Close refuses every later Enter. It reports whether this call began
// closing, so work done once per close (stopping a watcher) is done once.
func (g *Gate) Close() (first bool) {
	old := g.state.Or(closedBit)
	if old&closedBit != 0 {
		return false
	}
	if old == 0 {
		g.signalIdle()
	}
	return true
}

// Closed reports whether Close began.
func (g *Gate) Closed() bool { return g.state.Load()&closedBit != 0 }

// Inside is how many admitted publishes have not left yet.
func (g *Gate) Inside() int { return int(g.state.Load() &^ closedBit) }

// Wait returns nil once Close began and every admitted publish left, or
// ctx's error when ctx ends first. Whatever ends it, it leaves no
// goroutine behind.
func (g *Gate) Wait(ctx context.Context) error {
	idle := g.idleChan()
	// Idle wins over a context that ended too: select would pick at random.
	select {
	case <-idle:
		return nil
	default:
	}
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *Gate) idleChan() chan struct{} {
	g.makeIdle.Do(func() { g.idle = make(chan struct{}) })
	return g.idle
}

// signalIdle closes idle. Once: a late Enter, counted for a moment after
// the last Leave, leaves again through the same path.
func (g *Gate) signalIdle() {
	g.markIdle.Do(func() { close(g.idleChan()) })
}
