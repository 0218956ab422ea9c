package spool

import (
	"context"

	"github.com/hirebridge/hirebridge/sinks"
)

var (
	_ sinks.Destinations = (*Spool)(nil)
	_ sinks.Destinations = (*Lazy)(nil)
)

// Destinations is the broker's list, for what counts event types in front
// of the spool (sinks/typecap); a broker's sink that cannot list them
// lists nothing.
func (sp *Spool) Destinations(ctx context.Context) ([]string, error) {
	return destinationsOf(ctx, sp.inner)
}

// Destinations is the broker's list once its sink is open; until then it
// is unavailable, and asked again later.
func (l *Lazy) Destinations(ctx context.Context) ([]string, error) {
	h := l.sink.Load()
	if h == nil {
		return nil, l.notOpen()
	}
	return destinationsOf(ctx, h.Sink)
}

func destinationsOf(ctx context.Context, s sinks.Sink) ([]string, error) {
	if d, ok := s.(sinks.Destinations); ok {
		return d.Destinations(ctx)
	}
	return nil, nil
}
