package spool

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/hirebridge/hirebridge/internal/closing"
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
	spans spans

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
	// spoolingSince and forwardedBefore (forwarded when it began) feed the
	// latter.
	spooling        atomic.Bool
	spoolingSince   atomic.Int64
	forwardedBefore atomic.Int64
	// forwarded counts the records this process forwarded.
	forwarded atomic.Int64
	// halted is the broker's error that stopped forwarding while closing,
	// for the line that says what was left.
	halted atomic.Pointer[error]

	// What happened to records that could not be forwarded, for /metrics:
	// moved to the dead letters, or to the quarantine (by reason).
	deadLettered atomic.Int64
	quarantines  quarantineCounts
	// recovery is what Open found of the store an earlier run left;
	// salvaged reads what salvage did since with the files moved aside.
	recovery Recovery
	salvaged *salvagedNotes

	wake chan struct{}
	// stopping, closed while closing, ends the forwarder before its next
	// record; stopFwd cuts its publish in progress short too.
	stopping chan struct{}
	stopFwd  context.CancelFunc
	fwdDone  chan struct{}

	// gate refuses new publishes once Close starts, and lets Close wait
	// for those in progress before it closes the store.
	gate closing.Gate
}

// Open opens the store in cfg.Dir, in front of inner, and starts
// forwarding what an earlier run left there.
func Open(cfg Config, inner sinks.Sink) (*Spool, error) {
	sp, err := open(cfg, inner)
	if err != nil {
		return nil, err
	}
	if n := sp.store.count.Load(); n > 0 {
		sp.spooling.Store(true)
		sp.spoolingSince.Store(time.Now().UnixNano())
		cfg.Log.Warn().Int64("events", n).Int64("bytes", sp.store.bytes.Load()).Str("dir", cfg.Dir).
			Msg("the spool holds events from an earlier run; forwarding them to the broker, and new events queue behind them")
	}
	sp.startForwarding()
	return sp, nil
}

// open checks the store an earlier run left in cfg.Dir (recover.go) and
// opens it in front of inner; nothing is forwarded yet.
func open(cfg Config, inner sinks.Sink) (*Spool, error) {
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
		wake: make(chan struct{}, 1), stopping: make(chan struct{}), fwdDone: make(chan struct{}),
		spans: newSpans(cfg.TracerProvider, cfg.MessagingSystem)}
	sp.backlog.Store(st.count.Load())
	sp.reserved.Store(st.bytes.Load())
	return sp, nil
}

// startForwarding starts the forwarder; Close stops it.
func (sp *Spool) startForwarding() {
	var ctx context.Context
	ctx, sp.stopFwd = context.WithCancel(context.Background())
	go sp.forward(ctx)
}

// Publish hands m to the broker; when the broker does not acknowledge it
// within cfg.After, or the spool already holds messages, m is written to
// the spool and answered Ack{Spooled: true} once synced.
func (sp *Spool) Publish(ctx context.Context, m *sinks.Message) (sinks.Ack, error) {
	if !sp.gate.Enter() {
		return sinks.Ack{}, fmt.Errorf("publishing %s: %w", m.Topic, sinks.ErrClosed)
	}
	defer sp.gate.Leave()

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
	span := sp.spans.startAppend(ctx, m)
	err := sp.append(ctx, m, cause)
	endAppend(span, err)
	if err != nil {
		return sinks.Ack{}, err
	}
	return sinks.Ack{Spooled: true}, nil
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

// Recovery is what Open found of the store an earlier run left.
func (sp *Spool) Recovery() Recovery { return sp.recovery }

// Quarantined is how many records the spool's quarantine holds.
func (sp *Spool) Quarantined() int64 { return sp.store.quarantined.Load() }
