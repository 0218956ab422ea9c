//go:build linux

package kafka_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hirebridge/hirebridge/internal/leakcheck"
	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/kafka"
	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
)

// A record is in flight to a broker stopped (SIGSTOP) after it took the
// connection, and Close's deadline passes meanwhile: Close cuts the
// connections, so the write ends at once rather than at its attempt
// timeout a minute later, its caller is answered (closed: a 503), and Close
// returns soon after its deadline with none of the sink's goroutines, nor
// kafka-go's, running, while the broker is still stopped.
func TestCloseCutsWritesToAPausedBroker(t *testing.T) {
	broker := kafkatest.StartProcess(t)
	before := leakcheck.Take()
	topic := prefix + ".applicant_applied"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	s, err := kafka.Open(ctx, kafka.Config{
		Brokers: []string{broker.Addr()}, Prefix: prefix, KnownTypes: []string{"applicant_applied"},
		AckTimeout: time.Minute,
	})
	cancel()
	if err != nil {
		t.Fatalf("opening the kafka sink: %v", err)
	}
	// The connections are open when the broker stops, so the write
	// reaches its socket and waits there for an answer.
	publish(t, s, message(topic, "close-warm"), 10*time.Second)

	broker.Pause(t)
	defer broker.Resume(t)
	answered := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, err := s.Publish(ctx, message(topic, "close-stuck"))
		answered <- err
	}()
	waitFor(t, "the record to be in flight", func() bool { return s.InFlight() == 1 })

	ctx, cancel = context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = s.Close(ctx)
	took := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close: %v, want its deadline's error", err)
	}
	if took > 3*time.Second {
		t.Errorf("Close took %s with a 300ms deadline", took)
	}
	select {
	case err := <-answered:
		if !errors.Is(err, sinks.ErrClosed) && !errors.Is(err, sinks.ErrUnavailable) {
			t.Errorf("the record in flight: %v, want ErrClosed or ErrUnavailable (both a 503)", err)
		}
	case <-time.After(time.Second):
		t.Fatal("the record in flight had no answer a second after Close returned")
	}
	if left := before.Running(2*time.Second, "github.com/hirebridge/hirebridge/sinks/kafka.", "github.com/segmentio/kafka-go"); len(left) > 0 {
		t.Errorf("%d goroutines of the sink or kafka-go still run after Close returned:\n%s", len(left), left)
	}
	if _, err := s.Publish(context.Background(), message(topic, "close-after")); !errors.Is(err, sinks.ErrClosed) {
		t.Errorf("publish after Close: %v, want ErrClosed", err)
	}
}
