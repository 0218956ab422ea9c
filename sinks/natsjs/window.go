package natsjs

import (
	"context"
	"sync/atomic"

	"github.com/nats-io/nats.go/jetstream"
)

// window ties the bridge's remembered ids (seen) to the stream that
// acknowledged them, by its creation time. A duplicate answer from seen is
// true only while that stream still holds them: a stream created again
// (deleted, or a server back with an empty store) holds none, and the
// client may not even have noticed the server went away. A replicated
// stream keeps its creation time when it changes leader (the cluster's
// assignment holds it; TestClusterLeaderKill checks), so an election
// forgets nothing.
type window struct {
	// created is the stream's creation time in Unix nanoseconds; 0 when
	// unknown.
	created atomic.Int64
}

// confirmWindow records that seen's ids belong to the stream described by
// info; the ids of an earlier stream are forgotten.
func (s *Sink) confirmWindow(info *jetstream.StreamInfo) {
	created := info.Created.UnixNano()
	if old := s.window.created.Swap(created); old != 0 && old != created {
		s.seen.reset()
	}
}

// rememberedDuplicate reports whether id is a re-send of an event the
// stream holds: seen has it, and the stream that acknowledged it is the
// one there now. Asking the stream costs a round trip, paid only by
// re-sends; it is cheaper than storing one, and never wrong.
func (s *Sink) rememberedDuplicate(ctx context.Context, id string) bool {
	if !s.seen.has(id) {
		return false
	}
	// Bounded on its own: during a leader election nobody answers, and
	// the publish that follows must keep the rest of ctx.
	ctx, cancel := context.WithTimeout(ctx, streamCheckTimeout)
	defer cancel()
	info, err := s.streamInfo(ctx)
	if err != nil {
		// Away, gone or electing a leader: the publish finds out, and
		// heals what it can.
		return false
	}
	s.confirmWindow(info)
	return s.seen.has(id)
}

// forget drops the remembered ids: their stream is gone.
func (w *window) forget(seen *seen) {
	seen.reset()
	w.created.Store(0)
}
