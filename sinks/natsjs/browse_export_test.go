package natsjs

import (
	"github.com/nats-io/nats.go"

	"github.com/hirebridge/hirebridge/sinks"
)

// Headers are the headers Publish sends m with, for tests that store many
// messages at once as the sink would.
func Headers(m *sinks.Message, stream string) nats.Header { return headers(m, stream) }

// RaceEnabled says the race detector is on, for tests too costly under it.
const RaceEnabled = raceEnabled

// SplitWindows makes searches read windows of at least n sequences in two
// halves at once, until the returned func restores the default.
func SplitWindows(n uint64) (restore func()) {
	old := splitWindow
	splitWindow = n
	return func() { splitWindow = old }
}
