package kafka

import (
	"context"
	"strings"

	"github.com/hirebridge/hirebridge/sinks"
)

var _ sinks.Destinations = (*Sink)(nil)

// Destinations lists the cluster's topics under the prefix, dead letters
// included, from one metadata request: what sinks/typecap starts its count
// of event types from, so a restart does not grant the cap again.
func (s *Sink) Destinations(ctx context.Context) ([]string, error) {
	all, err := s.reader().Topics(ctx)
	if err != nil {
		return nil, err
	}
	under := s.cfg.Prefix + "."
	names := all[:0]
	for _, t := range all {
		if strings.HasPrefix(t, under) {
			names = append(names, t)
		}
	}
	return names, nil
}
