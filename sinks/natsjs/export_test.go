package natsjs

// PublishesInside is the number of publishes in progress, which Close
// waits for.
func (s *Sink) PublishesInside() int { return s.gate.Inside() }
