package kafka

import (
	"errors"
	"fmt"
	"io"
	"net"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/hirebridge/hirebridge/sinks"
)

// judge tells from a WriteMessages error whether the record was stored, was
// certainly not, or may have been; cause is the error of the record's
// batch, or err itself when the record was never batched.
func judge(err error) (how outcome, cause error) {
	if err == nil {
		return written, nil
	}
	var werrs kafkago.WriteErrors
	if !errors.As(err, &werrs) || len(werrs) != 1 || werrs[0] == nil {
		// Refused before batching (writer.go, WriteMessages): too large,
		// topic unknown to the metadata cache, writer closed.
		return notWritten, err
	}
	cause = werrs[0]
	var code kafkago.Error
	if errors.As(cause, &code) {
		switch code {
		case kafkago.RequestTimedOut, kafkago.NotEnoughReplicasAfterAppend, kafkago.KafkaStorageError:
			// The leader may have appended the record before failing.
			return unknown, cause
		default:
			// The broker answered with an error: nothing was appended
			// (or the broker was never reached: BrokerNotAvailable,
			// SASL failures).
			return notWritten, cause
		}
	}
	var op *net.OpError
	if errors.As(cause, &op) && op.Op == "dial" {
		return notWritten, cause
	}
	// A timeout, a reset or EOF after the request may have been sent.
	return unknown, cause
}

// retryable reports whether writing the record again may pass: not when
// the broker refused it for good (refusals.go), nor once the writer is
// closed.
func retryable(cause error) bool {
	return permanence(cause) == nil && !errors.Is(cause, io.ErrClosedPipe)
}

// classify maps a kafka-go outcome, of a write or of making its topic, to
// the sinks errors the handler answers by: too large (413) and refused (the
// dead letters) are final for this record (refusals.go); everything else
// may pass (503). The result wraps err, which carries the broker's code and
// words.
func classify(topic string, err error) error {
	if err == nil {
		return nil
	}
	err = recordErr(err)
	if errors.Is(err, io.ErrClosedPipe) {
		return fmt.Errorf("publishing %s: %w: %w", topic, sinks.ErrClosed, err)
	}
	if final := permanence(err); final != nil {
		return fmt.Errorf("publishing %s: %w: %w", topic, final, err)
	}
	return fmt.Errorf("publishing %s: %w: %w", topic, sinks.ErrUnavailable, err)
}
