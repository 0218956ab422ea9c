package natsjs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hirebridge/hirebridge/internal/backoff"
	"github.com/hirebridge/hirebridge/sinks"
)

// A replicated stream changes leader when its leader's server dies, stops
// or steps down. Until another replica is elected (about 4 to 9 s after a
// crash: NATS's election timeout) nothing captures the stream's subjects,
// and the server answers a publish with "no responders" at once; a publish
// the old leader had taken gets no ack at all; a client connected to the
// server that died loses its connection and moves to another. None of that
// means the stream cannot store: the next leader will. So a publish sends
// its message again, with the same Nats-Msg-Id, which JetStream stores once
// whichever replica leads: a message the old leader stored is answered as
// a duplicate of itself, never stored twice, and the sink answers it
// published, since it was this publish's own copy.
//
// It does so for a bounded time only, then answers 503 (the sender
// retries; with the spool on, the spool keeps the event): a request waits
// seconds, never its whole publish timeout, and a sender's retry after the
// election is stored at once. The sink never answers 2xx for a message no
// ack confirmed.

const (
	// resendAfter is how long a send may go without any answer before the
	// message is sent again: its ack may have been lost with a leader that
	// died. A healthy stream answers in milliseconds; a message the stream
	// is still storing when sent again is answered "in process", and a
	// later send finds it stored.
	resendAfter = time.Second
	// silentResends bounds how often a publish sends again for want of
	// any answer. Finding a dead leader takes one (its answer is then no
	// responders, or the next leader's ack); a stream that answers no
	// send at all (a paused server, a failed store) gains nothing from
	// more, and each send holds the message in the client until its ack
	// timeout.
	silentResends = 2
	// leaderlessRetry is how long a publish goes on sending again after
	// the stream first said it had no leader (no responders) or its server
	// connection was lost, before it answers 503.
	leaderlessRetry = 2 * time.Second
	// streamCheckTimeout bounds each look at the stream on a publish's
	// way, or a guard's: during an election nobody answers, and waiting out
	// the publish's own deadline for it was what held requests for the
	// whole publish timeout.
	streamCheckTimeout = time.Second
)

// Waits between sends while the stream has no leader: soon at first (a
// leader may just be taking over), then often enough to find the new
// leader within a fraction of a second.
const (
	leaderlessRetryFloor   = 50 * time.Millisecond
	leaderlessRetryCeiling = 400 * time.Millisecond
)

// sendOpts leave retrying to the sink: nats.go would otherwise send again
// on no responders itself, twice, 250 ms apart, before saying so.
var sendOpts = []jetstream.PublishOpt{jetstream.WithRetryAttempts(0)}

// errNoAnswerYet is a send that got no answer within resendAfter.
var errNoAnswerYet = errors.New("no answer yet")

// publish sends msg, whose headers already carry Nats-Msg-Id and
// Nats-Expected-Stream, until the stream acknowledges it, refuses it, the
// stream has had no leader for leaderlessRetry, or ctx ends.
func (s *Sink) publish(ctx context.Context, msg *nats.Msg) (sinks.Ack, error) {
	s.faults.started()
	acked := false
	defer func() { s.faults.finished(acked) }()

	var (
		// leaderless is when the stream first said it had no leader.
		leaderless time.Time
		retry      *backoff.Backoff
		// mayBeStored says an earlier send of this message may have been
		// stored: its answer never came, or the stream was storing it.
		// A duplicate ack is then this publish's own message.
		mayBeStored bool
		checked     bool
		silences    int
	)
	// noLeader starts the clock of leaderlessRetry at the first answer
	// saying the stream has no leader.
	noLeader := func() {
		if leaderless.IsZero() {
			leaderless = time.Now()
			retry = backoff.New(leaderlessRetryFloor, leaderlessRetryCeiling)
		}
	}
	for {
		patience := resendAfter
		if silences >= silentResends {
			patience = 0
		}
		ack, err := s.send(ctx, msg, patience)
		switch {
		case err == nil:
			acked = true
			if mayBeStored {
				ack.Duplicate = false
			}
			return ack, nil
		case errors.Is(err, errNoAnswerYet):
			mayBeStored = true
			silences++
			continue
		case isNoStreamResponse(err):
			noLeader()
			if !checked && s.nc.IsConnected() {
				// Nothing captures the subject: the stream may be gone
				// (deleted, or the server restarted with an empty store)
				// rather than electing. Create it again and send again.
				checked = true
				if s.streamMissing(ctx) {
					if rerr := s.recreateStream(ctx); rerr == nil {
						// Not an election: the new stream gets the whole
						// time again.
						leaderless = time.Time{}
						continue
					}
				}
			}
			s.leaderLost(err)
		case isInProcess(err):
			// The stream is storing an earlier send of this message: a
			// later send is answered with its ack.
			mayBeStored = true
		case isConnectionLost(err) && s.clustered():
			// The server this connection was on went away; the client
			// moves to another. An earlier send may have been stored.
			s.leaderLost(err)
			mayBeStored = true
		default:
			return sinks.Ack{}, err
		}
		noLeader()
		if time.Since(leaderless) >= leaderlessRetry {
			return sinks.Ack{}, fmt.Errorf("stream %s found no leader to store it within %s (a leader election?): %w",
				s.cfg.Stream, leaderlessRetry, err)
		}
		if werr := s.pause(ctx, retry.Next()); werr != nil {
			return sinks.Ack{}, fmt.Errorf("%w (%w)", werr, err)
		}
	}
}

