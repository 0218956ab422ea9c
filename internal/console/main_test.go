package console

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when any goroutine outlives its tests: the
// sampler and the live feeds end with Close.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
