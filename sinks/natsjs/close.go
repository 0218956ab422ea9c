package natsjs

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go"
)

// Close refuses new publishes, waits for those in progress (bounded by
// ctx), then drains the connection. When ctx ends first (a server that
// stopped answering), it closes the connection and fails the acks still
// awaited, so each publish gets its answer at once, and returns once they
// have: nothing of the sink outlives Close.
func (s *Sink) Close(ctx context.Context) error {
	if s.gate.Close() {
		s.stopWatch()
		<-s.watchDone
	}
	if s.nc.IsClosed() {
		// Acks still awaited can no longer arrive: waiting for them would
		// only run out ctx.
		s.endPublishes()
		return nil
	}
	if err := s.gate.Wait(ctx); err != nil {
		n := s.gate.Inside()
		s.nc.Close()
		s.endPublishes()
		return fmt.Errorf("closing NATS: %d publishes still waiting for their acks were ended: %w", n, err)
	}
	// Every caller has its answer. Acks still outstanding are of publishes
	// whose callers gave up (their deadline passed, or the server denied
	// the subject and drops the message): nobody waits for them, and
	// waiting would hold the shutdown up to the ack timeout.
	if !s.nc.IsConnected() {
		// Reconnecting: there is nothing to drain (publishes fail at once
		// while disconnected), and the acks still awaited can no longer
		// come.
		s.nc.Close()
		return nil
	}
	drained := make(chan struct{})
	s.nc.SetClosedHandler(func(*nats.Conn) { close(drained) })
	if err := s.nc.Drain(); err != nil {
		s.nc.Close()
		return fmt.Errorf("draining the NATS connection: %w", err)
	}
	select {
	case <-drained:
		return nil
	case <-ctx.Done():
		s.nc.Close()
		return fmt.Errorf("closing NATS: %w", ctx.Err())
	}
}

// endPublishes answers the publishes still waiting on a closed connection:
// their acks fail at once (jetstream.ErrJetStreamPublisherClosed, classed
// ErrClosed) rather than at the ack timeout; a publish not sent yet finds
// the connection closed. It returns once every one has left.
func (s *Sink) endPublishes() {
	s.js.CleanupPublisher()
	_ = s.gate.Wait(context.Background())
}
