package kafkafollow

import (
	"testing"

	"go.uber.org/goleak"
)

// Follow reads partitions on goroutines of sinks/kafka's reader: none may
// outlive a test that follows.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
