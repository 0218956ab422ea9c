package spool

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hirebridge/hirebridge/sinks"
)

var (
	_ sinks.Sink             = (*Spool)(nil)
	_ sinks.ReadinessChecker = (*Spool)(nil)
	_ sinks.LivenessChecker  = (*Spool)(nil)
)

// Spool is a sink in front of the broker's sink that keeps, on disk, what
// the broker does not acknowledge in time, and forwards it later.
type Spool struct {
	cfg   Config
	inner sinks.Sink
	store *store

	// backlog counts messages spooled or being spooled that the broker has
	// not acknowledged yet. While it is above zero, new messages go to the
	// spool behind them: that keeps acceptance order.
	backlog atomic.Int64
	// reserved is the bytes on disk or being written, held to MaxBytes.
	reserved atomic.Int64
	// full is set when a message was refused for room, until a record
	// leaves: readiness then fails rather than promise what it cannot keep.
	full atomic.Bool
	// writeErr is the last failed write to the store, until one succeeds.
	writeErr atomic.Pointer[error]

	// spooling is true from the "spooling" log line to the "drained" one;
	// spoolingSince and forwarded feed the latter.
	spooling      atomic.Bool
	spoolingSince atomic.Int64
	forwarded     atomic.Int64

	// What happened to records that could not be forwarded, for /metrics:
	// moved to the dead letters, or to the quarantine (by reason).
	deadLettered atomic.Int64
	quarantines  quarantineCounts
	// recovery is what Open found of the store an earlier run left;
	// salvaged reads what salvage did since with the files moved aside.
	recovery Recovery
	salvaged *salvagedNotes

	wake      chan struct{}
	stopFwd   context.CancelFunc
	fwdDone   chan struct{}
	fwdCtx    context.Context
	closeOnce sync.Once

	// closing refuses new publishes once Close starts; pending counts the
	// publishes Close waits for before it closes the store. Publishers
	// share the read lock and never wait for one another.
	mu      sync.RWMutex
	closing bool
	pending sync.WaitGroup
}

// Open opens the store in cfg.Dir, in front of inner, and starts
// forwarding what an earlier run left there.
func Open(cfg Config, inner sinks.Sink) (*Spool, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Dir, 0o750); err != nil {
		return nil, err
	}
	rec, err := recoverStore(cfg.Dir, cfg.Verify)
	if err != nil {
		return nil, err
	}
	reportRecovery(cfg.Log, rec)
	st, err := openStore(cfg.Dir)
	if err != nil {
		return nil, err
	}
	sp := &Spool{cfg: cfg, inner: inner, store: st, recovery: rec, salvaged: &salvagedNotes{dir: cfg.Dir},
		wake: make(chan struct{}, 1), fwdDone: make(chan struct{})}
	sp.backlog.Store(st.count.Load())
	sp.reserved.Store(st.bytes.Load())
	if n := st.count.Load(); n > 0 {
		sp.spooling.Store(true)
		sp.spoolingSince.Store(time.Now().UnixNano())
		cfg.Log.Warn().Int64("events", n).Int64("bytes", st.bytes.Load()).Str("dir", cfg.Dir).
			Msg("the spool holds events from an earlier run; forwarding them to the broker, and new events queue behind them")
	}
	sp.fwdCtx, sp.stopFwd = context.WithCancel(context.Background())
	go sp.forward(sp.fwdCtx)
	return sp, nil
}

// Publish hands m to the broker; when the broker does not acknowledge it
// within cfg.After, or the spool already holds messages, m is written to
// the spool and answered Ack{Spooled: true} once synced.
func (sp *Spool) Publish(ctx context.Context, m *sinks.Message) (sinks.Ack, error) {
	sp.mu.RLock()
	if sp.closing {
		sp.mu.RUnlock()
		return sinks.Ack{}, fmt.Errorf("publishing %s: %w", m.Topic, sinks.ErrClosed)
	}
	sp.pending.Add(1)
	sp.mu.RUnlock()
	defer sp.pending.Done()

	var cause error
	if sp.backlog.Load() == 0 {
		bctx, cancel := context.WithTimeout(ctx, sp.cfg.After)
		ack, err := sp.inner.Publish(bctx, m)
		cancel()
		switch {
		case err == nil:
			return ack, nil
		case ctx.Err() != nil:
			// The caller gave up (the sender hung up): nobody would hear
			// that the spool has it.
			return ack, err
		case !errors.Is(err, sinks.ErrUnavailable) && !errors.Is(err, context.DeadlineExceeded):
			// Too large or refused for good: the broker will never take
			// it, and spooling would only delay saying so.
			return ack, err
		}
		cause = err
	}
	if err := sp.append(m, cause); err != nil {
		return sinks.Ack{}, err
	}
	return sinks.Ack{Spooled: true}, nil
}

