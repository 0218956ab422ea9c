package natsjs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hirebridge/hirebridge/sinks"
)

// A stream that cannot store (its limits reached, its disk full, its
// server's store failed) answers either with an error at once or not at
// all. Either way every publish would fail, most after waiting the whole
// publish timeout, so the sink remembers the fault: publishes are answered
// at once while it lasts, readiness says why, and a watcher clears it when
// the stream can store again.

const (
	// faultCheckInterval is how often the watcher looks at the stream; a
	// fault found by readiness or a publish is acted on at once.
	faultCheckInterval = 2 * time.Second
	// silentAcksToFault is how many publishes in a row may go without an
	// ack, while the server answers otherwise, before the stream is taken
	// for one that stores nothing. One could be a slow disk.
	silentAcksToFault = 3
	// stallAfter is how long publishes may wait with not one ack coming
	// back before the stream is taken for one that stores nothing: far
	// beyond a healthy server's milliseconds, and short enough that
	// readiness says so within 5 s of the first failed store.
	stallAfter = 2500 * time.Millisecond
	// faultRetryAfter is how long a fault whose end cannot be seen (no
	// acknowledgements, an external server's store error) holds before the
	// stream is tried again: if it still cannot store, a few publishes find
	// out and the fault is back.
	faultRetryAfter = 5 * time.Second
)

// LocalServer is the embedded server the sink publishes to, when there is
// one: it knows of its store's failures before any publish times out, and
// whether it can recover from them.
type LocalServer interface {
	StoreFault() error
	Live() error
}

// fault is why the stream cannot store now.
type fault struct {
	err   error
	since time.Time
	kind  faultKind
	// leader is the stream's leader when the fault was found, "" when
	// unknown: a store that failed is one server's, and another leader
	// may store.
	leader string
	// What the stream held and allowed when it was found full: it has
	// room again when it holds less or allows more.
	bytes, msgs       uint64
	maxBytes, maxMsgs int64
}

type faultKind int

const (
	// faultUnseen ends where it cannot be seen: tried again after
	// faultRetryAfter.
	faultUnseen faultKind = iota
	// faultFull is the stream's own limits refusing new messages.
	faultFull
	// faultLocal is the embedded server's store failure, which the server
	// tells the end of.
	faultLocal
)

// faults holds the current fault and its bookkeeping. All fields are safe
// for concurrent use; no lock is held across a broker round trip.
type faults struct {
	current atomic.Pointer[fault]
	// silent counts publishes in a row that got no ack.
	silent atomic.Int32
	// suspect is set when they were silentAcksToFault on a replicated
	// stream: the next check asks whether the stream is electing a leader
	// before it takes the silence for a fault.
	suspect atomic.Bool
	// waiting counts publishes awaiting their ack; busySince (Unix
	// nanoseconds) is when the count last rose from zero, and lastAck when
	// the last ack came: with publishes waiting and neither recent, the
	// stream has stalled.
	waiting   atomic.Int64
	busySince atomic.Int64
	lastAck   atomic.Int64
	// logMu keeps the "stopped storing" and "storing again" lines in order.
	logMu sync.Mutex
}

// isLimitError is a refusal by the stream's own limits with discard new.
func isLimitError(err error) bool {
	apiErr, ok := apiError(err)
	return ok && apiErr.ErrorCode == codeStoreFailed &&
		(strings.Contains(apiErr.Description, "maximum bytes exceeded") ||
			strings.Contains(apiErr.Description, "maximum messages exceeded"))
}

// isSilent is a publish that got no answer at all from the stream.
func isSilent(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, jetstream.ErrAsyncPublishTimeout)
}

// blocked returns the fault a publish is answered with at once, or nil.
func (s *Sink) blocked() error {
	if s.cfg.Local != nil {
		if err := s.cfg.Local.StoreFault(); err != nil {
			s.setFault(context.Background(), err, faultLocal)
			return err
		}
	}
	if f := s.faults.current.Load(); f != nil {
		return f.err
	}
	return nil
}

