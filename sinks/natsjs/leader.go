package natsjs

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// A stream with no leader stores nothing for a few seconds and then stores
// again by itself, while a stream whose store failed (a full disk) stores
// nothing until someone acts. Both leave publishes without acks, so the
// guard that remembers a store fault (fault.go) first asks whether the
// stream is changing leader; and readiness says when it has none.

// electionEvidenceFor is how long after a publish found no leader (or lost
// its server) publishes without acks are put down to the election: longer
// than a publish may wait through one (resendAfter and leaderlessRetry),
// and than stallAfter.
const electionEvidenceFor = 5 * time.Second

// leaderMissingFresh is how long readiness takes a publish's finding of no
// leader for the state of the stream: publishes send again far more often
// while it lasts, and an ack ends it.
const leaderMissingFresh = time.Second

// leaderWatch is what the sink saw of the stream's leader.
type leaderWatch struct {
	// lostAt is when a publish last found no leader or lost its server,
	// in Unix nanoseconds; 0 if never.
	lostAt atomic.Int64
	// name is the leader stream info last named, "" for none; nil before
	// any stream info with cluster information.
	name atomic.Pointer[string]
	// changedAt is when name last changed from one leader to another, or
	// to none, in Unix nanoseconds.
	changedAt atomic.Int64
	// replicas is the stream's number of replicas, as stream info last
	// said; 0 before any.
	replicas atomic.Int32
	// since is when publishes began finding no leader, in Unix
	// nanoseconds, until the next ack; 0 while they find one.
	since atomic.Int64
}

// lost notes a publish that found no leader or lost its server, and
// reports whether it is the first since the last ack.
func (l *leaderWatch) lost() bool {
	now := time.Now().UnixNano()
	l.lostAt.Store(now)
	return l.since.CompareAndSwap(0, now)
}

// found notes an ack, and returns how long publishes found no leader
// before it, or 0.
func (l *leaderWatch) found() time.Duration {
	if l.since.Load() == 0 {
		return 0
	}
	if since := l.since.Swap(0); since != 0 {
		return time.Since(time.Unix(0, since))
	}
	return 0
}

// saw notes the stream's leader as info names it.
func (l *leaderWatch) saw(info *jetstream.StreamInfo) {
	l.replicas.Store(int32(info.Config.Replicas))
	if info.Cluster == nil {
		return
	}
	name := info.Cluster.Leader
	if old := l.name.Swap(&name); old != nil && *old != name {
		l.changedAt.Store(time.Now().UnixNano())
	}
}

// leader is the leader last seen, "" for none or unknown.
func (l *leaderWatch) leader() string {
	if p := l.name.Load(); p != nil {
		return *p
	}
	return ""
}

// leaderLost notes a publish that found no leader, and logs the first.
func (s *Sink) leaderLost(err error) {
	if s.leader.lost() {
		s.cfg.Log.Warn().Err(err).Str("stream", s.cfg.Stream).
			Msgf("publishes reach no leader of the stream (a leader election, or this bridge's server went away); each is sent again for up to %s, then answered 503, until the stream stores again", leaderlessRetry)
	}
}

// leaderFound notes an ack, and logs the end of a time without a leader.
func (s *Sink) leaderFound() {
	if d := s.leader.found(); d > 0 {
		s.cfg.Log.Info().Str("stream", s.cfg.Stream).Dur("after", d).Msg("the stream stores again: publishes reach its leader")
	}
}

// recently reports whether the Unix nanoseconds at are within d of now.
func recently(at int64, d time.Duration) bool {
	return at != 0 && time.Since(time.Unix(0, at)) < d
}

// replicated reports whether the stream has more than one replica, so
// that it can change leader.
func (s *Sink) replicated() bool {
	if n := s.leader.replicas.Load(); n > 0 {
		return n > 1
	}
	return s.cfg.StreamReplicas > 1
}

// electing says why publishes without acks are put down to a leader
// election rather than a store that cannot store, or "" when they are not:
// a publish found no leader lately, or the stream (asked for at most
// streamCheckTimeout) has no leader, a leader other than before, one
// elected lately, or does not answer while it has several replicas.
func (s *Sink) electing(ctx context.Context) string {
	if recently(s.leader.lostAt.Load(), electionEvidenceFor) {
		return "publishes found no stream leader lately"
	}
	if !s.replicated() {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, streamCheckTimeout)
	defer cancel()
	info, err := s.streamInfo(ctx)
	if err != nil {
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			return ""
		}
		return fmt.Sprintf("no stream leader answers (%v)", err)
	}
	s.leader.saw(info)
	switch {
	case info.Cluster == nil:
		return ""
	case info.Cluster.Leader == "":
		return "the stream has no leader"
	case recently(s.leader.changedAt.Load(), electionEvidenceFor):
		return "the stream changed leader lately, to " + info.Cluster.Leader
	case info.Cluster.LeaderSince != nil && time.Since(*info.Cluster.LeaderSince) < electionEvidenceFor:
		return "the stream's leader " + info.Cluster.Leader + " was elected lately"
	}
	return ""
}

// leaderMissing is readiness's reason, without asking the stream, when
// publishes found no leader within the last leaderMissingFresh and none
// was acknowledged since; "" otherwise. Asking would wait out readiness's
// deadline: during an election nobody answers.
func (s *Sink) leaderMissing() string {
	since := s.leader.since.Load()
	if since == 0 || !recently(s.leader.lostAt.Load(), leaderMissingFresh) {
		return ""
	}
	return fmt.Sprintf("stream %s has no leader: publishes have found none to store them for %s (a leader election?)",
		s.cfg.Stream, time.Since(time.Unix(0, since)).Round(100*time.Millisecond))
}

// noLeader is readiness's reason when the stream has no leader now: its
// info names none, or nobody answers for it while publishes find no
// leader or it has several replicas; "" otherwise.
func (s *Sink) noLeader(info *jetstream.StreamInfo, err error) string {
	if err == nil {
		if info.Cluster != nil && info.Cluster.Leader == "" {
			return fmt.Sprintf("stream %s has no leader: its replicas are electing one", s.cfg.Stream)
		}
		return ""
	}
	if errors.Is(err, jetstream.ErrStreamNotFound) || !s.nc.IsConnected() {
		return ""
	}
	if isNoStreamResponse(err) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) {
		if s.replicated() || recently(s.leader.lostAt.Load(), electionEvidenceFor) {
			return fmt.Sprintf("stream %s has no leader answering (an election?): %v", s.cfg.Stream, err)
		}
	}
	return ""
}
