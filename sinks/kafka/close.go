package kafka

import (
	"context"
	"fmt"
)

// startFlight registers a flight unless the sink is closed; Close waits for
// registered flights before closing the writer.
func (s *Sink) startFlight() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return false
	}
	s.flights.Add(1)
	return true
}

func (s *Sink) isClosed() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.closed
}

// Close refuses new publishes, waits for the records in flight to be acked
// or failed (bounded by ctx), then closes the writer and its connections.
func (s *Sink) Close(ctx context.Context) error {
	s.mu.Lock()
	already := s.closed
	s.closed = true
	s.mu.Unlock()
	if already {
		return nil
	}
	drained := make(chan struct{})
	go func() {
		s.flights.Wait()
		close(drained)
	}()
	select {
	case <-drained:
	case <-ctx.Done():
		// Records still in kafka-go end within the attempt timeout (after
		// the batches queued before them) and report failure to callers
		// that still wait; closing the writer now could hang on them
		// (segmentio/kafka-go#1307).
		go func() {
			<-drained
			s.shutdown()
		}()
		return fmt.Errorf("closing kafka: %d records still in flight: %w", len(s.slots), ctx.Err())
	}
	closed := make(chan struct{})
	go func() {
		s.shutdown()
		close(closed)
	}()
	select {
	case <-closed:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("closing kafka: %w", ctx.Err())
	}
}

func (s *Sink) shutdown() {
	// Read-backs in progress end first: their ids are forgotten.
	s.resolver.close()
	s.writer.Close()
	s.transport.CloseIdleConnections()
	s.cancel()
}
