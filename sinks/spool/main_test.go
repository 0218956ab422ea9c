package spool_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when any goroutine outlives its tests: the
// forwarder, the committer, the broker's sink opened in the background,
// a Close whose deadline passed while a publish was stuck.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
