package kafka

import (
	"context"
	"fmt"
)

// Close refuses new publishes, waits for the records in flight to be acked
// or failed (bounded by ctx), then closes the writer and its connections.
//
// When ctx ends first (a broker that stopped answering), Close closes every
// connection: each record in flight then ends at once, its outcome unknown,
// rather than at its attempt timeout after the batches queued before it
// (closing the writer with them still queued could hang on them,
// segmentio/kafka-go#1307). Their callers still waiting are answered
// unavailable; a record the broker received may yet be stored, as after
// any write whose answer never came. Close returns once they have ended:
// nothing of the sink outlives it.
func (s *Sink) Close(ctx context.Context) error {
	if !s.gate.Close() {
		return nil
	}
	var err error
	if werr := s.gate.Wait(ctx); werr != nil {
		n := s.gate.Inside()
		s.conns.closeAll()
		_ = s.gate.Wait(context.Background())
		err = fmt.Errorf("closing kafka: %d records still in flight were cut off: %w", n, werr)
	}
	s.shutdown()
	return err
}

// shutdown ends everything Open started. Nothing is in flight: Close
// waited, or Open never published.
func (s *Sink) shutdown() {
	// Read-backs in progress end first: their ids are forgotten.
	s.resolver.close()
	s.producer.close()
	s.cancel()
	s.transport.CloseIdleConnections()
	// Connections kafka-go still holds (its metadata requests) end with
	// their goroutines.
	s.conns.closeAll()
}
