package main

import (
	"testing"

	"go.uber.org/goleak"
)

// The reader stops its partitions' goroutines when closed, and the test
// stops the broker and the service it started.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