// pause waits d, or returns why it stopped first: ctx ended, or Close
// began (the connection is about to go; sending again would only find it
// closed).
func (s *Sink) pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("no ack: %w", ctx.Err())
	case <-s.alive.Done():
		return fmt.Errorf("the sink is closing: %w", nats.ErrConnectionClosed)
	}
}

// send sends msg once and waits for its answer: the ack, the stream's
// error, the server's denial of its subject, errNoAnswerYet once patience
// passed without one (0: no limit), or the end of ctx.
func (s *Sink) send(ctx context.Context, msg *nats.Msg, patience time.Duration) (sinks.Ack, error) {
	// Taken before sending, so a denial of this message cannot come
	// before it.
	epoch := s.denied.epoch()
	sent := epoch.seq
	future, err := s.js.PublishMsgAsync(msg, sendOpts...)
	if err != nil {
		return sinks.Ack{}, err
	}
	var silence <-chan time.Time
	if patience > 0 {
		t := time.NewTimer(patience)
		defer t.Stop()
		silence = t.C
	}
	for {
		select {
		case ack := <-future.Ok():
			return sinks.Ack{Duplicate: ack.Duplicate}, nil
		case err := <-future.Err():
			return sinks.Ack{}, err
		case <-ctx.Done():
			// The message may still be stored; a retry carries the same
			// Nats-Msg-Id and is dropped as a duplicate.
			return sinks.Ack{}, fmt.Errorf("no ack: %w", ctx.Err())
		case <-silence:
			return sinks.Ack{}, errNoAnswerYet
		case <-epoch.done:
			// Some subject was denied. The newest epoch is read after
			// waking, so a denial after this look closes its channel.
			epoch = s.denied.epoch()
			if err := epoch.deniedAfter(msg.Subject, sent); err != nil {
				select {
				case ack := <-future.Ok():
					// Stored after all: the denial was of an earlier
					// publish, before an operator allowed the subject.
					return sinks.Ack{Duplicate: ack.Duplicate}, nil
				default:
					return sinks.Ack{}, err
				}
			}
		}
	}
}

// isNoStreamResponse is a publish nothing captured: no stream leader.
func isNoStreamResponse(err error) bool {
	return errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, nats.ErrNoResponders)
}

// isInProcess is the stream's answer that a message with this
// Nats-Msg-Id is being stored now.
func isInProcess(err error) bool {
	apiErr, ok := apiError(err)
	return ok && apiErr.ErrorCode == codeDuplicateMessageConflict
}

// isConnectionLost is a send whose connection went away, before or after
// sending: its server died or was stopped.
func isConnectionLost(err error) bool {
	return errors.Is(err, nats.ErrDisconnected) || errors.Is(err, nats.ErrReconnectBufExceeded) ||
		errors.Is(err, nats.ErrConnectionReconnecting)
}

// clustered reports whether the connection knows more than one server, so
// a lost connection moves to another at once rather than waiting for the
// one server to come back.
func (s *Sink) clustered() bool { return len(s.nc.Servers()) > 1 }

// streamMissing reports whether the stream is known to be gone, or false
// when ctx ends first. Concurrent publishes share one look, bounded by
// streamCheckTimeout and by Close.
func (s *Sink) streamMissing(ctx context.Context) bool {
	look := s.lookups.DoChan("missing", func() (any, error) {
		ctx, cancel := context.WithTimeout(s.alive, streamCheckTimeout)
		defer cancel()
		info, err := s.streamInfo(ctx)
		if err == nil {
			s.leader.saw(info)
		}
		return errors.Is(err, jetstream.ErrStreamNotFound), nil
	})
	select {
	case r := <-look:
		return r.Val.(bool)
	case <-ctx.Done():
		return false
	}
}
