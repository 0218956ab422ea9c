package natsjs_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when any goroutine outlives its tests: the
// sink's watcher and connection, a Close that gave up on a server that
// stopped answering, the servers the tests start and stop.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