// append writes m to the spool behind everything there, and returns once
// it is synced to disk. cause is why the broker did not take it, or nil
// when it queued behind others.
func (sp *Spool) append(m *sinks.Message, cause error) error {
	n := Size(m)
	if !sp.reserve(n) {
		sp.full.Store(true)
		return fmt.Errorf("publishing %s: %w: the spool is full (%d bytes held, HIREBRIDGE_SPOOL_MAX_BYTES is %d)",
			m.Topic, sinks.ErrUnavailable, sp.reserved.Load(), sp.cfg.MaxBytes)
	}
	// Counted before the write, so messages arriving meanwhile queue
	// behind this one rather than overtake it.
	sp.backlog.Add(1)
	rec, err := encode(m, time.Now())
	if err == nil {
		err = sp.store.append(rec, m.Body, n)
	}
	if err != nil {
		sp.backlog.Add(-1)
		sp.reserved.Add(-n)
		sp.writeErr.Store(&err)
		return fmt.Errorf("publishing %s: %w: the broker did not take it and the spool could not store it: %w", m.Topic, sinks.ErrUnavailable, err)
	}
	sp.writeErr.Store(nil)
	if sp.spooling.CompareAndSwap(false, true) {
		sp.spoolingSince.Store(time.Now().UnixNano())
		sp.forwarded.Store(0)
		e := sp.cfg.Log.Warn()
		if cause != nil {
			e = e.Err(cause)
		}
		e.Dur("after", sp.cfg.After).Msg("the broker did not take an event in time: spooling events to disk (answered 202) until it does")
	}
	select {
	case sp.wake <- struct{}{}:
	default:
	}
	return nil
}

// reserve takes n bytes of MaxBytes, or reports there is no room.
func (sp *Spool) reserve(n int64) bool {
	for {
		cur := sp.reserved.Load()
		if cur+n > sp.cfg.MaxBytes {
			return false
		}
		if sp.reserved.CompareAndSwap(cur, cur+n) {
			return true
		}
	}
}

// Ready is 200 while events are accepted: the broker's own readiness, or,
// while the broker is unavailable, a *sinks.DegradedError saying events
// are spooled. It fails when the broker is unavailable and the spool
// cannot take events either (full, or its disk failing).
func (sp *Spool) Ready(ctx context.Context) error {
	var err error
	if rc, ok := sp.inner.(sinks.ReadinessChecker); ok {
		err = rc.Ready(ctx)
	}
	if err == nil {
		return nil
	}
	if werr := sp.writeErr.Load(); werr != nil {
		return fmt.Errorf("%w; and the spool cannot store events: %w", err, *werr)
	}
	if sp.full.Load() {
		return fmt.Errorf("%w; and the spool is full (%d bytes held, HIREBRIDGE_SPOOL_MAX_BYTES is %d)", err, sp.reserved.Load(), sp.cfg.MaxBytes)
	}
	return &sinks.DegradedError{Status: "spooling", Detail: fmt.Sprintf(
		"the broker is unavailable (%v); events are being spooled to disk and forwarded when it is back (%d held, %d of %d bytes)",
		err, sp.store.count.Load(), sp.reserved.Load(), sp.cfg.MaxBytes)}
}

// Live is the broker sink's: the spool itself has nothing a restart cures.
func (sp *Spool) Live() error {
	if lc, ok := sp.inner.(sinks.LivenessChecker); ok {
		return lc.Live()
	}
	return nil
}

// Held is how many messages the spool holds on disk, and their bytes.
func (sp *Spool) Held() (events, bytes int64) { return sp.store.count.Load(), sp.store.bytes.Load() }

// Close refuses new publishes, waits for those in progress, forwards what
// it can within ctx (stopping at once if the broker does not take it),
// leaves the rest on disk for the next start, and closes the broker's
// sink.
func (sp *Spool) Close(ctx context.Context) error {
	var err error
	sp.closeOnce.Do(func() { err = sp.close(ctx) })
	return err
}

func (sp *Spool) close(ctx context.Context) error {
	sp.mu.Lock()
	sp.closing = true
	sp.mu.Unlock()
	published := make(chan struct{})
	go func() {
		sp.pending.Wait()
		close(published)
	}()
	select {
	case <-published:
	case <-ctx.Done():
	}
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
	return errors.Join(serr, sp.inner.Close(ctx))
}

// Recovery is what Open found of the store an earlier run left.
func (sp *Spool) Recovery() Recovery { return sp.recovery }

// Quarantined is how many records the spool's quarantine holds.
func (sp *Spool) Quarantined() int64 { return sp.store.quarantined.Load() }
