package kafka

import (
	"errors"
	"sync"
	"testing"
	"time"
)

func TestWindowAnswersStoredIDsAsDuplicates(t *testing.T) {
	w := newWindow(10, time.Minute)
	f, lead := w.join("a")
	if !lead {
		t.Fatal("first join of an id does not lead")
	}
	w.finish(f, nil)
	g, lead := w.join("a")
	if lead {
		t.Fatal("a stored id leads again")
	}
	select {
	case <-g.done:
	default:
		t.Fatal("a stored id's flight is not done")
	}
	if g.err != nil {
		t.Fatalf("stored flight carries %v", g.err)
	}
}

func TestWindowForgetsFailures(t *testing.T) {
	w := newWindow(10, time.Minute)
	f, _ := w.join("a")
	w.finish(f, errors.New("broker down"))
	if _, lead := w.join("a"); !lead {
		t.Fatal("an id whose publish failed is remembered")
	}
	if n := w.len(); n != 0 {
		t.Fatalf("%d ids remembered after a failure", n)
	}
}

func TestWindowEvictsOldestBeyondSize(t *testing.T) {
	w := newWindow(3, time.Hour)
	for _, id := range []string{"a", "b", "c", "d"} {
		f, _ := w.join(id)
		w.finish(f, nil)
	}
	if n := w.len(); n != 3 {
		t.Fatalf("%d ids remembered, want 3", n)
	}
	if _, lead := w.join("a"); !lead {
		t.Error("the oldest id survived eviction by size")
	}
	for _, id := range []string{"b", "c", "d"} {
		if _, lead := w.join(id); lead {
			t.Errorf("%s was evicted, want it remembered", id)
		}
	}
}

func TestWindowExpiresByAge(t *testing.T) {
	now := time.Date(2026, 1, 30, 0, 0, 0, 0, time.UTC)
	w := newWindow(100, 10*time.Minute)
	w.now = func() time.Time { return now }
	f, _ := w.join("old")
	w.finish(f, nil)
	now = now.Add(6 * time.Minute)
	f, _ = w.join("young")
	w.finish(f, nil)
	now = now.Add(5 * time.Minute)
	if _, lead := w.join("old"); !lead {
		t.Error("an id older than the age is still remembered")
	}
	if _, lead := w.join("young"); lead {
		t.Error("an id younger than the age was forgotten")
	}
}

func TestWindowJoinsConcurrentPublishesOfOneID(t *testing.T) {
	w := newWindow(10, time.Minute)
	const callers = 16
	var (
		mu      sync.Mutex
		leaders int
		flights = map[*flight]bool{}
		wg      sync.WaitGroup
	)
	start := make(chan struct{})
	for range callers {
		wg.Go(func() {
			<-start
			f, lead := w.join("same")
			mu.Lock()
			flights[f] = true
			if lead {
				leaders++
			}
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	if leaders != 1 || len(flights) != 1 {
		t.Fatalf("%d leaders over %d flights, want one of each", leaders, len(flights))
	}
}

func TestWindowNeverSharesAnEmptyID(t *testing.T) {
	w := newWindow(10, time.Minute)
	f, lead := w.join("")
	if !lead {
		t.Fatal("an empty id does not lead")
	}
	w.finish(f, nil)
	if _, lead := w.join(""); !lead {
		t.Fatal("a second message without an id was taken for a retry")
	}
	if n := w.len(); n != 0 {
		t.Fatalf("%d ids remembered, want none", n)
	}
}
