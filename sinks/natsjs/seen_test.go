package natsjs

import (
	"fmt"
	"runtime"
	"testing"
	"time"
)

func TestSeenRemembersAcknowledgedIDs(t *testing.T) {
	s := newSeen(3, time.Minute)
	if s.has("a") {
		t.Fatal("an empty window has a")
	}
	s.add("a")
	s.add("b")
	s.add("a")
	if !s.has("a") || !s.has("b") || s.has("c") {
		t.Fatalf("has a, b, c = %v, %v, %v; want true, true, false", s.has("a"), s.has("b"), s.has("c"))
	}
	if s.len() != 2 {
		t.Errorf("len %d after adding a twice and b, want 2", s.len())
	}
}

func TestSeenForgetsTheOldestBeyondItsSize(t *testing.T) {
	s := newSeen(3, time.Minute)
	for _, id := range []string{"a", "b", "c", "d"} {
		s.add(id)
	}
	if s.has("a") {
		t.Error("a is still there after three more ids in a window of three")
	}
	for _, id := range []string{"b", "c", "d"} {
		if !s.has(id) {
			t.Errorf("%s forgotten", id)
		}
	}
}

func TestSeenForgetsAfterItsAge(t *testing.T) {
	now := time.Unix(1000, 0)
	s := newSeen(10, time.Minute)
	s.now = func() time.Time { return now }
	s.add("a")
	now = now.Add(30 * time.Second)
	s.add("b")
	now = now.Add(31 * time.Second)
	if s.has("a") {
		t.Error("a remembered 61 s later with an age of 1 minute")
	}
	if !s.has("b") {
		t.Error("b forgotten after 31 s")
	}
	if s.len() != 1 {
		t.Errorf("len %d, want 1", s.len())
	}
}

func TestSeenOfSizeZeroRemembersNothing(t *testing.T) {
	s := newSeen(0, time.Minute)
	s.add("a")
	if s.has("a") {
		t.Error("a window of size 0 remembered a")
	}
}

// TestSeenMemory holds the README's figure: a full window of 100,000 ids
// takes about 60 bytes each.
func TestSeenMemory(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's shadow memory is not what production allocates")
	}
	const size = 100_000
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := newSeen(size, time.Hour)
	for i := range size {
		s.add(fmt.Sprintf("%032x", i))
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	perID := float64(after.HeapAlloc-before.HeapAlloc) / size
	runtime.KeepAlive(s)
	t.Logf("%.0f bytes per id", perID)
	if perID > 64 {
		t.Errorf("%.0f bytes per id, want at most 64 (the README says about 60)", perID)
	}
}

// BenchmarkSeen is the work of one acknowledged publish on a full window:
// add evicts the oldest id, has answers for one still remembered. ids are
// the bridge's (32 hex characters), made before the clock starts.
func BenchmarkSeen(b *testing.B) {
	const size = 100_000
	ids := make([]string, 2*size)
	for i := range ids {
		ids[i] = fmt.Sprintf("%032x", i)
	}
	s := newSeen(size, time.Hour)
	for _, id := range ids[:size] {
		s.add(id)
	}
	b.ReportAllocs()
	i := size
	for b.Loop() {
		s.add(ids[i%len(ids)])
		if !s.has(ids[(i-size/2)%len(ids)]) {
			b.Fatal("an id within the window is forgotten")
		}
		i++
	}
}
