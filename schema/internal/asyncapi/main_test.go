package asyncapi

import (
	"testing"

	"go.uber.org/goleak"
)

// The parser tests run Node: each run's output is copied by goroutines of
// os/exec, which end when the process does.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
