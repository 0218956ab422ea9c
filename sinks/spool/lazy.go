package spool

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/hirebridge/hirebridge/internal/backoff"
	"github.com/hirebridge/hirebridge/internal/closing"
	"github.com/hirebridge/hirebridge/sinks"
)

var (
	_ sinks.Sink             = (*Lazy)(nil)
	_ sinks.ReadinessChecker = (*Lazy)(nil)
	_ sinks.LivenessChecker  = (*Lazy)(nil)
)

// Lazy is a broker's sink opened in the background: a bridge with a spool
// starts and takes events while the broker is unreachable, and checks or
// creates the stream or topics once it answers. Until then every publish
// is unavailable (and so spooled) and readiness says why.
type Lazy struct {
	open    func(context.Context) (sinks.Sink, error)
	timeout time.Duration
	retry   time.Duration
	log     zerolog.Logger

	sink    atomic.Pointer[holder]
	lastErr atomic.Pointer[error]

	cancel context.CancelFunc
	done   chan struct{}
	// mu orders a sink opened in the background against Close: one that
	// opens after Close began is closed at once, never published through.
	mu sync.Mutex
	// gate refuses publishes once Close began, and lets Close wait for
	// those that got in.
	gate closing.Gate
}

type holder struct{ sinks.Sink }

// OpenLazy tries open once, bounded by timeout. When that fails with an
// error fatal says no waiting cures (a setting the broker refuses), it
// returns that error; otherwise it returns at once and keeps trying in the
// background, every retry or a little sooner (jittered, so bridges that lost
// the broker together do not knock together). Close stops trying. fatal may
// be nil.
func OpenLazy(ctx context.Context, open func(context.Context) (sinks.Sink, error), fatal func(error) bool,
	timeout, retry time.Duration, log zerolog.Logger) (*Lazy, error) {
	bg, cancel := context.WithCancel(context.Background())
	l := &Lazy{open: open, timeout: timeout, retry: retry, log: log, cancel: cancel, done: make(chan struct{})}
	if l.try(ctx) {
		close(l.done)
		return l, nil
	}
	err := *l.lastErr.Load()
	if fatal != nil && fatal(err) {
		cancel()
		return nil, err
	}
	l.log.Warn().Err(err).Dur("retry", retry).
		Msg("the broker does not answer: serving anyway, events are spooled; connecting in the background")
	go l.connect(bg)
	return l, nil
}

// try opens the sink once; it reports whether the sink is open.
func (l *Lazy) try(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, l.timeout)
	defer cancel()
	s, err := l.open(ctx)
	if err != nil {
		l.lastErr.Store(&err)
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.gate.Closed() {
		// Nothing was published through it: closing has nothing to wait
		// for.
		_ = s.Close(context.Background())
		return true
	}
	l.sink.Store(&holder{s})
	return true
}

func (l *Lazy) connect(ctx context.Context) {
	defer close(l.done)
	// The floor is the ceiling: the broker is asked at the same pace all
	// along, but never by every bridge at the same instant.
	retry := backoff.New(l.retry, l.retry)
	for {
		if !retry.Wait(ctx) {
			return
		}
		if l.try(ctx) {
			if ctx.Err() == nil {
				l.log.Info().Msg("connected to the broker; the spool forwards what it holds")
			}
			return
		}
	}
}

func (l *Lazy) notOpen() error {
	cause := errors.New("not tried yet")
	if p := l.lastErr.Load(); p != nil {
		cause = *p
	}
	return fmt.Errorf("%w: not connected yet: %w", sinks.ErrUnavailable, cause)
}

// Publish publishes through the broker's sink once it is open.
func (l *Lazy) Publish(ctx context.Context, m *sinks.Message) (sinks.Ack, error) {
	if !l.gate.Enter() {
		return sinks.Ack{}, fmt.Errorf("publishing %s: %w", m.Topic, sinks.ErrClosed)
	}
	defer l.gate.Leave()
	h := l.sink.Load()
	if h == nil {
		return sinks.Ack{}, fmt.Errorf("publishing %s: %w", m.Topic, l.notOpen())
	}
	return h.Publish(ctx, m)
}

// Ready is the broker's sink's readiness once it is open.
func (l *Lazy) Ready(ctx context.Context) error {
	h := l.sink.Load()
	if h == nil {
		return l.notOpen()
	}
	if rc, ok := h.Sink.(sinks.ReadinessChecker); ok {
		return rc.Ready(ctx)
	}
	return nil
}

// Live is the broker's sink's liveness once it is open.
func (l *Lazy) Live() error {
	if h := l.sink.Load(); h != nil {
		if lc, ok := h.Sink.(sinks.LivenessChecker); ok {
			return lc.Live()
		}
	}
	return nil
}

// Close refuses new publishes, stops connecting, and closes the broker's
// sink if it was opened: that sink waits for the publishes inside it,
// bounded by ctx, and ends them when ctx ends first. Close waits for an
// open in progress, which its own timeout bounds, so no goroutine of the
// Lazy outlives it.
func (l *Lazy) Close(ctx context.Context) error {
	l.mu.Lock()
	l.gate.Close()
	l.mu.Unlock()
	l.cancel()
	<-l.done
	var err error
	if h := l.sink.Load(); h != nil {
		err = h.Close(ctx)
	}
	// The broker's sink answered every publish that went into it before
	// its Close returned (sinks.Sink), and those that found it not open
	// returned at once: what is left is only returning.
	_ = l.gate.Wait(context.Background())
	return err
}
