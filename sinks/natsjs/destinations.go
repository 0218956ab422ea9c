package natsjs

import (
	"context"
	"fmt"
	"sort"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hirebridge/hirebridge/sinks"
)

var _ sinks.Destinations = (*Sink)(nil)

// Destinations lists the subjects under the prefix that the stream holds
// messages on, dead letters included: what sinks/typecap starts its count
// of event types from, so a restart does not grant the cap again. The
// server answers the subjects a page at a time; a subject whose messages
// all aged out is no longer listed, as it no longer costs the stream
// anything.
func (s *Sink) Destinations(ctx context.Context) ([]string, error) {
	st, err := s.js.Stream(ctx, s.cfg.Stream)
	if err != nil {
		return nil, fmt.Errorf("looking up stream %s: %w", s.cfg.Stream, err)
	}
	info, err := st.Info(ctx, jetstream.WithSubjectFilter(sinks.AllTopics(s.cfg.Prefix)))
	if err != nil {
		return nil, fmt.Errorf("listing the subjects of stream %s: %w", s.cfg.Stream, err)
	}
	names := make([]string, 0, len(info.State.Subjects))
	for subject := range info.State.Subjects {
		names = append(names, subject)
	}
	sort.Strings(names)
	return names, nil
}
