package kafka

import kafkago "github.com/segmentio/kafka-go"

// InFlight is the number of records kafka-go is still working on,
// including those whose callers stopped waiting.
func (s *Sink) InFlight() int { return len(s.slots) }

// WriterStats are the writer's counters since the previous call.
func (s *Sink) WriterStats() kafkago.WriterStats { return s.writer.Stats() }

// Remembered is the number of ids in the dedup window.
func (s *Sink) Remembered() int { return s.dedup.len() }