// started notes a publish now waiting for its ack.
func (f *faults) started() {
	if f.waiting.Add(1) == 1 {
		f.busySince.Store(time.Now().UnixNano())
	}
}

// finished notes a publish no longer waiting, acknowledged or not.
func (f *faults) finished(acked bool) {
	if acked {
		f.lastAck.Store(time.Now().UnixNano())
	}
	f.waiting.Add(-1)
}

// stalled reports how long publishes have waited without one ack coming
// back, when that is longer than stallAfter.
func (f *faults) stalled() (time.Duration, bool) {
	if f.waiting.Load() == 0 {
		return 0, false
	}
	since := time.Duration(time.Now().UnixNano() - max(f.busySince.Load(), f.lastAck.Load()))
	return since, since > stallAfter
}

// observe learns from a publish's outcome.
func (s *Sink) observe(ctx context.Context, err error) {
	switch {
	case err == nil:
		s.faults.silent.Store(0)
		s.clearFault("a publish was acknowledged")
		s.leaderFound()
	case sinks.Permanent(errorClass(err)):
		// Refused for this message alone (too large, a subject the
		// credentials may not write): the stream stores others, and the
		// server answered, so this is neither a fault nor a silent ack.
	case isStoreFault(err):
		s.faults.silent.Store(0)
		kind := faultUnseen
		if isLimitError(err) {
			kind = faultFull
		}
		s.setFault(ctx, err, kind)
	case isSilent(err) && s.nc.IsConnected():
		if s.faults.silent.Add(1) < silentAcksToFault || s.faults.current.Load() != nil {
			return
		}
		s.faults.silent.Store(0)
		switch {
		case recently(s.leader.lostAt.Load(), electionEvidenceFor):
			// A leader election, which ends by itself: publishes are sent
			// again until one is elected.
		case s.replicated():
			// Maybe an election: the watcher asks the stream, rather than
			// this request, whose answer it would hold up.
			s.faults.suspect.Store(true)
			select {
			case s.checkNow <- struct{}{}:
			default:
			}
		default:
			s.setFault(ctx, errSilentAcks(s.cfg.Stream), faultUnseen)
		}
	}
}

// errSilentAcks is the fault of silentAcksToFault publishes in a row
// without an ack.
func errSilentAcks(stream string) error {
	return fmt.Errorf("%d publishes in a row got no acknowledgement from stream %s (a full disk or a failed store?)",
		silentAcksToFault, stream)
}

func (s *Sink) setFault(ctx context.Context, err error, kind faultKind) {
	if f := s.faults.current.Load(); f != nil && f.kind == kind {
		return
	}
	f := &fault{err: err, since: time.Now(), kind: kind, leader: s.leader.leader()}
	if kind == faultFull {
		if info, ierr := s.streamInfo(ctx); ierr == nil {
			f.bytes, f.msgs = info.State.Bytes, info.State.Msgs
			f.maxBytes, f.maxMsgs = info.Config.MaxBytes, info.Config.MaxMsgs
		}
	}
	s.faults.logMu.Lock()
	defer s.faults.logMu.Unlock()
	if s.faults.current.Swap(f) == nil {
		s.cfg.Log.Error().Err(err).Str("stream", s.cfg.Stream).
			Msg("the stream stopped storing; publishes are answered 503 at once until it stores again")
	}
}

func (s *Sink) clearFault(why string) {
	if s.faults.current.Load() == nil {
		return
	}
	s.faults.logMu.Lock()
	defer s.faults.logMu.Unlock()
	if f := s.faults.current.Swap(nil); f != nil {
		s.cfg.Log.Info().Str("stream", s.cfg.Stream).Str("because", why).
			Dur("after", time.Since(f.since)).Msg("the stream stores again")
	}
}

// watch checks the stream on an interval, so a fault is found and cleared
// without waiting for traffic (readiness keeps traffic away while it
// fails).
func (s *Sink) watch(stop context.Context) {
	defer close(s.watchDone)
	t := time.NewTicker(faultCheckInterval)
	defer t.Stop()
	for {
		select {
		case <-stop.Done():
			return
		case <-t.C:
		case <-s.checkNow:
		}
		// Bounded by stop too: Close does not wait out a check asking a
		// server that does not answer.
		ctx, cancel := context.WithTimeout(stop, faultCheckInterval)
		_ = s.check(ctx)
		cancel()
	}
}

