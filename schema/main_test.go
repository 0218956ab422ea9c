package schema

import (
	"testing"

	"go.uber.org/goleak"
)

// TestKnowsNothingOfHTTPOrBrokers runs `go list`, whose output os/exec
// copies on goroutines of its own; they end with the process.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
