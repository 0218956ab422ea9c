package kafka

import (
	kafkago "github.com/segmentio/kafka-go"
)

// InFlight is the number of records kafka-go is still working on,
// including those whose callers stopped waiting.
func (s *Sink) InFlight() int { return len(s.slots) }

// WriterStats are the producer's counters since the previous call.
func (s *Sink) WriterStats() kafkago.WriterStats { return s.producer.stats() }

// Queues is the number of partitions the producer holds records for.
func (s *Sink) Queues() int { return s.producer.queues() }

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

// RequiredAcks is what every produce request waits for.
func (s *Sink) RequiredAcks() kafkago.RequiredAcks { return requiredAcks }