// check is readiness: it finds what stops publishing now, heals what it
// can (a missing stream is created again), and clears a fault that ended.
func (s *Sink) check(ctx context.Context) error {
	if !s.nc.IsConnected() {
		return fmt.Errorf("%w: NATS connection is %s", sinks.ErrUnavailable, s.nc.Status())
	}
	if s.cfg.Local != nil {
		if err := s.cfg.Local.StoreFault(); err != nil {
			s.setFault(ctx, err, faultLocal)
			return fmt.Errorf("%w: %w", sinks.ErrUnavailable, err)
		}
	}
	// Publishes without acks are a fault unless the stream is electing a
	// leader (leader.go), which ends by itself.
	suspect := s.faults.suspect.Swap(false)
	since, stalled := s.faults.stalled()
	if (suspect || stalled) && s.faults.current.Load() == nil && s.electing(ctx) == "" {
		err := errSilentAcks(s.cfg.Stream)
		if stalled {
			err = fmt.Errorf("%d publishes have waited %s without one acknowledgement from stream %s (a full disk or a failed store?)",
				s.faults.waiting.Load(), since.Round(100*time.Millisecond), s.cfg.Stream)
		}
		s.setFault(ctx, err, faultUnseen)
	}
	if why := s.leaderMissing(); why != "" {
		return fmt.Errorf("%w: %s", sinks.ErrUnavailable, why)
	}
	info, err := s.streamInfo(ctx)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		if err = s.recreateStream(ctx); err == nil {
			info, err = s.streamInfo(ctx)
		}
	}
	if why := s.noLeader(info, err); why != "" {
		return fmt.Errorf("%w: %s", sinks.ErrUnavailable, why)
	}
	if err != nil {
		return fmt.Errorf("%w: stream %s: %w", sinks.ErrUnavailable, s.cfg.Stream, err)
	}
	s.confirmWindow(info)
	s.leader.saw(info)
	f := s.faults.current.Load()
	if f == nil {
		return nil
	}
	switch f.kind {
	case faultFull:
		if info.State.Bytes < f.bytes || info.State.Msgs < f.msgs ||
			info.Config.MaxBytes != f.maxBytes || info.Config.MaxMsgs != f.maxMsgs {
			s.clearFault("the stream has room again")
			return nil
		}
	case faultLocal:
		// The embedded server said above that its store is whole again.
		s.clearFault("the embedded store was restarted")
		return nil
	case faultUnseen:
		if l := s.leader.leader(); f.leader != "" && l != "" && l != f.leader {
			s.clearFault("the stream has a new leader, " + l)
			return nil
		}
		if time.Since(f.since) >= faultRetryAfter {
			s.clearFault("trying the stream again")
			return nil
		}
	}
	return fmt.Errorf("%w: %w (since %s)", sinks.ErrUnavailable, f.err, f.since.UTC().Format(time.RFC3339))
}

func (s *Sink) streamInfo(ctx context.Context) (*jetstream.StreamInfo, error) {
	st, err := s.js.Stream(ctx, s.cfg.Stream)
	if err != nil {
		return nil, err
	}
	return st.CachedInfo(), nil
}

// recreateStream creates the stream again after it vanished (deleted, or
// the server restarted with an empty store). Concurrent callers share one
// attempt.
func (s *Sink) recreateStream(ctx context.Context) error {
	_, err, _ := s.recreate.Do("stream", func() (any, error) {
		err := ensureStream(ctx, s.js, s.cfg)
		if err == nil {
			// The ids the old stream acknowledged are not in this one.
			s.window.forget(s.seen)
			s.cfg.Log.Warn().Str("stream", s.cfg.Stream).Msg("the stream was missing; created it again with its configured settings")
		}
		return nil, err
	})
	return err
}
