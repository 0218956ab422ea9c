package kafka

import (
	"time"

	kafkago "github.com/segmentio/kafka-go"
)

// InFlight is the number of records kafka-go is still working on,
// including those whose callers stopped waiting.
func (s *Sink) InFlight() int { return len(s.slots) }

// WriterStats are the writer's counters since the previous call.
func (s *Sink) WriterStats() kafkago.WriterStats { return s.writers.stats() }

// Writers is the number of topics' writers open.
func (s *Sink) Writers() int { return s.writers.count() }

// SetWriterIdle sets how long a topic's writer stays open unused, for
// sinks opened after, and returns a func restoring it.
func SetWriterIdle(d time.Duration) func() {
	was := writerIdle
	writerIdle = d
	return func() { writerIdle = was }
}

// Remembered is the number of ids in the dedup window.
func (s *Sink) Remembered() int { return s.dedup.len() }

// Waiting is the number of publishes that joined the write or read-back in
// progress for id.
func (s *Sink) Waiting(id string) int { return s.dedup.joined(id) }

// ReadBacks counts the records whose write got no answer, by whether the
// read-back found them stored.
func (s *Sink) ReadBacks() (found, notFound int64) {
	return s.resolver.found.Load(), s.resolver.notFound.Load()
}

// RequiredAcks is what the writer asks every produce request to wait for.
func (s *Sink) RequiredAcks() kafkago.RequiredAcks {
	w := s.writers.acquire("any")
	defer s.writers.release(w)
	return w.RequiredAcks
}
