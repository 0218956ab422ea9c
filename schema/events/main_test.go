package events

import (
	"testing"

	"go.uber.org/goleak"
)

// TestImportsOnlyTheStandardLibrary runs `go list`, whose output os/exec
// copies on goroutines of its own; they end with the process.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
