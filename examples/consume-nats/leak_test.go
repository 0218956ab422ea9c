package main

import (
	"testing"

	"go.uber.org/goleak"
)

// The consumer's context stops its goroutines, and the test stops the
// server, the connection and the service it started.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
