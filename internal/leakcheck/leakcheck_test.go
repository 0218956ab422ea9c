package leakcheck_test

import (
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/hirebridge/hirebridge/internal/leakcheck"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const here = "github.com/hirebridge/hirebridge/internal/leakcheck_test."

// A goroutine started after the snapshot, in the package asked about, is
// found until it ends; one of another package is not.
func TestRunningFindsOnlyNewOnesOfThePackage(t *testing.T) {
	old := make(chan struct{})
	go func() { <-old }()
	defer close(old)
	snap := leakcheck.Take()

	if left := snap.Running(0, here); len(left) != 0 {
		t.Fatalf("goroutines from before the snapshot reported:\n%s", left)
	}
	stop := make(chan struct{})
	go func() { <-stop }()
	if left := snap.Running(0, here); len(left) != 1 {
		t.Fatalf("found %d new goroutines, want 1:\n%s", len(left), left)
	}
	if left := snap.Running(0, "net/http."); len(left) != 0 {
		t.Fatalf("goroutines of another package reported:\n%s", left)
	}
	time.AfterFunc(50*time.Millisecond, func() { close(stop) })
	if left := snap.Running(5*time.Second, here); len(left) != 0 {
		t.Fatalf("a goroutine that ended is still reported:\n%s", left)
	}
}
