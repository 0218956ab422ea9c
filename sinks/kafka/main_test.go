package kafka_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when any goroutine outlives its tests: the
// sink's writes and read-backs, Follow's partitions, the brokers the tests
// start and stop.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
